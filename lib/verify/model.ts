/**
 * The RabbitMQ objects a plan declares, with the provider's defaults applied and values converted exactly as
 * @pulumi/rabbitmq 3.3.8 (terraform-provider-rabbitmq v1.8.0 + rabbit-hole) converts them before they go on the
 * wire (rabbit-hole's JSON bodies, per resource). The replay (test/broker) sends {@link providerCalls}; `verify`
 * compares the broker's state with the same wire forms.
 */
import { randomBytes } from "crypto";
import { apiPath } from "../management/client";
import { Plan, PlanResource } from "./plan";
import { appliesToQueueType, highestPriority } from "../policyMatch";

export const T = {
    provider: "pulumi:providers:rabbitmq",
    vhost: "rabbitmq:index/vHost:VHost",
    user: "rabbitmq:index/user:User",
    permissions: "rabbitmq:index/permissions:Permissions",
    topicPermissions: "rabbitmq:index/topicPermissions:TopicPermissions",
    exchange: "rabbitmq:index/exchange:Exchange",
    queue: "rabbitmq:index/queue:Queue",
    binding: "rabbitmq:index/binding:Binding",
    policy: "rabbitmq:index/policy:Policy",
} as const;

export type JsonMap = Record<string, unknown>;

interface Base {
    urn: string;
    /** Human-readable identity used in drift reports, e.g. `queue 'engine:tasks' in vhost '/engine'`. */
    label: string;
}
export interface VhostDecl extends Base {
    kind: "vhost";
    name: string;
}
export interface UserDecl extends Base {
    kind: "user";
    name: string;
    password: string;
    tags: string[];
}
export interface PermissionsDecl extends Base {
    kind: "permissions";
    user: string;
    vhost: string;
    configure: string;
    write: string;
    read: string;
}
export interface TopicPermission {
    exchange: string;
    write: string;
    read: string;
}
export interface TopicPermissionsDecl extends Base {
    kind: "topicPermissions";
    user: string;
    vhost: string;
    permissions: TopicPermission[];
}
export interface ExchangeDecl extends Base {
    kind: "exchange";
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    autoDelete: boolean;
    /** Wire form: strings, unconverted (exchanges have no argumentsJson). */
    arguments: JsonMap;
}
export interface QueueDecl extends Base {
    kind: "queue";
    name: string;
    vhost: string;
    durable: boolean;
    autoDelete: boolean;
    /** Wire form: `arguments` strings as-is, or `argumentsJson` parsed. */
    arguments: JsonMap;
    /** classic | quorum | stream, from x-queue-type (classic when absent). */
    queueType: string;
}
export interface BindingDecl extends Base {
    kind: "binding";
    source: string;
    vhost: string;
    destination: string;
    destinationType: string;
    routingKey: string;
    arguments: JsonMap;
}
export interface PolicyDecl extends Base {
    kind: "policy";
    name: string;
    vhost: string;
    pattern: string;
    priority: number;
    applyTo: string;
    /** Wire form: integer-looking strings are integers (the provider's ParseInt rule). */
    definition: JsonMap;
}
export type Decl =
    | VhostDecl
    | UserDecl
    | PermissionsDecl
    | TopicPermissionsDecl
    | ExchangeDecl
    | QueueDecl
    | BindingDecl
    | PolicyDecl;

export interface ProviderDecl {
    urn: string;
    endpoint: string;
    username: string;
    password: string;
}

export interface Model {
    /** The declared RabbitMQ objects, in the plan's dependency order. */
    decls: Decl[];
    providers: ProviderDecl[];
    /** Problems the provider's Check would report or that make the plan unreplayable. */
    problems: string[];
}

export class ModelError extends Error {}

function str(r: PlanResource, v: unknown, key: string, dflt?: string): string {
    if (v === undefined || v === null) {
        if (dflt !== undefined) {
            return dflt;
        }
        throw new ModelError(`${r.urn}: input '${key}' is missing`);
    }
    if (typeof v !== "string") {
        throw new ModelError(`${r.urn}: input '${key}' must be a string, got ${JSON.stringify(v)}`);
    }
    return v;
}

function bool(v: unknown): boolean {
    return v === true || v === "true";
}

function obj(v: unknown): JsonMap {
    return v && typeof v === "object" && !Array.isArray(v) ? (v as JsonMap) : {};
}

