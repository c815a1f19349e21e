/**
 * The messaging topology as data: schema, validation and normalisation, with no Pulumi runtime involved.
 *
 * A topology file declares vhosts with their exchanges, queues, bindings and app users. Apps declare what they
 * publish to and consume from; permissions, topic permissions and per-queue RabbitMQ policies are derived from
 * that here, so the components only turn a `NormalizedTopology` into resources.
 */
import * as v from "valibot";
import { andList, ConfigError, ConfigProblem, nonEmpty, orList, wholeNumber } from "./config";

const objectName = v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(255, "must be at most 255 characters (a RabbitMQ name limit)"),
    v.regex(
        /^[A-Za-z0-9_.:-]+$/,
        "may contain only letters, digits and _ . : - (a '/' breaks the provider's binding IDs, an '@' breaks its resource IDs)",
    ),
    v.check((n) => !n.startsWith("amq."), "must not start with 'amq.' (reserved by RabbitMQ)"),
    v.check((n) => !n.includes("::"), "must not contain '::' (it would break the Pulumi URN)"),
);

const vhostName = v.pipe(
    v.string(),
    v.regex(
        /^\/?[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)*$|^\/$/,
        "may contain only letters, digits and _ . : - /, and no '@'",
    ),
    v.check((n) => !n.includes("::"), "must not contain '::'"),
);

const userName = v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9_.-]{1,64}$/, "may contain only letters, digits, _ . and -, at most 64 characters"),
    v.check(
        (n) => n !== "guest",
        "must not be 'guest': RabbitMQ's well-known default account is never an app identity",
    ),
);

const k8sLabel = v.pipe(
    v.string(),
    v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a Kubernetes DNS-1123 label"),
    v.maxLength(63, "must be at most 63 characters (a Kubernetes DNS-1123 label)"),
);
const k8sSubdomain = v.pipe(
    v.string(),
    v.regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes DNS-1123 subdomain"),
    v.maxLength(253, "must be at most 253 characters (a Kubernetes DNS-1123 subdomain)"),
);

const positiveInt = v.pipe(wholeNumber, v.minValue(1, "must be at least 1"));

/** One of `options`, naming them all when it is not. */
const oneOf = <const T extends readonly string[]>(options: T) =>
    v.picklist(options, `must be ${orList(options)}`);

/** A list of `item`, empty when left out. */
const listOf = <T extends v.GenericSchema>(item: T) => v.optional(v.array(item, "must be a list"), () => []);

/** An object with exactly these fields: an unknown one is named with the ones it may have (a typo shows at once). */
function fieldsOf<const T extends v.ObjectEntries>(what: string, entries: T) {
    const names = andList(Object.keys(entries));
    return v.strictObject(entries, (issue) =>
        issue.expected === "never"
            ? `is not a field of ${what}; its fields are ${names}`
            : issue.expected === "Object"
              ? `must be ${what} (an object with ${names})`
              : "is required",
    );
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
    routingKey: v.optional(v.string(), ""),
});

