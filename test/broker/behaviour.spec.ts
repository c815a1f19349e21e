/**
 * Behaviour of the replayed topology with the generated app credentials (amqplib): connecting with each app
 * Secret's AMQP_URL, routing, poison messages, least privilege. Expectations come from the plan.
 */
import { strict as assert } from "assert";
import * as amqp from "amqplib";
import { ManagementClient, apiPath } from "../../lib/management/client";
import { ofKind } from "../../lib/verify/model";
import { getQueue } from "../../lib/verify/verify";
import { BrokerId, adminAmqpUrl, requireBroker } from "./support/brokers";
import { Conn, amqpConnect, drain, localAppUrl, probe, publishConfirmed, uniqueBatch } from "./support/amqp";
import { concreteKey, deadLetterRoute, permits, publishRouteTo, routeTargets } from "./support/expect";
import { AppSecret, STACKS, appSecrets } from "./support/plans";
import { Topo, purgeAll, setUpTopology, tearDown } from "./support/topo";

function permsOf(
    t: Topo,
    user: string,
    vhost: string,
): { configure: string; write: string; read: string } | undefined {
    return ofKind(t.model, "permissions").find((p) => p.user === user && p.vhost === vhost);
}

/** Whether a user may publish `key` to `exchange` (write permission, plus topic permissions on topic exchanges). */
function mayPublish(t: Topo, user: string, vhost: string, exchange: string, key: string): boolean {
    const p = permsOf(t, user, vhost);
    if (!p || !permits(p.write, exchange === "" ? "amq.default" : exchange)) {
        return false;
    }
    const ex = ofKind(t.model, "exchange").find((e) => e.vhost === vhost && e.name === exchange);
    if (ex?.type !== "topic") {
        return true;
    }
    const tps = ofKind(t.model, "topicPermissions")
        .filter((x) => x.user === user && x.vhost === vhost)
        .flatMap((x) => x.permissions)
        .filter((x) => x.exchange === exchange);
    return tps.length === 0 || tps.some((x) => permits(x.write, key));
}

/** The app user that may read a queue (to consume as the app would), or undefined. */
function readerOf(t: Topo, vhost: string, queue: string): string | undefined {
    return ofKind(t.model, "permissions").find(
        (p) => p.vhost === vhost && permits(p.read, queue) && t.apps.has(p.user),
    )?.user;
}

function secretsOf(t: Topo): AppSecret[] {
    return appSecrets(t.plan);
}

/**
 * Least privilege from the design documents (the tl-engine note and ADR-0004, docs/decisions.md), written down independently of the plan:
 * everything each app may do among the probes above. The API publishes tasks and events; the worker consumes
 * tasks and its event queue and publishes events; the document producer only requests deletions; the consumer
 * only consumes the deletion queue and its DLQ. No app may declare, delete or reach another vhost.
 */
const SEED_INTENT: Record<string, string[]> = {
    "engine-api": [
        "engine-api publishes to engine:tasks 'engine:tasks'",
        "engine-api publishes to engine:tasks 'not.a.declared.key'",
        "engine-api publishes to engine:events ''",
        "engine-api publishes to engine:events 'not.a.declared.key'",
    ],
    "engine-worker": [
        "engine-worker reads engine:tasks",
        "engine-worker reads engine:events:worker",
        "engine-worker publishes to engine:events ''",
        "engine-worker publishes to engine:events 'not.a.declared.key'",
    ],
    "documento-producer": ["documento-producer publishes to documento.events 'documento.deletion.requested'"],
    "documento-consumer": [
        "documento-consumer reads documento.deletion.queue",
        "documento-consumer reads documento.deletion.dlq",
    ],
};

const targets: BrokerId[] = ["single310", "single40"];

