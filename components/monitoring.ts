import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as pulumi from "@pulumi/pulumi";
import { podLabels } from "../lib/clusterSpec";

/** The Prometheus Operator's API group and version for ServiceMonitor and PrometheusRule. */
export const MONITORING_API_VERSION = "monitoring.coreos.com/v1";

/**
 * `/metrics/detailed` families scraped in addition to the aggregated `/metrics`: per-queue message and consumer
 * counts, and per-member Raft metrics (rabbitmq_prometheus; the aggregated endpoint has no queue labels).
 */
export const DETAILED_FAMILIES = ["queue_coarse_metrics", "queue_consumer_count", "ra_metrics"];

/** ADR-0004: fewer than this many nodes up is critical. */
export const MINIMUM_NODES = 3;
/** ADR-0004: a quorum queue with fewer followers than this (leader excluded) is critical. */
export const MINIMUM_FOLLOWERS = 2;
/** ADR-0004: Raft commit latency above this, in seconds, is critical. */
export const RAFT_LATENCY_SECONDS = 0.1;

export interface MonitoringArgs {
    /** Namespace of the RabbitmqCluster; the ServiceMonitor and PrometheusRule live there. */
    namespace: string;
    /** Name of the RabbitmqCluster (its client Service, which the ServiceMonitor scrapes, has the same name). */
    clusterName: string;
    /** Nodes in the cluster; at least 3 (ADR-0004's node alert would otherwise fire permanently). */
    replicas: number;
    /** Members of every quorum queue (the stack's `quorumGroupSize`); at least 3, for the same reason. */
    quorumGroupSize: number;
    /**
     * URL of docs/runbook.md as the alert's reader opens it (for example its GitHub address); every alert's
     * `runbook_url` is this plus `#<alert name>`. The default is the path in the repository, which is not a link.
     * @default "docs/runbook.md"
     */
    runbookUrl?: string;
    /**
     * Labels on the ServiceMonitor and PrometheusRule, for the Prometheus resource's `serviceMonitorSelector` and
     * `ruleSelector` (for kube-prometheus-stack: `{ release: "<its release name>" }`).
     * @default {}
     */
    labels?: Record<string, string>;
    /**
     * Scrape interval.
     * @default "15s"
     */
    scrapeInterval?: string;
    /**
     * Scrape over TLS (required when the cluster disables its plain listeners, which removes port 15692): the
     * Secret in `namespace` holding the CA (`ca.crt`) and the name the broker's certificate is issued for.
     * @default plain HTTP on the `prometheus` port
     */
    tls?: { caSecretName: string; serverName: string };
}

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: { summary: string; description: string; runbook_url: string };
}

type RuleSettings = Pick<MonitoringArgs, "namespace" | "clusterName" | "quorumGroupSize"> & {
    runbookUrl: string;
};

/**
 * The alerting rules for one cluster. Every expression is scoped to the cluster's scrape job (the Prometheus
 * Operator names the job after the Service), so several clusters can share one Prometheus.
 */
