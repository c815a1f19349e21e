import type { ResourceValidationPolicy } from "@pulumi/policy";
import { EXCHANGE } from "../lib/tokens";
import type { ExchangeProps } from "../lib/types";
import { forType } from "../lib/validation";

/**
 * Checks that every exchange survives a broker restart. A transient or auto-deleted exchange disappears with its
 * bindings, so messages published to it afterwards are unroutable and dropped, even into quorum queues. The
 * provider's default for `durable` is false.
 */
export const enforceDurableExchanges: ResourceValidationPolicy = {
    name: "enforce-durable-exchanges",
    description: "Checks that every RabbitMQ exchange is durable and not auto-deleted.",
    validateResource: forType<ExchangeProps>(EXCHANGE, (exchange, args, reportViolation) => {
        const label = `Exchange "${exchange.name ?? args.name}"`;
        if (exchange.settings?.durable !== true) {
            const observed =
                exchange.settings?.durable === undefined
                    ? "does not set settings.durable (the provider defaults it to false)"
                    : "has settings.durable false";
            reportViolation(
                `${label} ${observed}; a transient exchange and its bindings vanish when the broker restarts and ` +
                    "messages published to it are dropped. Set settings.durable to true.",
            );
        }
        if (exchange.settings?.autoDelete === true) {
            reportViolation(
                `${label} has settings.autoDelete true; it disappears with its last binding and messages published ` +
                    "to it are dropped. Remove settings.autoDelete or set it to false.",
            );
        }
    }),
};
