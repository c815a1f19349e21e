import * as assert from "assert";
import type { QueueProps } from "../../lib/types";
import { enforceQuorumQueues } from "../../rules/enforceQuorumQueues";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { UNKNOWN, assertViolations, runResourcePolicy } from "../harness";

describe("enforce-quorum-queues", function () {
    const policy = enforceQuorumQueues;
    function queue() {
        const r = find(happyStack(), T.queue, "documento.deletion.queue");
        return { r, q: inputsOf<QueueProps & { settings: NonNullable<QueueProps["settings"]> }>(r) };
    }

    it("passes a durable quorum queue", async function () {
        assertViolations(await runResourcePolicy(policy, queue().r), []);
    });

    it("fails a queue without x-queue-type (a classic queue)", async function () {
        const { r, q } = queue();
        q.settings.argumentsJson = JSON.stringify({ "x-max-length": 10 });
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" has no x-queue-type (a classic queue); every queue must be a quorum queue. Set settings.argumentsJson to {"x-queue-type":"quorum"}, or list the queue in exemptQueues of enforce-quorum-queues.',
        ]);
    });

    it("reads the type from settings.arguments too", async function () {
        const { r, q } = queue();
        delete q.settings.argumentsJson;
        q.settings.arguments = { "x-queue-type": "classic" };
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" has x-queue-type "classic"; every queue must be a quorum queue. Set settings.argumentsJson to {"x-queue-type":"quorum"}, or list the queue in exemptQueues of enforce-quorum-queues.',
        ]);
        q.settings.arguments = { "x-queue-type": "quorum" };
        assertViolations(await runResourcePolicy(policy, r), []);
    });

    it("fails a stream queue unless exempted in config, but still requires durable", async function () {
        const { r, q } = queue();
        q.settings.argumentsJson = JSON.stringify({ "x-queue-type": "stream" });
        assert.strictEqual((await runResourcePolicy(policy, r)).violations.length, 1);
        assertViolations(
            await runResourcePolicy(policy, r, { exemptQueues: ["documento.deletion.queue"] }),
            [],
        );
        q.settings.durable = false;
        assertViolations(await runResourcePolicy(policy, r, { exemptQueues: ["documento.deletion.queue"] }), [
            'Queue "documento.deletion.queue" has settings.durable false; quorum queues must be durable and the broker rejects them otherwise. Set settings.durable to true.',
        ]);
    });

    it("fails a queue that is not durable (the provider default)", async function () {
        const { r, q } = queue();
        delete q.settings.durable;
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" does not set settings.durable (the provider defaults it to false); quorum queues must be durable and the broker rejects them otherwise. Set settings.durable to true.',
        ]);
    });

    it("fails an auto-delete queue", async function () {
        const { r, q } = queue();
        q.settings.autoDelete = true;
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" has settings.autoDelete true; quorum queues can\'t be auto-deleted and the broker rejects them. Remove settings.autoDelete or set it to false.',
        ]);
    });

    it("fails argumentsJson that is not a JSON object", async function () {
        const { r, q } = queue();
        q.settings.argumentsJson = "[1]";
        assertViolations(await runResourcePolicy(policy, r), [
            'Queue "documento.deletion.queue" has settings.argumentsJson that is not a JSON object (it holds an array); the queue type can\'t be read. Set argumentsJson to a JSON object such as {"x-queue-type":"quorum"}.',
        ]);
    });

    it("can't tell yet when the arguments are unknown at preview", async function () {
        const { r, q } = queue();
        q.settings.argumentsJson = UNKNOWN;
        const out = await runResourcePolicy(policy, r);
        assertViolations(out, []);
        assert.strictEqual(
            out.unknown,
            "string value at .settings.argumentsJson can't be known during preview",
        );
    });

    it("does not apply to other resource types", async function () {
        const out = await runResourcePolicy(policy, find(happyStack(), T.exchange, "documento.events"));
        assert.strictEqual(
            out.notApplicable,
            "Policy only applies to resources of type 'rabbitmq:index/queue:Queue'",
        );
    });
});