export function buildAlertRules(s: RuleSettings): AlertRule[] {
    const sel = `namespace="${s.namespace}", job="${s.clusterName}"`;
    const majority = Math.floor(s.quorumGroupSize / 2) + 1;
    // Members online per quorum queue: each member reports ra_metrics from its node (4.0/4.1 name, then 4.2+).
    const membersOnline =
        `count by (vhost, queue) (rabbitmq_detailed_raft_log_commit_index{${sel}}` +
        ` or rabbitmq_detailed_raft_commit_index{${sel}})`;
    const rule = (
        alert: string,
        severity: "critical" | "warning",
        expr: string,
        forDuration: string | undefined,
        summary: string,
        description: string,
    ): AlertRule => ({
        alert,
        expr,
        ...(forDuration === undefined ? {} : { for: forDuration }),
        labels: { severity, rabbitmq_cluster: s.clusterName },
        annotations: { summary, description, runbook_url: `${s.runbookUrl}#${alert}` },
    });
    return [
        rule(
            "RabbitmqFewerThanThreeNodesUp",
            "critical",
            // Not-ready pods leave the Service and its targets, so count the pods that answer; `or vector(0)`
            // makes "no pod answers" fire too.
            `(count(count by (pod) (up{${sel}} == 1)) or vector(0)) < ${MINIMUM_NODES}`,
            "2m",
            `Fewer than ${MINIMUM_NODES} RabbitMQ nodes of ${s.namespace}/${s.clusterName} are up.`,
            `{{ $value }} node(s) answer. Quorum queues are close to losing their majority.`,
        ),
        rule(
            "RabbitmqQuorumQueueFewerThanTwoFollowers",
            "critical",
            `${membersOnline} < ${MINIMUM_FOLLOWERS + 1}`,
            "5m",
            `Quorum queue {{ $labels.vhost }}/{{ $labels.queue }} has fewer than ${MINIMUM_FOLLOWERS} followers online.`,
            `{{ $value }} member(s) online, leader included; one more failure leaves it without redundancy or majority.`,
        ),
        rule(
            "RabbitmqQuorumQueueWithoutMajority",
            "critical",
            `${membersOnline} < ${majority}`,
            "1m",
            `Quorum queue {{ $labels.vhost }}/{{ $labels.queue }} has no majority online.`,
            `{{ $value }} of ${s.quorumGroupSize} members online (${majority} needed): the queue accepts and delivers nothing.`,
        ),
        rule(
            "RabbitmqRaftCommitLatencyHigh",
            "critical",
            `max by (vhost, queue, pod) (rabbitmq_detailed_raft_entry_commit_latency_seconds{${sel}}` +
                ` or rabbitmq_detailed_raft_commit_latency_seconds{${sel}}) > ${RAFT_LATENCY_SECONDS}`,
            "5m",
            `Raft commit latency of {{ $labels.vhost }}/{{ $labels.queue }} on {{ $labels.pod }} is above ${RAFT_LATENCY_SECONDS * 1000} ms.`,
            `{{ $value | humanizeDuration }} to commit a log entry: check disk latency, CPU throttling and network.`,
        ),
        rule(
            "RabbitmqMemoryAlarm",
            "critical",
            `max by (pod) (max_over_time(rabbitmq_alarms_memory_used_watermark{${sel}}[5m])) > 0`,
            undefined,
            `RabbitMQ memory alarm on {{ $labels.pod }}: publishers in ${s.namespace}/${s.clusterName} are blocked.`,
            "The node is above vm_memory_high_watermark.",
        ),
        rule(
            "RabbitmqDiskAlarm",
            "critical",
            `max by (pod) (max_over_time(rabbitmq_alarms_free_disk_space_watermark{${sel}}[5m])) > 0`,
            undefined,
            `RabbitMQ disk alarm on {{ $labels.pod }}: publishers in ${s.namespace}/${s.clusterName} are blocked.`,
            "Free disk space is below disk_free_limit.",
        ),
        rule(
            "RabbitmqUnroutableMessages",
            "warning",
            `sum(increase(rabbitmq_global_messages_unroutable_dropped_total{${sel}}[5m]))` +
                ` + sum(increase(rabbitmq_global_messages_unroutable_returned_total{${sel}}[5m])) > 0`,
            undefined,
            `Messages published to ${s.namespace}/${s.clusterName} matched no binding.`,
            "{{ $value }} unroutable message(s) in 5 minutes were dropped or returned to their publisher.",
        ),
        rule(
            "RabbitmqQueueGrowingWithoutConsumers",
            "warning",
            `(max by (vhost, queue) (rabbitmq_detailed_queue_consumers{${sel}}) == 0)` +
                ` and on (vhost, queue)` +
                ` (max by (vhost, queue) (delta(rabbitmq_detailed_queue_messages{${sel}}[10m])) > 0)`,
            "10m",
            `Queue {{ $labels.vhost }}/{{ $labels.queue }} grows and has no consumer.`,
            "No consumer for 10 minutes while messages accumulate (for a dead-letter queue: deliveries keep failing).",
        ),
    ];
}

