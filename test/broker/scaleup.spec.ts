/**
 * Scale-up on the 5-node RabbitMQ 4.0 cluster: the prod stack's quorum queues are sized by their policy's
 * `target-group-size` and grown by continuous membership reconciliation (the rabbitmq.conf lines lib/clusterSpec.ts
 * renders, which scripts/brokers.sh gives every 4.0 node, with 4.0's default intervals), never by re-declaring them.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManagementClient, apiPath } from "../../lib/management/client";
import { JsonMap, Model, QueueDecl, ofKind, providerCalls } from "../../lib/verify/model";
import { BrokerQueue, runningNodes } from "../../lib/verify/verify";
import { readYamlFile, toYaml } from "../../lib/yaml";
import { Broker, adminClient, killNode, repoRoot, requireBroker, restartNode } from "./support/brokers";
import { Conn, connectAdmin, drain, publishConfirmed, uniqueBatch } from "./support/amqp";
import { stackModel } from "./support/plans";
import { failures, grantAdmin, replay, replayOrThrow, resetBroker } from "./support/replay";
import { sleep, waitFor } from "./support/wait";

/** 4.0's quorum_membership_reconciliation_trigger_interval: a pass this long after a node, queue or policy event. */
const TRIGGER_MS = 10000;

/** The prod stack file with `replicas` and `quorumGroupSize` set to `size` (prod before a scale-up). */
function prodSizedAt(size: number): string {
    const doc = readYamlFile(path.join(repoRoot, "Pulumi.prod.yaml")) as { config: JsonMap };
    doc.config["rabbitmq-platform:replicas"] = size;
    doc.config["rabbitmq-platform:quorumGroupSize"] = size;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "scaleup-")), "Pulumi.prod.yaml");
    fs.writeFileSync(file, toYaml(doc));
    return file;
}

const quorumQueues = (m: Model): QueueDecl[] => ofKind(m, "queue").filter((q) => q.queueType === "quorum");

async function membership(client: ManagementClient, m: Model): Promise<Map<string, BrokerQueue>> {
    const out = new Map<string, BrokerQueue>();
    for (const q of quorumQueues(m)) {
        out.set(q.label, await client.get<BrokerQueue>(`queues/${apiPath(q.vhost, q.name)}`));
    }
    return out;
}

/** Waits until every quorum queue has `size` members, all online and on distinct nodes; returns the wait in ms. */
async function waitForMembers(client: ManagementClient, m: Model, size: number, ms: number): Promise<number> {
    const start = Date.now();
    await waitFor(`${size} online members on every quorum queue`, ms, async () => {
        for (const info of (await membership(client, m)).values()) {
            const members = info.members ?? [];
            const online = new Set(info.online ?? []);
            if (
                members.length !== size ||
                new Set(members).size !== size ||
                !members.every((n) => online.has(n))
            ) {
                return undefined;
            }
        }
        return true;
    });
    return Date.now() - start;
}

async function memberCounts(client: ManagementClient, m: Model): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [label, info] of await membership(client, m)) {
        counts[label] = (info.members ?? []).length;
    }
    return counts;
}

const allAt = (m: Model, n: number): Record<string, number> =>
    Object.fromEntries(quorumQueues(m).map((q) => [q.label, n]));

/** Replays a stack from nothing and opens an admin connection per vhost (publishes go to each queue directly). */
async function freshReplay(client: ManagementClient, broker: Broker, m: Model): Promise<Map<string, Conn>> {
    await resetBroker(client, m);
    await replayOrThrow(client, m);
    await grantAdmin(client, m);
    const admin = new Map<string, Conn>();
    for (const v of ofKind(m, "vhost")) {
        const c = await connectAdmin(broker, v.name);
        c.on("error", () => undefined);
        admin.set(v.name, c);
    }
    return admin;
}

async function closeAll(conns: Map<string, Conn> | undefined): Promise<void> {
    for (const c of conns?.values() ?? []) {
        await c.close().catch(() => undefined);
    }
}

/** Publishes a batch to every quorum queue through the default exchange (exactly that queue, no routing). */
async function fill(
    conns: Map<string, Conn>,
    m: Model,
    tag: string,
): Promise<Map<string, { id: string; body: string }[]>> {
    const batches = new Map<string, { id: string; body: string }[]>();
    for (const q of quorumQueues(m)) {
        const batch = uniqueBatch(`${tag}-${q.name}`, 10);
        await publishConfirmed(conns.get(q.vhost) as Conn, "", q.name, batch);
        batches.set(q.label, batch);
    }
    return batches;
}

async function assertKept(
    conns: Map<string, Conn>,
    m: Model,
    batches: Map<string, { id: string; body: string }[]>,
): Promise<void> {
    for (const q of quorumQueues(m)) {
        const got = await drain(conns.get(q.vhost) as Conn, q.name);
        assert.deepEqual(
            got.map((x) => [x.id, x.body]),
            (batches.get(q.label) ?? []).map((x) => [x.id, x.body]),
            `${q.label}: every message published before the scale-up, in order`,
        );
    }
}

