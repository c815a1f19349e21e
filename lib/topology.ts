/**
 * The messaging topology as data: schema, validation and normalisation, with no Pulumi runtime involved.
 *
 * A topology file declares vhosts with their exchanges, queues, bindings and app users. Apps declare what they
 * publish to and consume from; permissions, topic permissions and per-queue RabbitMQ policies are derived from
 * that here, so the components only turn a `NormalizedTopology` into resources.
 */
import * as v from "valibot";
import { andList, ConfigError, ConfigProblem, orList } from "./config";
import { nearest, quote } from "./suggest";

/**
 * A rule's message in the form every topology problem takes: the rule, the refused value, and the change that
 * fixes this entry (computed from the value where it can be, e.g. the nearest allowed one).
 */
const refuse =
    (rule: string, fix: (input: unknown) => string) =>
    (issue: { input: unknown }): string =>
        `${rule} (got ${quote(issue.input)}). Fix: ${fix(issue.input)}`;

/** `input` with every run of characters outside `allowed` replaced by `-`, for fixes that propose a valid name. */
const sanitized = (input: unknown, allowed: RegExp, max: number): string =>
    quote(
        String(input)
            .replace(new RegExp(`[^${allowed.source}]+`, "g"), "-")
            .slice(0, max),
    );

const aString = (what: string) =>
    v.string(
        refuse(`must be ${what}`, (input) =>
            typeof input === "number" || typeof input === "boolean"
                ? `quote it: ${quote(String(input))}`
                : `write ${what} here`,
        ),
    );

const NAME_CHARS = /A-Za-z0-9_.:\-/;

const objectName = v.pipe(
    aString("a name"),
    v.minLength(
        1,
        refuse("must not be empty", () => "write the name"),
    ),
    v.maxLength(
        255,
        refuse(
            "must be at most 255 characters (a RabbitMQ name limit)",
            () => "shorten it to 255 characters",
        ),
    ),
    v.regex(
        /^[A-Za-z0-9_.:-]+$/,
        refuse(
            "may contain only letters, digits and _ . : - (a '/' breaks the provider's binding IDs, an '@' breaks its resource IDs)",
            (input) => `use ${sanitized(input, NAME_CHARS, 255)}`,
        ),
    ),
    v.check(
        (n) => !n.startsWith("amq."),
        refuse("must not start with 'amq.' (reserved by RabbitMQ)", (input) =>
            String(input).length > 4 ? `use ${quote(String(input).slice(4))}` : "choose another name",
        ),
    ),
    v.check(
        (n) => !n.includes("::"),
        refuse(
            "must not contain '::' (it would break the Pulumi URN)",
            (input) => `use ${quote(String(input).replace(/::+/g, ":"))}`,
        ),
    ),
);

const vhostName = v.pipe(
    aString("a vhost name"),
    v.regex(
        /^\/?[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$|^\/$/,
        refuse("may contain only letters, digits and _ . : - /, and no '@'", (input) => {
            const name = String(input)
                .replace(/[^A-Za-z0-9_.:/-]+/g, "-")
                .replace(/\/{2,}/g, "/")
                .replace(/(.)\/$/, "$1");
            return `use ${quote(name === "" ? "/" : name)}`;
        }),
    ),
    v.check(
        (n) => !n.includes("::"),
        refuse("must not contain '::'", (input) => `use ${quote(String(input).replace(/::+/g, ":"))}`),
    ),
);

const userName = v.pipe(
    aString("a user name"),
    v.regex(
        /^[A-Za-z0-9_.-]{1,64}$/,
        refuse("may contain only letters, digits, _ . and -, at most 64 characters", (input) =>
            String(input) === "" ? "write the user name" : `use ${sanitized(input, /A-Za-z0-9_.\-/, 64)}`,
        ),
    ),
    v.check(
        (n) => n !== "guest",
        refuse(
            "must not be 'guest': RabbitMQ's well-known default account is never an app identity",
            () => 'name the app\'s own user, e.g. "<app>-<role>"',
        ),
    ),
);

/** The DNS-1123 form nearest to `input`: lower case, other characters as '-', no '-' (or '.') at either end. */
function dnsName(input: unknown, allowed: RegExp, max: number): string {
    const name = String(input)
        .toLowerCase()
        .replace(new RegExp(`[^${allowed.source}]+`, "g"), "-")
        .slice(0, max)
        .replace(/^[-.]+|[-.]+$/g, "");
    return name === "" ? 'write a lower-case name such as "app"' : `use ${quote(name)}`;
}

const k8sLabel = v.pipe(
    aString("a Kubernetes name"),
    v.regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
        refuse(
            "must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
            (input) => dnsName(input, /a-z0-9\-/, 63),
        ),
    ),
    v.maxLength(
        63,
        refuse("must be at most 63 characters (a Kubernetes DNS-1123 label)", (input) =>
            dnsName(input, /a-z0-9\-/, 63),
        ),
    ),
);
const k8sSubdomain = v.pipe(
    aString("a Kubernetes name"),
    v.regex(
        /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
        refuse(
            "must be a Kubernetes DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
            (input) => dnsName(input, /a-z0-9.\-/, 253),
        ),
    ),
    v.maxLength(
        253,
        refuse("must be at most 253 characters (a Kubernetes DNS-1123 subdomain)", (input) =>
            dnsName(input, /a-z0-9.\-/, 253),
        ),
    ),
);