/** A number or boolean in a TF map of strings reaches the provider as its string form (provider.md §1.5.5). */
function stringMap(v: unknown): JsonMap {
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(obj(v))) {
        out[k] = typeof x === "number" || typeof x === "boolean" ? String(x) : x;
    }
    return out;
}

/** Pulumi auto-naming as the bridge does it when `name` is left out: `<resource name>-<7 hex>`. */
function autoName(r: PlanResource, v: unknown): string {
    if (typeof v === "string" && v !== "") {
        return v;
    }
    return `${r.name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `strconv.ParseInt(s, 10, 64)` success test. */
export function parsesAsInt64(s: string): boolean {
    if (!/^[+-]?\d+$/.test(s)) {
        return false;
    }
    const n = BigInt(s);
    return n >= INT64_MIN && n <= INT64_MAX;
}

/** The policy definition the provider sends (TF resource_policy.go putPolicy). */
export function policyWireDefinition(definition: JsonMap): JsonMap {
    const v: JsonMap = { ...stringMap(definition) };
    if (v["ha-mode"] === "nodes" && typeof v["ha-params"] === "string") {
        v["ha-params"] = (v["ha-params"] as string).split(",");
    }
    for (const [key, val] of Object.entries(v)) {
        if (typeof val === "string" && parsesAsInt64(val)) {
            v[key] = Number(val);
        }
    }
    return v;
}

/** Queue/binding arguments as sent: `arguments` strings unchanged, or `argumentsJson` parsed. */
function wireArguments(r: PlanResource, settings: JsonMap, problems: string[]): JsonMap {
    const hasArgs = settings.arguments !== undefined && Object.keys(obj(settings.arguments)).length > 0;
    const json = settings.argumentsJson;
    if (hasArgs && typeof json === "string" && json !== "") {
        problems.push(
            `${r.urn}: 'arguments' conflicts with 'argumentsJson' (the provider's Check rejects both)`,
        );
    }
    if (typeof json === "string" && json !== "") {
        let parsed: unknown;
        try {
            parsed = JSON.parse(json);
        } catch {
            throw new ModelError(`${r.urn}: argumentsJson is not valid JSON: ${json}`);
        }
        if (parsed === null) {
            return {};
        }
        if (typeof parsed !== "object" || Array.isArray(parsed)) {
            throw new ModelError(`${r.urn}: argumentsJson must be a JSON object: ${json}`);
        }
        return parsed as JsonMap;
    }
    return stringMap(settings.arguments);
}

