import type { RabbitmqPolicyProps } from "../../lib/types";
import { disallowClassicQueueMirroring } from "../../rules/disallowClassicQueueMirroring";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("disallow-classic-queue-mirroring", function () {
    const policy = disallowClassicQueueMirroring;

    it("passes a quorum queue policy", async function () {
        assertViolations(
            await runResourcePolicy(policy, find(happyStack(), T.policy, "documento.deletion.queue")),
            [],
        );
    });

    it("fails ha-mode and ha-params", async function () {
        const r = find(happyStack(), T.policy, "documento.deletion.queue");
        const definition = inputsOf<RabbitmqPolicyProps>(r).policy?.definition as Record<string, string>;
        definition["ha-mode"] = "exactly";
        definition["ha-params"] = "2";
        assertViolations(await runResourcePolicy(policy, r), [
            'Policy "documento.deletion.queue" sets ha-mode, ha-params; classic queue mirroring was removed in RabbitMQ 4.0. Remove the ha-* keys and use quorum queues with target-group-size.',
        ]);
    });
});
