/** A stack replayed on a broker, with admin and app connections (shared by the behaviour specs). */
import { ManagementClient, apiPath } from "../../../lib/management/client";
import { Model, ofKind } from "../../../lib/verify/model";
import { Plan } from "../../../lib/verify/plan";
import { Broker, adminClient, ensureVersion } from "./brokers";
import { Conn, connectAdmin, connectApp } from "./amqp";
import { appSecrets, modelFor, planFor } from "./plans";
import { grantAdmin, replayOrThrow, resetBroker } from "./replay";

export interface Topo {
    broker: Broker;
    client: ManagementClient;
    plan: Plan;
    model: Model;
    admin: Map<string, Conn>;
    apps: Map<string, Conn>;
}

/** Replays the stack on the broker and opens admin (per vhost) and app connections. */
export async function setUpTopology(broker: Broker, stack: string): Promise<Topo> {
    await ensureVersion(broker);
    const client = adminClient(broker);
    const plan = planFor(stack, broker.version);
    const model = modelFor(stack, broker.version);
    await resetBroker(client, model);
    await replayOrThrow(client, model);
    await grantAdmin(client, model);
    const admin = new Map<string, Conn>();
    for (const v of ofKind(model, "vhost")) {
        admin.set(v.name, await connectAdmin(broker, v.name));
    }
    const apps = new Map<string, Conn>();
    for (const s of appSecrets(plan)) {
        apps.set(s.data.username, await connectApp(broker, s));
    }
    // A test may kill the node these connections use; their errors must not crash the run.
    [...admin.values(), ...apps.values()].forEach((c) => c.on("error", () => undefined));
    return { broker, client, plan, model, admin, apps };
}

export async function tearDown(t: Topo | undefined): Promise<void> {
    if (!t) {
        return;
    }
    for (const c of [...t.admin.values(), ...t.apps.values()]) {
        await c.close().catch(() => undefined);
    }
    await resetBroker(t.client, t.model);
}

export async function purgeAll(t: Topo): Promise<void> {
    for (const q of ofKind(t.model, "queue")) {
        await t.client.ok("DELETE", `queues/${apiPath(q.vhost, q.name)}/contents`);
    }
}
