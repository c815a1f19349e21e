import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { definitionInteger, queueArguments } from "../lib/queues";
import { clustersOf } from "../lib/topology";
import { QUEUE, RABBITMQ_CLUSTER, RABBITMQ_POLICY } from "../lib/tokens";
import type { QueueProps, RabbitmqClusterProps, RabbitmqPolicyProps } from "../lib/types";
import { Unknowns, describe } from "../lib/validation";

/** Configuration of {@link enforceQuorumGroupSize}. */
export interface EnforceQuorumGroupSizeArgs {
    /** The fewest members a quorum queue may be created with or reconciled to. */
    minGroupSize?: number;
}

/**
 * Checks quorum queue group sizes against the cluster they run on. A group smaller than `minGroupSize` can't
 * survive a node loss; a group larger than the cluster's replica count can never be formed, so the queue
 * silently runs with fewer members than intended. Both `x-quorum-initial-group-size` (declare time) and the
 * `target-group-size` of the policy that applies to the queue (continuous membership reconciliation) count.
 */
export const enforceQuorumGroupSize: StackValidationPolicy = {
    name: "enforce-quorum-group-size",
    description:
        "Checks that quorum queue group sizes are at least minGroupSize and at most the replicas of the " +
        "RabbitmqCluster the queue lives on.",
    configSchema: {
        properties: {
            minGroupSize: {
                type: "integer",
                minimum: 1,
                default: 3,
                description: "The fewest members a quorum queue may be created with or reconciled to.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { minGroupSize } = args.getConfig<Required<EnforceQuorumGroupSizeArgs>>();
        const unknowns = new Unknowns();
        const stackHasCluster = args.resources.some((r) => r.type === RABBITMQ_CLUSTER);
        const check = (r: PolicyResource, what: string, size: number) => {
            const clusters = clustersOf(r, args.resources);
            // With no RabbitmqCluster in the stack (mode: external) the broker's size is not known here.
            if (clusters.length === 0 && stackHasCluster) {
                reportViolation(
                    `${describe(r)} sets ${what} ${size} but no RabbitmqCluster is reachable through its provider's ` +
                        "dependencies, so the size can't be checked against the cluster. Make the rabbitmq " +
                        "provider's endpoint and credentials come from the cluster's Service and Secret.",
                    r.urn,
                );
                return;
            }
            if (size < minGroupSize) {
                reportViolation(
                    `${describe(r)} sets ${what} ${size}; quorum queues need at least ${minGroupSize} members. ` +
                        `Set it to ${minGroupSize} or more.`,
                    r.urn,
                );
            }
            for (const c of clusters) {
                const cluster = c.props as RabbitmqClusterProps;
                const replicas = unknowns.read(() => cluster.spec?.replicas);
                if (replicas !== undefined && size > replicas) {
                    reportViolation(
                        `${describe(r)} sets ${what} ${size} but RabbitmqCluster "${c.name}" has ${replicas} ` +
                            "replicas; a quorum queue can't have more members than the cluster has nodes. " +
                            `Set it to ${replicas} or fewer, or scale the cluster.`,
                        r.urn,
                    );
                }
            }
        };

        for (const q of args.resources.filter((r) => r.type === QUEUE)) {
            const initial = unknowns.read(() => {
                const values = queueArguments(q.props as QueueProps).values;
                const size = values.get("x-quorum-initial-group-size")?.value;
                return values.get("x-queue-type")?.value === "quorum" && typeof size === "number"
                    ? size
                    : undefined;
            });
            if (initial !== undefined) {
                check(q, "x-quorum-initial-group-size", initial);
            }
        }
        // target-group-size applies to every queue the policy matches; check it once per policy.
        for (const p of args.resources.filter((r) => r.type === RABBITMQ_POLICY)) {
            const target = unknowns.read(() =>
                definitionInteger((p.props as RabbitmqPolicyProps).policy?.definition?.["target-group-size"]),
            );
            if (target !== undefined) {
                check(p, "target-group-size", target);
            }
        }
        unknowns.rethrow();
    },
};