describe("behaviour of the replayed topology (amqplib, generated app credentials)", function () {
    for (const id of targets) {
        for (const stack of STACKS) {
            describe(`stack ${stack} on ${id}`, function () {
                let t: Topo;

                before(async function () {
                    const broker = requireBroker(this, id);
                    t = await setUpTopology(broker, stack);
                });

                beforeEach(async function () {
                    await purgeAll(t);
                });

                after(async function () {
                    await tearDown(t);
                });

                it("connects every app with its Secret's AMQP_URL (percent-encoded password and vhost)", async function () {
                    const secrets = secretsOf(t);
                    assert.ok(
                        secrets.length >= 4,
                        `expected an app Secret per app user, found ${secrets.length}`,
                    );
                    let encodedPasswords = 0;
                    for (const s of secrets) {
                        const userinfo = s.data.AMQP_URL.slice(
                            "amqp://".length,
                            s.data.AMQP_URL.lastIndexOf("@"),
                        );
                        const rawPassword = userinfo.slice(userinfo.indexOf(":") + 1);
                        assert.ok(
                            !/[@/?#]/.test(rawPassword),
                            `${s.name}: password not percent-encoded in AMQP_URL`,
                        );
                        if (/[@:/?#%&]/.test(s.data.password)) {
                            encodedPasswords++;
                        }
                        if (s.data.vhost.includes("/")) {
                            assert.ok(
                                s.data.AMQP_URL.includes("/" + encodeURIComponent(s.data.vhost)),
                                `${s.name}: vhost not encoded`,
                            );
                        }
                        // The connection was opened in before(); a wrong vhost or password would have been refused.
                        const conn = t.apps.get(s.data.username) as Conn;
                        const ch = await conn.createChannel();
                        await ch.close();
                        // The same URL with the password left raw does not work: the encoding is what makes it connect.
                        if (/[/?#]/.test(s.data.password)) {
                            const broken = localAppUrl(t.broker, s).replace(rawPassword, s.data.password);
                            await assert.rejects(amqpConnect(t.broker, broken).then((c) => c.close()));
                        }
                    }
                    console.log(
                        `      ${secrets.length} apps connected; ${encodedPasswords} password(s) needed percent-encoding`,
                    );
                    // Otherwise this test would not exercise the encoding (the vhosts' '/' always does).
                    assert.ok(
                        encodedPasswords > 0,
                        "no generated password contains a URL-reserved character",
                    );
                });

                it("routes each app's publications to exactly the queues bound for them (tasks, events fan-out, deletion requests)", async function () {
                    const flows: string[] = [];
                    for (const s of secretsOf(t)) {
                        const user = s.data.username;
                        const vhost = s.data.vhost;
                        for (const b of ofKind(t.model, "binding").filter((x) => x.vhost === vhost)) {
                            const key = concreteKey(b.routingKey);
                            if (!mayPublish(t, user, vhost, b.source, key)) {
                                continue;
                            }
                            const expected = routeTargets(t.model, vhost, b.source, key);
                            const batch = uniqueBatch(`${user}->${b.source}`, 3);
                            await publishConfirmed(t.apps.get(user) as Conn, b.source, key, batch);
                            for (const q of ofKind(t.model, "queue").filter((x) => x.vhost === vhost)) {
                                const reader = readerOf(t, vhost, q.name);
                                const conn = (reader ? t.apps.get(reader) : t.admin.get(vhost)) as Conn;
                                const got = await drain(conn, q.name);
                                const want = expected.includes(q.name) ? batch : [];
                                assert.deepEqual(
                                    got.map((m) => [m.id, m.body]),
                                    want.map((m) => [m.id, m.body]),
                                    `${user} published to '${b.source}' with key '${key}': queue '${q.name}' (read by ${reader ?? "admin"})`,
                                );
                            }
                            flows.push(`${user} -> ${b.source} '${key}' -> [${expected.join(", ")}]`);
                        }
                    }
                    flows.forEach((f) => console.log(`      ${f}`));
                    // The design documents' flows must be among them (names from those documents).
                    const has = (re: RegExp): boolean => flows.some((f) => re.test(f));
                    assert.ok(
                        has(/^engine-api -> .* -> \[.*\bengine:tasks\b/),
                        "a task published by engine-api reaches engine:tasks",
                    );
                    assert.ok(
                        has(/^engine-api -> engine:events .* -> \[.*engine:events:worker/),
                        "an engine event reaches engine:events:worker",
                    );
                    assert.ok(
                        has(
                            /^documento-producer -> documento\.events 'documento\.deletion\.requested' -> \[documento\.deletion\.queue\]$/,
                        ),
                        "documento.deletion.requested reaches documento.deletion.queue only",
                    );
                });

                it("dead-letters poison messages past the delivery limit into the DLQ, all of them, unchanged", async function () {
                    const routes = ofKind(t.model, "queue")
                        .map((q) => deadLetterRoute(t.model, q))
                        .filter((r) => r !== undefined);
                    assert.ok(routes.length > 0, "no queue has a delivery limit and a dead-letter exchange");
                    assert.ok(
                        routes.some((r) => r.queue.name === "documento.deletion.queue"),
                        "ADR-0004's deletion queue has no poison route",
                    );
                    for (const r of routes) {
                        const q = r.queue;
                        assert.ok(
                            r.targets.length > 0,
                            `${q.label}: dead letters to '${r.exchange}' with key '${r.routingKey}' reach no queue (lost)`,
                        );
                        assert.equal(r.strategy, "at-least-once", `${q.label}: dead-letter-strategy`);
                        assert.equal(
                            r.overflow,
                            "reject-publish",
                            `${q.label}: at-least-once needs overflow reject-publish`,
                        );
                        const eff = (await getQueue(t.client, q.vhost, q.name))
                            ?.effective_policy_definition as Record<string, unknown>;
                        assert.equal(
                            eff?.["delivery-limit"],
                            r.deliveryLimit,
                            `${q.label}: broker's effective delivery-limit`,
                        );

                        const batch = uniqueBatch(`poison-${q.name}`, 3);
                        const route = publishRouteTo(t.model, q);
                        await publishConfirmed(
                            t.admin.get(q.vhost) as Conn,
                            route.exchange,
                            route.key,
                            batch,
                        );
                        const reader = readerOf(t, q.vhost, q.name);
                        const conn = (reader ? t.apps.get(reader) : t.admin.get(q.vhost)) as Conn;
                        const deliveries = new Map<string, number>();
                        const ch = await conn.createChannel();
                        await ch.prefetch(10);
                        const { consumerTag } = await ch.consume(q.name, (m) => {
                            if (m) {
                                const mid = String(m.properties.messageId);
                                deliveries.set(mid, (deliveries.get(mid) ?? 0) + 1);
                                ch.nack(m, false, true);
                            }
                        });
                        const dlq = r.targets[0];
                        const admin = t.admin.get(q.vhost) as Conn;
                        const deadline = Date.now() + 30000;
                        let dead: Awaited<ReturnType<typeof drain>> = [];
                        while (Date.now() < deadline) {
                            const info = await t.client.get<{ messages?: number }>(
                                `queues/${apiPath(q.vhost, dlq)}`,
                            );
                            if ((info.messages ?? 0) >= batch.length) {
                                break;
                            }
                            await new Promise((res) => setTimeout(res, 200));
                        }
                        await ch.cancel(consumerTag);
                        await ch.close();
                        dead = await drain(admin, dlq);
                        assert.deepEqual(
                            dead.map((m) => [m.id, m.body]).sort(),
                            batch.map((m) => [m.id, m.body]).sort(),
                            `${q.label}: every poison message in '${dlq}', exactly once, unchanged`,
                        );
                        for (const m of dead) {
                            assert.equal(
                                m.headers["x-first-death-reason"],
                                "delivery_limit",
                                `${q.label}: death reason`,
                            );
                        }
                        for (const m of batch) {
                            assert.equal(
                                deliveries.get(m.id),
                                r.deliveryLimit + 1,
                                `${q.label}: deliveries of ${m.id} (limit ${r.deliveryLimit})`,
                            );
                        }
                        assert.deepEqual(await drain(admin, q.name), [], `${q.label}: nothing left behind`);
                        console.log(
                            `      ${q.name}: ${batch.length} poison messages, each delivered ${r.deliveryLimit + 1}x, all in ${dlq}`,
                        );
                    }
                });

                it("refuses each app what it was not granted (other vhosts, queues, exchanges, declare, delete) and allows what it was", async function () {
                    const matrix: string[] = [];
                    const allowed = new Set<string>();
                    const check = (what: string, want: boolean, got: "ok" | "refused"): void => {
                        matrix.push(`${want ? "allow" : "deny "} ${what}: ${got}`);
                        if (got === "ok") {
                            allowed.add(what);
                        }
                        assert.equal(got, want ? "ok" : "refused", what);
                    };
                    for (const s of secretsOf(t)) {
                        const user = s.data.username;
                        const vhost = s.data.vhost;
                        const conn = t.apps.get(user) as Conn;
                        const p = permsOf(t, user, vhost);
                        assert.ok(p, `${user} has no permissions in its own vhost ${vhost}`);
                        for (const v of ofKind(t.model, "vhost").filter((x) => x.name !== vhost)) {
                            const other = localAppUrl(t.broker, s).replace(
                                /\/[^/]*$/,
                                "/" + encodeURIComponent(v.name),
                            );
                            const res = await amqpConnect(t.broker, other).then(
                                async (c) => {
                                    await c.close();
                                    return "ok" as const;
                                },
                                () => "refused" as const,
                            );
                            check(`${user} opens vhost ${v.name}`, !!permsOf(t, user, v.name), res);
                        }
                        for (const q of ofKind(t.model, "queue").filter((x) => x.vhost === vhost)) {
                            check(
                                `${user} reads ${q.name}`,
                                permits(p.read, q.name),
                                await probe(conn, (ch) => ch.get(q.name)),
                            );
                            check(
                                `${user} deletes ${q.name}`,
                                permits(p.configure, q.name),
                                await probe(conn, (ch) => ch.deleteQueue(q.name)),
                            );
                        }
                        const intruder = `intruder-${user}`;
                        check(
                            `${user} declares queue ${intruder}`,
                            permits(p.configure, intruder),
                            await probe(conn, (ch) =>
                                ch.assertQueue(intruder, {
                                    durable: true,
                                    arguments: { "x-queue-type": "quorum" },
                                }),
                            ),
                        );
                        for (const e of ofKind(t.model, "exchange").filter((x) => x.vhost === vhost)) {
                            const keys = new Set(
                                ofKind(t.model, "binding")
                                    .filter((b) => b.vhost === vhost && b.source === e.name)
                                    .map((b) => concreteKey(b.routingKey)),
                            );
                            keys.add("not.a.declared.key");
                            for (const key of keys) {
                                const want = mayPublish(t, user, vhost, e.name, key);
                                const got = await probe(conn, async (ch) => {
                                    ch.publish(e.name, key, Buffer.from("lp-probe"), {
                                        messageId: "lp-probe",
                                    });
                                    await ch.waitForConfirms();
                                });
                                check(`${user} publishes to ${e.name} '${key}'`, want, got);
                            }
                        }
                        check(
                            `${user} publishes via the default exchange`,
                            permits(p.write, "amq.default"),
                            await probe(conn, async (ch) => {
                                ch.publish("", "engine:tasks", Buffer.from("lp-probe"));
                                await ch.waitForConfirms();
                            }),
                        );
                        check(
                            `${user} deletes exchange ${"amq.direct"}`,
                            false,
                            await probe(conn, (ch) => ch.deleteExchange("amq.direct")),
                        );
                    }
                    const denies = matrix.filter((m) => m.startsWith("deny")).length;
                    console.log(
                        `      ${matrix.length} checks: ${matrix.length - denies} allowed as granted, ${denies} refused as not granted`,
                    );
                    assert.ok(
                        denies > 0 && denies < matrix.length,
                        "the matrix must contain both grants and refusals",
                    );
                    // The broker enforces the plan (above). Independently of the plan, what the design documents need is all an
                    // app may do: a plan that grants more fails here, even though the broker enforces it.
                    const intended = (user: string): string[] => SEED_INTENT[user] ?? [];
                    for (const s of secretsOf(t).filter((x) => x.data.username in SEED_INTENT)) {
                        const user = s.data.username;
                        const got = [...allowed].filter((a) => a.startsWith(`${user} `)).sort();
                        assert.deepEqual(
                            got,
                            [...intended(user)].sort(),
                            `${user}: what it may do vs what the design documents need`,
                        );
                    }
                });

                it("uses a generated admin password, not RabbitMQ's default, and the default account cannot log in", async function () {
                    for (const p of t.model.providers) {
                        assert.notEqual(p.username, "guest", `${p.urn}: admin user`);
                        assert.notEqual(p.password, "guest", `${p.urn}: admin password`);
                        assert.ok(
                            p.password.length >= 20,
                            `${p.urn}: admin password has ${p.password.length} characters`,
                        );
                        assert.ok(!/^\[secret\]$/.test(p.password), "render the plan with --show-secrets");
                    }
                    const guest = new ManagementClient(t.broker.mgmtUrl, "guest", "guest");
                    assert.equal(
                        (await guest.request("GET", "whoami")).status,
                        401,
                        "guest/guest is refused by the broker",
                    );
                    await assert.rejects(
                        amqp.connect(
                            adminAmqpUrl({ ...t.broker, adminUser: "guest", adminPassword: "guest" }, "/"),
                        ),
                    );
                });
            });
        }
    }
});
