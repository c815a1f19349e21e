/**
 * The `RabbitmqCluster` custom resource (rabbitmq.com/v1beta1, Cluster Operator v2.22): the subset of its schema
 * this project sets, typed, and the pure function that derives a spec from the stack's configuration.
 * test/clusterSpec.spec.ts validates what this builds against the operator's real CRD schema.
 */
import type { PlatformConfig } from "./config";

/** The stack settings that shape the cluster (validated by lib/config.ts). */
export type ClusterSettings = Pick<
    PlatformConfig,
    | "namespace"
    | "clusterName"
    | "replicas"
    | "image"
    | "cpuRequest"
    | "cpuLimit"
    | "memory"
    | "storageClass"
    | "storageSize"
    | "memoryHighWatermark"
    | "diskFreeLimitRelative"
    | "antiAffinity"
    | "zoneSpread"
    | "podDisruptionBudget"
    | "retainDataOnDelete"
    | "readyTimeoutSeconds"
    | "managementEndpoint"
    | "managementService"
    | "managementNodePort"
    | "managementNodeAddress"
    | "managementSourceRanges"
    | "tls"
    | "tlsIssuer"
    | "brokerMajorVersion"
>;

export interface ResourceQuantities {
    cpu: string;
    memory: string;
}

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: {
        key: string;
        operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        values?: string[];
    }[];
}

export interface PodAffinityTerm {
    labelSelector: LabelSelector;
    topologyKey: string;
}

export interface PodAntiAffinity {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; podAffinityTerm: PodAffinityTerm }[];
}

export interface TopologySpreadConstraint {
    maxSkew: number;
    topologyKey: string;
    whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
    labelSelector: LabelSelector;
}

export interface RabbitmqClusterSpec {
    replicas: number;
    image: string;
    resources: { requests: ResourceQuantities; limits: ResourceQuantities };
    persistence: { storageClassName?: string; storage: string };
    affinity: { podAntiAffinity: PodAntiAffinity };
    rabbitmq: { additionalConfig: string; additionalPlugins: string[] };
    secretBackend: { externalSecret: { name: string } };
    tls?: { secretName: string; disableNonTLSListeners: boolean };
    override: {
        statefulSet: {
            spec: {
                persistentVolumeClaimRetentionPolicy: {
                    whenDeleted: "Retain" | "Delete";
                    whenScaled: "Retain" | "Delete";
                };
                template: {
                    spec: {
                        // The operator merges this patch into its pod spec; PodSpec requires the key.
                        containers: [];
                        topologySpreadConstraints: TopologySpreadConstraint[];
                    };
                };
            };
        };
    };
}

/** The in-cluster DNS name of the operator's client Service: apps connect to it and certificates name it. */
export function clientServiceHost(clusterName: string, namespace: string): string {
    return `${clusterName}.${namespace}.svc`;
}

/** The label the Cluster Operator puts on every broker pod (internal/metadata/label.go). */
export function podLabels(clusterName: string): Record<string, string> {
    return { "app.kubernetes.io/name": clusterName };
}

/** The conditions a cluster must report True before anything talks to it (pulumi.com/waitFor). */
export const READY_CONDITIONS = ["AllReplicasReady", "ClusterAvailable", "ReconcileSuccess"] as const;

/**
 * Plugins enabled on top of the operator's always-on management, prometheus and peer_discovery_k8s.
 * Shovel is what the runbook uses to move messages out of a dead-letter queue or off a queue being replaced.
 */
export const ADDITIONAL_PLUGINS = ["rabbitmq_shovel", "rabbitmq_shovel_management"];

/**
 * rabbitmq.conf lines that make quorum queue membership follow each queue's policy `target-group-size`
 * (lib/topology.ts), so a scale-up grows existing queues with no re-declaration. Only for RabbitMQ 4: 3.10's
 * configuration schema has no such keys and a node refuses to start with an unknown one.
 *
 * Members are only ever added: `auto_remove` deletes members on nodes that are no longer cluster members, and a
 * node leaves this cluster only by a deliberate `forget_cluster_node` (the operator never scales down), after
 * which the runbook shrinks queues as its own step; nothing should drop replicas behind that. The
 * intervals stay at 4.0's defaults: a pass 10 s after a node joins, a queue is declared or a policy changes, one
 * member per queue per pass, and a full pass every hour.
 */
