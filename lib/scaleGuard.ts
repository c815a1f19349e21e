/**
 * Refuses a decrease of `replicas` at preview. The Cluster Operator does not scale RabbitMQ down: it sets
 * `ReconcileSuccess=False` (reason `UnsupportedOperation`), changes nothing, and `pulumi up` would then wait for a
 * ready condition that never comes while the stack claims a size the cluster does not have.
 *
 * The previous size is the stack's own last `replicas` output, read through a StackReference to itself (known at
 * preview). The program must export `replicas` for the guard to see it on the next run.
 */
import * as pulumi from "@pulumi/pulumi";

/** The stack output the guard reads back on the next run. */
export const REPLICAS_OUTPUT = "replicas";

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
 * A `dependsOn` value for the RabbitmqCluster: the StackReference, once the stack's previous `replicas` output is
 * known to be no larger than `next`. Otherwise it fails with `scaleDownProblem`'s message (a `ResourceError`),
 * so the cluster is never registered and the preview fails before anything changes.
 */
export function scaleGuard(name: string, next: number, cluster: string): pulumi.Output<pulumi.Resource[]> {
    const self = new pulumi.StackReference(name, { name: ownStackName() });
    // `outputs` rather than getOutput(): offline renders (lib/render.ts mocks) give a reference no outputs at all.
    return self.outputs.apply((outputs: Record<string, unknown> | undefined) => {
        const problem = scaleDownProblem(outputs?.[REPLICAS_OUTPUT], next, cluster);
        if (problem !== undefined) {
            throw new pulumi.ResourceError(problem, self);
        }
        return [self];
    });
}
