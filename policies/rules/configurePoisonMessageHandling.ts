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
 * is bound to, silently drops what was dead-lettered.
 */
export const configurePoisonMessageHandling: StackValidationPolicy = {
    name: "configure-poison-message-handling",
    description:
        "Checks that every quorum queue has a delivery limit and that every dead-letter route ends in an " +
        "existing exchange with a bound queue.",
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
                const limit =
                    argLimit?.source === "argumentsJson" && typeof argLimit.value === "number"
                        ? argLimit.value
                        : definitionInteger(definition["delivery-limit"]);
                if (limit === undefined) {
                    reportViolation(
                        `${describe(q)} has no delivery limit (no x-delivery-limit in argumentsJson and no ` +
                            "delivery-limit in the policy that applies to it); RabbitMQ 3.x redelivers a poison " +
                            "message for ever and 4.x silently applies its default of 20. Add a delivery-limit to " +
                            "the queue's policy or x-delivery-limit to argumentsJson.",
                        q.urn,
                    );
                }

                const dlxArg = values.get("x-dead-letter-exchange");
                const dlx = dlxArg !== undefined ? String(dlxArg.value) : definition["dead-letter-exchange"];
                if (dlx === undefined) {
                    return;
                }
                const source = dlxArg !== undefined ? " (queue argument)" : via;
                if (dlx === "") {
                    // The default exchange routes by routing key straight to the queue of that name.
                    const key = String(
                        values.get("x-dead-letter-routing-key")?.value ??
                            definition["dead-letter-routing-key"],
                    );
                    if (
                        !queues.some(
                            (d) => (d.props as QueueProps).name === key && vhostOf(d.props) === vhost,
                        )
                    ) {
                        reportViolation(
                            `${describe(q)} dead-letters to the default exchange with routing key "${key}"${source}, ` +
                                `but no queue "${key}" is declared in vhost "${vhost}"; dead-lettered messages are ` +
                                "dropped. Declare that queue or route to a declared exchange.",
                            q.urn,
                        );
                    }
                    return;
                }
                const exchange = exchanges
                    .map((e) => e.props as ExchangeProps)
                    .find((e) => e.name === dlx && vhostOf(e) === vhost);
                const keyArg = values.get("x-dead-letter-routing-key");
                const key =
                    keyArg !== undefined ? String(keyArg.value) : definition["dead-letter-routing-key"];
                if (exchange === undefined) {
                    reportViolation(
                        `${describe(q)} dead-letters to exchange "${dlx}"${source}, which is not declared in vhost ` +
                            `"${vhost}"; dead-lettered messages are dropped. Declare the exchange and bind a queue to it.`,
                        q.urn,
                    );
                } else if (routedQueues(exchange, vhost, key).length === 0) {
                    const withKey = key === undefined ? "" : ` with routing key "${key}"`;
                    reportViolation(
                        `${describe(q)} dead-letters to exchange "${dlx}"${withKey}${source}, but no binding routes ` +
                            "that to a declared queue; dead-lettered messages are dropped. Bind a dead-letter queue " +
                            "to the exchange for that routing key.",
                        q.urn,
                    );
                }
            });
        }
        unknowns.rethrow();
    },
};
