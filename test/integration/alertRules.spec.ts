/**
 * Runs the generated alerting rules in Prometheus's own rule engine (`promtool test rules`) against synthetic
 * rabbitmq_prometheus series: each alert fires for the failure it names and stays quiet for a healthy cluster.
 * Needs promtool (Debian's `prometheus` package, which `.ci/run` installs): without it the test fails in CI and is
 * skipped elsewhere, with the reason printed, as the broker suite does.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildAlertRules } from "../../components/monitoring";
import { toYaml } from "../../lib/yaml";
import { inCI } from "../broker/support/brokers";

const RUNBOOK = "https://example.test/docs/runbook.md";
const rules = buildAlertRules({
    namespace: "rabbitmq",
    clusterName: "rabbitmq",
    quorumGroupSize: 5,
    runbookUrl: RUNBOOK,
});
const base = { namespace: "rabbitmq", job: "rabbitmq" };

function series(name: string, labels: Record<string, string>, values: string) {
    const all = { ...base, ...labels };
    return {
        series: `${name}{${Object.entries(all)
            .map(([k, v]) => `${k}="${v}"`)
            .join(",")}}`,
        values,
    };
}

const pods = [0, 1, 2, 3, 4].map((i) => `rabbitmq-server-${i}`);
const expected = (alert: string, labels: Record<string, string>, summary: string, description: string) => ({
    exp_labels: {
        ...labels,
        severity: rules.find((r) => r.alert === alert)!.labels.severity,
        rabbitmq_cluster: "rabbitmq",
    },
    exp_annotations: { summary, description, runbook_url: `${RUNBOOK}#${alert}` },
});

const test = {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [
        {
            interval: "1m",
            input_series: [
                // Nodes 2-4 stop answering at minute 3.
                ...pods.map((pod, i) => series("up", { pod }, i < 2 ? "1x20" : "1 1 1 0x17")),
                // engine:tasks keeps members on nodes 0 and 1 only; engine:events:worker keeps all five.
                ...pods.map((pod, i) =>
                    series(
                        "rabbitmq_detailed_raft_log_commit_index",
                        { pod, vhost: "/engine", queue: "engine:tasks" },
                        i < 2 ? "10+1x20" : "10 10 10 stale",
                    ),
                ),
                ...pods.map((pod) =>
                    series(
                        "rabbitmq_detailed_raft_log_commit_index",
                        { pod, vhost: "/engine", queue: "engine:events:worker" },
                        "10+1x20",
                    ),
                ),
                series(
                    "rabbitmq_detailed_raft_entry_commit_latency_seconds",
                    { pod: pods[0], vhost: "/engine", queue: "engine:tasks" },
                    "0.25x20",
                ),
                series(
                    "rabbitmq_detailed_raft_entry_commit_latency_seconds",
                    { pod: pods[1], vhost: "/engine", queue: "engine:tasks" },
                    "0.01x20",
                ),
                series("rabbitmq_alarms_memory_used_watermark", { pod: pods[0] }, "0x20"),
                series("rabbitmq_alarms_free_disk_space_watermark", { pod: pods[1] }, "0 0 1x18"),
                series(
                    "rabbitmq_global_messages_unroutable_dropped_total",
                    { pod: pods[0], protocol: "amqp091" },
                    "0x5 0+2x15",
                ),
                series(
                    "rabbitmq_global_messages_unroutable_returned_total",
                    { pod: pods[0], protocol: "amqp091" },
                    "0x20",
                ),
                // A dead-letter queue filling up with nobody consuming; a work queue growing but consumed.
                series(
                    "rabbitmq_detailed_queue_consumers",
                    { pod: pods[0], vhost: "/engine", queue: "engine:tasks:dead" },
                    "0x25",
                ),
                series(
                    "rabbitmq_detailed_queue_messages",
                    { pod: pods[0], vhost: "/engine", queue: "engine:tasks:dead" },
                    "0+1x25",
                ),
                series(
                    "rabbitmq_detailed_queue_consumers",
                    { pod: pods[1], vhost: "/engine", queue: "engine:tasks" },
                    "2x25",
                ),
                series(
                    "rabbitmq_detailed_queue_messages",
                    { pod: pods[1], vhost: "/engine", queue: "engine:tasks" },
                    "0+5x25",
                ),
            ],
            alert_rule_test: [
                { eval_time: "2m", alertname: "RabbitmqFewerThanThreeNodesUp", exp_alerts: [] },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqFewerThanThreeNodesUp",
                    exp_alerts: [
                        expected(
                            "RabbitmqFewerThanThreeNodesUp",
                            {},
                            "Fewer than 3 RabbitMQ nodes of rabbitmq/rabbitmq are up.",
                            "2 node(s) answer. Quorum queues are close to losing their majority.",
                        ),
                    ],
                },
                { eval_time: "2m", alertname: "RabbitmqQuorumQueueWithoutMajority", exp_alerts: [] },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqQuorumQueueWithoutMajority",
                    exp_alerts: [
                        expected(
                            "RabbitmqQuorumQueueWithoutMajority",
                            { vhost: "/engine", queue: "engine:tasks" },
                            "Quorum queue /engine/engine:tasks has no majority online.",
                            "2 of 5 members online (3 needed): the queue accepts and delivers nothing.",
                        ),
                    ],
                },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqQuorumQueueFewerThanTwoFollowers",
                    exp_alerts: [
                        expected(
                            "RabbitmqQuorumQueueFewerThanTwoFollowers",
                            { vhost: "/engine", queue: "engine:tasks" },
                            "Quorum queue /engine/engine:tasks has fewer than 2 followers online.",
                            "2 member(s) online, leader included; one more failure leaves it without redundancy or majority.",
                        ),
                    ],
                },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqRaftCommitLatencyHigh",
                    exp_alerts: [
                        expected(
                            "RabbitmqRaftCommitLatencyHigh",
                            { vhost: "/engine", queue: "engine:tasks", pod: pods[0] },
                            "Raft commit latency of /engine/engine:tasks on rabbitmq-server-0 is above 100 ms.",
                            "250ms to commit a log entry: check disk latency, CPU throttling and network.",
                        ),
                    ],
                },
                { eval_time: "10m", alertname: "RabbitmqMemoryAlarm", exp_alerts: [] },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqDiskAlarm",
                    exp_alerts: [
                        expected(
                            "RabbitmqDiskAlarm",
                            { pod: pods[1] },
                            "RabbitMQ disk alarm on rabbitmq-server-1: publishers in rabbitmq/rabbitmq are blocked.",
                            "Free disk space is below disk_free_limit.",
                        ),
                    ],
                },
                { eval_time: "4m", alertname: "RabbitmqUnroutableMessages", exp_alerts: [] },
                {
                    eval_time: "10m",
                    alertname: "RabbitmqUnroutableMessages",
                    exp_alerts: [
                        expected(
                            "RabbitmqUnroutableMessages",
                            {},
                            "Messages published to rabbitmq/rabbitmq matched no binding.",
                            "8 unroutable message(s) in 5 minutes were dropped or returned to their publisher.",
                        ),
                    ],
                },
                { eval_time: "5m", alertname: "RabbitmqQueueGrowingWithoutConsumers", exp_alerts: [] },
                {
                    eval_time: "15m",
                    alertname: "RabbitmqQueueGrowingWithoutConsumers",
                    exp_alerts: [
                        expected(
                            "RabbitmqQueueGrowingWithoutConsumers",
                            { vhost: "/engine", queue: "engine:tasks:dead" },
                            "Queue /engine/engine:tasks:dead grows and has no consumer.",
                            "No consumer for 10 minutes while messages accumulate (for a dead-letter queue: deliveries keep failing).",
                        ),
                    ],
                },
            ],
        },
    ],
};

describe("alerting rules in Prometheus's rule engine (promtool)", function () {
    it("fire for the failure each names, and not for a healthy cluster", function () {
        if (spawnSync("promtool", ["--version"]).status !== 0) {
            const why = "promtool is not installed (apt-get install prometheus)";
            if (inCI()) {
                throw new Error(`CI: ${why}`);
            }
            console.warn(`      SKIPPED: ${why}`);
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-"));
        fs.writeFileSync(path.join(dir, "rules.yml"), toYaml({ groups: [{ name: "rabbitmq", rules }] }));
        fs.writeFileSync(path.join(dir, "test.yml"), toYaml(test));
        const check = spawnSync("promtool", ["check", "rules", "rules.yml"], { cwd: dir, encoding: "utf8" });
        assert.strictEqual(check.status, 0, check.stdout + check.stderr);
        const run = spawnSync("promtool", ["test", "rules", "test.yml"], { cwd: dir, encoding: "utf8" });
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
    });
});
