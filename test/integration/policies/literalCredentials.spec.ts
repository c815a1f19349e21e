// Literal credentials in a plan file fail `npm run policy -- --plan`, also when the resource waits on a generated
// password through dependsOn: the plan's per-input dependencies say the value did not come from it.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Plan, PlanResource } from "../../../lib/render";
import { ROOT, buildPack, check, lines } from "./support";

const PLAN_CLI = path.join(ROOT, "bin", "tools", "plan.js");
const POLICY_CLI = path.join(ROOT, "bin", "tools", "policy-check.js");
const TOPOLOGY = "urn:pulumi:dev::rabbitmq-platform::rabbitmq-platform:topology:MessagingTopology";
const CLUSTER = "urn:pulumi:dev::rabbitmq-platform::rabbitmq-platform:cluster:RabbitmqCluster";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SOURCES = "random:index/randomPassword:RandomPassword, kubernetes:core/v1:Secret";
const FIX =
    "Generate it with a RandomPassword (or read it from a Kubernetes Secret) and pass that output; if it comes " +
    "from encrypted stack config, list the resource in exemptResources of this policy.";

/** A credential input of the dev plan and the generated password it takes its value from. */
interface Literal {
    type: string;
    name: string;
    field: string;
    generated: string;
}

const LITERALS: Literal[] = [
    {
        type: "rabbitmq:index/user:User",
        name: "topology-user:/engine/engine-api",
        field: "password",
        generated: `${TOPOLOGY}$${PASSWORD}::topology-password:/engine/engine-api`,
    },
    {
        type: "pulumi:providers:rabbitmq",
        name: "rabbitmq",
        field: "password",
        generated: `${CLUSTER}$${PASSWORD}::rabbitmq-admin-password`,
    },
    {
        type: "kubernetes:core/v1:Secret",
        name: "apps-tl-engine-engine-api-rabbitmq",
        field: "stringData",
        generated: `${TOPOLOGY}$${PASSWORD}::topology-password:/engine/engine-api`,
    },
];

function planJson(): Plan {
    const run = spawnSync(process.execPath, [PLAN_CLI, "--stack", "dev", "--json"], {
        encoding: "utf8",
        cwd: ROOT,
    });
    assert.strictEqual(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as Plan;
}

function find(plan: Plan, type: string, name: string): PlanResource {
    const found = plan.resources.filter((r) => r.type === type && r.name === name);
    assert.strictEqual(found.length, 1, `${type} ${name}`);
    return found[0];
}

/**
 * The plan as the SDK registers the resource with a literal in the field: the field depends on nothing (its value
 * prints as "[secret]" all the same: these SDKs mark the field secret). With `dependsOn`, the generated password stays
 * among the resource's dependencies, where the SDK lists dependsOn; without, only what its other inputs came from and
 * its other dependsOn remain.
 */
function withLiteral(plan: Plan, literal: Literal, dependsOn: boolean): Plan {
    const copy = JSON.parse(JSON.stringify(plan)) as Plan;
    const r = find(copy, literal.type, literal.name);
    assert.strictEqual(r.inputs[literal.field], "[secret]");
    const former = r.propertyDependencies[literal.field];
    r.propertyDependencies[literal.field] = [];
    const kept = new Set(Object.values(r.propertyDependencies).flat());
    r.dependencies = r.dependencies.filter((d) => kept.has(d) || !former.includes(d));
    if (dependsOn) {
        r.dependencies.push(literal.generated);
    }
    return copy;
}

function writePlan(plan: Plan, name: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "literal-")), `${name}.plan.json`);
    fs.writeFileSync(file, JSON.stringify(plan));
    return file;
}

function violation(literal: Literal): string {
    return (
        `${literal.name} (${literal.type}) sets ${literal.field} from a literal value; credentials must come from ` +
        `one of ${SOURCES}. ${FIX}`
    );
}

describe("npm run policy -- --plan on literal credentials (plan --json carries propertyDependencies)", function () {
    this.timeout(60000);
    let plan: Plan;

    before(function () {
        buildPack();
        plan = planJson();
    });

    it("carries each input's dependencies as the SDK registered them, on every resource", function () {
        const user = `${TOPOLOGY}$rabbitmq:index/user:User::topology-user:/engine/engine-api`;
        const vhost = `${TOPOLOGY}$rabbitmq:index/vHost:VHost::topology-vhost:/engine`;
        assert.deepStrictEqual(
            LITERALS.map((l) => find(plan, l.type, l.name).propertyDependencies),
            [
                { name: [], password: [LITERALS[0].generated], tags: [] },
                { endpoint: [], password: [LITERALS[1].generated], username: [] },
                {
                    apiVersion: [],
                    kind: [],
                    metadata: [],
                    stringData: [user, LITERALS[2].generated, vhost],
                    type: [],
                },
            ],
        );
        assert.deepStrictEqual(
            plan.resources.filter((r) => r.propertyDependencies === undefined).map((r) => r.urn),
            [],
        );
    });

    for (const literal of LITERALS) {
        it(`fails a literal ${literal.type} ${literal.field}, with and without dependsOn a generated password`, function () {
            for (const dependsOn of [false, true]) {
                const variant = withLiteral(plan, literal, dependsOn);
                assert.strictEqual(
                    find(variant, literal.type, literal.name).dependencies.includes(literal.generated),
                    dependsOn,
                );
                const file = writePlan(variant, `${literal.name.replace(/\W/g, "-")}-${dependsOn}`);
                const run = spawnSync(process.execPath, [POLICY_CLI, "--plan", file], {
                    encoding: "utf8",
                    cwd: ROOT,
                });
                assert.strictEqual(run.status, 1, run.stdout + run.stderr);
                assert.deepStrictEqual(
                    run.stdout
                        .split("\n")
                        .filter((l) => l.includes("[mandatory]") || l.includes("sets "))
                        .map((l) => l.trim()),
                    [
                        `- [mandatory]  disallow-plaintext-credentials  (${literal.type}: ${literal.name})`,
                        violation(literal),
                    ],
                );
            }
        });
    }

    it("misses the dependsOn case in a plan without propertyDependencies, as the engine would for such an SDK", async function () {
        for (const literal of LITERALS) {
            const bare = withLiteral(plan, literal, true);
            for (const r of bare.resources) {
                delete (r as Partial<PlanResource>).propertyDependencies;
            }
            const result = await check({ planFile: writePlan(bare, "bare") });
            assert.deepStrictEqual(lines(result), [], literal.name);
        }
    });
});