const positiveInt = v.pipe(
    v.number(
        refuse("must be a whole number", (input) =>
            typeof input === "string" && /^\d+$/.test(input.trim())
                ? `write it without quotes: ${input.trim()}`
                : "write a whole number such as 3",
        ),
    ),
    v.integer(refuse("must be a whole number", (input) => `use ${Math.max(1, Math.round(Number(input)))}`)),
    v.minValue(
        1,
        refuse("must be at least 1", () => "use 1 or more, or remove it"),
    ),
);

/** One of `options`, naming them all when it is not, and the one a typo meant when there is one. */
const oneOf = <const T extends readonly string[]>(options: T) =>
    v.picklist(
        options,
        refuse(`must be ${orList(options)}`, (input) => {
            const near = typeof input === "string" ? nearest(input, options) : undefined;
            return near === undefined ? `use one of ${orList(options.map(quote))}` : `use ${quote(near)}`;
        }),
    );

/** How a fix shows a list holding `input`. */
const inAList = (input: unknown) => `write it as a list, e.g. [${quote(input)}]`;

/** A list of `item`, empty when left out. */
const listOf = <T extends v.GenericSchema>(item: T) =>
    v.optional(v.array(item, refuse("must be a list", inAList)), () => []);

/** A string of at least one character. */
const nonEmpty = (rule: string, fix: string) =>
    v.pipe(
        aString("a string"),
        v.minLength(
            1,
            refuse(rule, () => fix),
        ),
    );

/** An object with exactly these fields: an unknown one is named with the ones it may have (a typo shows at once). */
function fieldsOf<const T extends v.ObjectEntries>(what: string, entries: T) {
    const fields = Object.keys(entries);
    const names = andList(fields);
    return v.strictObject(entries, (issue) => {
        const field = String(issue.path?.[issue.path.length - 1]?.key);
        if (issue.expected === "never") {
            const near = nearest(field, fields);
            return `is not a field of ${what}; its fields are ${names}. Fix: ${near === undefined ? "remove it" : `rename it to ${near}`}`;
        }
        if (issue.expected === "Object") {
            return refuse(`must be ${what} (an object with ${names})`, (input) =>
                typeof input === "string" && fields.includes("name")
                    ? `write { name: ${quote(input)} }`
                    : `write it as an object with ${names}`,
            )(issue);
        }
        return `is required in ${what}. Fix: add ${field}`;
    });
}

const exchangeSchema = fieldsOf("an exchange", {
    name: objectName,
    type: oneOf(["direct", "fanout", "topic", "headers"]),
});

const queueSchema = fieldsOf("a queue", {
    name: objectName,
    type: v.optional(oneOf(["quorum", "classic", "stream"]), "quorum"),
    deliveryLimit: v.optional(positiveInt),
    deadLetter: v.optional(
        fieldsOf("a dead-letter route", {
            exchange: objectName,
            routingKey: nonEmpty(
                "must be set: without it dead letters keep their original key and the route cannot be checked",
                "write the key the dead-letter queue is bound with",
            ),
            strategy: v.optional(oneOf(["at-least-once", "at-most-once"]), "at-least-once"),
        }),
    ),
    maxLength: v.optional(positiveInt),
    maxLengthBytes: v.optional(positiveInt),
    overflow: v.optional(oneOf(["drop-head", "reject-publish"])),
});

