import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import {
    CERT_MANAGER_TYPES,
    OPERATOR_TYPES,
    RABBITMQ_CLUSTER,
    RABBITMQ_PROVIDER,
    RABBITMQ_TOPOLOGY_PREFIX,
} from "../lib/tokens";
import { Unknowns, dependencyClosure, describe } from "../lib/validation";

/** True for the cert-manager Helm release (the program may install other charts). */
function isCertManager(r: PolicyResource): boolean {
    if (!CERT_MANAGER_TYPES.includes(r.type)) {
        return false;
    }
    const chart = new Unknowns().read((): unknown => r.props["chart"]);
    return typeof chart === "string" ? chart.includes("cert-manager") : r.name.includes("cert-manager");
}

/**
 * Checks the dependency edges the engine needs to create and, in reverse, delete the platform in a working
 * order: cert-manager before the Cluster Operator (its webhooks need certificates), the operator before any
 * RabbitmqCluster (otherwise the operator can be deleted first and the cluster's finalizer is never removed),
 * and the cluster before every broker-side resource (they are created through its management API).
 */
export const enforceInstallOrdering: StackValidationPolicy = {
    name: "enforce-install-ordering",
    description:
        "Checks that the Cluster Operator depends on cert-manager, every RabbitmqCluster on the operator, and " +
        "every rabbitmq resource on a RabbitmqCluster.",
    validateStack: (args, reportViolation) => {
        const all = args.resources;
        const clusters = all.filter((r) => r.type === RABBITMQ_CLUSTER);
        const operators = all.filter((r) => OPERATOR_TYPES.includes(r.type));
        const certManagers = all.filter(isCertManager);
        const reaches = (from: PolicyResource, targets: PolicyResource[]) => {
            const closure = dependencyClosure(from, all);
            return targets.some((t) => closure.has(t));
        };
        const list = (rs: PolicyResource[]) => rs.map(describe).join(", ") || "none in the stack";

        // cert-manager (installCertManager: false) or the broker (mode: external) may live outside the stack;
        // then there is no edge to check, only the edges between what the stack does contain.
        for (const op of certManagers.length === 0 ? [] : operators) {
            if (!reaches(op, certManagers)) {
                reportViolation(
                    `${describe(op)} does not depend on cert-manager (${list(certManagers)}); ` +
                        "the operator's webhooks need cert-manager's certificates, and cert-manager must outlive " +
                        "the operator on destroy. Add dependsOn: [certManager] to the operator resources.",
                    op.urn,
                );
            }
        }
        for (const c of clusters) {
            if (!reaches(c, operators)) {
                reportViolation(
                    `${describe(c)} does not depend on the Cluster Operator (${list(operators)}` +
                        "); on destroy the operator can go first and the cluster's finalizer is never removed. " +
                        "Add dependsOn on the operator resources to the cluster.",
                    c.urn,
                );
            }
        }
        const topology = (clusters.length === 0 ? [] : all).filter(
            (r) => r.type.startsWith(RABBITMQ_TOPOLOGY_PREFIX) || r.type === RABBITMQ_PROVIDER,
        );
        for (const t of topology) {
            if (!reaches(t, clusters)) {
                reportViolation(
                    `${describe(t)} does not depend on a RabbitmqCluster (${list(clusters)}); ` +
                        "it could be created before the broker exists or outlive it on destroy. Make the rabbitmq " +
                        "provider's endpoint and credentials come from the cluster, and use that provider.",
                    t.urn,
                );
            }
        }
    },
};
