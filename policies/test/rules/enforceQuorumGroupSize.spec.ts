import * as assert from "assert";
import type { QueueProps, RabbitmqClusterProps, RabbitmqPolicyProps } from "../../lib/types";
import { enforceQuorumGroupSize } from "../../rules/enforceQuorumGroupSize";
import { T, URN, find, happyStack, inputsOf, quorumArgs } from "../fixtures";
import { assertViolations, runStackPolicy } from "../harness";

describe("enforce-quorum-group-size", function () {
    const policy = enforceQuorumGroupSize;
    const q = "documento.deletion.queue (rabbitmq:index/queue:Queue)";
    const p = "documento.deletion.queue (rabbitmq:index/policy:Policy)";

    function withReplicas(replicas: number) {
        const stack = happyStack();
        (
            inputsOf<RabbitmqClusterProps>(find(stack, T.cluster, "rabbitmq")).spec as { replicas: number }
        ).replicas = replicas;
        return stack;
    }

    it("passes group sizes equal to the cluster's replicas", async function () {
        assertViolations(await runStackPolicy(policy, happyStack()), []);
    });

    it("fails an initial group size larger than the cluster it lives on", async function () {
        const out = await runStackPolicy(policy, withReplicas(3));
        assertViolations(out, [
            `${q} sets x-quorum-initial-group-size 5 but RabbitmqCluster "rabbitmq" has 3 replicas; a quorum queue can't have more members than the cluster has nodes. Set it to 3 or fewer, or scale the cluster.`,
            'documento.deletion.dlq (rabbitmq:index/queue:Queue) sets x-quorum-initial-group-size 5 but RabbitmqCluster "rabbitmq" has 3 replicas; a quorum queue can\'t have more members than the cluster has nodes. Set it to 3 or fewer, or scale the cluster.',
            `${p} sets target-group-size 5 but RabbitmqCluster "rabbitmq" has 3 replicas; a quorum queue can't have more members than the cluster has nodes. Set it to 3 or fewer, or scale the cluster.`,
        ]);
        assert.strictEqual(out.violations[0].urn, URN.queue);
    });

    it("fails an initial group size below minGroupSize", async function () {
        const stack = happyStack();
        const settings = inputsOf<QueueProps>(find(stack, T.queue, "documento.deletion.queue")).settings as {
            argumentsJson: string;
        };
        settings.argumentsJson = quorumArgs({ "x-quorum-initial-group-size": 1 });
        assertViolations(await runStackPolicy(policy, stack), [
            `${q} sets x-quorum-initial-group-size 1; quorum queues need at least 3 members. Set it to 3 or more.`,
        ]);
    });

    it("fails a target-group-size below minGroupSize", async function () {
        const stack = happyStack();
        const def = inputsOf<RabbitmqPolicyProps>(find(stack, T.policy, "documento.deletion.queue")).policy
            ?.definition as Record<string, string>;
        def["target-group-size"] = "2";
        assertViolations(await runStackPolicy(policy, stack), [
            `${p} sets target-group-size 2; quorum queues need at least 3 members. Set it to 3 or more.`,
        ]);
    });

    it("honours minGroupSize from the policy config (a one-node dev cluster)", async function () {
        const stack = withReplicas(1);
        for (const name of ["documento.deletion.queue", "documento.deletion.dlq"]) {
            const settings = inputsOf<QueueProps>(find(stack, T.queue, name)).settings as {
                argumentsJson: string;
            };
            settings.argumentsJson = quorumArgs({ "x-quorum-initial-group-size": 1 });
        }
        const def = inputsOf<RabbitmqPolicyProps>(find(stack, T.policy, "documento.deletion.queue")).policy
            ?.definition as Record<string, string>;
        delete def["target-group-size"];
        assert.strictEqual((await runStackPolicy(policy, stack)).violations.length, 2);
        assertViolations(await runStackPolicy(policy, stack, { minGroupSize: 1 }), []);
    });

    it("fails when no cluster is reachable through the queue's provider", async function () {
        const stack = happyStack();
        const provider = find(stack, T.provider, "rabbitmq");
        provider.dependencies = [URN.adminPassword];
        provider.propertyDependencies = { password: [URN.adminPassword] };
        const out = await runStackPolicy(policy, stack);
        assert.strictEqual(out.violations.length, 3);
        assert.strictEqual(
            out.violations[0].message,
            `${q} sets x-quorum-initial-group-size 5 but no RabbitmqCluster is reachable through its provider's dependencies, so the size can't be checked against the cluster. Make the rabbitmq provider's endpoint and credentials come from the cluster's Service and Secret.`,
        );
    });

    it("finds the cluster through the provider's property dependencies alone", async function () {
        const stack = withReplicas(3);
        const provider = find(stack, T.provider, "rabbitmq");
        provider.dependencies = [];
        assert.strictEqual((await runStackPolicy(policy, stack)).violations.length, 3);
    });

    it("checks what it can and can't tell yet about an unknown replica count", async function () {
        const stack = happyStack();
        (
            inputsOf<RabbitmqClusterProps>(find(stack, T.cluster, "rabbitmq")).spec as { replicas: unknown }
        ).replicas = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
        const settings = inputsOf<QueueProps>(find(stack, T.queue, "documento.deletion.queue")).settings as {
            argumentsJson: string;
        };
        settings.argumentsJson = quorumArgs({ "x-quorum-initial-group-size": 1 });
        const out = await runStackPolicy(policy, stack);
        assertViolations(out, [
            `${q} sets x-quorum-initial-group-size 1; quorum queues need at least 3 members. Set it to 3 or more.`,
        ]);
        assert.strictEqual(out.unknown, "number value at .spec.replicas can't be known during preview");
    });

    it("checks only the minimum when the broker is outside the stack", async function () {
        const external = happyStack().filter((r) => r.type !== T.cluster);
        assertViolations(await runStackPolicy(policy, external), []);
        const settings = inputsOf<QueueProps>(find(external, T.queue, "documento.deletion.queue"))
            .settings as {
            argumentsJson: string;
        };
        settings.argumentsJson = quorumArgs({ "x-quorum-initial-group-size": 1 });
        assertViolations(await runStackPolicy(policy, external), [
            `${q} sets x-quorum-initial-group-size 1; quorum queues need at least 3 members. Set it to 3 or more.`,
        ]);
    });
});
