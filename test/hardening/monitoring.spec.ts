import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { buildAlertRules, Monitoring, MonitoringArgs } from "../../components/monitoring";
import type { LabelSelector } from "../../lib/clusterSpec";
import { operatorPodLabels, selectorMatches } from "../../lib/labelSelector";
import { projectRoot } from "../../lib/project";
import { installMocks, promiseOf, Recorder, Registered } from "./support";

const CR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";

const ARGS: MonitoringArgs = {
    namespace: "rabbitmq",
    clusterName: "rabbitmq",
    replicas: 5,
    quorumGroupSize: 5,
    runbookUrl: "https://github.com/example/rabbitmq-platform/blob/main/docs/runbook.md",
    labels: { release: "kube-prometheus-stack" },
};

const SEL = 'namespace="rabbitmq", job="rabbitmq"';

interface RuleInputs {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: { groups: { name: string; rules: ReturnType<typeof buildAlertRules> }[] };
}

describe("Monitoring component", function () {
    let rec: Recorder;
    let componentUrn: string;
    let serviceMonitor: Registered;
    let rule: RuleInputs;

    before(async function () {
        rec = await installMocks();
        const m = new Monitoring("monitoring", ARGS);
        componentUrn = await promiseOf(m.urn);
        await promiseOf(m.prometheusRuleName);
        await promiseOf(m.serviceMonitorName);
        await rec.settle();
        serviceMonitor = rec.one(CR, "monitoring-service-monitor");
        rule = rec.one(RULE, "monitoring-alerts").inputs as unknown as RuleInputs;
    });

    it("creates a ServiceMonitor and a PrometheusRule (monitoring.coreos.com/v1) as its children", function () {
        assert.strictEqual(serviceMonitor.parent, componentUrn);
        assert.strictEqual(rec.one(RULE, "monitoring-alerts").parent, componentUrn);
        assert.strictEqual(serviceMonitor.inputs.apiVersion, "monitoring.coreos.com/v1");
        assert.strictEqual(serviceMonitor.inputs.kind, "ServiceMonitor");
        assert.deepStrictEqual(rule.metadata, {
            name: "rabbitmq-alerts",
            namespace: "rabbitmq",
            labels: { release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "rabbitmq-platform" },
        });
    });

    it("scrapes the aggregated and the detailed endpoints of the cluster's client Service", function () {
        assert.deepStrictEqual(serviceMonitor.inputs.metadata, {
            name: "rabbitmq",
            namespace: "rabbitmq",
            labels: { release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "rabbitmq-platform" },
        });
        assert.deepStrictEqual(serviceMonitor.inputs.spec, {
            selector: {
                matchLabels: {
                    "app.kubernetes.io/name": "rabbitmq",
                    "app.kubernetes.io/component": "rabbitmq",
                },
            },
            namespaceSelector: { matchNames: ["rabbitmq"] },
            endpoints: [
                { port: "prometheus", path: "/metrics", interval: "15s" },
                {
                    port: "prometheus",
                    path: "/metrics/detailed",
                    params: { family: ["queue_coarse_metrics", "queue_consumer_count", "ra_metrics"] },
                    interval: "15s",
                },
            ],
        });
    });

    it("selects the Services the operator labels for this cluster only", function () {
        const selector = (serviceMonitor.inputs.spec as { selector: LabelSelector }).selector;
        // The operator labels its Services like its pods (internal/metadata/label.go Label()).
        const serviceLabels = (cluster: string) => {
            const labels = operatorPodLabels(cluster, 0);
            delete labels["statefulset.kubernetes.io/pod-name"];
            return labels;
        };
        assert.ok(selectorMatches(selector, serviceLabels("rabbitmq")));
        assert.ok(!selectorMatches(selector, serviceLabels("other")));
        // The platform's own management Service has no labels.
        assert.ok(!selectorMatches(selector, {}));
    });

    it("has ADR-0004's critical alerts and the standard ones, in order", function () {
        assert.strictEqual(rule.spec.groups.length, 1);
        assert.strictEqual(rule.spec.groups[0].name, "rabbitmq-rabbitmq-rabbitmq");
        assert.deepStrictEqual(
            rule.spec.groups[0].rules.map((r) => [r.alert, r.labels.severity, r.for ?? null]),
            [
                ["RabbitmqFewerThanThreeNodesUp", "critical", "2m"],
                ["RabbitmqQuorumQueueFewerThanTwoFollowers", "critical", "5m"],
                ["RabbitmqQuorumQueueWithoutMajority", "critical", "1m"],
                ["RabbitmqRaftCommitLatencyHigh", "critical", "5m"],
                ["RabbitmqMemoryAlarm", "critical", null],
                ["RabbitmqDiskAlarm", "critical", null],
                ["RabbitmqUnroutableMessages", "warning", null],
                ["RabbitmqQueueGrowingWithoutConsumers", "warning", "10m"],
            ],
        );
    });

    it("measures ADR-0004's conditions with real rabbitmq_prometheus metrics, scoped to the cluster", function () {
        const expr = Object.fromEntries(rule.spec.groups[0].rules.map((r) => [r.alert, r.expr]));
        assert.strictEqual(
            expr.RabbitmqFewerThanThreeNodesUp,
            `(count(count by (pod) (up{${SEL}} == 1)) or vector(0)) < 3`,
        );
        const members = `count by (vhost, queue) (rabbitmq_detailed_raft_log_commit_index{${SEL}} or rabbitmq_detailed_raft_commit_index{${SEL}})`;
        assert.strictEqual(expr.RabbitmqQuorumQueueFewerThanTwoFollowers, `${members} < 3`);
        // Five members: three make a majority.
        assert.strictEqual(expr.RabbitmqQuorumQueueWithoutMajority, `${members} < 3`);
        assert.strictEqual(
            expr.RabbitmqRaftCommitLatencyHigh,
            `max by (vhost, queue, pod) (rabbitmq_detailed_raft_entry_commit_latency_seconds{${SEL}} or rabbitmq_detailed_raft_commit_latency_seconds{${SEL}}) > 0.1`,
        );
        assert.strictEqual(
            expr.RabbitmqMemoryAlarm,
            `max by (pod) (max_over_time(rabbitmq_alarms_memory_used_watermark{${SEL}}[5m])) > 0`,
        );
        assert.strictEqual(
            expr.RabbitmqDiskAlarm,
            `max by (pod) (max_over_time(rabbitmq_alarms_free_disk_space_watermark{${SEL}}[5m])) > 0`,
        );
        assert.strictEqual(
            expr.RabbitmqUnroutableMessages,
            `sum(increase(rabbitmq_global_messages_unroutable_dropped_total{${SEL}}[5m])) + sum(increase(rabbitmq_global_messages_unroutable_returned_total{${SEL}}[5m])) > 0`,
        );
        assert.strictEqual(
            expr.RabbitmqQueueGrowingWithoutConsumers,
            `(max by (vhost, queue) (rabbitmq_detailed_queue_consumers{${SEL}}) == 0) and on (vhost, queue) (max by (vhost, queue) (delta(rabbitmq_detailed_queue_messages{${SEL}}[10m])) > 0)`,
        );
    });

    it("derives the majority from the group size", function () {
        const rules = buildAlertRules({ ...ARGS, quorumGroupSize: 3, runbookUrl: "r" });
        assert.match(rules.find((r) => r.alert === "RabbitmqQuorumQueueWithoutMajority")!.expr, / < 2$/);
        assert.match(
            rules.find((r) => r.alert === "RabbitmqQuorumQueueFewerThanTwoFollowers")!.expr,
            / < 3$/,
        );
    });

    it("links every alert to an existing section of docs/runbook.md", function () {
        const runbook = fs.readFileSync(path.join(projectRoot(__dirname), "docs", "runbook.md"), "utf8");
        for (const r of rule.spec.groups[0].rules) {
            assert.strictEqual(r.annotations.runbook_url, `${ARGS.runbookUrl}#${r.alert}`);
            assert.ok(
                runbook.includes(`<a id="${r.alert}"></a>`),
                `docs/runbook.md has no anchor ${r.alert}`,
            );
            assert.ok(
                runbook.includes(`### ${r.alert} (${r.labels.severity})`),
                `runbook heading for ${r.alert}`,
            );
            assert.strictEqual(r.labels.rabbitmq_cluster, "rabbitmq");
            assert.ok(r.annotations.summary.length > 0 && r.annotations.description.length > 0);
        }
    });

    it("refuses clusters and groups too small for ADR-0004's alerts, and a runbook URL with a fragment", function () {
        const refuses = (args: Partial<MonitoringArgs>, message: string) =>
            assert.throws(
                () => new Monitoring("bad", { ...ARGS, ...args }),
                (e: unknown) => e instanceof pulumi.ResourceError && e.message === message,
            );
        refuses(
            { replicas: 1 },
            "Monitoring `replicas` must be at least 3 (got 1): ADR-0004 alerts when fewer than 3 nodes are up, which a smaller cluster always is. Disable monitoring for this stack or run 3 or more nodes.",
        );
        refuses(
            { quorumGroupSize: 1 },
            "Monitoring `quorumGroupSize` must be at least 3 (got 1): ADR-0004 alerts when a quorum queue has fewer than 2 followers, which a smaller group always has.",
        );
        refuses(
            { runbookUrl: "https://x/runbook.md#top" },
            "Monitoring `runbookUrl` must be the runbook's address without a fragment: each alert appends `#<alert name>`.",
        );
    });
});