const publishSchema = fieldsOf("a publish entry", {
    exchange: objectName,
    routingKeys: v.optional(
        v.pipe(
            v.array(nonEmpty("must not be empty"), "must be a list"),
            v.minLength(1, "must list at least one routing key (or be left out)"),
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
    vhosts: v.pipe(v.array(vhostSchema, "must be a list"), v.minLength(1, "must declare at least one vhost")),
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

function checkUnique(names: readonly string[], path: string, what: string, sink: ProblemSink): void {
    const seen = new Set<string>();
    names.forEach((n, i) => {
        if (seen.has(n)) {
            sink.add(
                `${path}[${i}].name`,
                `duplicate ${what} ${JSON.stringify(n)}. Fix: give each ${what} a unique name`,
            );
        }
        seen.add(n);
    });
}

function validateQueue(q: QueueDecl, path: string, sink: ProblemSink): void {
    if (q.type !== "quorum") {
        if (q.deliveryLimit !== undefined) {
            sink.add(
                `${path}.deliveryLimit`,
                `is supported by quorum queues only (queue ${q.name} is ${q.type}). Fix: remove it or make the queue quorum`,
            );
        }
        if (q.type === "stream" && (q.deadLetter !== undefined || q.overflow !== undefined)) {
            sink.add(
                `${path}`,
                `stream queue ${q.name} cannot dead-letter or overflow. Fix: remove deadLetter and overflow`,
            );
        }
    }
    if (q.deadLetter?.strategy === "at-least-once" && q.overflow === "drop-head") {
        sink.add(
            `${path}.overflow`,
            `drop-head disables at-least-once dead-lettering of queue ${q.name}. Fix: use overflow reject-publish or remove overflow`,
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
            parsed.issues.map((i) => ({
                key: `${source}: ${formatPath((i.path ?? []).map((p) => p.key as PropertyKey))}`,
                message: `${i.message}. Fix: correct this entry in ${source}`,
            })),
            `topology (${source})`,
        );
    }
    const problems: ConfigProblem[] = [];
    const sink: ProblemSink = {
        add: (path, message) => problems.push({ key: `${source}: ${path}`, message }),
    };
    const topology = parsed.output;

    checkUnique(
        topology.vhosts.map((v) => v.name),
        "vhosts",
        "vhost",
        sink,
    );
    checkUnique(
        topology.vhosts.flatMap((v) => v.users.map((u) => u.name)),
        "users",
        "user",
        sink,
    );
    const secretIds = new Set<string>();
    const vhosts: NormalizedVhost[] = topology.vhosts.map((v, vi) => {
        const vpath = `vhosts[${vi}]`;
        checkUnique(
            v.exchanges.map((e) => e.name),
            `${vpath}.exchanges`,
            "exchange",
            sink,
        );
        checkUnique(
            v.queues.map((q) => q.name),
            `${vpath}.queues`,
            "queue",
            sink,
        );
        const exchanges = new Map(v.exchanges.map((e) => [e.name, e]));
        const queues = new Map(v.queues.map((q) => [q.name, q]));
        const bindingIds = new Set<string>();
        v.bindings.forEach((b, bi) => {
            const bpath = `${vpath}.bindings[${bi}]`;
            if (!exchanges.has(b.exchange)) {
                sink.add(
                    `${bpath}.exchange`,
                    `binds from exchange ${JSON.stringify(b.exchange)}, which vhost ${v.name} does not declare. Fix: declare it under exchanges or correct the name`,
                );
            }
            if (!queues.has(b.queue)) {
                sink.add(
                    `${bpath}.queue`,
                    `binds to queue ${JSON.stringify(b.queue)}, which vhost ${v.name} does not declare. Fix: declare it under queues or correct the name`,
                );
            }
            const id = `${b.exchange}\u0000${b.queue}\u0000${b.routingKey}`;
            if (bindingIds.has(id)) {
                sink.add(
                    bpath,
                    `duplicate binding ${b.exchange} -> ${b.queue} (${JSON.stringify(b.routingKey)}). Fix: remove the duplicate`,
                );
            }
            bindingIds.add(id);
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
                sink.add(
                    `${qpath}.deadLetter.exchange`,
                    `dead-letters to exchange ${JSON.stringify(q.deadLetter.exchange)}, which vhost ${v.name} does not declare. Fix: declare it or correct the name`,
                );
                return;
            }
            const targets = router.targets(dlx, q.deadLetter.routingKey);
            if (targets.length === 0) {
                sink.add(
                    `${qpath}.deadLetter`,
                    `dead letters of ${q.name} go to ${dlx.name} with key ${JSON.stringify(q.deadLetter.routingKey)}, but no binding routes that key to a queue, so RabbitMQ would drop them. Fix: add a binding from ${dlx.name} to a dead-letter queue with routingKey ${JSON.stringify(q.deadLetter.routingKey)}`,
                );
            }
            if (targets.includes(q.name)) {
                sink.add(
                    `${qpath}.deadLetter`,
                    `dead letters of ${q.name} route back into ${q.name} itself, an endless loop. Fix: route them to a separate dead-letter queue`,
                );
            }
            targets.forEach((t) => deadLetterTargets.add(t));
        });
        const users: NormalizedUser[] = v.users.map((u, ui) => {
            const upath = `${vpath}.users[${ui}]`;
            const secretId = `${u.secret.namespace}/${u.secret.name}`;
            if (secretIds.has(secretId)) {
                sink.add(
                    `${upath}.secret`,
                    `Secret ${secretId} is already written for another user. Fix: give each user its own Secret name`,
                );
            }
            secretIds.add(secretId);
            const topicPermissions: NormalizedTopicPermission[] = [];
            u.publishes.forEach((p, pi) => {
                const ex = exchanges.get(p.exchange);
                if (ex === undefined) {
                    sink.add(
                        `${upath}.publishes[${pi}].exchange`,
                        `publishes to exchange ${JSON.stringify(p.exchange)}, which vhost ${v.name} does not declare. Fix: declare it or correct the name`,
                    );
                } else if (ex.type === "topic") {
                    if (p.routingKeys === undefined) {
                        sink.add(
                            `${upath}.publishes[${pi}].routingKeys`,
                            `must list the routing keys ${u.name} may publish to topic exchange ${ex.name} (they become a topic permission). Fix: add routingKeys`,
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
                    sink.add(
                        `${upath}.consumes[${ci}]`,
                        `consumes from queue ${JSON.stringify(qn)}, which vhost ${v.name} does not declare. Fix: declare it or correct the name`,
                    );
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
