/**
 * Refuses, at preview, size changes that cannot work. A decrease of `replicas`: the Cluster Operator does not scale
 * RabbitMQ down: it sets `ReconcileSuccess=False` (reason `UnsupportedOperation`), changes nothing, and `pulumi up`
 * would then wait for a ready condition that never comes while the stack claims a size the cluster does not have.
 * A change of `quorumGroupSize` on RabbitMQ 3.x, where it is a queue argument: every quorum queue would be replaced.
 *
 * The previous sizes are the stack's own last outputs, read through a StackReference to itself (known at preview).
 * The program must export `replicas` and `quorumGroupSize` for the guard to see them on the next run.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";

/** The stack outputs the guard reads back on the next run. */
export const REPLICAS_OUTPUT = "replicas";
export const QUORUM_GROUP_SIZE_OUTPUT = "quorumGroupSize";

/** The settings the guard compares with the stack's previous outputs. */
export type ScaleSettings = Pick<PlatformConfig, "replicas" | "quorumGroupSize" | "brokerMajorVersion">;

/** Why going from `previous` to `next` replicas is refused, or undefined when it is allowed. */
export function scaleDownProblem(previous: unknown, next: number, cluster: string): string | undefined {
    if (typeof previous !== "number" || !Number.isInteger(previous) || next >= previous) {
        return undefined;
    }
    return (
        `\`replicas\` would go from ${previous} to ${next} on RabbitmqCluster ${cluster}, and the Cluster Operator ` +
        "does not support scaling down: it would set ReconcileSuccess=False (UnsupportedOperation) and change " +
        "nothing, and quorum queue members on the removed nodes would lose their majority. Keep the size " +
        `(pulumi config set rabbitmq-platform:replicas ${previous}), or move to a smaller cluster: a new stack ` +
        "with the smaller size, definitions exported from this cluster and imported there, messages moved with a " +
        "shovel, then this stack destroyed (docs/runbook.md#scale-up)."
    );
}

/**
 * Why changing `quorumGroupSize` from `previous` to `next` is refused, or undefined when it is allowed. On RabbitMQ 4
 * it is each queue's policy `target-group-size`, updated in place; on 3.x it is the `x-quorum-initial-group-size`
 * argument of every quorum queue, and a changed argument replaces the queue.
 */
export function groupSizeChangeProblem(
    previous: unknown,
    next: number,
    brokerMajorVersion: number,
): string | undefined {
    if (brokerMajorVersion >= 4 || typeof previous !== "number" || previous === next) {
        return undefined;
    }
    return (
        `\`rabbitmq-platform:quorumGroupSize\` would go from ${previous} to ${next} on RabbitMQ ${brokerMajorVersion}.x, ` +
        "where it is every quorum queue's x-quorum-initial-group-size argument: a changed argument replaces each " +
        "queue and loses its messages (3.x has no target-group-size policy to change instead). Keep it " +
        `(pulumi config set rabbitmq-platform:quorumGroupSize ${previous}) and add members to existing queues on ` +
        "new nodes with `rabbitmq-queues grow <node> all` (docs/runbook.md#scale-up), or upgrade to RabbitMQ 4, " +
        "where raising it grows queues in place."
    );
}

/**
 * `<organization>/<project>/<stack>` of the running stack. The engine always passes the organization (DIY backends:
 * "organization"); mocks may not, and then the project-qualified name is the best there is.
 */
function ownStackName(): string {
    let organization: string | undefined;
    try {
        organization = pulumi.getOrganization();
    } catch {
        organization = undefined;
    }
    const projectStack = `${pulumi.getProject()}/${pulumi.getStack()}`;
    return organization === undefined ? projectStack : `${organization}/${projectStack}`;
}

/**
 * A `dependsOn` value for the RabbitmqCluster: the StackReference, once the stack's previous outputs are known to
 * allow `next`. Otherwise it fails with `scaleDownProblem`'s and `groupSizeChangeProblem`'s messages (a
 * `ResourceError`), so the cluster is never registered and the preview fails before anything changes.
 */
export function scaleGuard(
    name: string,
    next: ScaleSettings,
    cluster: string,
): pulumi.Output<pulumi.Resource[]> {
    const self = new pulumi.StackReference(name, { name: ownStackName() });
    // `outputs` rather than getOutput(): offline renders (lib/render.ts mocks) give a reference no outputs at all.
    return self.outputs.apply((outputs: Record<string, unknown> | undefined) => {
        const problems = [
            scaleDownProblem(outputs?.[REPLICAS_OUTPUT], next.replicas, cluster),
            groupSizeChangeProblem(
                outputs?.[QUORUM_GROUP_SIZE_OUTPUT],
                next.quorumGroupSize,
                next.brokerMajorVersion,
            ),
        ].filter((p): p is string => p !== undefined);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(problems.join("\n"), self);
        }
        return [self];
    });
}
