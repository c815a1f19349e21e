// End to end through the program and the analyzer: each stack is rendered under mocks (lib/render.ts, as a
// preview), then judged by the real pack over gRPC with the policy config that stack uses in CI.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hasMandatoryViolation } from "../../../tools/policy-check";
import { BAD_STACKS, ROOT, check, lines } from "./support";

const config = (stack: string) => path.join(ROOT, "policies", `config.${stack}.json`);
const badStack = (name: string) => ({
    stack: name,
    configFile: path.join(BAD_STACKS, `Pulumi.${name}.yaml`),
});

const CLUSTER = "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq-cluster";
const CLUSTER_ID = "rabbitmq-cluster (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster)";
const QUEUE = (name: string) => `rabbitmq:index/queue:Queue: topology-queue:/orders/${name}`;
const POLICY = (name: string) => `rabbitmq:index/policy:Policy: topology-policy:/orders/${name}`;

describe("policy check on stacks (npm run policy -- --stack)", function () {
    this.timeout(120000);

    for (const stack of ["dev", "prod"]) {
        it(`passes the shipped ${stack} stack with zero violations`, async function () {
            const result = await check({ stack, policyPackConfig: config(stack) });
            assert.deepStrictEqual(lines(result), []);
        });
    }

    it("judges a plan file from npm run plan -- --json like the stack itself", async function () {
        const plan = spawnSync(
            process.execPath,
            [path.join(ROOT, "bin", "tools", "plan.js"), "--stack", "prod", "--json"],
            {
                cwd: ROOT,
                encoding: "utf8",
                maxBuffer: 64 * 1024 * 1024,
            },
        );
        assert.strictEqual(plan.status, 0, plan.stderr);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-")), "prod.plan.json");
        fs.writeFileSync(file, plan.stdout);
        const fromPlan = await check({ planFile: file, policyPackConfig: config("prod") });
        const fromStack = await check({ stack: "prod", policyPackConfig: config("prod") });
        assert.deepStrictEqual(lines(fromPlan), lines(fromStack));
    });

    it("exits 1 with the program's own message when the stack's config is invalid", function () {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stack-")), "Pulumi.even.yaml");
        fs.writeFileSync(file, "config:\n  rabbitmq-platform:replicas: 2\n");
        const cli = path.join(ROOT, "bin", "tools", "policy-check.js");
        const run = spawnSync(process.execPath, [cli, "--stack", "even", "--config-file", file], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.strictEqual(run.status, 1);
        assert.strictEqual(run.stdout, "");
        assert.match(run.stderr, /^error: .*rabbitmq-platform:replicas/s);
    });

    it("checks the production shape on prod only, through its policy config", async function () {
        const dev = await check({ stack: "dev", policyPackConfig: config("dev") });
        const prod = await check({ stack: "prod", policyPackConfig: config("prod") });
        assert.strictEqual(dev.config["enforce-production-shape"].properties?.["enabled"], false);
        assert.strictEqual(prod.config["enforce-production-shape"].properties?.["enabled"], true);
    });

    it("passes the bad stacks' shared baseline, even as production", async function () {
        assert.deepStrictEqual(
            lines(await check({ ...badStack("good"), policyPackConfig: config("prod") })),
            [],
        );
    });

    it("fails Pulumi.single-replica.yaml: one node, one-member quorum queues", async function () {
        const result = await check(badStack("single-replica"));
        assert.deepStrictEqual(lines(result), [
            `[mandatory] enforce-cluster-replica-minimum (${CLUSTER}): RabbitmqCluster "rabbitmq" has spec.replicas 1; clusters need at least 3 replicas. Set spec.replicas to 3 or more.`,
            `[mandatory] enforce-quorum-group-size (${POLICY("orders.dead")}): topology-policy:/orders/orders.dead (rabbitmq:index/policy:Policy) sets target-group-size 1; quorum queues need at least 3 members. Set it to 3 or more.`,
            `[mandatory] enforce-quorum-group-size (${POLICY("orders")}): topology-policy:/orders/orders (rabbitmq:index/policy:Policy) sets target-group-size 1; quorum queues need at least 3 members. Set it to 3 or more.`,
        ]);
        assert.strictEqual(hasMandatoryViolation(result), true);
    });

    it("fails Pulumi.classic-queue.yaml: an extra classic queue", async function () {
        assert.deepStrictEqual(lines(await check(badStack("classic-queue"))), [
            `[mandatory] enforce-quorum-queues (${QUEUE("orders.audit")}): Queue "orders.audit" has x-queue-type "classic"; every queue must be a quorum queue. Set settings.argumentsJson to {"x-queue-type":"quorum"}, or list the queue in exemptQueues of enforce-quorum-queues.`,
        ]);
    });

    it("lets a policy config exempt that queue by name", async function () {
        const exempt = path.join(BAD_STACKS, "exempt-audit.policy-config.json");
        assert.deepStrictEqual(
            lines(await check({ ...badStack("classic-queue"), policyPackConfig: exempt })),
            [],
        );
    });

    it("fails Pulumi.floating-image.yaml: an image tag that floats", async function () {
        assert.deepStrictEqual(lines(await check(badStack("floating-image"))), [
            `[mandatory] enforce-pinned-rabbitmq-image (${CLUSTER}): RabbitmqCluster "rabbitmq" has spec.image "rabbitmq:management", which floats; every pod restart can change the RabbitMQ version. Pin a version tag (rabbitmq:4.1.4-management) or a digest.`,
        ]);
    });

    it("fails Pulumi.external-guest.yaml: an existing broker administered as guest", async function () {
        const provider = "pulumi:providers:rabbitmq: rabbitmq";
        const vouched = path.join(BAD_STACKS, "external.policy-config.json");
        assert.deepStrictEqual(
            lines(await check({ ...badStack("external-guest"), policyPackConfig: vouched })),
            [
                `[mandatory] disallow-guest-user (${provider}): rabbitmq provider "rabbitmq" logs in as "guest"; the guest account's password is public knowledge. Use the cluster's generated admin credentials.`,
            ],
        );
        // Without the stack vouching for its config secret, the analyzer can't tell it from a literal.
        assert.deepStrictEqual(
            lines(await check(badStack("external-guest"))).map((l) => l.split(":")[0]),
            ["[mandatory] disallow-guest-user (pulumi", "[mandatory] disallow-plaintext-credentials (pulumi"],
        );
    });

    it("fails Pulumi.prod-shape-off.yaml with the production config, and passes it as dev", async function () {
        const shape = (resource: string, message: string) =>
            `[mandatory] enforce-production-shape (${resource}): ${message}`;
        assert.deepStrictEqual(
            lines(await check({ ...badStack("prod-shape-off"), policyPackConfig: config("prod") })),
            [
                shape(
                    CLUSTER,
                    `${CLUSTER_ID} has no spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution; two replicas can land on one node and fail together. Require anti-affinity on kubernetes.io/hostname for the cluster's pods.`,
                ),
                shape(
                    CLUSTER,
                    `${CLUSTER_ID} has persistentVolumeClaimRetentionPolicy.whenDeleted "Delete" (the operator's default deletes the volumes with the cluster); production data must survive a deletion. Set spec.override.statefulSet.spec.persistentVolumeClaimRetentionPolicy.whenDeleted to Retain.`,
                ),
                shape(
                    CLUSTER,
                    `${CLUSTER_ID} has no PodDisruptionBudget selecting app.kubernetes.io/name=rabbitmq; a node drain can evict a majority of its pods at once. Add a PodDisruptionBudget with that selector and maxUnavailable 1.`,
                ),
                shape(
                    CLUSTER,
                    `${CLUSTER_ID} is not protected; deleting it loses data. Set the protect resource option.`,
                ),
                shape(
                    "rabbitmq:index/vHost:VHost: topology-vhost:/orders",
                    "topology-vhost:/orders (rabbitmq:index/vHost:VHost) is not protected; deleting it loses data. Set the protect resource option.",
                ),
                shape(
                    QUEUE("orders"),
                    "topology-queue:/orders/orders (rabbitmq:index/queue:Queue) is not protected; deleting it loses data. Set the protect resource option.",
                ),
                shape(
                    QUEUE("orders.dead"),
                    "topology-queue:/orders/orders.dead (rabbitmq:index/queue:Queue) is not protected; deleting it loses data. Set the protect resource option.",
                ),
            ],
        );
        assert.deepStrictEqual(
            lines(await check({ ...badStack("prod-shape-off"), policyPackConfig: config("dev") })),
            [],
        );
    });
});
