/**
 * The messaging topology of a rendered stack as a Mermaid diagram, derived from the plan (what `pulumi up` would
 * create), never from topology.yaml: a diagram can only show what the program really registers.
 *
 * Semantics follow RabbitMQ's own rules: a queue's effective limits come from its arguments and the
 * highest-priority policy whose pattern matches it (plus operator policies, where the lower number wins); a user
 * may publish to an exchange its `write` permission matches (narrowed per routing key by topic permissions) and
 * consume from a queue its `read` permission matches.
 */
import type { Plan, PlanResource } from "./render";
import { appliesToQueueType, highestPriority } from "./policyMatch";

export const EXCHANGE_TYPE = "rabbitmq:index/exchange:Exchange";
export const QUEUE_TYPE = "rabbitmq:index/queue:Queue";
export const BINDING_TYPE = "rabbitmq:index/binding:Binding";
export const POLICY_TYPE = "rabbitmq:index/policy:Policy";
export const OPERATOR_POLICY_TYPE = "rabbitmq:index/operatorPolicy:OperatorPolicy";
export const PERMISSIONS_TYPE = "rabbitmq:index/permissions:Permissions";
export const TOPIC_PERMISSIONS_TYPE = "rabbitmq:index/topicPermissions:TopicPermissions";
export const VHOST_TYPE = "rabbitmq:index/vHost:VHost";

/** The name RabbitMQ checks `write` permissions against when a client publishes to the default exchange. */
export const DEFAULT_EXCHANGE_PERMISSION_NAME = "amq.default";

export interface ExchangeNode {
    name: string;
    type: string;
}

export interface DeadLetterRoute {
    exchange: string;
    /** Absent: messages keep their original routing key. */
    routingKey?: string;
}

export interface QueueNode {
    name: string;
    /** `quorum`, `classic` or `stream` (x-queue-type; classic when absent, as RabbitMQ defaults). */
    type: string;
    /** Effective limits as `key value`, in a fixed order (group size, delivery limit, lengths, TTLs, overflow). */
    limits: string[];
    /** The policy that applies, if any. */
    policy?: string;
    deadLetter?: DeadLetterRoute;
}

export interface BindingEdge {
    exchange: string;
    destination: string;
    destinationType: "queue" | "exchange";
    routingKey: string;
}

export interface PublishGrant {
    exchange: string;
    /** Routing-key regex from a topic permission; absent when any key is allowed. */
    routingKeys?: string;
}

export interface UserNode {
    name: string;
    publishes: PublishGrant[];
    consumes: string[];
    /** The `configure` regex when it allows anything (apps normally get `^$`). */
    configure?: string;
}

export interface VhostTopology {
    name: string;
    exchanges: ExchangeNode[];
    queues: QueueNode[];
    bindings: BindingEdge[];
    users: UserNode[];
}

export interface Topology {
    vhosts: VhostTopology[];
}

/** Thrown when the plan holds something the diagram cannot represent faithfully. */
export class DiagramError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DiagramError";
    }
}

type Inputs = Record<string, unknown>;

function record(value: unknown): Inputs {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Inputs) : {};
}

function text(r: PlanResource, ...pathParts: string[]): string {
    let value: unknown = r.inputs;
    for (const part of pathParts) {
        value = record(value)[part];
    }
    if (typeof value !== "string") {
        throw new DiagramError(
            `${r.type} ${r.name}: \`${pathParts.join(".")}\` is ${value === undefined ? "missing" : JSON.stringify(value)}, ` +
                "not a known string; render the plan without --preview so names are known.",
        );
    }
    return value;
}

function optionalText(r: PlanResource, ...pathParts: string[]): string | undefined {
    let value: unknown = r.inputs;
    for (const part of pathParts) {
        value = record(value)[part];
    }
    return typeof value === "string" ? value : undefined;
}

/** Erlang's `re` and JavaScript agree on the anchored alternations the platform generates. */
function regex(r: PlanResource, source: string): RegExp {
    try {
        return new RegExp(source);
    } catch {
        throw new DiagramError(
            `${r.type} ${r.name}: ${JSON.stringify(source)} is not a valid regular expression.`,
        );
    }
}

