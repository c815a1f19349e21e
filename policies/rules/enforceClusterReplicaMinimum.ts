import type { ResourceValidationPolicy } from "@pulumi/policy";
import { RABBITMQ_CLUSTER } from "../lib/tokens";
import type { RabbitmqClusterProps } from "../lib/types";
import { forType } from "../lib/validation";

/** Configuration of {@link enforceClusterReplicaMinimum}. */
export interface EnforceClusterReplicaMinimumArgs {
    /** The fewest replicas a RabbitmqCluster may have. */
    minReplicas?: number;
}

/**
 * Checks that every RabbitmqCluster runs at least `minReplicas` nodes, and an odd number of them. Quorum queues
 * need a majority of their members online: with an even count one more node can fail to no benefit, and the
 * operator only tests 1, 3 and 5 replicas.
 */
export const enforceClusterReplicaMinimum: ResourceValidationPolicy = {
    name: "enforce-cluster-replica-minimum",
    description:
        "Checks that every RabbitmqCluster has at least minReplicas replicas and an odd number of them.",
    configSchema: {
        properties: {
            minReplicas: {
                type: "integer",
                minimum: 1,
                default: 3,
                description: "The fewest replicas a RabbitmqCluster may have.",
            },
        },
    },
    validateResource: forType<RabbitmqClusterProps>(RABBITMQ_CLUSTER, (cluster, args, reportViolation) => {
        const { minReplicas } = args.getConfig<Required<EnforceClusterReplicaMinimumArgs>>();
        const label = `RabbitmqCluster "${cluster.metadata?.name ?? args.name}"`;
        const replicas = cluster.spec?.replicas;
        if (replicas === undefined) {
            reportViolation(
                `${label} does not set spec.replicas, so the operator runs 1 replica; clusters need at least ` +
                    `${minReplicas} replicas, an odd number. Set spec.replicas.`,
            );
            return;
        }
        if (replicas < minReplicas) {
            reportViolation(
                `${label} has spec.replicas ${replicas}; clusters need at least ${minReplicas} replicas. ` +
                    `Set spec.replicas to ${minReplicas % 2 === 1 ? minReplicas : minReplicas + 1} or more.`,
            );
        }
        if (replicas % 2 === 0) {
            reportViolation(
                `${label} has spec.replicas ${replicas}, an even number; quorum needs a majority, so ${replicas} ` +
                    `replicas tolerate no more node failures than ${replicas - 1} do. Set spec.replicas to an odd number.`,
            );
        }
    }),
};
