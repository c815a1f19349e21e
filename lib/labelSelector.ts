/**
 * Kubernetes label-selector semantics (metav1.LabelSelector), so tests can check that a NetworkPolicy or
 * ServiceMonitor selects the objects the Cluster Operator really labels, not merely that it has a selector.
 */
import type { LabelSelector } from "./clusterSpec";

/**
 * Whether `labels` satisfy `selector`. As in Kubernetes, an empty selector (`{}`) selects everything; every
 * matchLabels entry and every matchExpressions requirement must hold.
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[key] !== value) {
            return false;
        }
    }
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values = e.values ?? [];
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(labels[e.key])) {
                    return false;
                }
                break;
            case "NotIn":
                if (has && values.includes(labels[e.key])) {
                    return false;
                }
                break;
            case "Exists":
                if (!has) {
                    return false;
                }
                break;
            case "DoesNotExist":
                if (has) {
                    return false;
                }
                break;
            default: {
                const never: never = e.operator;
                return never;
            }
        }
    }
    return true;
}

/**
 * The labels the Cluster Operator puts on every RabbitMQ pod of cluster `clusterName` (internal/metadata
 * `Label(instanceName)`: name, component, part-of) plus those the StatefulSet controller adds. Used as the ground
 * truth in tests; the platform itself selects on `app.kubernetes.io/name` only (lib/clusterSpec.ts `podLabels`).
 */
export function operatorPodLabels(clusterName: string, ordinal: number): Record<string, string> {
    return {
        "app.kubernetes.io/name": clusterName,
        "app.kubernetes.io/component": "rabbitmq",
        "app.kubernetes.io/part-of": "rabbitmq",
        "statefulset.kubernetes.io/pod-name": `${clusterName}-server-${ordinal}`,
    };
}

/** The label Kubernetes (1.21+) sets on every namespace: what namespaceSelectors match on. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
