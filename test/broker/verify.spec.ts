/**
 * `npm run verify` (the compiled tools/verify.js, run as users run it) against local brokers: passes on a broker
 * that holds the stack, lists each drift precisely on a drifted broker, and has distinct exit codes.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManagementClient, apiPath } from "../../lib/management/client";
import { escapeRegex } from "../../lib/topology";
import { Model, ofKind } from "../../lib/verify/model";
import { Broker, BrokerId, adminClient, ensureVersion, repoRoot, requireBroker } from "./support/brokers";
import { modelFor, planFor, variantConfigFile } from "./support/plans";
import { replayOrThrow, resetBroker } from "./support/replay";

const tool = path.join(repoRoot, "bin", "tools", "verify.js");

function verify(args: string[], password?: string): { code: number; out: string } {
    const res = spawnSync(process.execPath, [tool, ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...process.env, VERIFY_TEST_PASSWORD: password ?? "" },
        timeout: 120000,
    });
    return { code: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

const targets: BrokerId[] = ["single310", "single40"];

describe("npm run verify against real brokers", function () {
    for (const id of targets) {
        describe(`stack dev on ${id}`, function () {
            let broker: Broker;
            let client: ManagementClient;
            let model: Model;
            let planFile: string;
            let base: string[];

            before(async function () {
                broker = await ensureVersion(requireBroker(this, id));
                client = adminClient(broker);
                model = modelFor("dev", broker.version);
                planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "verify-")), "dev.plan.json");
                // verify needs no secrets: the file holds the plan as `plan --json` prints it without --show-secrets.
                const plan = planFor("dev", broker.version);
                const redacted = plan.resources.map((r) =>
                    r.type === "kubernetes:core/v1:Secret"
                        ? { ...r, inputs: { ...r.inputs, stringData: "[secret]" } }
                        : "password" in r.inputs
                          ? { ...r, inputs: { ...r.inputs, password: "[secret]" } }
                          : r,
                );
                fs.writeFileSync(planFile, JSON.stringify({ ...plan, resources: redacted }), { mode: 0o600 });
                base = [
                    "--mgmt-url",
                    broker.mgmtUrl,
                    "--username",
                    broker.adminUser,
                    "--password-env",
                    "VERIFY_TEST_PASSWORD",
                ];
                await resetBroker(client, model);
                await replayOrThrow(client, model);
            });

            after(async function () {
                if (client) {
                    await resetBroker(client, model);
                }
            });

            it("exits 0 on a broker that holds the stack (rendering the stack itself), with a smoke round trip", async function () {
                const config = variantConfigFile("dev", broker.version);
                const args = [
                    ...base,
                    "--stack",
                    "dev",
                    ...(config ? ["--config-file", config] : []),
                    "--smoke",
                ];
                const r = verify(args, broker.adminPassword);
                assert.equal(r.code, 0, r.out);
                assert.match(r.out, /everything as declared/);
                assert.match(
                    r.out,
                    /smoke: one message through quorum queue rabbitmq-platform-verify-smoke-\w+/,
                );
                const left = await client.get<{ name: string }[]>("queues/" + apiPath("/"));
                assert.deepEqual(
                    left.filter((q) => q.name.startsWith("rabbitmq-platform-verify-smoke-")),
                    [],
                    "smoke queue left behind",
                );
            });

            it("exits 1 and names each drift: deleted binding, changed policy, widened grant, extra binding, missing queue", async function () {
                const binding = ofKind(model, "binding").find(
                    (b) => b.destinationType === "queue" && b.routingKey !== "",
                );
                const policy = ofKind(model, "policy").find(
                    (p) =>
                        typeof p.definition["delivery-limit"] === "number" &&
                        (p.definition["delivery-limit"] as number) > 0,
                );
                const perm = ofKind(model, "permissions")[0];
                const victim = ofKind(model, "queue").find((q) => q.name !== binding?.destination);
                assert.ok(
                    binding && policy && perm && victim,
                    "the plan has a keyed binding, a limited policy, a permission and queues",
                );
                const bpath = `bindings/${apiPath(binding.vhost)}/e/${apiPath(binding.source)}/q/${apiPath(binding.destination)}`;
                const [existing] = await client.get<{ properties_key: string }[]>(bpath);
                await client.ok("DELETE", `${bpath}/${apiPath(existing.properties_key)}`);
                await client.ok("PUT", `policies/${apiPath(policy.vhost, policy.name)}`, {
                    pattern: policy.pattern,
                    "apply-to": policy.applyTo,
                    priority: policy.priority,
                    definition: { ...policy.definition, "delivery-limit": 50 },
                });
                await client.ok("PUT", `permissions/${apiPath(perm.vhost, perm.user)}`, {
                    configure: perm.configure,
                    write: ".*",
                    read: perm.read,
                });
                await client.ok("POST", bpath, { routing_key: "sneaky.extra", arguments: {} });
                await client.ok("DELETE", `queues/${apiPath(victim.vhost, victim.name)}`);

                const r = verify([...base, "--plan", planFile], broker.adminPassword);
                assert.equal(r.code, 1, r.out);
                const drift = r.out.split("\n").filter((l) => l.startsWith("DRIFT "));
                const expectLine = (re: RegExp, what: string): void => {
                    assert.ok(
                        drift.some((l) => re.test(l)),
                        `no drift line for ${what}:\n${r.out}`,
                    );
                };
                expectLine(
                    new RegExp(
                        `binding ${escapeRegex(binding.source)} -> queue ${escapeRegex(binding.destination)} \\(key '${escapeRegex(binding.routingKey)}'\\).*: missing`,
                    ),
                    "the deleted binding",
                );
                expectLine(
                    new RegExp(
                        `policy '${escapeRegex(policy.name)}'.*definition 'delivery-limit' is 50, declared ${String(policy.definition["delivery-limit"])}`,
                    ),
                    "the changed policy",
                );
                expectLine(
                    new RegExp(
                        `permissions of user '${escapeRegex(perm.user)}'.*write is "\\.\\*", declared`,
                    ),
                    "the widened grant",
                );
                expectLine(
                    new RegExp(
                        `binding ${escapeRegex(binding.source)} -> queue ${escapeRegex(binding.destination)} \\(key 'sneaky\\.extra'\\).*not declared`,
                    ),
                    "the extra binding",
                );
                expectLine(new RegExp(`queue '${escapeRegex(victim.name)}'.*: missing`), "the deleted queue");
                console.log(drift.map((l) => `      ${l}`).join("\n"));

                // Restoring the stack (the provider's calls again) clears every drift except the extra binding.
                await replayOrThrow(client, model);
                await client.ok("DELETE", `${bpath}/sneaky.extra`);
                const again = verify([...base, "--plan", planFile], broker.adminPassword);
                assert.equal(again.code, 0, again.out);
            });

            it("changes nothing on the broker without --smoke (definitions export identical before and after)", async function () {
                const before = await client.get<unknown>("definitions");
                const r = verify([...base, "--plan", planFile], broker.adminPassword);
                assert.equal(r.code, 0, r.out);
                assert.deepEqual(await client.get<unknown>("definitions"), before);
            });

            it("exits 1 when the broker cannot be checked (wrong password)", function () {
                const r = verify([...base, "--plan", planFile], "wrong-password");
                assert.equal(r.code, 1, r.out);
                assert.match(r.out, /401 Unauthorized/);
            });

            it("exits 2 on usage errors, naming the problem", function () {
                const cases: [string[], RegExp][] = [
                    [["--plan", planFile], /--mgmt-url is required/],
                    [[...base], /exactly one of --stack or --plan/],
                    [[...base, "--stack", "dev", "--plan", planFile], /exactly one of --stack or --plan/],
                    [
                        [...base.slice(0, 4), "--password-env", "VERIFY_TEST_UNSET_VAR", "--plan", planFile],
                        /VERIFY_TEST_UNSET_VAR.*not set/,
                    ],
                    [
                        ["--mgmt-url", `${broker.mgmtUrl}/api`, ...base.slice(2), "--plan", planFile],
                        /no path/,
                    ],
                    [[...base, "--plan", "/nonexistent/plan.json"], /cannot read plan file/],
                    [[...base, "--bogus"], /Unknown option/],
                ];
                for (const [args, re] of cases) {
                    const r = verify(args, broker.adminPassword);
                    assert.equal(r.code, 2, `${args.join(" ")}: ${r.out}`);
                    assert.match(r.out, re);
                }
            });
        });
    }
});
