import * as assert from "assert";
import type { QueueProps } from "../../lib/types";
import { disallowUntypedQueueArguments } from "../../rules/disallowUntypedQueueArguments";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { UNKNOWN, assertViolations, runResourcePolicy } from "../harness";

describe("disallow-untyped-queue-arguments", function () {
    const policy = disallowUntypedQueueArguments;
    function queue() {
        const r = find(happyStack(), T.queue, "documento.deletion.queue");
        return { r, q: inputsOf<QueueProps & { settings: NonNullable<QueueProps["settings"]> }>(r) };
    }

    it("passes typed arguments in argumentsJson", async function () {
        assertViolations(await runResourcePolicy(policy, queue().r), []);
    });

    it("passes string arguments in arguments", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-queue-type": "quorum", "x-overflow": "reject-publish" };
        assertViolations(await runResourcePolicy(policy, r), []);
    });

    it("fails x-delivery-limit passed as a string (the broker ignores it)", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-queue-type": "quorum", "x-delivery-limit": "3" };
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" passes x-delivery-limit="3" through settings.arguments, which sends it as a string; the broker rejects or silently ignores non-string arguments sent as strings. Move it to settings.argumentsJson as a JSON number.',
        ]);
    });

    it("fails a boolean argument passed as a string", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-single-active-consumer": "true" };
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" passes x-single-active-consumer="true" through settings.arguments, which sends it as a string; the broker rejects or silently ignores non-string arguments sent as strings. Move it to settings.argumentsJson as a JSON boolean.',
        ]);
    });

    it("fails any numeric-looking string argument, even one it does not know", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-custom-weight": "12" };
        assert.strictEqual((await runResourcePolicy(policy, r)).violations.length, 1);
    });

    it("fails arguments and argumentsJson set together", async function () {
        const { r, q } = queue();
        q.settings.arguments = { "x-overflow": "reject-publish" };
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" sets both settings.arguments and settings.argumentsJson; the provider accepts only one of them. Move every argument into argumentsJson.',
        ]);
    });

    it("can't tell yet when arguments are unknown at preview", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-delivery-limit": UNKNOWN };
        const out = await runResourcePolicy(policy, r);
        assertViolations(out, []);
        assert.strictEqual(
            out.unknown,
            "string value at .settings.arguments.x-delivery-limit can't be known during preview",
        );
    });
});