export function membershipReconciliationConfig(brokerMajorVersion: number): string[] {
    return brokerMajorVersion >= 4
        ? [
              "quorum_queue.continuous_membership_reconciliation.enabled = true",
              "quorum_queue.continuous_membership_reconciliation.auto_remove = false",
          ]
        : [];
}

/**
 * rabbitmq.conf lines appended by the operator to its defaults.
 * pause_minority stops a minority partition instead of letting both halves accept writes (no split brain).
 */
export function additionalConfig(
    c: Pick<PlatformConfig, "memoryHighWatermark" | "diskFreeLimitRelative" | "brokerMajorVersion">,
): string {
    return [
        "cluster_partition_handling = pause_minority",
        `vm_memory_high_watermark.relative = ${c.memoryHighWatermark}`,
        `disk_free_limit.relative = ${c.diskFreeLimitRelative}`,
        "collect_statistics_interval = 10000",
        ...membershipReconciliationConfig(c.brokerMajorVersion),
        "",
    ].join("\n");
}

/**
 * @param adminSecretName the Secret holding the admin credentials (service-binding format).
 * @param tlsSecretName the Secret cert-manager writes the server certificate to (`tls.crt`, `tls.key`, `ca.crt`);
 *   required unless `tls` is "off".
 */
export function buildClusterSpec(
    c: ClusterSettings,
    adminSecretName: string,
    tlsSecretName?: string,
): RabbitmqClusterSpec {
    if (c.tls !== "off" && tlsSecretName === undefined) {
        throw new Error(`tls is "${c.tls}" but no TLS secret name was given`);
    }
    const selector: LabelSelector = { matchLabels: podLabels(c.clusterName) };
    const oneBrokerPerNode: PodAffinityTerm = {
        labelSelector: selector,
        topologyKey: "kubernetes.io/hostname",
    };
    const retention = c.retainDataOnDelete ? "Retain" : "Delete";
    return {
        replicas: c.replicas,
        image: c.image,
        // Memory request equals limit: the operator sizes RabbitMQ's memory from the limit, and a lower request
        // lets the scheduler overcommit the node, which ends in OOM kills.
        resources: {
            requests: { cpu: c.cpuRequest, memory: c.memory },
            limits: { cpu: c.cpuLimit, memory: c.memory },
        },
        persistence: {
            ...(c.storageClass === undefined ? {} : { storageClassName: c.storageClass }),
            storage: c.storageSize,
        },
        affinity: {
            podAntiAffinity:
                c.antiAffinity === "required"
                    ? { requiredDuringSchedulingIgnoredDuringExecution: [oneBrokerPerNode] }
                    : {
                          preferredDuringSchedulingIgnoredDuringExecution: [
                              { weight: 100, podAffinityTerm: oneBrokerPerNode },
                          ],
                      },
        },
        rabbitmq: { additionalConfig: additionalConfig(c), additionalPlugins: ADDITIONAL_PLUGINS },
        secretBackend: { externalSecret: { name: adminSecretName } },
        ...(c.tls === "off" || tlsSecretName === undefined
            ? {}
            : { tls: { secretName: tlsSecretName, disableNonTLSListeners: c.tls === "only" } }),
        override: {
            statefulSet: {
                spec: {
                    // The operator's default deletes every PVC with the cluster: one mistaken delete loses all messages.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: retention, whenScaled: "Retain" },
                    template: {
                        spec: {
                            containers: [],
                            topologySpreadConstraints: [
                                {
                                    maxSkew: 1,
                                    topologyKey: "topology.kubernetes.io/zone",
                                    whenUnsatisfiable: c.zoneSpread,
                                    labelSelector: selector,
                                },
                            ],
                        },
                    },
                },
            },
        },
    };
}
