import type { StackValidationPolicy } from "@pulumi/policy";
import { definitionInteger, effectivePolicy, queueArguments, vhostOf } from "../lib/queues";
import { BINDING, EXCHANGE, QUEUE, RABBITMQ_POLICY } from "../lib/tokens";
import type { BindingProps, ExchangeProps, QueueProps, RabbitmqPolicyProps } from "../lib/types";
import { Unknowns, describe } from "../lib/validation";

/** Whether a binding with `pattern` on an exchange of `type` routes a message with routing key `key`. */
function routes(type: string | undefined, pattern: string, key: string): boolean {
    switch (type) {
        case "direct":
            return pattern === key;
        case "topic":
            return topicMatches(pattern.split("."), key.split("."));
        default:
            // fanout routes everything; headers exchanges match on headers, which a policy can't see.
            return true;
    }
}

/** AMQP topic matching: `*` is one word, `#` is zero or more. */
function topicMatches(pattern: string[], words: string[]): boolean {
    if (pattern.length === 0) {
        return words.length === 0;
    }
    const [head, ...rest] = pattern;
    if (head === "#") {
        return topicMatches(rest, words) || (words.length > 0 && topicMatches(pattern, words.slice(1)));
    }
    return words.length > 0 && (head === "*" || head === words[0]) && topicMatches(rest, words.slice(1));
}

/**
 * Checks that poison messages leave quorum queues and land somewhere. Without a delivery limit a message that
 * crashes its consumer is redelivered for ever; a dead-letter exchange that does not exist, or that no queue
 * is bound to, silently drops what was dead-lettered. An unlimited limit (-1) is accepted only on queues that
 * are themselves dead-letter targets, where nothing may be dropped.
 */
export const configurePoisonMessageHandling: StackValidationPolicy = {
    name: "configure-poison-message-handling",
    description:
        "Checks that every quorum queue has a delivery limit (unlimited only for dead-letter queues) and that " +
        "every dead-letter route ends in an existing exchange with a bound queue.",
    validateStack: (args, reportViolation) => {
        const unknowns = new Unknowns();
        const ofType = (type: string) => args.resources.filter((r) => r.type === type);
        const policies = ofType(RABBITMQ_POLICY).map((r) => ({
            resource: r,
            props: r.props as RabbitmqPolicyProps,
        }));
        const exchanges = ofType(EXCHANGE);
        const bindings = ofType(BINDING);
        const queues = ofType(QUEUE);

        /** Declared queues that `exchange` routes a message with `key` to (any bound queue if `key` is unset). */
        const routedQueues = (exchange: ExchangeProps, vhost: string, key: string | undefined): string[] =>
            bindings
                .map((b) => b.props as BindingProps)
                .filter((b) => b.source === exchange.name && vhostOf(b) === vhost)
                .filter((b) => (b.destinationType ?? "queue") === "queue")
                .filter((b) =>
                    queues.some(
                        (q) => (q.props as QueueProps).name === b.destination && vhostOf(q.props) === vhost,
                    ),
                )
                .filter((b) => key === undefined || routes(exchange.settings?.type, b.routingKey ?? "", key))
                .map((b) => b.destination as string);

        // First every queue's dead-letter route, so the limit check knows which queues are dead-letter targets.
        const targets = new Set<string>();
        const checks: {
            q: (typeof queues)[number];
            limit: number | undefined;
            vhost: string;
            name: string;
        }[] = [];
        const routeViolations = new Map<string, string[]>();
        for (const q of queues) {
            unknowns.read(() => {
                const queue = q.props as QueueProps;
                const values = queueArguments(queue).values;
                if (values.get("x-queue-type")?.value !== "quorum") {
                    return;
                }
                const vhost = vhostOf(queue);
                const applied = effectivePolicy(queue, policies);
                const definition = applied?.props.policy?.definition ?? {};
                const via = applied ? ` (policy ${describe(applied.resource)})` : "";
                const argLimit = values.get("x-delivery-limit");
                checks.push({
                    q,
                    vhost,
                    name: queue.name ?? q.name,
                    limit:
                        argLimit?.source === "argumentsJson" && typeof argLimit.value === "number"
                            ? argLimit.value
                            : definitionInteger(definition["delivery-limit"]),
                });
                const found: string[] = [];
                routeViolations.set(q.urn, found);

                const dlxArg = values.get("x-dead-letter-exchange");
                const dlx = dlxArg !== undefined ? String(dlxArg.value) : definition["dead-letter-exchange"];
                if (dlx === undefined) {
                    return;
                }
                const source = dlxArg !== undefined ? " (queue argument)" : via;
                const keyArg = values.get("x-dead-letter-routing-key");
                const key =
                    keyArg !== undefined ? String(keyArg.value) : definition["dead-letter-routing-key"];
                if (dlx === "") {
                    // The default exchange routes by routing key straight to the queue of that name.
                    if (
                        queues.some((d) => (d.props as QueueProps).name === key && vhostOf(d.props) === vhost)
                    ) {
                        targets.add(`${vhost}\u0000${key}`);
                    } else {
                        found.push(
                            `${describe(q)} dead-letters to the default exchange with routing key "${key}"${source}, ` +
                                `but no queue "${key}" is declared in vhost "${vhost}"; dead-lettered messages are ` +
                                "dropped. Declare that queue or route to a declared exchange.",
                        );
                    }
                    return;
                }
                const exchange = exchanges
                    .map((e) => e.props as ExchangeProps)
                    .find((e) => e.name === dlx && vhostOf(e) === vhost);
                const routed = exchange === undefined ? [] : routedQueues(exchange, vhost, key);
                routed.forEach((t) => targets.add(`${vhost}\u0000${t}`));
                if (exchange === undefined) {
                    found.push(
                        `${describe(q)} dead-letters to exchange "${dlx}"${source}, which is not declared in vhost ` +
                            `"${vhost}"; dead-lettered messages are dropped. Declare the exchange and bind a queue to it.`,
                    );
                } else if (routed.length === 0) {
                    const withKey = key === undefined ? "" : ` with routing key "${key}"`;
                    found.push(
                        `${describe(q)} dead-letters to exchange "${dlx}"${withKey}${source}, but no binding routes ` +
                            "that to a declared queue; dead-lettered messages are dropped. Bind a dead-letter queue " +
                            "to the exchange for that routing key.",
                    );
                }
            });
        }

        for (const { q, limit, vhost, name } of checks) {
            if (limit === undefined) {
                reportViolation(
                    `${describe(q)} has no delivery limit (no x-delivery-limit in argumentsJson and no ` +
                        "delivery-limit in the policy that applies to it); RabbitMQ 3.x redelivers a poison " +
                        "message for ever and 4.x silently applies its default of 20. Add a delivery-limit to " +
                        "the queue's policy or x-delivery-limit to argumentsJson.",
                    q.urn,
                );
            } else if (limit < 0 && !targets.has(`${vhost}\u0000${name}`)) {
                // Unlimited is right for a dead-letter queue (nothing may be dropped there), not for a work queue.
                reportViolation(
                    `${describe(q)} has delivery limit ${limit} (unlimited) but is not a dead-letter queue; a ` +
                        "poison message is redelivered for ever. Set a positive delivery-limit and a dead-letter " +
                        "route for the queue.",
                    q.urn,
                );
            }
            for (const message of routeViolations.get(q.urn) ?? []) {
                reportViolation(message, q.urn);
            }
        }
        unknowns.rethrow();
    },
};
