// The offline check end to end on plan files: the compiled pack runs in its own process, as under the CLI,
// and the check drives its real analyzer (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack) over gRPC.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan } from "../../../tools/policy-check";
import {
    PolicyPackProcess,
    formatResult,
    hasMandatoryViolation,
    runPolicyCheck,
} from "../../../tools/policy-check";
import { PLANS, ROOT, check, lines } from "./support";

const GOOD = path.join(PLANS, "good.plan.json");
const PROD_CONFIG = path.join(ROOT, "policies", "config.prod.json");

function variant(name: string, edit: (plan: Plan) => void): string {
    const plan = JSON.parse(fs.readFileSync(GOOD, "utf8")) as Plan;
    edit(plan);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-")), `${name}.plan.json`);
    fs.writeFileSync(file, JSON.stringify(plan));
    return file;
}

function cluster(plan: Plan): { spec: Record<string, unknown> } {
    const r = plan.resources.find((x) => x.type === "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster");
    return r?.inputs as { spec: Record<string, unknown> };
}

function writeJson(value: unknown): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-")), "config.json");
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
}

const ONE_REPLICA =
    "[mandatory] enforce-cluster-replica-minimum (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq): " +
    'RabbitmqCluster "rabbitmq" has spec.replicas 1; clusters need at least 3 replicas. Set spec.replicas to 3 or more.';

