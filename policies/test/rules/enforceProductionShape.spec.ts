import * as assert from "assert";
import type { PodDisruptionBudgetProps, RabbitmqClusterProps } from "../../lib/types";
import { enforceProductionShape } from "../../rules/enforceProductionShape";
import { T, URN, find, happyStack, inputsOf } from "../fixtures";
import type { TestResource } from "../harness";
import { assertViolations, runStackPolicy } from "../harness";

type Spec = NonNullable<RabbitmqClusterProps["spec"]>;

describe("enforce-production-shape", function () {
    const policy = enforceProductionShape;
    const on = { enabled: true };
    const c = "rabbitmq (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster)";
    const spec = (stack: TestResource[]) =>
        inputsOf<RabbitmqClusterProps>(find(stack, T.cluster, "rabbitmq")).spec as Spec;

    it("is off by default (development stacks)", async function () {
        const stack = happyStack();
        delete spec(stack).affinity;
        const out = await runStackPolicy(policy, stack);
        assertViolations(out, []);
        assert.strictEqual(
            out.notApplicable,
            "Production shape is off; set enabled: true in this policy's config to check it.",
        );
    });

    it("passes the production stack when enabled", async function () {
        assertViolations(await runStackPolicy(policy, happyStack(), on), []);
    });

    it("fails a cluster without required pod anti-affinity", async function () {
        const stack = happyStack();
        spec(stack).affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{}] } };
        const out = await runStackPolicy(policy, stack, on);
        assertViolations(out, [
            `${c} has no spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution; two replicas can land on one node and fail together. Require anti-affinity on kubernetes.io/hostname for the cluster's pods.`,
        ]);
        assert.strictEqual(out.violations[0].urn, URN.cluster);
    });

    it("fails memory request different from the limit", async function () {
        const stack = happyStack();
        (spec(stack).resources as { requests: { memory: string } }).requests.memory = "8Gi";
        assertViolations(await runStackPolicy(policy, stack, on), [
            `${c} has memory request "8Gi" and limit "10Gi"; they must be set and equal, because RabbitMQ sizes its memory watermark from the limit. Set spec.resources.requests.memory to the limit.`,
        ]);
    });

    it("compares memory quantities, not strings", async function () {
        const stack = happyStack();
        (spec(stack).resources as { requests: { memory: string } }).requests.memory = "10240Mi";
        assertViolations(await runStackPolicy(policy, stack, on), []);
    });

    it("fails volumes that are deleted with the cluster", async function () {
        const stack = happyStack();
        delete spec(stack).override;
        assertViolations(await runStackPolicy(policy, stack, on), [
            `${c} has persistentVolumeClaimRetentionPolicy.whenDeleted undefined (the operator's default deletes the volumes with the cluster); production data must survive a deletion. Set spec.override.statefulSet.spec.persistentVolumeClaimRetentionPolicy.whenDeleted to Retain.`,
        ]);
    });

    it("fails a cluster without a PodDisruptionBudget selecting its pods", async function () {
        const stack = happyStack();
        const pdb = inputsOf<PodDisruptionBudgetProps>(find(stack, T.pdb, "rabbitmq"));
        (pdb.spec?.selector?.matchLabels as Record<string, string>)["app.kubernetes.io/name"] = "openstack";
        assertViolations(await runStackPolicy(policy, stack, on), [
            `${c} has no PodDisruptionBudget selecting app.kubernetes.io/name=rabbitmq; a node drain can evict a majority of its pods at once. Add a PodDisruptionBudget with that selector and maxUnavailable 2.`,
        ]);
    });

    it("fails a PodDisruptionBudget that lets a majority go", async function () {
        const stack = happyStack();
        (
            inputsOf<PodDisruptionBudgetProps>(find(stack, T.pdb, "rabbitmq")).spec as {
                maxUnavailable: number;
            }
        ).maxUnavailable = 3;
        assertViolations(await runStackPolicy(policy, stack, on), [
            `rabbitmq (kubernetes:policy/v1:PodDisruptionBudget) allows 3 of 5 pods of ${c} to be down; it must keep a majority up and still allow drains. Set maxUnavailable to 2.`,
        ]);
    });

    it("fails data-holding resources without protect", async function () {
        const stack = happyStack();
        find(stack, T.queue, "documento.deletion.dlq").protect = false;
        assertViolations(await runStackPolicy(policy, stack, on), [
            "documento.deletion.dlq (rabbitmq:index/queue:Queue) is not protected; deleting it loses data. Set the protect resource option.",
        ]);
        assertViolations(await runStackPolicy(policy, stack, { ...on, protectedTypes: [T.cluster] }), []);
    });
});
