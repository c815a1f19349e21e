// The policy pack under the real CLI (`pulumi preview --policy-pack`), against the offline check on the same
// resources: the plan the offline check reads is built from the engine's own `pulumi preview --json` of the same
// stack, so both see exactly what the engine registers, and their verdicts must be the same.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { newStack, pulumi, pulumiOk, ROOT } from "./support/rig";

const FIXTURE = path.join(ROOT, "test", "deploy", "fixtures", "kubernetes");
const PACK = path.join(ROOT, "policies");
const inFixture = { cwd: FIXTURE };

interface Violation {
    level: string;
    policy: string;
    resource: string;
    message: string;
}

/** The violations in a "Policies:" report (the CLI's and the offline check's), ordered by policy and resource. */
function violations(report: string): Violation[] {
    const found: Violation[] = [];
    const block = /^ +- \[(\w+)\] +(\S+) +\((.+)\)\n +.+\n +(.+)$/gm;
    for (let m = block.exec(report); m !== null; m = block.exec(report)) {
        found.push({ level: m[1], policy: m[2], resource: m[3], message: m[4] });
    }
    return found.sort((a, b) => `${a.policy} ${a.resource}`.localeCompare(`${b.policy} ${b.resource}`));
}

interface PreviewStep {
    newState?: {
        urn: string;
        type: string;
        custom: boolean;
        parent?: string;
        provider?: string;
        dependencies?: string[];
        protect?: boolean;
        inputs?: Record<string, unknown>;
        propertyDependencies?: Record<string, string[]>;
    };
}

/** `npm run plan -- --json`'s format, from the engine's preview of the stack. */
function planFromPreview(stack: string): string {
    const preview = JSON.parse(pulumiOk(["preview", "--json", "--stack", stack], inFixture).stdout) as {
        steps: PreviewStep[];
    };
    const resources = preview.steps.flatMap(({ newState: s }) =>
        s === undefined
            ? []
            : [
                  {
                      urn: s.urn,
                      type: s.type,
                      name: s.urn.split("::").pop(),
                      custom: s.custom,
                      parent: s.parent ?? null,
                      // The engine's provider reference ends with the provider's id; plans name the provider only.
                      provider:
                          s.provider === undefined ? "" : s.provider.split("::").slice(0, -1).join("::"),
                      dependencies: s.dependencies ?? [],
                      protect: s.protect ?? false,
                      inputs: s.inputs ?? {},
                      propertyDependencies: s.propertyDependencies ?? {},
                  },
              ],
    );
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rig-plan-")), "plan.json");
    fs.writeFileSync(file, JSON.stringify({ project: "rig-kubernetes", stack, resources, outputs: {} }));
    return file;
}

function writeJson(value: unknown): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rig-policy-config-")), "config.json");
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
}

const CASES: { title: string; replicas: number; packConfig: Record<string, unknown>; expected: string[] }[] =
    [
        {
            title: "a 3-replica cluster whose Secret is exempted",
            replicas: 3,
            packConfig: {
                "disallow-plaintext-credentials": { exemptResources: ["app"] },
                "enforce-install-ordering": { enforcementLevel: "disabled" },
            },
            expected: [],
        },
        {
            title: "a 1-replica cluster with no operator and a Secret from stack config",
            replicas: 1,
            packConfig: {},
            expected: [
                "mandatory disallow-plaintext-credentials kubernetes:core/v1:Secret: app",
                "mandatory enforce-cluster-replica-minimum kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq",
                "mandatory enforce-install-ordering kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq",
            ],
        },
        {
            title: "an even-sized cluster, with the ordering check advisory",
            replicas: 4,
            packConfig: {
                "disallow-plaintext-credentials": { exemptResources: ["app"] },
                "enforce-install-ordering": { enforcementLevel: "advisory" },
            },
            expected: [
                "mandatory enforce-cluster-replica-minimum kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq",
                "advisory enforce-install-ordering kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster: rabbitmq",
            ],
        },
    ];

describe("the policy pack through the real CLI gives the offline check's verdict", function () {
    before(function () {
        const build = spawnSync("npm", ["run", "-s", "build", "--prefix", PACK], { encoding: "utf8" });
        assert.strictEqual(build.status, 0, build.stderr);
    });

    for (const c of CASES) {
        it(`on ${c.title}`, function () {
            const stack = newStack("policy", FIXTURE);
            try {
                pulumiOk(
                    ["config", "set", "namespace", `policy-${process.pid}`, "--stack", stack.name],
                    inFixture,
                );
                pulumiOk(
                    ["config", "set", "--secret", "amqpUrl", "amqp://x", "--stack", stack.name],
                    inFixture,
                );
                pulumiOk(
                    ["config", "set", "clusterReplicas", String(c.replicas), "--stack", stack.name],
                    inFixture,
                );
                const packConfig = writeJson(c.packConfig);

                const cli = pulumi(
                    [
                        "preview",
                        "--stack",
                        stack.name,
                        "--policy-pack",
                        PACK,
                        "--policy-pack-config",
                        packConfig,
                    ],
                    inFixture,
                );
                const offline = spawnSync(
                    process.execPath,
                    [
                        path.join(ROOT, "bin", "tools", "policy-check.js"),
                        "--plan",
                        planFromPreview(stack.name),
                        "--policy-pack-config",
                        packConfig,
                    ],
                    { cwd: ROOT, encoding: "utf8" },
                );

                const fromCli = violations(cli.stdout);
                assert.deepStrictEqual(
                    fromCli.map((v) => `${v.level} ${v.policy} ${v.resource}`),
                    c.expected,
                    cli.stdout,
                );
                assert.deepStrictEqual(violations(offline.stdout), fromCli, offline.stdout);
                const mandatory = c.expected.some((v) => v.startsWith("mandatory"));
                assert.strictEqual(cli.status === 0, !mandatory, `CLI exit ${cli.status}`);
                assert.strictEqual(offline.status === 0, !mandatory, `offline exit ${offline.status}`);
            } finally {
                stack.remove();
            }
        });
    }
});