function toDecl(r: PlanResource, problems: string[]): Decl | undefined {
    const i = r.inputs;
    switch (r.type) {
        case T.vhost: {
            const name = autoName(r, i.name);
            return { kind: "vhost", urn: r.urn, name, label: `vhost '${name}'` };
        }
        case T.user: {
            const name = autoName(r, i.name);
            const tags = Array.isArray(i.tags) ? i.tags.map(String) : [];
            return {
                kind: "user",
                urn: r.urn,
                name,
                password: str(r, i.password, "password"),
                tags,
                label: `user '${name}'`,
            };
        }
        case T.permissions: {
            const p = obj(i.permissions);
            const user = str(r, i.user, "user");
            const vhost = str(r, i.vhost, "vhost", "/");
            return {
                kind: "permissions",
                urn: r.urn,
                user,
                vhost,
                configure: str(r, p.configure, "permissions.configure"),
                write: str(r, p.write, "permissions.write"),
                read: str(r, p.read, "permissions.read"),
                label: `permissions of user '${user}' in vhost '${vhost}'`,
            };
        }
        case T.topicPermissions: {
            const user = str(r, i.user, "user");
            const vhost = str(r, i.vhost, "vhost", "/");
            const list = Array.isArray(i.permissions) ? i.permissions : [];
            return {
                kind: "topicPermissions",
                urn: r.urn,
                user,
                vhost,
                permissions: list.map((p: unknown) => {
                    const o = obj(p);
                    return {
                        exchange: str(r, o.exchange, "permissions[].exchange", ""),
                        write: str(r, o.write, "permissions[].write", ""),
                        read: str(r, o.read, "permissions[].read", ""),
                    };
                }),
                label: `topic permissions of user '${user}' in vhost '${vhost}'`,
            };
        }
        case T.exchange: {
            const s = obj(i.settings);
            const name = autoName(r, i.name);
            const vhost = str(r, i.vhost, "vhost", "/");
            return {
                kind: "exchange",
                urn: r.urn,
                name,
                vhost,
                type: str(r, s.type, "settings.type"),
                durable: bool(s.durable),
                autoDelete: bool(s.autoDelete),
                arguments: stringMap(s.arguments),
                label: `exchange '${name}' in vhost '${vhost}'`,
            };
        }
        case T.queue: {
            const s = obj(i.settings);
            const name = autoName(r, i.name);
            const vhost = str(r, i.vhost, "vhost", "/");
            const args = wireArguments(r, s, problems);
            const qt = args["x-queue-type"];
            return {
                kind: "queue",
                urn: r.urn,
                name,
                vhost,
                durable: bool(s.durable),
                autoDelete: bool(s.autoDelete),
                arguments: args,
                queueType: typeof qt === "string" ? qt : "classic",
                label: `queue '${name}' in vhost '${vhost}'`,
            };
        }
        case T.binding: {
            const source = str(r, i.source, "source");
            const vhost = str(r, i.vhost, "vhost");
            const destination = str(r, i.destination, "destination");
            const destinationType = str(r, i.destinationType, "destinationType");
            if (destinationType !== "queue" && destinationType !== "exchange") {
                problems.push(
                    `${r.urn}: destinationType '${destinationType}' is neither 'queue' nor 'exchange'`,
                );
            }
            const routingKey = str(r, i.routingKey, "routingKey", "");
            return {
                kind: "binding",
                urn: r.urn,
                source,
                vhost,
                destination,
                destinationType,
                routingKey,
                arguments: wireArguments(r, i as JsonMap, problems),
                label: `binding ${source} -> ${destinationType} ${destination} (key '${routingKey}') in vhost '${vhost}'`,
            };
        }
        case T.policy: {
            const p = obj(i.policy);
            const name = autoName(r, i.name);
            const vhost = str(r, i.vhost, "vhost");
            if (typeof p.priority !== "number") {
                throw new ModelError(`${r.urn}: policy.priority must be a number`);
            }
            return {
                kind: "policy",
                urn: r.urn,
                name,
                vhost,
                pattern: str(r, p.pattern, "policy.pattern"),
                priority: p.priority,
                applyTo: str(r, p.applyTo, "policy.applyTo"),
                definition: policyWireDefinition(obj(p.definition)),
                label: `policy '${name}' in vhost '${vhost}'`,
            };
        }
        default:
            if (r.type.startsWith("rabbitmq:")) {
                problems.push(`${r.urn}: resource type ${r.type} is not handled by the replay/verify model`);
            }
            return undefined;
    }
}

/**
 * The plan's resources with every resource after its `dependencies` (those in the plan), in one depth-first pass:
 * linear in resources and edges, and plan order unchanged when the plan is already ordered (the SDK registers a
 * resource after its dependencies). Iterative, so a long dependency chain cannot overflow the call stack.
 */
export function dependencyOrder(resources: PlanResource[]): PlanResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const state = new Map<string, "visiting" | "done">();
    const out: PlanResource[] = [];
    for (const root of resources) {
        if (state.has(root.urn)) {
            continue;
        }
        // Each frame: a resource and the index of the next dependency to look at.
        const stack: { r: PlanResource; next: number }[] = [{ r: root, next: 0 }];
        state.set(root.urn, "visiting");
        while (stack.length > 0) {
            const frame = stack[stack.length - 1];
            if (frame.next === frame.r.dependencies.length) {
                stack.pop();
                state.set(frame.r.urn, "done");
                out.push(frame.r);
                continue;
            }
            const dep = byUrn.get(frame.r.dependencies[frame.next++]);
            if (dep === undefined || state.get(dep.urn) === "done") {
                continue;
            }
            if (state.get(dep.urn) === "visiting") {
                const cycle = stack.slice(stack.findIndex((f) => f.r.urn === dep.urn)).map((f) => f.r.urn);
                throw new ModelError(`dependency cycle among: ${[...cycle, dep.urn].join(" -> ")}`);
            }
            state.set(dep.urn, "visiting");
            stack.push({ r: dep, next: 0 });
        }
    }
    return out;
}