describe("npm run policy on plan files (the real analyzer over gRPC)", function () {
    this.timeout(60000);
    const oneReplica = variant("one-replica", (p) => {
        cluster(p).spec["replicas"] = 1;
        for (const q of p.resources.filter((r) => r.type === "rabbitmq:index/queue:Queue")) {
            (q.inputs["settings"] as { argumentsJson: string }).argumentsJson = JSON.stringify({
                "x-queue-type": "quorum",
            });
        }
    });

    it("serves every policy from the entry point the CLI runs, with its level and config schema", async function () {
        const pack = await PolicyPackProcess.start(path.join(ROOT, "policies"));
        try {
            const info = await pack.info();
            assert.strictEqual(info.name, "rabbitmq-platform");
            assert.strictEqual(info.version, "0.1.0");
            assert.deepStrictEqual(
                info.policies.map((p) => `${p.name}=${p.enforcementLevel}`),
                [
                    "enforce-quorum-queues=mandatory",
                    "disallow-untyped-queue-arguments=mandatory",
                    "enforce-cluster-replica-minimum=mandatory",
                    "enforce-quorum-group-size=mandatory",
                    "configure-poison-message-handling=advisory",
                    "disallow-guest-user=mandatory",
                    "disallow-plaintext-credentials=mandatory",
                    "disallow-unrestricted-permissions=mandatory",
                    "enforce-production-shape=mandatory",
                    "enforce-install-ordering=mandatory",
                    "enforce-pinned-rabbitmq-image=mandatory",
                    "disallow-classic-queue-mirroring=mandatory",
                    "enforce-durable-exchanges=mandatory",
                    "disallow-privileged-app-users=mandatory",
                ],
            );
            const shape = info.policies.find((p) => p.name === "enforce-production-shape");
            assert.strictEqual(shape?.configSchema?.properties["enabled"]?.["default"], false);
        } finally {
            pack.stop();
        }
    });

    it("passes the good plan, with and without the production config", async function () {
        for (const policyPackConfig of [undefined, PROD_CONFIG]) {
            const result = await check({ planFile: GOOD, policyPackConfig });
            assert.deepStrictEqual(lines(result), []);
            assert.strictEqual(hasMandatoryViolation(result), false);
        }
    });

    it("reports a preview unknown as can't tell yet, not as a violation", async function () {
        const result = await check({ planFile: GOOD });
        assert.deepStrictEqual(lines(result, { includeUnknown: true }), [
            "[advisory] disallow-guest-user (pulumi:providers:rabbitmq: rabbitmq): can't run policy 'disallow-guest-user' from policy pack 'rabbitmq-platform@v0.1.0' during preview: string value at .username can't be known during preview",
        ]);
    });

    it("fails a one-replica cluster with the analyzer's exact diagnostic", async function () {
        const result = await check({ planFile: oneReplica });
        assert.deepStrictEqual(lines(result), [ONE_REPLICA]);
        const f = result.findings.find((x) => !x.cannotTellYet);
        assert.strictEqual(
            f?.description,
            "Checks that every RabbitmqCluster has at least minReplicas replicas and an odd number of them.",
        );
        assert.strictEqual(f?.policyPackName, "rabbitmq-platform");
        assert.strictEqual(hasMandatoryViolation(result), true);
    });

    it("gives the policies their config through the real Configure RPC", async function () {
        const lowered = writeJson({ "enforce-cluster-replica-minimum": { minReplicas: 1 } });
        assert.deepStrictEqual(lines(await check({ planFile: oneReplica, policyPackConfig: lowered })), []);
        const raised = writeJson({ "enforce-cluster-replica-minimum": { minReplicas: 7 } });
        assert.deepStrictEqual(lines(await check({ planFile: GOOD, policyPackConfig: raised })), [
            '[mandatory] enforce-cluster-replica-minimum (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq): RabbitmqCluster "rabbitmq" has spec.replicas 5; clusters need at least 7 replicas. Set spec.replicas to 7 or more.',
        ]);
    });

    it("honours enforcement levels from the config file", async function () {
        const advisory = await check({
            planFile: oneReplica,
            policyPackConfig: writeJson({ all: "advisory" }),
        });
        assert.deepStrictEqual(lines(advisory), [ONE_REPLICA.replace("[mandatory]", "[advisory]")]);
        assert.strictEqual(hasMandatoryViolation(advisory), false);
        const disabled = writeJson({ "enforce-cluster-replica-minimum": "disabled" });
        assert.deepStrictEqual(lines(await check({ planFile: oneReplica, policyPackConfig: disabled })), []);
    });

    it("checks the production shape only when the stack's policy config turns it on", async function () {
        const noPdb = variant("no-pdb", (p) => {
            p.resources = p.resources.filter((r) => r.type !== "kubernetes:policy/v1:PodDisruptionBudget");
        });
        assert.deepStrictEqual(lines(await check({ planFile: noPdb })), []);
        assert.deepStrictEqual(lines(await check({ planFile: noPdb, policyPackConfig: PROD_CONFIG })), [
            "[mandatory] enforce-production-shape (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq): rabbitmq (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster) has no PodDisruptionBudget selecting app.kubernetes.io/name=rabbitmq; a node drain can evict a majority of its pods at once. Add a PodDisruptionBudget with that selector and maxUnavailable 2.",
        ]);
    });

    it("says when a plan carries no per-input dependencies, and never invents a violation from that", async function () {
        const bare = variant("no-property-dependencies", (p) => {
            for (const r of p.resources) {
                delete r.propertyDependencies;
            }
        });
        const result = await check({ planFile: bare });
        assert.deepStrictEqual(lines(result), []);
        assert.deepStrictEqual(result.notes, [
            "the plan has no propertyDependencies, so each input is taken to depend on all of its resource's dependencies; disallow-plaintext-credentials may miss a literal value.",
        ]);
    });

    it("never loads @pulumi/policy (or constructs a PolicyPack) in the checking process", async function () {
        await runPolicyCheck({ planFile: GOOD });
        assert.deepStrictEqual(
            Object.keys(require.cache).filter((k) =>
                k.includes(`${path.sep}@pulumi${path.sep}policy${path.sep}`),
            ),
            [],
        );
    });

    it("prints the result like pulumi preview and exits 1 only on mandatory violations", function () {
        const cli = path.join(ROOT, "bin", "tools", "policy-check.js");
        const bad = spawnSync(process.execPath, [cli, "--plan", oneReplica], { encoding: "utf8", cwd: ROOT });
        assert.strictEqual(bad.status, 1, bad.stderr);
        assert.deepStrictEqual(bad.stdout.split("\n").slice(0, 5), [
            "Policies (rabbitmq-platform/prod):",
            "    ❌ rabbitmq-platform@v0.1.0 (local: policies)",
            "        - [mandatory]  enforce-cluster-replica-minimum  (kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq)",
            "          Checks that every RabbitmqCluster has at least minReplicas replicas and an odd number of them.",
            '          RabbitmqCluster "rabbitmq" has spec.replicas 1; clusters need at least 3 replicas. Set spec.replicas to 3 or more.',
        ]);
        const good = spawnSync(process.execPath, [cli, "--plan", GOOD], { encoding: "utf8", cwd: ROOT });
        assert.strictEqual(good.status, 0, good.stderr);
        assert.match(good.stdout, /✅ rabbitmq-platform@v0\.1\.0/);
        const usage = spawnSync(process.execPath, [cli], { encoding: "utf8", cwd: ROOT });
        assert.strictEqual(usage.status, 2);
    });

    it("formats a clean result with a summary line", async function () {
        const out = formatResult(await check({ planFile: GOOD }), path.join(ROOT, "policies"));
        assert.match(
            out,
            /\n0 mandatory and 0 advisory policy violations; 1 checks could not run because values are unknown until update\.$/,
        );
    });
});
