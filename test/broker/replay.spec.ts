/**
 * Contract: every rabbitmq resource of the dev and prod plans, sent exactly as @pulumi/rabbitmq 3.3.8 sends it,
 * is accepted by RabbitMQ 3.10 and 4.0, and the broker then holds exactly what the plan declares.
 */
import { strict as assert } from "assert";
import { ManagementClient } from "../../lib/management/client";
import { Decl, Model, effectivePolicy, ofKind, providerCalls } from "../../lib/verify/model";
import { verifyBroker } from "../../lib/verify/verify";
import { Broker, BrokerId, adminClient, ensureVersion, requireBroker } from "./support/brokers";
import { STACKS, modelFor, stackModel, stackPlan, variantConfigFile } from "./support/plans";
import { failures, replay, resetBroker } from "./support/replay";

/** Names each declaration refers to, by the kind of resource that must be created first. */
function references(d: Decl): { kind: Decl["kind"]; name: string; vhost?: string }[] {
    switch (d.kind) {
        case "permissions":
        case "topicPermissions":
            return [
                { kind: "vhost", name: d.vhost },
                { kind: "user", name: d.user },
            ];
        case "exchange":
        case "queue":
        case "policy":
            return [{ kind: "vhost", name: d.vhost }];
        case "binding":
            return [
                { kind: "vhost", name: d.vhost },
                { kind: "exchange", name: d.source, vhost: d.vhost },
                {
                    kind: d.destinationType === "queue" ? "queue" : "exchange",
                    name: d.destination,
                    vhost: d.vhost,
                },
            ];
        default:
            return [];
    }
}