describe("scale-up on a 5-node RabbitMQ 4.0 cluster: quorum membership follows target-group-size", function () {
    let broker: Broker;
    let client: ManagementClient;
    const prodAt3 = (): Model => stackModel("prod", prodSizedAt(3));
    const prodAt5 = (): Model => stackModel("prod");

    before(async function () {
        broker = requireBroker(this, "cluster40", { nodes: 5, local: true });
        client = adminClient(broker);
        assert.equal((await runningNodes(client)).length, 5, "running nodes");
    });

    describe("raising quorumGroupSize from 3 to 5 (prod before and after its scale-up)", function () {
        let small: Model;
        let conns: Map<string, Conn> | undefined;

        before(async function () {
            small = prodAt3();
            conns = await freshReplay(client, broker, small);
        });

        after(async function () {
            await closeAll(conns);
            await resetBroker(client, small);
        });

        it("declares every quorum queue with 3 members and keeps it there although 5 nodes run", async function () {
            await waitForMembers(client, small, 3, 30000);
            // A reconciliation pass follows every queue declaration and policy change; it must not go past the target.
            await sleep(TRIGGER_MS + 3000);
            assert.deepEqual(await memberCounts(client, small), allAt(small, 3));
        });

        it("grows every queue to 5 by updating only its policy in place, and keeps every message", async function () {
            const batches = await fill(conns as Map<string, Conn>, small, "scaleup");
            const big = prodAt5();
            const calls = (m: Model, urn: string): string =>
                JSON.stringify(m.decls.filter((d) => d.urn === urn).map((d) => providerCalls(d)));
            assert.deepEqual(
                big.decls.map((d) => d.urn).sort(),
                small.decls.map((d) => d.urn).sort(),
                "the scale-up adds or removes topology resources",
            );
            const changed = big.decls.filter((d) => calls(big, d.urn) !== calls(small, d.urn));
            assert.deepEqual(
                changed.map((d) => d.label).sort(),
                ofKind(small, "policy")
                    .map((p) => p.label)
                    .sort(),
                "only the queues' policies change (a queue change would replace the queue and lose its messages)",
            );
            for (const d of changed) {
                const [was] = providerCalls(
                    small.decls.find((x) => x.urn === d.urn) as (typeof changed)[number],
                );
                const [now] = providerCalls(d);
                assert.equal(now.method, "PUT", `${d.label}: an update`);
                assert.equal(now.path, was.path, `${d.label}: same name and vhost, so updated in place`);
                assert.deepEqual(
                    now.body.definition,
                    { ...(was.body.definition as JsonMap), "target-group-size": 5 },
                    `${d.label}: only target-group-size changes, from 3 to 5`,
                );
            }

            assert.deepEqual(failures(await replay(client, big, (d) => changed.includes(d))), []);
            const waited = await waitForMembers(client, big, 5, 4 * TRIGGER_MS + 30000);
            await assertKept(conns as Map<string, Conn>, big, batches);
            console.log(
                `      ${quorumQueues(big).length} quorum queues: 3 -> 5 members in ${waited} ms after ${changed.length} policy PUTs; every message kept`,
            );
        });
    });

    describe("adding a node (the fifth joins after the queues exist)", function () {
        let big: Model;
        let conns: Map<string, Conn> | undefined;
        let downed = false;

        before(async function () {
            big = prodAt5();
            killNode(broker.nodes[4]);
            downed = true;
            await waitFor("4 running nodes", 60000, async () =>
                (await runningNodes(client)).length === 4 ? true : undefined,
            );
            conns = await freshReplay(client, broker, big);
        });

        after(async function () {
            await closeAll(conns);
            if (downed) {
                await restartNode(broker, 5);
            }
            await resetBroker(client, big);
        });

        it("declares 3 members, stays odd with one spare node, and grows to 5 when the fifth node is back", async function () {
            await waitForMembers(client, big, 3, 30000);
            const batches = await fill(conns as Map<string, Conn>, big, "join");
            // 4.0 adds a member to an odd group only when two nodes are free, so a group never sits at an even size.
            await sleep(TRIGGER_MS + 3000);
            assert.deepEqual(await memberCounts(client, big), allAt(big, 3));

            await restartNode(broker, 5);
            downed = false;
            const waited = await waitForMembers(client, big, 5, 4 * TRIGGER_MS + 30000);
            await assertKept(conns as Map<string, Conn>, big, batches);
            console.log(
                `      ${quorumQueues(big).length} quorum queues: 3 -> 5 members ${waited} ms after the node rejoined`,
            );
        });
    });
});
