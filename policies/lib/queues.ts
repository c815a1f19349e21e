// How RabbitMQ sees a queue declared through @pulumi/rabbitmq: its arguments (from `arguments`, all strings,
// or `argumentsJson`, typed JSON) and the one policy that applies to it.

import type { QueueProps, RabbitmqPolicyProps } from "./types";

/** A queue argument value and where it was set. */
export interface QueueArgument {
    value: unknown;
    source: "arguments" | "argumentsJson";
}

export interface QueueArguments {
    values: Map<string, QueueArgument>;
    /** Set when `argumentsJson` is not a JSON object (the provider rejects it). */
    jsonError?: string;
}

/** Reads a queue's arguments from both `settings.arguments` and `settings.argumentsJson`. */
export function queueArguments(props: QueueProps): QueueArguments {
    const values = new Map<string, QueueArgument>();
    const settings = props.settings ?? {};
    for (const [k, v] of Object.entries(settings.arguments ?? {})) {
        values.set(k, { value: v, source: "arguments" });
    }
    if (settings.argumentsJson === undefined || settings.argumentsJson === "") {
        return { values };
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(settings.argumentsJson);
    } catch (e) {
        return { values, jsonError: (e as Error).message };
    }
    if (parsed === null) {
        return { values };
    }
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
        return { values, jsonError: `it holds ${Array.isArray(parsed) ? "an array" : `a ${typeof parsed}`}` };
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        values.set(k, { value: v, source: "argumentsJson" });
    }
    return { values };
}

/** The queue's name as the broker sees it; `undefined` if the name is left to auto-naming. */
export function queueName(props: QueueProps): string | undefined {
    return props.name;
}

/** The vhost a queue, policy, exchange or binding lives in; the provider defaults it to "/". */
export function vhostOf(props: { vhost?: string }): string {
    return props.vhost ?? "/";
}

/** A RabbitMQ policy as the broker applies it. */
export interface EffectivePolicy<T> {
    resource: T;
    props: RabbitmqPolicyProps;
}

/**
 * The single policy RabbitMQ applies to a queue: among the policies in the queue's vhost whose pattern matches
 * the queue name and whose `apply-to` covers queues, the one with the highest priority. RabbitMQ never merges
 * policies, so settings in a lower-priority match do not apply.
 */
export function effectivePolicy<T>(
    queue: QueueProps,
    policies: { resource: T; props: RabbitmqPolicyProps }[],
): EffectivePolicy<T> | undefined {
    const name = queueName(queue);
    if (name === undefined) {
        return undefined;
    }
    const vhost = vhostOf(queue);
    let best: EffectivePolicy<T> | undefined;
    for (const p of policies) {
        const def = p.props.policy;
        if (vhostOf(p.props) !== vhost || def?.pattern === undefined) {
            continue;
        }
        if (!["queues", "all", "quorum_queues"].includes(def.applyTo ?? "all")) {
            continue;
        }
        let re: RegExp;
        try {
            re = new RegExp(def.pattern);
        } catch {
            continue;
        }
        if (
            re.test(name) &&
            (best === undefined || (def.priority ?? 0) > (best.props.policy?.priority ?? 0))
        ) {
            best = p;
        }
    }
    return best;
}

/**
 * A policy definition value as the provider sends it: strings that parse as integers become JSON integers
 * (provider.md §2.8), everything else stays a string.
 */
export function definitionInteger(value: string | undefined): number | undefined {
    if (value === undefined || !/^[+-]?\d+$/.test(value)) {
        return undefined;
    }
    return Number.parseInt(value, 10);
}