interface PolicyInfo {
    name: string;
    pattern: RegExp;
    applyTo: string;
    priority: number;
    definition: Inputs;
    operator: boolean;
}

function policyInfo(r: PlanResource): PolicyInfo {
    const policy = record(r.inputs.policy);
    const priority = Number(policy.priority ?? 0);
    return {
        name: text(r, "name"),
        pattern: regex(r, text(r, "policy", "pattern")),
        applyTo: typeof policy.applyTo === "string" ? policy.applyTo : "all",
        priority: Number.isFinite(priority) ? priority : 0,
        definition: record(policy.definition),
        operator: r.type === OPERATOR_POLICY_TYPE,
    };
}

/** Limits shown on a queue, in display order, with how several sources combine. */
const LIMITS: { key: string; label: string; numeric: boolean }[] = [
    { key: "delivery-limit", label: "delivery-limit", numeric: true },
    { key: "max-length", label: "max-length", numeric: true },
    { key: "max-length-bytes", label: "max-length-bytes", numeric: true },
    { key: "message-ttl", label: "message-ttl", numeric: true },
    { key: "expires", label: "expires", numeric: true },
    { key: "overflow", label: "overflow", numeric: false },
    { key: "dead-letter-strategy", label: "dead-letter-strategy", numeric: false },
];

/**
 * Numeric limits: the lowest of argument, policy and operator policy applies. A negative delivery limit means "no
 * limit" (RabbitMQ 4 turns off its default of 20 that way), so it only applies when no source sets a real limit.
 * Non-numeric settings: the argument overrides the policy.
 */
function effectiveValue(key: string, numeric: boolean, candidates: string[]): string {
    if (!numeric) {
        return candidates[0];
    }
    const numbers = candidates.map(Number);
    if (key === "delivery-limit") {
        const real = numbers.filter((n) => n >= 0);
        return real.length > 0 ? String(Math.min(...real)) : "unlimited";
    }
    return String(Math.min(...numbers));
}

function scalar(value: unknown): string | undefined {
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : undefined;
}

/**
 * The members a quorum queue is kept at: with a target (RabbitMQ 4), membership reconciliation grows the queue to
 * the largest of the `x-quorum-target-group-size` argument and the policy's and operator policy's
 * `target-group-size`; without one, the queue keeps the `x-quorum-initial-group-size` it was declared with.
 */
function groupSize(args: Inputs, policy?: PolicyInfo, operatorPolicy?: PolicyInfo): string | undefined {
    const targets = [
        scalar(args["x-quorum-target-group-size"]),
        scalar(policy?.definition["target-group-size"]),
        scalar(operatorPolicy?.definition["target-group-size"]),
    ].filter((v): v is string => v !== undefined);
    return targets.length > 0
        ? String(Math.max(...targets.map(Number)))
        : scalar(args["x-quorum-initial-group-size"]);
}