const bindingSchema = fieldsOf("a binding", {
    exchange: objectName,
    queue: objectName,
    routingKey: v.optional(aString("a routing key"), ""),
});

const publishSchema = fieldsOf("a publish entry", {
    exchange: objectName,
    routingKeys: v.optional(
        v.pipe(
            v.array(
                nonEmpty("must not be empty", "write the routing key, or remove this entry"),
                refuse("must be a list", inAList),
            ),
            v.minLength(
                1,
                refuse("must list at least one routing key", () => "list the keys, or remove routingKeys"),
            ),
        ),
    ),
});

const userSchema = fieldsOf("a user", {
    name: userName,
    secret: fieldsOf("a Secret reference", { namespace: k8sLabel, name: k8sSubdomain }),
    publishes: listOf(publishSchema),
    consumes: listOf(objectName),
});

const vhostSchema = fieldsOf("a vhost", {
    name: vhostName,
    exchanges: listOf(exchangeSchema),
    queues: listOf(queueSchema),
    bindings: listOf(bindingSchema),
    users: listOf(userSchema),
});

const topologySchema = fieldsOf("a topology", {
    vhosts: v.pipe(
        v.array(vhostSchema, refuse("must be a list", inAList)),
        v.minLength(
            1,
            refuse("must declare at least one vhost", () => 'add one, e.g. "- name: /app"'),
        ),
    ),
});

export type TopologyInput = v.InferInput<typeof topologySchema>;
type ExchangeDecl = v.InferOutput<typeof exchangeSchema>;
type QueueDecl = v.InferOutput<typeof queueSchema>;
type BindingDecl = v.InferOutput<typeof bindingSchema>;

export type QueueType = QueueDecl["type"];

/** A queue ready to declare: its arguments are what may never change; its policy what may. */
export interface NormalizedQueue {
    name: string;
    type: QueueType;
    /** Queue arguments as JSON types (sent through `argumentsJson`, never as strings). */
    arguments: Record<string, string | number>;
    /** The per-queue policy definition, or undefined when the queue needs none. */
    policy?: NormalizedPolicy;
    /** Whether this queue receives dead letters of another queue. */
    isDeadLetterTarget: boolean;
}

export interface NormalizedPolicy {
    name: string;
    /** Anchored and regex-escaped, so it matches this queue only. */
    pattern: string;
    applyTo: "queues";
    priority: number;
    /** Values as the provider takes them (strings); integers are sent as JSON integers by the provider. */
    definition: Record<string, string>;
}

export interface NormalizedPermissions {
    configure: string;
    write: string;
    read: string;
}

export interface NormalizedTopicPermission {
    exchange: string;
    write: string;
    read: string;
}

export interface NormalizedUser {
    name: string;
    vhost: string;
    secret: { namespace: string; name: string };
    permissions: NormalizedPermissions;
    topicPermissions: NormalizedTopicPermission[];
}

export interface NormalizedVhost {
    name: string;
    exchanges: ExchangeDecl[];
    queues: NormalizedQueue[];
    bindings: BindingDecl[];
    users: NormalizedUser[];
}

export interface NormalizedTopology {
    vhosts: NormalizedVhost[];
}