export function buildModel(plan: Plan): Model {
    const problems: string[] = [];
    const decls: Decl[] = [];
    const providers: ProviderDecl[] = [];
    for (const r of dependencyOrder(plan.resources)) {
        if (r.type === T.provider) {
            providers.push({
                urn: r.urn,
                endpoint: String(r.inputs.endpoint ?? ""),
                username: String(r.inputs.username ?? ""),
                password: String(r.inputs.password ?? ""),
            });
            continue;
        }
        const d = toDecl(r, problems);
        if (d) {
            decls.push(d);
        }
    }
    return { decls, providers, problems };
}

export function ofKind<K extends Decl["kind"]>(model: Model, kind: K): Extract<Decl, { kind: K }>[] {
    return model.decls.filter((d): d is Extract<Decl, { kind: K }> => d.kind === kind);
}

export interface ProviderCall {
    method: "PUT" | "POST" | "DELETE";
    /** Path after `/api/`, escaped like rabbit-hole does. */
    path: string;
    body: JsonMap;
}

/** The body of an exchange or queue declaration: auto_delete and arguments only when set, as the provider sends it. */
function declareBody(type: string, d: ExchangeDecl | QueueDecl): JsonMap {
    const body: JsonMap = { type, durable: d.durable };
    if (d.autoDelete) {
        body.auto_delete = true;
    }
    if (Object.keys(d.arguments).length > 0) {
        body.arguments = d.arguments;
    }
    return body;
}

/** The exact HTTP calls @pulumi/rabbitmq 3.3.8 makes to create a declared object. */
export function providerCalls(d: Decl): ProviderCall[] {
    switch (d.kind) {
        case "vhost":
            return [
                {
                    method: "PUT",
                    path: "vhosts/" + apiPath(d.name),
                    body: { description: "", tags: "", tracing: false },
                },
            ];
        case "user": {
            const body: JsonMap = { name: "", tags: d.tags.join(",") };
            if (d.password !== "") {
                body.password = d.password;
            }
            return [{ method: "PUT", path: "users/" + apiPath(d.name), body }];
        }
        case "permissions":
            return [
                {
                    method: "PUT",
                    path: "permissions/" + apiPath(d.vhost, d.user),
                    body: { configure: d.configure, write: d.write, read: d.read },
                },
            ];
        case "topicPermissions":
            return d.permissions.map((p) => ({
                method: "PUT",
                path: "topic-permissions/" + apiPath(d.vhost, d.user),
                body: { exchange: p.exchange, write: p.write, read: p.read },
            }));
        case "exchange":
            return [
                {
                    method: "PUT",
                    path: "exchanges/" + apiPath(d.vhost, d.name),
                    body: declareBody(d.type, d),
                },
            ];
        case "queue":
            // The provider sends an empty type for queues: the broker takes it from x-queue-type.
            return [{ method: "PUT", path: "queues/" + apiPath(d.vhost, d.name), body: declareBody("", d) }];
        case "binding": {
            const dest = d.destinationType === "queue" ? "q" : "e";
            return [
                {
                    method: "POST",
                    path: `bindings/${apiPath(d.vhost)}/e/${apiPath(d.source)}/${dest}/${apiPath(d.destination)}`,
                    body: {
                        source: d.source,
                        vhost: d.vhost,
                        destination: d.destination,
                        destination_type: d.destinationType,
                        routing_key: d.routingKey,
                        arguments: d.arguments,
                    },
                },
            ];
        }
        case "policy":
            return [
                {
                    method: "PUT",
                    path: "policies/" + apiPath(d.vhost, d.name),
                    body: {
                        vhost: d.vhost,
                        pattern: d.pattern,
                        "apply-to": d.applyTo,
                        name: d.name,
                        priority: d.priority,
                        definition: d.definition,
                    },
                },
            ];
        default: {
            const never: never = d;
            throw new ModelError(`unhandled declaration ${JSON.stringify(never)}`);
        }
    }
}

/** Erlang `re` patterns as used by RabbitMQ (policy patterns, permission regexes) read as JS regexes. */
export function erlangRegex(pattern: string): RegExp {
    return new RegExp(pattern);
}

/** Which declared policy RabbitMQ applies to a queue: highest priority among matching ones (ties: the broker picks). */
export function effectivePolicy(model: Model, q: QueueDecl): PolicyDecl | undefined {
    return highestPriority(
        ofKind(model, "policy").filter(
            (p) =>
                p.vhost === q.vhost &&
                appliesToQueueType(p.applyTo, q.queueType) &&
                erlangRegex(p.pattern).test(q.name),
        ),
    );
}