/**
 * Prometheus Operator resources for one RabbitmqCluster: a ServiceMonitor scraping the aggregated and detailed
 * rabbitmq_prometheus endpoints of the cluster's client Service, and a PrometheusRule with ADR-0004's critical
 * alerts (nodes, followers, quorum majority, Raft latency) and the standard ones (memory and disk alarms,
 * unroutable messages, queues growing without consumers), each linked to its runbook section.
 */
export class Monitoring extends pulumi.ComponentResource {
    readonly serviceMonitorName: pulumi.Output<string>;
    readonly prometheusRuleName: pulumi.Output<string>;
    /** The alert names, in rule order. */
    readonly alertNames: string[];

    constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:monitoring:Monitoring", name, {}, opts);
        if (args.replicas < MINIMUM_NODES) {
            throw new pulumi.ResourceError(
                `Monitoring \`replicas\` must be at least ${MINIMUM_NODES} (got ${args.replicas}): ADR-0004 alerts when fewer than ${MINIMUM_NODES} nodes are up, which a smaller cluster always is. Disable monitoring for this stack or run ${MINIMUM_NODES} or more nodes.`,
                this,
            );
        }
        if (args.quorumGroupSize < MINIMUM_FOLLOWERS + 1) {
            throw new pulumi.ResourceError(
                `Monitoring \`quorumGroupSize\` must be at least ${MINIMUM_FOLLOWERS + 1} (got ${args.quorumGroupSize}): ADR-0004 alerts when a quorum queue has fewer than ${MINIMUM_FOLLOWERS} followers, which a smaller group always has.`,
                this,
            );
        }
        const runbookUrl = args.runbookUrl ?? "docs/runbook.md";
        if (runbookUrl.includes("#")) {
            throw new pulumi.ResourceError(
                "Monitoring `runbookUrl` must be the runbook's address without a fragment: each alert appends `#<alert name>`.",
                this,
            );
        }
        const labels = { ...(args.labels ?? {}), "app.kubernetes.io/part-of": "rabbitmq-platform" };
        const interval = args.scrapeInterval ?? "15s";
        const scrape =
            args.tls === undefined
                ? { port: "prometheus" }
                : {
                      port: "prometheus-tls",
                      scheme: "https",
                      tlsConfig: {
                          ca: { secret: { name: args.tls.caSecretName, key: "ca.crt" } },
                          serverName: args.tls.serverName,
                      },
                  };

        const serviceMonitor = new apiextensions.CustomResource(
            `${name}-service-monitor`,
            {
                apiVersion: MONITORING_API_VERSION,
                kind: "ServiceMonitor",
                metadata: { name: args.clusterName, namespace: args.namespace, labels },
                spec: {
                    // The operator labels its client Service like its pods (internal/metadata/label.go); the
                    // headless `-nodes` Service carries the same labels but no `prometheus` port.
                    selector: {
                        matchLabels: {
                            ...podLabels(args.clusterName),
                            "app.kubernetes.io/component": "rabbitmq",
                        },
                    },
                    namespaceSelector: { matchNames: [args.namespace] },
                    endpoints: [
                        { ...scrape, path: "/metrics", interval },
                        {
                            ...scrape,
                            path: "/metrics/detailed",
                            params: { family: DETAILED_FAMILIES },
                            interval,
                        },
                    ],
                },
            },
            { parent: this },
        );

        const rules = buildAlertRules({ ...args, runbookUrl });
        const prometheusRule = new apiextensions.CustomResource(
            `${name}-alerts`,
            {
                apiVersion: MONITORING_API_VERSION,
                kind: "PrometheusRule",
                metadata: { name: `${args.clusterName}-alerts`, namespace: args.namespace, labels },
                spec: { groups: [{ name: `rabbitmq-${args.namespace}-${args.clusterName}`, rules }] },
            },
            { parent: this },
        );

        this.serviceMonitorName = serviceMonitor.metadata.name;
        this.prometheusRuleName = prometheusRule.metadata.name;
        this.alertNames = rules.map((r) => r.alert);
        this.registerOutputs({
            serviceMonitorName: this.serviceMonitorName,
            prometheusRuleName: this.prometheusRuleName,
            alertNames: this.alertNames,
        });
    }
}
