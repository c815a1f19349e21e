/**
 * Read-only comparison of a broker's state with a plan's declared RabbitMQ objects (wire forms from model.ts).
 * Every difference is one {@link Drift} naming the object, the field, what is declared and what the broker has.
 */
import { ManagementClient, apiPath } from "../management/client";
import { Decl, JsonMap, Model, PolicyDecl, QueueDecl, effectivePolicy, erlangRegex, ofKind } from "./model";

export interface Drift {
    /** The declared object (plan URN), or undefined for something found on the broker that nobody declared. */
    urn?: string;
    what: string;
    problem: string;
}

export interface VerifyReport {
    checked: number;
    drift: Drift[];
    notes: string[];
}

/** Order-insensitive deep equality for JSON values (numbers compared by value: the broker returns 3 for 3). */
export function jsonEqual(a: unknown, b: unknown): boolean {
    if (a === b) {
        return true;
    }
    if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
        return false;
    }
    if (Array.isArray(a) !== Array.isArray(b)) {
        return false;
    }
    if (Array.isArray(a)) {
        const bb = b as unknown[];
        return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
    }
    const ao = a as JsonMap;
    const bo = b as JsonMap;
    const ak = Object.keys(ao).sort();
    const bk = Object.keys(bo).sort();
    return jsonEqual(ak, bk) && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

const show = (v: unknown): string => JSON.stringify(v);

export interface BrokerQueue {
    name: string;
    durable: boolean;
    auto_delete: boolean;
    arguments: JsonMap;
    type?: string;
    policy?: string | null;
    effective_policy_definition?: JsonMap | [];
    members?: string[];
    online?: string[];
    leader?: string;
    node?: string;
    messages?: number;
    messages_ready?: number;
    messages_unacknowledged?: number;
}
interface BrokerBinding {
    source: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: JsonMap;
}

/**
 * GET a queue, waiting (up to `waitMs`) until the broker has emitted its statistics: until then the management
 * API leaves out `policy` and the message counts (they arrive every collect_statistics_interval, 5 s by default).
 */