function queueNode(r: PlanResource, policies: PolicyInfo[]): QueueNode {
    const name = text(r, "name");
    const settings = record(r.inputs.settings);
    let args: Inputs = {};
    if (typeof settings.argumentsJson === "string" && settings.argumentsJson !== "") {
        args = record(JSON.parse(settings.argumentsJson));
    }
    args = { ...record(settings.arguments), ...args };
    const type = scalar(args["x-queue-type"]) ?? "classic";
    const matching = policies.filter((p) => appliesToQueueType(p.applyTo, type) && p.pattern.test(name));
    const policy = highestPriority(matching.filter((p) => !p.operator));
    const operatorPolicy = highestPriority(matching.filter((p) => p.operator));

    const limits: string[] = [];
    const group = groupSize(args, policy, operatorPolicy);
    if (group !== undefined) {
        limits.push(`group ${group}`);
    }
    for (const limit of LIMITS) {
        const candidates = [
            scalar(args[`x-${limit.key}`]),
            scalar(policy?.definition[limit.key]),
            scalar(operatorPolicy?.definition[limit.key]),
        ].filter((v): v is string => v !== undefined);
        if (candidates.length === 0) {
            continue;
        }
        limits.push(`${limit.label} ${effectiveValue(limit.key, limit.numeric, candidates)}`);
    }
    const dlx = scalar(args["x-dead-letter-exchange"]) ?? scalar(policy?.definition["dead-letter-exchange"]);
    const dlk =
        scalar(args["x-dead-letter-routing-key"]) ?? scalar(policy?.definition["dead-letter-routing-key"]);
    return {
        name,
        type,
        limits,
        ...(policy === undefined ? {} : { policy: policy.name }),
        ...(dlx === undefined
            ? {}
            : { deadLetter: { exchange: dlx, ...(dlk === undefined ? {} : { routingKey: dlk }) } }),
    };
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

/** Reads the topology the plan would create, vhost by vhost, sorted by name so the output is stable. */
export function topologyFromPlan(plan: Plan): Topology {
    const rabbit = plan.resources.filter((r) => r.type.startsWith("rabbitmq:index/"));
    const vhostNames = new Set<string>();
    for (const r of rabbit) {
        if (r.type === VHOST_TYPE) {
            vhostNames.add(text(r, "name"));
        } else if (typeof r.inputs.vhost === "string") {
            vhostNames.add(r.inputs.vhost);
        }
    }
    const inVhost = (type: string, vhost: string) =>
        rabbit.filter((r) => r.type === type && optionalText(r, "vhost") === vhost);

    const vhosts = [...vhostNames].sort().map((vhost): VhostTopology => {
        const exchanges = inVhost(EXCHANGE_TYPE, vhost)
            .map((r) => ({ name: text(r, "name"), type: optionalText(r, "settings", "type") ?? "direct" }))
            .sort(byName);
        const policies = [...inVhost(POLICY_TYPE, vhost), ...inVhost(OPERATOR_POLICY_TYPE, vhost)].map(
            policyInfo,
        );
        const queues = inVhost(QUEUE_TYPE, vhost)
            .map((r) => queueNode(r, policies))
            .sort(byName);
        const bindings = inVhost(BINDING_TYPE, vhost)
            .map((r): BindingEdge => ({
                exchange: text(r, "source"),
                destination: text(r, "destination"),
                destinationType: optionalText(r, "destinationType") === "exchange" ? "exchange" : "queue",
                routingKey: optionalText(r, "routingKey") ?? "",
            }))
            .sort(
                (a, b) =>
                    a.exchange.localeCompare(b.exchange) ||
                    a.destination.localeCompare(b.destination) ||
                    a.routingKey.localeCompare(b.routingKey),
            );
        const topic = new Map<string, PlanResource>();
        for (const r of inVhost(TOPIC_PERMISSIONS_TYPE, vhost)) {
            topic.set(text(r, "user"), r);
        }
        const publishTargets = [...exchanges.map((e) => e.name), DEFAULT_EXCHANGE_PERMISSION_NAME];
        const users = inVhost(PERMISSIONS_TYPE, vhost)
            .map((r): UserNode => {
                const name = text(r, "user");
                const write = regex(r, text(r, "permissions", "write"));
                const read = regex(r, text(r, "permissions", "read"));
                const configure = text(r, "permissions", "configure");
                const topicRules = topic.get(name);
                const topicEntries = Array.isArray(topicRules?.inputs.permissions)
                    ? topicRules.inputs.permissions.map(record)
                    : [];
                const exchangeTypes = new Map(exchanges.map((e) => [e.name, e.type]));
                const publishes = publishTargets
                    .filter((x) => write.test(x))
                    .map((exchange): PublishGrant => {
                        // Topic permissions only constrain topic exchanges.
                        const rule = topicEntries.find((t) => t.exchange === exchange);
                        const keys = typeof rule?.write === "string" ? rule.write : undefined;
                        return exchangeTypes.get(exchange) === "topic" && keys !== undefined
                            ? { exchange, routingKeys: keys }
                            : { exchange };
                    });
                return {
                    name,
                    publishes,
                    consumes: queues.map((q) => q.name).filter((q) => read.test(q)),
                    ...(configure === "^$" || configure === "" ? {} : { configure }),
                };
            })
            .sort(byName);
        return { name: vhost, exchanges, queues, bindings, users };
    });
    return { vhosts };
}

/** Mermaid label text: quoted, with the characters that end a label or an edge written as entity codes. */
export function mermaidLabel(value: string): string {
    return value.replace(/[#"|<>[\]{}()]/g, (c) => `#${c.charCodeAt(0)};`);
}

const BR = "<br/>";

/** The Mermaid flowchart (no fences). Every id is positional (`v<i>_x<j>`), so names never need escaping in ids. */
export function renderMermaid(topology: Topology): string {
    const lines = ["flowchart LR"];
    topology.vhosts.forEach((v, i) => {
        const ids = new Map<string, string>();
        const exchangeId = (name: string) => ids.get(`x:${name}`);
        const queueId = (name: string) => ids.get(`q:${name}`);
        lines.push(`    subgraph v${i}["vhost ${mermaidLabel(v.name)}"]`, "        direction LR");
        v.exchanges.forEach((e, j) => {
            const id = `v${i}_x${j}`;
            ids.set(`x:${e.name}`, id);
            lines.push(
                `        ${id}{{"${mermaidLabel(e.name)}${BR}${mermaidLabel(e.type)} exchange"}}:::exchange`,
            );
        });
        const usesDefault = v.users.some((u) =>
            u.publishes.some((p) => p.exchange === DEFAULT_EXCHANGE_PERMISSION_NAME),
        );
        if (usesDefault) {
            ids.set(`x:${DEFAULT_EXCHANGE_PERMISSION_NAME}`, `v${i}_xdefault`);
            lines.push(
                `        v${i}_xdefault{{"default exchange${BR}routes to every queue by name"}}:::exchange`,
            );
        }
        v.queues.forEach((q, j) => {
            const id = `v${i}_q${j}`;
            ids.set(`q:${q.name}`, id);
            const details = [`${q.type} queue`, ...q.limits].map(mermaidLabel);
            const lines2 = [
                mermaidLabel(q.name),
                details.slice(0, 2).join(", "),
                ...chunk(details.slice(2), 2),
            ];
            lines.push(`        ${id}[("${lines2.join(BR)}")]:::queue`);
        });
        v.users.forEach((u, j) => {
            const id = `v${i}_u${j}`;
            ids.set(`u:${u.name}`, id);
            const extra = u.configure === undefined ? "" : `${BR}configure ${mermaidLabel(u.configure)}`;
            lines.push(`        ${id}(["user ${mermaidLabel(u.name)}${extra}"]):::user`);
        });
        for (const b of v.bindings) {
            const from = exchangeId(b.exchange);
            const to = b.destinationType === "exchange" ? exchangeId(b.destination) : queueId(b.destination);
            if (from === undefined || to === undefined) {
                throw new DiagramError(
                    `binding ${b.exchange} -> ${b.destination} in vhost ${v.name} refers to an object the plan does not create.`,
                );
            }
            lines.push(
                b.routingKey === ""
                    ? `        ${from} --> ${to}`
                    : `        ${from} -->|"${mermaidLabel(b.routingKey)}"| ${to}`,
            );
        }
        for (const q of v.queues) {
            if (q.deadLetter === undefined) {
                continue;
            }
            const to = exchangeId(q.deadLetter.exchange);
            const label = `dead letters${q.deadLetter.routingKey === undefined ? "" : ` as ${q.deadLetter.routingKey}`}`;
            // A dead-letter exchange outside the plan (or in another vhost) is a broken route: show it as one.
            const target = to ?? `v${i}_missing_${v.queues.indexOf(q)}`;
            if (to === undefined) {
                lines.push(
                    `        ${target}{{"MISSING ${mermaidLabel(q.deadLetter.exchange)}${BR}messages are dropped"}}:::missing`,
                );
            }
            lines.push(`        ${queueId(q.name)} -.->|"${mermaidLabel(label)}"| ${target}`);
        }
        for (const u of v.users) {
            for (const p of u.publishes) {
                const label = p.routingKeys === undefined ? "publish" : `publish ${p.routingKeys}`;
                lines.push(
                    `        ${ids.get(`u:${u.name}`)} ==>|"${mermaidLabel(label)}"| ${exchangeId(p.exchange)}`,
                );
            }
            for (const q of u.consumes) {
                lines.push(`        ${queueId(q)} ==>|"consume"| ${ids.get(`u:${u.name}`)}`);
            }
        }
        lines.push("    end");
    });
    lines.push(
        "    classDef exchange fill:#fff4dd,stroke:#c98a00",
        "    classDef queue fill:#e6f0ff,stroke:#3a6fc4",
        "    classDef user fill:#eaf7ea,stroke:#3c8c3c",
        "    classDef missing fill:#ffe0e0,stroke:#c00000",
    );
    return lines.join("\n");
}

function chunk(items: string[], size: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < items.length; i += size) {
        out.push(items.slice(i, i + size).join(", "));
    }
    return out;
}

/** A plain table of the same facts, readable where Mermaid is not rendered. */
export function renderQueueTable(topology: Topology): string {
    const rows = [
        "| vhost | queue | type | limits | policy | dead letters to | consumed by |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ];
    const cell = (s: string) => (s === "" ? "–" : s.replace(/\|/g, "\\|"));
    for (const v of topology.vhosts) {
        for (const q of v.queues) {
            const dl =
                q.deadLetter === undefined
                    ? ""
                    : `${q.deadLetter.exchange}${q.deadLetter.routingKey === undefined ? "" : ` (key ${q.deadLetter.routingKey})`}`;
            const consumers = v.users.filter((u) => u.consumes.includes(q.name)).map((u) => u.name);
            rows.push(
                `| ${cell(v.name)} | ${cell(q.name)} | ${q.type} | ${cell(q.limits.join(", "))} | ${cell(q.policy ?? "")} | ${cell(dl)} | ${cell(consumers.join(", "))} |`,
            );
        }
    }
    return rows.join("\n");
}

export const BEGIN_MARKER = (stack: string) =>
    `<!-- BEGIN topology-diagram stack=${stack} (generated by \`npm run diagram -- --stack ${stack}\`; do not edit) -->`;
export const END_MARKER = "<!-- END topology-diagram -->";
const BEGIN_PATTERN = /<!-- BEGIN topology-diagram stack=([A-Za-z0-9_.-]+) [^\n]*-->/;

/** The generated block, markers included, that documents embed. */
export function renderBlock(plan: Plan): string {
    const topology = topologyFromPlan(plan);
    return [
        BEGIN_MARKER(plan.stack),
        "",
        "```mermaid",
        renderMermaid(topology),
        "```",
        "",
        renderQueueTable(topology),
        "",
        END_MARKER,
    ].join("\n");
}

/** A new document holding the block: what `npm run diagram` writes when the target file does not exist yet. */
export function renderDocument(plan: Plan): string {
    return [
        `# Messaging topology: ${plan.stack} stack`,
        "",
        `Generated from the plan of the \`${plan.stack}\` stack (\`npm run plan -- --stack ${plan.stack}\`), so it shows what`,
        "`pulumi up` creates, not what topology.yaml intends. CI fails when it is out of date; regenerate with",
        `\`npm run build && npm run diagram -- --stack ${plan.stack}\`.`,
        "",
        "Legend: hexagons are exchanges, cylinders quorum or classic queues with their effective limits (queue",
        "arguments combined with the policy that applies), rounded boxes app users. Solid arrows are bindings",
        "labelled with their routing key (none for fanout), dotted arrows dead-letter routes, thick arrows what a user",
        "may publish to (its `write` permission, narrowed by topic permissions) or consume from (its `read`",
        "permission).",
        "",
        renderBlock(plan),
        "",
    ].join("\n");
}

export interface EmbeddedBlock {
    stack: string;
    block: string;
    start: number;
    end: number;
}

/** Finds the generated block in a document; undefined when it has none. */
export function findBlock(document: string): EmbeddedBlock | undefined {
    const begin = BEGIN_PATTERN.exec(document);
    if (begin === null) {
        return undefined;
    }
    const endAt = document.indexOf(END_MARKER, begin.index);
    if (endAt < 0) {
        throw new DiagramError(`"${begin[0]}" has no matching "${END_MARKER}".`);
    }
    const end = endAt + END_MARKER.length;
    return { stack: begin[1], block: document.slice(begin.index, end), start: begin.index, end };
}

/** The document with its block replaced by `block`. */
export function replaceBlock(document: string, block: string): string {
    const found = findBlock(document);
    if (found === undefined) {
        throw new DiagramError(
            `no "<!-- BEGIN topology-diagram stack=... -->" ... "${END_MARKER}" block to replace.`,
        );
    }
    return document.slice(0, found.start) + block + document.slice(found.end);
}