/** Escapes a literal for use inside a RabbitMQ (Erlang re / PCRE) regular expression. */
export function escapeRegex(literal: string): string {
    return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `^(a|b)$` for the given literals, or `^$` (matches nothing) when there are none. */
export function exactAlternation(literals: readonly string[]): string {
    const unique = [...new Set(literals)].sort();
    if (unique.length === 0) {
        return "^$";
    }
    return unique.length === 1 ? `^${escapeRegex(unique[0])}$` : `^(${unique.map(escapeRegex).join("|")})$`;
}

/** AMQP 0-9-1 topic matching: `*` is exactly one word, `#` is zero or more words. */
export function topicMatches(pattern: string, routingKey: string): boolean {
    const p = pattern === "" ? [] : pattern.split(".");
    const k = routingKey === "" ? [] : routingKey.split(".");
    const memo = new Map<string, boolean>();
    const match = (i: number, j: number): boolean => {
        const id = `${i},${j}`;
        const cached = memo.get(id);
        if (cached !== undefined) {
            return cached;
        }
        let result: boolean;
        if (i === p.length) {
            result = j === k.length;
        } else if (p[i] === "#") {
            result = match(i + 1, j) || (j < k.length && match(i, j + 1));
        } else {
            result = j < k.length && (p[i] === "*" || p[i] === k[j]) && match(i + 1, j + 1);
        }
        memo.set(id, result);
        return result;
    };
    return match(0, 0);
}

/**
 * Where messages published to an exchange with a routing key go, following the declared bindings. Direct routes
 * are indexed by key and every answer is memoised, so checking N dead-letter routes stays linear.
 */
export class Router {
    private readonly bySource = new Map<string, BindingDecl[]>();
    /** Per exchange, the queues bound with each key, compared as a literal (direct routes). */
    private readonly byKey = new Map<string, Map<string, string[]>>();
    /** Per exchange, the queues bound with each topic pattern that has no wildcard (matched by equality). */
    private readonly topicLiterals = new Map<string, Map<string, string[]>>();
    /** Per exchange, the bindings whose topic pattern has a wildcard: the only ones that need matching. */
    private readonly topicWildcards = new Map<string, BindingDecl[]>();
    private readonly memo = new Map<string, string[]>();

    constructor(bindings: readonly BindingDecl[]) {
        for (const b of bindings) {
            append(this.bySource, b.exchange, b);
            append(nested(this.byKey, b.exchange), b.routingKey, b.queue);
            if (/(^|\.)[*#](\.|$)/.test(b.routingKey)) {
                append(this.topicWildcards, b.exchange, b);
            } else {
                append(nested(this.topicLiterals, b.exchange), b.routingKey, b.queue);
            }
        }
    }

    /** The queues a message published to `exchange` with `routingKey` reaches. */
    targets(exchange: ExchangeDecl, routingKey: string): string[] {
        const id = `${exchange.name}\u0000${routingKey}`;
        const cached = this.memo.get(id);
        if (cached !== undefined) {
            return cached;
        }
        const bindings = this.bySource.get(exchange.name) ?? [];
        let result: string[];
        switch (exchange.type) {
            case "fanout":
                result = bindings.map((b) => b.queue);
                break;
            case "direct":
                result = this.byKey.get(exchange.name)?.get(routingKey) ?? [];
                break;
            case "topic":
                result = [
                    ...(this.topicLiterals.get(exchange.name)?.get(routingKey) ?? []),
                    ...(this.topicWildcards.get(exchange.name) ?? [])
                        .filter((b) => topicMatches(b.routingKey, routingKey))
                        .map((b) => b.queue),
                ];
                break;
            case "headers":
                result = [];
                break;
            default: {
                const never: never = exchange.type;
                return never;
            }
        }
        this.memo.set(id, result);
        return result;
    }
}

function nested<K, V>(map: Map<string, Map<K, V>>, key: string): Map<K, V> {
    let inner = map.get(key);
    if (inner === undefined) {
        inner = new Map();
        map.set(key, inner);
    }
    return inner;
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
    const list = map.get(key);
    if (list === undefined) {
        map.set(key, [value]);
    } else {
        list.push(value);
    }
}

/** The per-queue policy definition for the settings that must stay changeable without replacing the queue. */
function queuePolicyDefinition(
    q: QueueDecl,
    isDeadLetterTarget: boolean,
    { quorumGroupSize, brokerMajorVersion }: TopologyOptions,
): Record<string, string> | undefined {
    const d: Record<string, string> = {};
    if (q.type === "quorum" && brokerMajorVersion >= 4) {
        // The group size lives here, not in the queue's arguments: a policy is updated in place, so raising
        // quorumGroupSize on a scale-up grows every existing queue (continuous membership reconciliation, enabled
        // by lib/clusterSpec.ts) instead of replacing it. 3.x rejects the key (its size stays an argument).
        d["target-group-size"] = String(quorumGroupSize);
    }
    if (q.deliveryLimit !== undefined) {
        d["delivery-limit"] = String(q.deliveryLimit);
    } else if (isDeadLetterTarget && q.type === "quorum" && brokerMajorVersion >= 4) {
        // RabbitMQ 4 gives every quorum queue a default delivery limit of 20 and drops a message past it when
        // there is nowhere to dead-letter it: a dead-letter queue is the last stop, so it must never drop.
        // -1 (unlimited) exists since 4.0; 3.x rejects it and has no default limit anyway.
        d["delivery-limit"] = "-1";
    }
    if (q.deadLetter !== undefined) {
        d["dead-letter-exchange"] = q.deadLetter.exchange;
        d["dead-letter-routing-key"] = q.deadLetter.routingKey;
        if (q.type === "quorum") {
            d["dead-letter-strategy"] = q.deadLetter.strategy;
        }
    }
    if (q.maxLength !== undefined) {
        d["max-length"] = String(q.maxLength);
    }
    if (q.maxLengthBytes !== undefined) {
        d["max-length-bytes"] = String(q.maxLengthBytes);
    }
    // At-least-once dead-lettering only works with reject-publish overflow; RabbitMQ silently falls back otherwise.
    const overflow =
        q.overflow ??
        (q.deadLetter?.strategy === "at-least-once" && q.type === "quorum" ? "reject-publish" : undefined);
    if (overflow !== undefined) {
        d["overflow"] = overflow;
    }
    return Object.keys(d).length > 0 ? d : undefined;
}

interface ProblemSink {
    add(path: string, message: string): void;
}

/** Each name once: `entries` are the names with the path of each (the first keeps it, later ones are refused). */
function checkUnique(entries: readonly [string, string][], what: string, sink: ProblemSink): void {
    const seen = new Map<string, string>();
    for (const [n, path] of entries) {
        const first = seen.get(n);
        if (first !== undefined) {
            sink.add(
                `${path}.name`,
                `must name each ${what} once (got ${quote(n)}, also at ${first}). Fix: rename this ${what} or remove it`,
            );
        } else {
            seen.set(n, path);
        }
    }
}

/**
 * The fix for a name that refers to something `vhost` does not declare: the declared name it most plausibly
 * meant, else the declared ones (or, when there are none, where to declare it).
 */
function referenceFix(
    name: string,
    declared: readonly string[],
    what: string,
    under: string,
    vhost: string,
): string {
    const near = nearest(name, declared);
    if (near !== undefined) {
        return `use ${quote(near)}`;
    }
    return declared.length === 0
        ? `declare it under ${under} (vhost ${vhost} declares no ${what}s)`
        : `use one of ${orList(declared.map(quote))}, or declare it under ${under}`;
}

function validateQueue(q: QueueDecl, path: string, sink: ProblemSink): void {
    if (q.type !== "quorum") {
        const untype = `remove type: ${q.type} (queues are quorum by default)`;
        if (q.deliveryLimit !== undefined) {
            sink.add(
                `${path}.deliveryLimit`,
                `is supported by quorum queues only (got ${q.deliveryLimit} on ${q.type} queue ${quote(q.name)}). Fix: remove deliveryLimit, or ${untype}`,
            );
        }
        if (q.type === "stream") {
            for (const field of ["deadLetter", "overflow"] as const) {
                if (q[field] !== undefined) {
                    sink.add(
                        `${path}.${field}`,
                        `is not supported by stream queues (got ${quote(q[field])} on stream queue ${quote(q.name)}). Fix: remove ${field}, or ${untype}`,
                    );
                }
            }
        }
    }
    if (q.deadLetter?.strategy === "at-least-once" && q.overflow === "drop-head") {
        sink.add(
            `${path}.overflow`,
            `must not be drop-head while deadLetter.strategy is at-least-once: it disables at-least-once dead-lettering (got "drop-head"). Fix: use overflow: reject-publish, or remove overflow`,
        );
    }
}

export interface TopologyOptions {
    /** The number of members of every quorum queue (per stack). */
    quorumGroupSize: number;
    /** The RabbitMQ major version the topology is declared on (3 or 4). */
    brokerMajorVersion: number;
}

/**
 * A queue's arguments: only what may never change, because any change to them replaces the queue (its messages
 * lost). On 4.x that excludes the group size: `x-quorum-initial-group-size` would follow quorumGroupSize, so a
 * scale-up would replace every queue; the broker declares its default of 3 members (fewer on a smaller cluster)
 * and reconciliation grows them to the policy's `target-group-size`. 3.x has no reconciliation, so the argument is the only way to size a queue,
 * and growing existing queues stays a manual `rabbitmq-queues grow` (docs/runbook.md#scale-up).
 */
function queueArguments(type: QueueType, o: TopologyOptions): Record<string, string | number> {
    if (type !== "quorum" || o.brokerMajorVersion >= 4) {
        return { "x-queue-type": type };
    }
    return { "x-queue-type": "quorum", "x-quorum-initial-group-size": o.quorumGroupSize };
}

/**
 * Validates a topology file's content and derives what the components create.
 * @param input the parsed YAML/JSON of the topology file.
 * @param source the file name, used in error messages.
 */
export function normalizeTopology(
    input: unknown,
    source: string,
    options: TopologyOptions,
): NormalizedTopology {
    const parsed = v.safeParse(topologySchema, input, { abortPipeEarly: true });
    if (!parsed.success) {
        throw new ConfigError(
            parsed.issues.map((i) => {
                const path = formatPath((i.path ?? []).map((p) => p.key as PropertyKey));
                // Every rule's message carries the refused value and its fix (see `refuse` and `fieldsOf`).
                return { key: path === "" ? source : `${source}: ${path}`, message: i.message };
            }),
            `topology (${source})`,
        );
    }
    const problems: ConfigProblem[] = [];
    const sink: ProblemSink = {
        add: (path, message) => problems.push({ key: `${source}: ${path}`, message }),
    };
    const topology = parsed.output;

    checkUnique(
        topology.vhosts.map((v, vi) => [v.name, `vhosts[${vi}]`]),
        "vhost",
        sink,
    );
    // A user is one RabbitMQ identity across every vhost.
    checkUnique(
        topology.vhosts.flatMap((v, vi) =>
            v.users.map((u, ui): [string, string] => [u.name, `vhosts[${vi}].users[${ui}]`]),
        ),
        "user",
        sink,
    );
    /** Each Secret (namespace/name) and the user it is written for. */
    const secretOwners = new Map<string, string>();
    const vhosts: NormalizedVhost[] = topology.vhosts.map((v, vi) => {
        const vpath = `vhosts[${vi}]`;
        checkUnique(
            v.exchanges.map((e, ei) => [e.name, `${vpath}.exchanges[${ei}]`]),
            "exchange",
            sink,
        );
        checkUnique(
            v.queues.map((q, qi) => [q.name, `${vpath}.queues[${qi}]`]),
            "queue",
            sink,
        );
        const exchanges = new Map(v.exchanges.map((e) => [e.name, e]));
        const queues = new Map(v.queues.map((q) => [q.name, q]));
        const exchangeNames = [...exchanges.keys()];
        const queueNames = [...queues.keys()];
        /** A refused reference to an exchange or queue of this vhost, with the name it most plausibly meant. */
        const undeclared = (path: string, kind: "exchange" | "queue", name: string) =>
            sink.add(
                path,
                `must name ${kind === "exchange" ? "an exchange" : "a queue"} that vhost ${v.name} declares (got ${quote(name)}). Fix: ${
                    kind === "exchange"
                        ? referenceFix(name, exchangeNames, "exchange", "exchanges", v.name)
                        : referenceFix(name, queueNames, "queue", "queues", v.name)
                }`,
            );
        const bindingPaths = new Map<string, string>();
        v.bindings.forEach((b, bi) => {
            const bpath = `${vpath}.bindings[${bi}]`;
            if (!exchanges.has(b.exchange)) {
                undeclared(`${bpath}.exchange`, "exchange", b.exchange);
            }
            if (!queues.has(b.queue)) {
                undeclared(`${bpath}.queue`, "queue", b.queue);
            }
            const id = `${b.exchange}\u0000${b.queue}\u0000${b.routingKey}`;
            const first = bindingPaths.get(id);
            if (first !== undefined) {
                sink.add(
                    bpath,
                    `must not repeat a binding (got ${quote(b)}, also at ${first}). Fix: remove this binding`,
                );
            } else {
                bindingPaths.set(id, bpath);
            }
        });
        const router = new Router(v.bindings);
        const deadLetterTargets = new Set<string>();
        v.queues.forEach((q, qi) => {
            const qpath = `${vpath}.queues[${qi}]`;
            validateQueue(q, qpath, sink);
            if (q.deadLetter === undefined) {
                return;
            }
            const dlx = exchanges.get(q.deadLetter.exchange);
            if (dlx === undefined) {
                undeclared(`${qpath}.deadLetter.exchange`, "exchange", q.deadLetter.exchange);
                return;
            }
            const key = q.deadLetter.routingKey;
            const targets = router.targets(dlx, key);
            if (targets.length === 0) {
                const bound = [
                    ...new Set(v.bindings.filter((b) => b.exchange === dlx.name).map((b) => b.routingKey)),
                ];
                const near = dlx.type === "fanout" ? undefined : nearest(key, bound);
                sink.add(
                    `${qpath}.deadLetter.routingKey`,
                    `must route dead letters of queue ${quote(q.name)} to a queue through exchange ${quote(dlx.name)}, or RabbitMQ drops them; no binding does (got ${quote(key)}). Fix: ${
                        near === undefined
                            ? `add a binding { exchange: ${quote(dlx.name)}, queue: <dead-letter queue>, routingKey: ${quote(key)} }`
                            : `use ${quote(near)}`
                    }`,
                );
            }
            if (targets.includes(q.name)) {
                sink.add(
                    `${qpath}.deadLetter`,
                    `must not route dead letters of queue ${quote(q.name)} back into itself, an endless loop (got exchange ${quote(dlx.name)} with routingKey ${quote(key)}). Fix: route them to a separate dead-letter queue`,
                );
            }
            targets.forEach((t) => deadLetterTargets.add(t));
        });
        const users: NormalizedUser[] = v.users.map((u, ui) => {
            const upath = `${vpath}.users[${ui}]`;
            const secretId = `${u.secret.namespace}/${u.secret.name}`;
            const owner = secretOwners.get(secretId);
            if (owner !== undefined) {
                sink.add(
                    `${upath}.secret.name`,
                    `must name a Secret no other user writes (got ${quote(u.secret.name)} in namespace ${u.secret.namespace}, written for user ${quote(owner)}). Fix: use ${quote(`${u.name}-rabbitmq`)}`,
                );
            } else {
                secretOwners.set(secretId, u.name);
            }
            const topicPermissions: NormalizedTopicPermission[] = [];
            u.publishes.forEach((p, pi) => {
                const ex = exchanges.get(p.exchange);
                if (ex === undefined) {
                    undeclared(`${upath}.publishes[${pi}].exchange`, "exchange", p.exchange);
                } else if (ex.type === "topic") {
                    if (p.routingKeys === undefined) {
                        sink.add(
                            `${upath}.publishes[${pi}].routingKeys`,
                            `is required for topic exchange ${quote(ex.name)}: the keys user ${quote(u.name)} may publish there become its topic permission. Fix: add routingKeys: ["<key>", ...]`,
                        );
                    } else {
                        topicPermissions.push({
                            exchange: ex.name,
                            write: exactAlternation(p.routingKeys),
                            read: "^$",
                        });
                    }
                }
            });
            u.consumes.forEach((qn, ci) => {
                if (!queues.has(qn)) {
                    undeclared(`${upath}.consumes[${ci}]`, "queue", qn);
                }
            });
            return {
                name: u.name,
                vhost: v.name,
                secret: u.secret,
                permissions: {
                    configure: "^$",
                    write: exactAlternation(u.publishes.map((p) => p.exchange)),
                    read: exactAlternation(u.consumes),
                },
                topicPermissions,
            };
        });
        const normalizedQueues: NormalizedQueue[] = v.queues.map((q) => {
            const definition = queuePolicyDefinition(q, deadLetterTargets.has(q.name), options);
            const args = queueArguments(q.type, options);
            return {
                name: q.name,
                type: q.type,
                arguments: args,
                isDeadLetterTarget: deadLetterTargets.has(q.name),
                ...(definition === undefined
                    ? {}
                    : {
                          policy: {
                              name: q.name,
                              pattern: `^${escapeRegex(q.name)}$`,
                              applyTo: "queues" as const,
                              priority: 10,
                              definition,
                          },
                      }),
            };
        });
        return {
            name: v.name,
            exchanges: v.exchanges,
            queues: normalizedQueues,
            bindings: v.bindings,
            users,
        };
    });
    if (problems.length > 0) {
        throw new ConfigError(problems, `topology (${source})`);
    }
    return { vhosts };
}

function formatPath(path: readonly PropertyKey[]): string {
    return path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
        .join("");
}
