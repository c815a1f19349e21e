import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { parseQuantity } from "../lib/quantity";
import { POD_DISRUPTION_BUDGET, QUEUE, RABBITMQ_CLUSTER, VHOST } from "../lib/tokens";
import type { PodDisruptionBudgetProps, RabbitmqClusterProps } from "../lib/types";
import { Unknowns, describe } from "../lib/validation";

/** Configuration of {@link enforceProductionShape}. */
export interface EnforceProductionShapeArgs {
    /** Turns the rule on; production stacks set it in their policy config. */
    enabled?: boolean;
    /** Resource types that hold data and must be `protect`ed. */
    protectedTypes?: string[];
}

/**
 * Checks the production shape of each RabbitmqCluster: pods spread over nodes by required anti-affinity, a
 * PodDisruptionBudget that keeps a quorum during voluntary disruptions, memory request equal to the limit
 * (the operator sizes RabbitMQ's memory from the limit and warns otherwise), volumes retained when the
 * cluster is deleted, and `protect` on resources whose deletion loses data. Off unless enabled in the
 * policy config, so development stacks can run a single small node.
 */
export const enforceProductionShape: StackValidationPolicy = {
    name: "enforce-production-shape",
    description:
        "Checks that each RabbitmqCluster has required pod anti-affinity, a PodDisruptionBudget, memory request " +
        "equal to limit, retained volumes, and that data-holding resources are protected, when enabled.",
    configSchema: {
        properties: {
            enabled: {
                type: "boolean",
                default: false,
                description: "Turns the rule on; production stacks set it in their policy config.",
            },
            protectedTypes: {
                type: "array",
                items: { type: "string" },
                default: [RABBITMQ_CLUSTER, VHOST, QUEUE],
                description: "Resource types that hold data and must have the protect option.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { enabled, protectedTypes } = args.getConfig<Required<EnforceProductionShapeArgs>>();
        if (!enabled) {
            args.notApplicable(
                "Production shape is off; set enabled: true in this policy's config to check it.",
            );
        }
        const unknowns = new Unknowns();
        const pdbs = args.resources.filter((r) => r.type === POD_DISRUPTION_BUDGET);

        for (const c of args.resources.filter((r) => r.type === RABBITMQ_CLUSTER)) {
            const cluster = c.props as RabbitmqClusterProps;
            const name = unknowns.read(() => cluster.metadata?.name);
            unknowns.read(() => {
                const required =
                    cluster.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
                if (required === undefined || required.length === 0) {
                    reportViolation(
                        `${describe(c)} has no spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuring` +
                            "Execution; two replicas can land on one node and fail together. Require anti-affinity " +
                            "on kubernetes.io/hostname for the cluster's pods.",
                        c.urn,
                    );
                }
            });
            unknowns.read(() => {
                const requests = cluster.spec?.resources?.requests?.memory;
                const limits = cluster.spec?.resources?.limits?.memory;
                const [req, lim] = [parseQuantity(requests), parseQuantity(limits)];
                if (req === undefined || lim === undefined || req !== lim) {
                    reportViolation(
                        `${describe(c)} has memory request ${JSON.stringify(requests)} and limit ` +
                            `${JSON.stringify(limits)}; they must be set and equal, because RabbitMQ sizes its ` +
                            "memory watermark from the limit. Set spec.resources.requests.memory to the limit.",
                        c.urn,
                    );
                }
            });
            unknowns.read(() => {
                const policy =
                    cluster.spec?.override?.statefulSet?.spec?.persistentVolumeClaimRetentionPolicy;
                if (policy?.whenDeleted !== "Retain") {
                    reportViolation(
                        `${describe(c)} has persistentVolumeClaimRetentionPolicy.whenDeleted ` +
                            `${JSON.stringify(policy?.whenDeleted)} (the operator's default deletes the volumes ` +
                            "with the cluster); production data must survive a deletion. Set spec.override." +
                            "statefulSet.spec.persistentVolumeClaimRetentionPolicy.whenDeleted to Retain.",
                        c.urn,
                    );
                }
            });
            const replicas = unknowns.read(() => cluster.spec?.replicas) ?? 1;
            if (name !== undefined) {
                checkDisruptionBudget(c, name, replicas, pdbs, unknowns, reportViolation);
            }
        }
        for (const r of args.resources.filter((x) => protectedTypes.includes(x.type))) {
            if (!r.opts.protect) {
                reportViolation(
                    `${describe(r)} is not protected; deleting it loses data. Set the protect resource option.`,
                    r.urn,
                );
            }
        }
        unknowns.rethrow();
    },
};

/** The most pods that may be down while a majority of `replicas` stays up. */
function tolerated(replicas: number): number {
    return Math.floor((replicas - 1) / 2);
}

function checkDisruptionBudget(
    c: PolicyResource,
    name: string,
    replicas: number,
    pdbs: PolicyResource[],
    unknowns: Unknowns,
    reportViolation: (message: string, urn?: string) => void,
): void {
    const selecting = pdbs.filter((p) =>
        unknowns.read(
            () =>
                (p.props as PodDisruptionBudgetProps).spec?.selector?.matchLabels?.[
                    "app.kubernetes.io/name"
                ] === name,
        ),
    );
    if (selecting.length === 0) {
        reportViolation(
            `${describe(c)} has no PodDisruptionBudget selecting app.kubernetes.io/name=${name}; a node drain can ` +
                "evict a majority of its pods at once. Add a PodDisruptionBudget with that selector and " +
                `maxUnavailable ${Math.max(1, tolerated(replicas))}.`,
            c.urn,
        );
        return;
    }
    for (const p of selecting) {
        unknowns.read(() => {
            const spec = (p.props as PodDisruptionBudgetProps).spec ?? {};
            const down =
                typeof spec.maxUnavailable === "number"
                    ? spec.maxUnavailable
                    : typeof spec.minAvailable === "number"
                      ? replicas - spec.minAvailable
                      : undefined;
            if (down === undefined || down > Math.max(1, tolerated(replicas)) || down < 1) {
                reportViolation(
                    `${describe(p)} allows ${down === undefined ? "an unchecked number of" : down} of ${replicas} ` +
                        `pods of ${describe(c)} to be down; it must keep a majority up and still allow drains. ` +
                        `Set maxUnavailable to ${Math.max(1, tolerated(replicas))}.`,
                    p.urn,
                );
            }
        });
    }
}
