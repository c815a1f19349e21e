/** What the plan says should happen, computed from its declarations (never from literals). */
import {
    BindingDecl,
    Model,
    QueueDecl,
    effectivePolicy,
    erlangRegex,
    ofKind,
} from "../../../lib/verify/model";

/** AMQP 0-9-1 topic matching: `*` is exactly one word, `#` zero or more. */
export function topicMatch(pattern: string, key: string): boolean {
    const p = pattern === "" ? [] : pattern.split(".");
    const k = key === "" ? [] : key.split(".");
    const m = (i: number, j: number): boolean => {
        if (i === p.length) {
            return j === k.length;
        }
        if (p[i] === "#") {
            return m(i + 1, j) || (j < k.length && m(i, j + 1));
        }
        return j < k.length && (p[i] === "*" || p[i] === k[j]) && m(i + 1, j + 1);
    };
    return m(0, 0);
}

export function exchangeType(model: Model, vhost: string, exchange: string): string {
    if (exchange === "") {
        return "direct";
    }
    const e = ofKind(model, "exchange").find((x) => x.vhost === vhost && x.name === exchange);
    if (!e) {
        throw new Error(`exchange '${exchange}' is not declared in vhost '${vhost}'`);
    }
    return e.type;
}

/** Queues a message published to `exchange` with `key` reaches (following exchange-to-exchange bindings). */
export function routeTargets(
    model: Model,
    vhost: string,
    exchange: string,
    key: string,
    seen = new Set<string>(),
): string[] {
    if (exchange === "") {
        return ofKind(model, "queue").some((q) => q.vhost === vhost && q.name === key) ? [key] : [];
    }
    if (seen.has(exchange)) {
        return [];
    }
    seen.add(exchange);
    const type = exchangeType(model, vhost, exchange);
    const matches = (b: BindingDecl): boolean =>
        type === "fanout" ||
        (type === "direct" && b.routingKey === key) ||
        (type === "topic" && topicMatch(b.routingKey, key));
    const out = new Set<string>();
    for (const b of ofKind(model, "binding").filter(
        (x) => x.vhost === vhost && x.source === exchange && matches(x),
    )) {
        if (b.destinationType === "queue") {
            out.add(b.destination);
        } else {
            routeTargets(model, vhost, b.destination, key, seen).forEach((q) => out.add(q));
        }
    }
    return [...out].sort();
}

/** A concrete routing key that matches a binding key (topic wildcards filled in). */
export function concreteKey(bindingKey: string): string {
    return bindingKey
        .split(".")
        .map((w) => (w === "*" || w === "#" ? "probe" : w))
        .join(".");
}

export const permits = (regex: string, name: string): boolean => erlangRegex(regex).test(name);

export interface DeadLetterRoute {
    queue: QueueDecl;
    deliveryLimit: number;
    exchange: string;
    routingKey: string;
    strategy?: string;
    overflow?: string;
    /** Queues the dead letters reach. */
    targets: string[];
}

/** The dead-letter settings in force on a queue: queue arguments win, except delivery-limit (the lower wins). */
export function deadLetterRoute(model: Model, q: QueueDecl): DeadLetterRoute | undefined {
    const pol = effectivePolicy(model, q)?.definition ?? {};
    const arg = (a: string, p: string): unknown => q.arguments[a] ?? pol[p];
    const limits = [q.arguments["x-delivery-limit"], pol["delivery-limit"]].filter(
        (x): x is number => typeof x === "number",
    );
    const exchange = arg("x-dead-letter-exchange", "dead-letter-exchange");
    if (limits.length === 0 || typeof exchange !== "string") {
        return undefined;
    }
    const rk = arg("x-dead-letter-routing-key", "dead-letter-routing-key");
    const routingKey = typeof rk === "string" ? rk : q.name;
    return {
        queue: q,
        deliveryLimit: Math.min(...limits),
        exchange,
        routingKey,
        strategy: arg("x-dead-letter-strategy", "dead-letter-strategy") as string | undefined,
        overflow: arg("x-overflow", "overflow") as string | undefined,
        targets: routeTargets(model, q.vhost, exchange, routingKey),
    };
}

/** For each queue, an exchange and key that route to it (first declared binding), or the default exchange. */
export function publishRouteTo(model: Model, q: QueueDecl): { exchange: string; key: string } {
    const b = ofKind(model, "binding").find(
        (x) => x.vhost === q.vhost && x.destinationType === "queue" && x.destination === q.name,
    );
    if (!b) {
        return { exchange: "", key: q.name };
    }
    return { exchange: b.source, key: concreteKey(b.routingKey) };
}
