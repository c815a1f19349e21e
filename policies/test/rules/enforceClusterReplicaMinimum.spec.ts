import * as assert from "assert";
import type { RabbitmqClusterProps } from "../../lib/types";
import { enforceClusterReplicaMinimum } from "../../rules/enforceClusterReplicaMinimum";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("enforce-cluster-replica-minimum", function () {
    const policy = enforceClusterReplicaMinimum;
    function cluster() {
        const r = find(happyStack(), T.cluster, "rabbitmq");
        return { r, spec: inputsOf<RabbitmqClusterProps>(r).spec as Record<string, unknown> };
    }

    it("passes five replicas", async function () {
        assertViolations(await runResourcePolicy(policy, cluster().r), []);
    });

    it("fails a single replica", async function () {
        const { r, spec } = cluster();
        spec["replicas"] = 1;
        assertViolations(await runResourcePolicy(policy, r), [
            'RabbitmqCluster "rabbitmq" has spec.replicas 1; clusters need at least 3 replicas. Set spec.replicas to 3 or more.',
        ]);
    });

    it("fails an even number of replicas", async function () {
        const { r, spec } = cluster();
        spec["replicas"] = 4;
        assertViolations(await runResourcePolicy(policy, r), [
            'RabbitmqCluster "rabbitmq" has spec.replicas 4, an even number; quorum needs a majority, so 4 replicas tolerate no more node failures than 3 do. Set spec.replicas to an odd number.',
        ]);
    });

    it("fails a cluster that leaves replicas to the operator's default of 1", async function () {
        const { r, spec } = cluster();
        delete spec["replicas"];
        assertViolations(await runResourcePolicy(policy, r), [
            'RabbitmqCluster "rabbitmq" does not set spec.replicas, so the operator runs 1 replica; clusters need at least 3 replicas, an odd number. Set spec.replicas.',
        ]);
    });

    it("honours minReplicas from the policy config", async function () {
        const { r } = cluster();
        assertViolations(await runResourcePolicy(policy, r, { minReplicas: 7 }), [
            'RabbitmqCluster "rabbitmq" has spec.replicas 5; clusters need at least 7 replicas. Set spec.replicas to 7 or more.',
        ]);
        const single = cluster();
        single.spec["replicas"] = 1;
        assertViolations(await runResourcePolicy(policy, single.r, { minReplicas: 1 }), []);
    });

    it("can't tell yet when replicas are unknown at preview", async function () {
        const { r, spec } = cluster();
        spec["replicas"] = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
        const out = await runResourcePolicy(policy, r);
        assertViolations(out, []);
        assert.strictEqual(out.unknown, "number value at .spec.replicas can't be known during preview");
    });
});