export async function getQueue(
    client: ManagementClient,
    vhost: string,
    name: string,
    waitMs = 15000,
): Promise<BrokerQueue | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
        const q = await client.getOrNull<BrokerQueue>("queues/" + apiPath(vhost, name));
        if (!q || "policy" in q || Date.now() > deadline) {
            return q;
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

export async function runningNodes(client: ManagementClient): Promise<string[]> {
    const nodes = await client.get<{ name: string; running: boolean }[]>("nodes");
    return nodes.filter((n) => n.running).map((n) => n.name);
}

/** The queue type the broker reports (3.10+: `type`; falls back to x-queue-type). */
function brokerQueueType(q: BrokerQueue): string {
    if (typeof q.type === "string") {
        return q.type;
    }
    const t = q.arguments?.["x-queue-type"];
    return typeof t === "string" ? t : "classic";
}

/**
 * A quorum queue's declared group size and where it comes from: the `target-group-size` of the policy in effect
 * (RabbitMQ 4, kept by membership reconciliation) or the `x-quorum-initial-group-size` argument (3.x).
 */
export function declaredGroupSize(model: Model, q: QueueDecl): { size: number; source: string } | undefined {
    const target = effectivePolicy(model, q)?.definition["target-group-size"];
    if (typeof target === "number") {
        return { size: target, source: "target-group-size" };
    }
    const initial = q.arguments["x-quorum-initial-group-size"];
    return typeof initial === "number" ? { size: initial, source: "initial group size" } : undefined;
}

/** Expected quorum members: the declared group size, capped by the running cluster size (RabbitMQ's rule). */
export function expectedMembers(model: Model, q: QueueDecl, clusterSize: number): number | undefined {
    const g = declaredGroupSize(model, q);
    return g === undefined ? undefined : Math.min(g.size, clusterSize);
}

async function checkDecl(
    client: ManagementClient,
    model: Model,
    d: Decl,
    clusterSize: number,
    out: Drift[],
): Promise<void> {
    const add = (problem: string): void => {
        out.push({ urn: d.urn, what: d.label, problem });
    };
    const field = (name: string, want: unknown, got: unknown): void => {
        if (!jsonEqual(want, got)) {
            add(`${name} is ${show(got)}, declared ${show(want)}`);
        }
    };
    switch (d.kind) {
        case "vhost": {
            const v = await client.getOrNull("vhosts/" + apiPath(d.name));
            if (!v) {
                add("missing");
            }
            return;
        }
        case "user": {
            const u = await client.getOrNull<{ tags: string | string[] }>("users/" + apiPath(d.name));
            if (!u) {
                add("missing");
                return;
            }
            const tags = (Array.isArray(u.tags) ? u.tags : u.tags.split(",")).filter((t) => t !== "");
            field("tags", [...d.tags].sort(), [...tags].sort());
            return;
        }
        case "permissions": {
            const p = await client.getOrNull<JsonMap>("permissions/" + apiPath(d.vhost, d.user));
            if (!p) {
                add("missing");
                return;
            }
            field("configure", d.configure, p.configure);
            field("write", d.write, p.write);
            field("read", d.read, p.read);
            return;
        }
        case "topicPermissions": {
            const list =
                (await client.getOrNull<JsonMap[]>("topic-permissions/" + apiPath(d.vhost, d.user))) ?? [];
            const got = list.map((p) => ({ exchange: p.exchange, write: p.write, read: p.read }));
            const key = (p: JsonMap): string => show([p.exchange, p.write, p.read]);
            const want = d.permissions.map((p) => ({ ...p }));
            field("topic permissions", want.map(key).sort(), got.map(key).sort());
            return;
        }
        case "exchange": {
            const e = await client.getOrNull<JsonMap>("exchanges/" + apiPath(d.vhost, d.name));
            if (!e) {
                add("missing");
                return;
            }
            field("type", d.type, e.type);
            field("durable", d.durable, e.durable);
            field("auto_delete", d.autoDelete, e.auto_delete);
            field("arguments", d.arguments, e.arguments ?? {});
            return;
        }
        case "queue": {
            const q = await getQueue(client, d.vhost, d.name);
            if (!q) {
                add("missing");
                return;
            }
            field("type", d.queueType, brokerQueueType(q));
            field("durable", d.durable, q.durable);
            field("auto_delete", d.autoDelete, q.auto_delete);
            field("arguments", d.arguments, q.arguments ?? {});
            if (d.queueType === "quorum") {
                const group = declaredGroupSize(model, d);
                const want = expectedMembers(model, d, clusterSize);
                const members = q.members ?? [];
                const online = (q.online ?? []).filter((m) => members.includes(m));
                if (group !== undefined && want !== undefined && members.length < want) {
                    add(
                        `has ${members.length} quorum member(s) ${show(members)}, expected ${want} (${group.source} ${group.size} on ${clusterSize} running node(s))`,
                    );
                }
                if (online.length < members.length) {
                    const offline = members.filter((m) => !online.includes(m));
                    add(
                        `quorum member(s) offline: ${show(offline)} (online ${online.length} of ${members.length})`,
                    );
                }
            }
            const pol = effectivePolicy(model, d);
            if (pol && q.policy !== pol.name) {
                add(
                    `effective policy is ${show(q.policy ?? null)}, declared policy '${pol.name}' should apply`,
                );
            }
            return;
        }
        case "binding": {
            const dest = d.destinationType === "queue" ? "q" : "e";
            const list = await client.get<BrokerBinding[]>(
                `bindings/${apiPath(d.vhost)}/e/${apiPath(d.source)}/${dest}/${apiPath(d.destination)}`,
            );
            const match = list.find(
                (b) => b.routing_key === d.routingKey && jsonEqual(d.arguments, b.arguments ?? {}),
            );
            if (!match) {
                const keys = list.map((b) => b.routing_key);
                add(`missing${keys.length ? ` (the broker binds with key(s) ${show(keys)} instead)` : ""}`);
            }
            return;
        }
        case "policy": {
            const p = await client.getOrNull<JsonMap>("policies/" + apiPath(d.vhost, d.name));
            if (!p) {
                add("missing");
                return;
            }
            field("pattern", d.pattern, p.pattern);
            field("apply-to", d.applyTo, p["apply-to"]);
            field("priority", d.priority, p.priority);
            const def = (p.definition ?? {}) as JsonMap;
            for (const k of new Set([...Object.keys(d.definition), ...Object.keys(def)])) {
                if (!jsonEqual(d.definition[k], def[k])) {
                    add(
                        `definition '${k}' is ${k in def ? show(def[k]) : "absent"}, declared ${k in d.definition ? show(d.definition[k]) : "absent"}`,
                    );
                }
            }
            return;
        }
        default: {
            const never: never = d;
            throw new Error(`unhandled ${show(never)}`);
        }
    }
}

/** Things on the broker that widen what was declared: extra bindings on declared exchanges, extra grants. */
async function checkUndeclared(client: ManagementClient, model: Model, out: Drift[]): Promise<void> {
    const bindings = ofKind(model, "binding");
    for (const e of ofKind(model, "exchange")) {
        const list = await client.getOrNull<BrokerBinding[]>(
            `exchanges/${apiPath(e.vhost, e.name)}/bindings/source`,
        );
        for (const b of list ?? []) {
            const declared = bindings.some(
                (d) =>
                    d.vhost === e.vhost &&
                    d.source === b.source &&
                    d.destination === b.destination &&
                    (d.destinationType === "queue" ? "queue" : "exchange") === b.destination_type &&
                    d.routingKey === b.routing_key,
            );
            if (!declared) {
                out.push({
                    what: `binding ${b.source} -> ${b.destination_type} ${b.destination} (key '${b.routing_key}') in vhost '${e.vhost}'`,
                    problem: "exists on the broker but is not declared",
                });
            }
        }
    }
    const perms = ofKind(model, "permissions");
    for (const u of ofKind(model, "user")) {
        const list = await client.getOrNull<{ vhost: string }[]>(`users/${apiPath(u.name)}/permissions`);
        for (const p of list ?? []) {
            if (!perms.some((d) => d.user === u.name && d.vhost === p.vhost)) {
                out.push({
                    what: `permissions of user '${u.name}' in vhost '${p.vhost}'`,
                    problem: "granted on the broker but not declared",
                });
            }
        }
    }
}

export async function verifyBroker(client: ManagementClient, model: Model): Promise<VerifyReport> {
    const drift: Drift[] = [];
    const notes: string[] = [];
    const nodes = await runningNodes(client);
    for (const q of ofKind(model, "queue")) {
        const g = declaredGroupSize(model, q);
        if (g !== undefined && g.size > nodes.length) {
            notes.push(
                `${q.label}: ${g.source} ${g.size} > ${nodes.length} running node(s): expecting ${nodes.length} members`,
            );
        }
    }
    for (const d of model.decls) {
        await checkDecl(client, model, d, nodes.length, drift);
    }
    await checkUndeclared(client, model, drift);
    return { checked: model.decls.length, drift, notes };
}

/** Declared policies whose pattern matches no declared queue or exchange (they would silently do nothing). */
export function unusedPolicies(model: Model): PolicyDecl[] {
    const names = [...ofKind(model, "queue"), ...ofKind(model, "exchange")];
    return ofKind(model, "policy").filter(
        (p) => !names.some((n) => n.vhost === p.vhost && erlangRegex(p.pattern).test(n.name)),
    );
}