describe("plan replay (provider-exact calls) on real brokers", function () {
    for (const stack of STACKS) {
        describe(`stack ${stack}: the plan itself`, function () {
            let model: Model;

            before(function () {
                model = stackModel(stack);
            });

            it("declares vhosts, users, permissions, exchanges, queues, bindings and policies", function () {
                for (const kind of [
                    "vhost",
                    "user",
                    "permissions",
                    "exchange",
                    "queue",
                    "binding",
                    "policy",
                ] as const) {
                    assert.ok(ofKind(model, kind).length > 0, `no ${kind} in the ${stack} plan`);
                }
            });

            it("makes every resource depend on the objects it names (no create-before-vhost ordering race)", function () {
                const plan = stackPlan(stack);
                const deps = new Map(plan.resources.map((r) => [r.urn, r.dependencies]));
                const closure = (urn: string, seen = new Set<string>()): Set<string> => {
                    for (const d of deps.get(urn) ?? []) {
                        if (!seen.has(d)) {
                            seen.add(d);
                            closure(d, seen);
                        }
                    }
                    return seen;
                };
                const missing: string[] = [];
                for (const d of model.decls) {
                    const before = closure(d.urn);
                    for (const ref of references(d)) {
                        const target = model.decls.find(
                            (x) =>
                                x.kind === ref.kind &&
                                "name" in x &&
                                x.name === ref.name &&
                                (ref.vhost === undefined || ("vhost" in x && x.vhost === ref.vhost)),
                        );
                        if (target && !before.has(target.urn)) {
                            missing.push(`${d.label} does not depend on ${target.label}`);
                        }
                    }
                }
                assert.deepEqual(missing, []);
            });

            it("points every rabbitmq resource at an explicit provider whose endpoint has no trailing slash or path", function () {
                assert.ok(model.providers.length > 0, "no pulumi:providers:rabbitmq in the plan");
                for (const p of model.providers) {
                    const u = new URL(p.endpoint);
                    assert.equal(
                        u.pathname,
                        "/",
                        `${p.urn}: endpoint ${p.endpoint} has a path (rabbit-hole appends /api/)`,
                    );
                    assert.ok(
                        !p.endpoint.endsWith("/"),
                        `${p.urn}: endpoint ${p.endpoint} ends with '/' (405 EOF)`,
                    );
                }
                const plan = stackPlan(stack);
                for (const r of plan.resources.filter((x) => x.type.startsWith("rabbitmq:index/"))) {
                    assert.ok(
                        model.providers.some((p) => p.urn === r.provider),
                        `${r.urn} uses provider ${r.provider}, not the explicit rabbitmq provider`,
                    );
                }
            });

            it("sends numeric and boolean queue arguments as JSON numbers/booleans, never as strings", function () {
                for (const q of ofKind(model, "queue")) {
                    for (const [k, v] of Object.entries(q.arguments)) {
                        if (/^\d+$/.test(String(v)) || v === "true" || v === "false") {
                            assert.notEqual(
                                typeof v,
                                "string",
                                `${q.label}: argument ${k} goes out as the string ${JSON.stringify(v)}`,
                            );
                        }
                    }
                    if (q.queueType === "quorum") {
                        assert.equal(q.durable, true, `${q.label}: quorum queues must be durable`);
                        assert.equal(q.autoDelete, false, `${q.label}: quorum queues cannot auto-delete`);
                    }
                }
            });
        });
    }

    const targets: BrokerId[] = ["single310", "single40", "cluster310"];
    for (const id of targets) {
        for (const stack of STACKS) {
            describe(`stack ${stack} on ${id}`, function () {
                let broker: Broker;
                let client: ManagementClient;
                let model: Model;

                before(async function () {
                    broker = await ensureVersion(requireBroker(this, id));
                    client = adminClient(broker);
                    model = modelFor(stack, broker.version);
                    await resetBroker(client, model);
                });

                it("renders the stack for this broker's major version; on 3.x the 4.x-only settings are exactly what 3.x rejects", async function () {
                    const variant = variantConfigFile(stack, broker.version);
                    if (!variant) {
                        console.log(
                            `      RabbitMQ ${broker.version}: the stack as configured (RabbitMQ 4 image)`,
                        );
                        return;
                    }
                    // What the 3.x variant changes, resource by resource.
                    const four = stackModel(stack);
                    const key = (d: Decl): string => JSON.stringify(providerCalls(d));
                    const changed = four.decls.filter((d) => {
                        const v = model.decls.find((x) => x.urn === d.urn);
                        return !v || key(v) !== key(d);
                    });
                    changed.forEach((d) =>
                        console.log(
                            `      4.x-only in the stack, changed for ${broker.version}: ${d.label} ${key(d)}`,
                        ),
                    );
                    // 3.x has no target-group-size: its variant sizes every quorum queue by argument instead, the
                    // same number the RabbitMQ 4 rendering puts in the queue's policy.
                    const [queues, others] = [
                        changed.filter((d) => d.kind === "queue"),
                        changed.filter((d) => d.kind !== "queue"),
                    ];
                    assert.deepEqual(
                        queues.map((d) => d.urn).sort(),
                        ofKind(four, "queue")
                            .filter((q) => q.queueType === "quorum")
                            .map((q) => q.urn)
                            .sort(),
                        "queues the 3.x variant changes vs the quorum queues",
                    );
                    for (const q of ofKind(four, "queue").filter((d) => queues.includes(d))) {
                        const v = ofKind(model, "queue").find((x) => x.urn === q.urn);
                        assert.deepEqual(v?.arguments, {
                            ...q.arguments,
                            "x-quorum-initial-group-size": effectivePolicy(four, q)?.definition[
                                "target-group-size"
                            ],
                        });
                    }
                    // The RabbitMQ 4 rendering on this broker: rejected exactly where the variant changes the rest.
                    await resetBroker(client, four);
                    const rejected = (await replay(client, four)).filter((r) => !r.ok).map((r) => r.decl.urn);
                    await resetBroker(client, four);
                    assert.deepEqual(
                        rejected.sort(),
                        others.map((d) => d.urn).sort(),
                        "resources 3.x rejects vs resources other than queues the 3.x variant changes",
                    );
                });

                it("accepts every rabbitmq resource, sent as the provider sends it", async function () {
                    const results = await replay(client, model);
                    assert.deepEqual(failures(results), [], `RabbitMQ ${broker.version} rejected resources`);
                    const calls = results.flatMap((r) => r.calls);
                    console.log(
                        `      RabbitMQ ${broker.version}: ${results.length} resources, ${calls.length} calls, statuses ${JSON.stringify(
                            [...new Set(calls.map((c) => c.status))].sort(),
                        )}`,
                    );
                    assert.equal(results.length, model.decls.length);
                });

                it("then holds exactly what the plan declares (verify finds no drift)", async function () {
                    const report = await verifyBroker(client, model);
                    report.notes.forEach((n) => console.log(`      note: ${n}`));
                    assert.deepEqual(report.drift, []);
                });

                it("accepts a second identical apply (re-declaring the same objects is a no-op)", async function () {
                    const results = await replay(client, model);
                    assert.deepEqual(failures(results), []);
                    assert.deepEqual((await verifyBroker(client, model)).drift, []);
                });

                after(async function () {
                    if (client && model) {
                        await resetBroker(client, model);
                    }
                });
            });
        }
    }
});
