/**
 * Change without loss: re-render the stack with a changed delivery limit (a modified topology file through
 * `--config-file`), apply what changed the way the provider would, and check that only the policy is updated in
 * place while every message already in the queue is still there.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { JsonMap, Model, effectivePolicy, ofKind, providerCalls } from "../../lib/verify/model";
import { getQueue } from "../../lib/verify/verify";
import { readYamlFile, toYaml } from "../../lib/yaml";
import { BrokerId, ensureVersion, repoRoot, requireBroker } from "./support/brokers";
import { Conn, drain, publishConfirmed, uniqueBatch } from "./support/amqp";
import { publishRouteTo } from "./support/expect";
import { stackModel, variantConfigFile } from "./support/plans";
import { failures, replay } from "./support/replay";
import { Topo, setUpTopology, tearDown } from "./support/topo";

interface TopologyFile {
    vhosts: { name: string; queues: { name: string; deliveryLimit?: number }[] }[];
}

/** A stack config file whose topology file has `queue`'s delivery limit set to `limit`. */
function changedStack(
    stack: string,
    brokerVersion: string,
    vhost: string,
    queue: string,
    limit: number,
): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "change-"));
    const topo = readYamlFile(path.join(repoRoot, "topology.yaml")) as TopologyFile;
    const q = topo.vhosts.find((v) => v.name === vhost)?.queues.find((x) => x.name === queue);
    assert.ok(q, `topology.yaml has no queue ${queue} in ${vhost}`);
    q.deliveryLimit = limit;
    fs.writeFileSync(path.join(dir, "topology.yaml"), toYaml(topo));
    const base = variantConfigFile(stack, brokerVersion) ?? path.join(repoRoot, `Pulumi.${stack}.yaml`);
    const doc = readYamlFile(base) as { config: JsonMap };
    doc.config["rabbitmq-platform:topologyFile"] = path.join(dir, "topology.yaml");
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, toYaml(doc));
    return file;
}

const targets: BrokerId[] = ["single310", "single40"];

describe("changing a mutable setting through the stack keeps every message", function () {
    for (const id of targets) {
        describe(`stack dev on ${id}`, function () {
            let t: Topo;

            before(async function () {
                t = await setUpTopology(await ensureVersion(requireBroker(this, id)), "dev");
            });

            after(async function () {
                await tearDown(t);
            });

            it("updates the queue's policy in place (same PUT), replaces nothing, and loses no message", async function () {
                const queue = ofKind(t.model, "queue").find((q) => q.name === "documento.deletion.queue");
                assert.ok(queue, "ADR-0004's documento.deletion.queue is in the plan");
                const before = effectivePolicy(t.model, queue);
                const oldLimit = before?.definition["delivery-limit"];
                assert.equal(typeof oldLimit, "number", `${queue.label}: no delivery limit policy`);
                const newLimit = (oldLimit as number) + 4;

                const batch = uniqueBatch("change", 20);
                const route = publishRouteTo(t.model, queue);
                await publishConfirmed(t.admin.get(queue.vhost) as Conn, route.exchange, route.key, batch);

                const changed: Model = stackModel(
                    "dev",
                    changedStack("dev", t.broker.version, queue.vhost, queue.name, newLimit),
                );
                const calls = (m: Model, urn: string): string =>
                    JSON.stringify(m.decls.filter((d) => d.urn === urn).map((d) => providerCalls(d)));
                assert.deepEqual(
                    changed.decls.map((d) => d.urn).sort(),
                    t.model.decls.map((d) => d.urn).sort(),
                    "the change adds or removes resources",
                );
                const diff = changed.decls.filter((d) => calls(changed, d.urn) !== calls(t.model, d.urn));
                assert.deepEqual(
                    diff.map((d) => d.label),
                    [before?.label],
                    "only the queue's policy changes (queues are ForceNew: a queue change would replace it and lose messages)",
                );
                const [oldCall] = providerCalls(before as NonNullable<typeof before>);
                const [newCall] = providerCalls(diff[0]);
                assert.equal(newCall.method, "PUT");
                assert.equal(
                    newCall.path,
                    oldCall.path,
                    "same policy name and vhost: an in-place update, not a replacement",
                );

                const results = await replay(t.client, changed, (d) => d.urn === diff[0].urn);
                assert.deepEqual(failures(results), []);
                const q = await getQueue(t.client, queue.vhost, queue.name);
                const deadline = Date.now() + 15000;
                let eff = q?.effective_policy_definition as JsonMap | undefined;
                while (eff?.["delivery-limit"] !== newLimit && Date.now() < deadline) {
                    await new Promise((r) => setTimeout(r, 250));
                    eff = (await getQueue(t.client, queue.vhost, queue.name))
                        ?.effective_policy_definition as JsonMap;
                }
                assert.equal(
                    eff?.["delivery-limit"],
                    newLimit,
                    "the broker applies the new delivery limit to the existing queue",
                );

                const consumer = ofKind(t.model, "permissions").find(
                    (p) => p.vhost === queue.vhost && new RegExp(p.read).test(queue.name),
                );
                const conn = (consumer && t.apps.get(consumer.user)) || (t.admin.get(queue.vhost) as Conn);
                const got = await drain(conn, queue.name);
                assert.deepEqual(
                    got.map((m) => [m.id, m.body]),
                    batch.map((m) => [m.id, m.body]),
                    "every message published before the change is still in the queue, in order, unchanged",
                );
                console.log(
                    `      ${queue.name}: delivery-limit ${String(oldLimit)} -> ${newLimit} by PUT /api/${newCall.path}; ${got.length}/${batch.length} messages kept`,
                );
            });
        });
    }
});
