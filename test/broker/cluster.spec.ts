/**
 * On the 3-node RabbitMQ 3.10 cluster: quorum queue membership as configured, and failover of a quorum queue's
 * leader under confirmed publishing with the generated app credentials.
 */
import { strict as assert } from "assert";
import { apiPath } from "../../lib/management/client";
import { ofKind } from "../../lib/verify/model";
import { BrokerQueue, expectedMembers, runningNodes } from "../../lib/verify/verify";
import { Broker, BrokerNode, adminClient, killNode, requireBroker, restartNode } from "./support/brokers";
import { Conn, amqpConnect, drain, localAppUrl } from "./support/amqp";
import { publishRouteTo } from "./support/expect";
import { STACKS, secretOf } from "./support/plans";
import { Topo, setUpTopology, tearDown } from "./support/topo";
import { sleep, waitFor } from "./support/wait";

describe("3-node RabbitMQ 3.10 cluster", function () {
    for (const stack of STACKS) {
        describe(`stack ${stack}: quorum membership`, function () {
            let t: Topo;

            before(async function () {
                t = await setUpTopology(requireBroker(this, "cluster310", { nodes: 3 }), stack);
            });

            after(async function () {
                await tearDown(t);
            });

            it("gives every quorum queue its configured number of members, all online, on distinct nodes", async function () {
                const nodes = await runningNodes(t.client);
                assert.equal(nodes.length, 3, "running nodes");
                for (const q of ofKind(t.model, "queue").filter((x) => x.queueType === "quorum")) {
                    const want = expectedMembers(t.model, q, nodes.length);
                    assert.ok(want !== undefined, `${q.label}: no group size in the plan`);
                    const info = await t.client.get<BrokerQueue>(`queues/${apiPath(q.vhost, q.name)}`);
                    const members = info.members ?? [];
                    assert.equal(members.length, want, `${q.label}: members ${JSON.stringify(members)}`);
                    assert.equal(
                        new Set(members).size,
                        members.length,
                        `${q.label}: members on distinct nodes`,
                    );
                    assert.deepEqual(
                        [...(info.online ?? [])].sort(),
                        [...members].sort(),
                        `${q.label}: online members`,
                    );
                    assert.ok(
                        members.every((m) => nodes.includes(m)),
                        `${q.label}: members are cluster nodes`,
                    );
                    const g = q.arguments["x-quorum-initial-group-size"];
                    console.log(
                        `      ${q.name}: group size ${String(g)} on ${nodes.length} nodes -> ${members.length} members online` +
                            (Number(g) > nodes.length
                                ? ` (capped: members = min(${String(g)}, ${nodes.length}))`
                                : ""),
                    );
                }
            });
        });
    }

    describe("failover: kill the node leading a quorum queue during confirmed publishing", function () {
        let t: Topo;
        let broker: Broker;
        let killed: BrokerNode | undefined;

        before(async function () {
            broker = requireBroker(this, "cluster310", { nodes: 3, local: true });
            t = await setUpTopology(broker, "dev");
        });

        after(async function () {
            if (killed) {
                await restartNode(broker, killed.index);
                const c = adminClient(broker);
                await waitFor("3 running nodes after the restart", 60000, async () =>
                    (await runningNodes(c)).length === 3 ? true : undefined,
                );
            }
            await tearDown(t);
        });

        it("keeps every confirmed message, resumes publishing on another node, and reports the confirm gap", async function () {
            const api = secretOf(t.plan, "engine-api");
            const worker = secretOf(t.plan, "engine-worker");
            const queue = ofKind(t.model, "queue").find(
                (q) => q.vhost === api.data.vhost && q.name === "engine:tasks",
            );
            assert.ok(queue, "the tl-engine note's engine:tasks queue is in the plan");
            const route = publishRouteTo(t.model, queue);
            const qpath = `queues/${apiPath(queue.vhost, queue.name)}`;
            const info = await t.client.get<BrokerQueue>(qpath);
            const leader = broker.nodes.find((n) => n.name === info.leader);
            assert.ok(leader?.pidFile, `leader ${info.leader} is not a node of ${broker.id}`);
            const survivors = broker.nodes.filter((n) => n !== leader);
            const nodeUrl = (n: BrokerNode): string => localAppUrl(broker, api, n);

            const confirmed = new Map<string, string>();
            const inDoubt = new Set<string>();
            // When each confirm arrived, and on which connection (0: the one to the node that gets killed).
            const confirmTimes: number[] = [];
            const confirmConn: number[] = [];
            let killAt = 0;
            let seq = 0;
            let stop = false;
            const connectedTo: string[] = [];
            const events: string[] = [];

            // Publisher: window of 100 unconfirmed messages; on connection loss, reconnect to the next node.
            const publisher = (async (): Promise<void> => {
                for (let attempt = 0; !stop && attempt < 200; attempt++) {
                    const node = attempt === 0 ? leader : survivors[attempt % survivors.length];
                    let conn: Conn;
                    try {
                        conn = await amqpConnect(broker, nodeUrl(node));
                    } catch (e) {
                        events.push(`${Date.now() - killAt} ms: connect ${node.name}: ${String(e)}`);
                        await sleep(200);
                        continue;
                    }
                    connectedTo.push(node.name);
                    const connIndex = connectedTo.length - 1;
                    const broken = new Promise<void>((resolve) => {
                        conn.on("close", () => resolve());
                        conn.on("error", () => resolve());
                    });
                    let dead = false;
                    let nacks = 0;
                    void broken.then(() => {
                        dead = true;
                    });
                    try {
                        const ch = await conn.createConfirmChannel();
                        ch.on("error", () => undefined);
                        const pending = new Set<string>();
                        // A nack means the broker did not take the message: like a reconnecting app, give up this
                        // channel and publish on a fresh connection (nacked messages count as unconfirmed).
                        while (!stop && !dead && nacks === 0) {
                            if (pending.size >= 100) {
                                await sleep(2);
                                continue;
                            }
                            const id = `fo-${++seq}`;
                            const body = `failover message ${seq} ${"y".repeat(seq % 64)}`;
                            pending.add(id);
                            ch.publish(
                                route.exchange,
                                route.key,
                                Buffer.from(body),
                                { persistent: true, messageId: id },
                                (err) => {
                                    pending.delete(id);
                                    if (err) {
                                        nacks++;
                                        inDoubt.add(id);
                                    } else {
                                        confirmed.set(id, body);
                                        confirmTimes.push(Date.now());
                                        confirmConn.push(connIndex);
                                    }
                                },
                            );
                            if (seq % 50 === 0) {
                                await sleep(1);
                            }
                        }
                        if (stop && !dead && nacks === 0) {
                            await ch.waitForConfirms().catch(() => undefined);
                            await conn.close();
                            return;
                        }
                        if (nacks > 0) {
                            events.push(`${Date.now() - killAt} ms: nack on ${node.name}, reconnecting`);
                            await sleep(200);
                            await ch.waitForConfirms().catch(() => undefined);
                            await conn.close().catch(() => undefined);
                        }
                        await Promise.race([broken, sleep(3000)]);
                        pending.forEach((id) => inDoubt.add(id));
                    } catch (e) {
                        events.push(`${Date.now() - killAt} ms: on ${node.name}: ${String(e)}`);
                    }
                }
            })();

            await waitFor("confirms before the kill", 20000, async () =>
                confirmed.size >= 2000 ? true : undefined,
            );
            killAt = Date.now();
            killed = leader;
            killNode(leader);
            const confirmedAtKill = confirmed.size;
            const progress = setInterval(
                () =>
                    console.log(
                        `      t+${Date.now() - killAt} ms: ${confirmed.size} confirmed, ${inDoubt.size} in doubt, seq ${seq}, nodes ${connectedTo.join(",")}`,
                    ),
                2000,
            );
            await waitFor("confirms after the kill", 60000, async () =>
                confirmTimes.some((x, i) => x > killAt + 2000 && confirmConn[i] > 0) &&
                confirmed.size > confirmedAtKill + 2000
                    ? true
                    : undefined,
            );
            stop = true;
            await publisher;
            clearInterval(progress);
            events.forEach((e) => console.log(`      publisher: ${e}`));

            // The gap runs from the last confirm on the killed node's connection to the first on a later connection
            // (confirms already in flight from the dying node can arrive just after the kill).
            const lastBefore = Math.max(...confirmTimes.filter((_, i) => confirmConn[i] === 0));
            const firstAfter = Math.min(...confirmTimes.filter((_, i) => confirmConn[i] > 0));
            const survivor = survivors[0];
            const admin = adminClient(broker, survivor);
            const after = await waitFor("a new leader", 30000, async () => {
                const q = await admin.get<BrokerQueue>(qpath);
                return q.leader && q.leader !== leader.name ? q : undefined;
            });

            // Consume everything as the worker app, from a surviving node.
            const wconn = await amqpConnect(broker, localAppUrl(broker, worker, survivor));
            const got = await drain(wconn, queue.name, 1500);
            await wconn.close();
            const seen = new Map<string, number>();
            got.forEach((m) => seen.set(m.id, (seen.get(m.id) ?? 0) + 1));
            const missing = [...confirmed.keys()].filter((id) => !seen.has(id));
            const altered = got
                .filter((m) => confirmed.has(m.id) && confirmed.get(m.id) !== m.body)
                .map((m) => m.id);
            const dupes = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
            const unknown = got.filter((m) => !confirmed.has(m.id) && !inDoubt.has(m.id)).map((m) => m.id);
            const fromDoubt = got.filter((m) => inDoubt.has(m.id)).length;
            console.log(
                `      leader ${leader.name} killed; new leader ${String(after.leader)}; publisher connected to ${connectedTo.join(" -> ")}`,
            );
            console.log(
                `      ${confirmed.size} confirmed (${confirmedAtKill} before the kill), ${inDoubt.size} unconfirmed in doubt (${fromDoubt} of them arrived), ${got.length} consumed`,
            );
            console.log(
                `      time without a successful confirm: ${firstAfter - lastBefore} ms (kill -> first confirm ${firstAfter - killAt} ms)`,
            );
            assert.deepEqual(missing.slice(0, 10), [], `${missing.length} confirmed messages lost`);
            assert.deepEqual(altered, [], "confirmed messages changed");
            assert.deepEqual(dupes.slice(0, 10), [], `${dupes.length} messages consumed twice`);
            assert.deepEqual(unknown, [], "messages nobody published");
            assert.ok(
                connectedTo.length >= 2 && connectedTo[connectedTo.length - 1] !== leader.name,
                "publishing resumed on another node",
            );
            assert.ok(Number.isFinite(firstAfter), "no confirm after the kill");
            assert.ok(
                after.members?.includes(leader.name),
                "the killed node is still a member (it will rejoin)",
            );
        });
    });
});
