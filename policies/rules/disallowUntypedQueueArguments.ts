import type { ResourceValidationPolicy } from "@pulumi/policy";
import { queueArguments } from "../lib/queues";
import { QUEUE } from "../lib/tokens";
import type { QueueProps } from "../lib/types";
import { forType } from "../lib/validation";

/** Queue arguments the broker expects as numbers or booleans. */
const TYPED_ARGUMENTS = new Set([
    "x-delivery-limit",
    "x-expires",
    "x-max-age-seconds",
    "x-max-length",
    "x-max-length-bytes",
    "x-max-priority",
    "x-message-ttl",
    "x-quorum-initial-group-size",
    "x-quorum-target-group-size",
    "x-single-active-consumer",
    "x-stream-max-segment-size-bytes",
]);

/**
 * Checks that numeric and boolean queue arguments are not passed through `settings.arguments`. That map only
 * holds strings, so the broker either rejects the queue ("expected integer, got longstr") or, for
 * `x-delivery-limit`, accepts it and silently never enforces the limit (provider.md §2.6).
 */
export const disallowUntypedQueueArguments: ResourceValidationPolicy = {
    name: "disallow-untyped-queue-arguments",
    description:
        "Checks that numeric and boolean queue arguments are set through argumentsJson, not arguments.",
    validateResource: forType<QueueProps>(QUEUE, (queue, args, reportViolation) => {
        const label = `Queue "${queue.name ?? args.name}"`;
        const settings = queue.settings ?? {};
        if (settings.arguments !== undefined && settings.argumentsJson !== undefined) {
            reportViolation(
                `${label} sets both settings.arguments and settings.argumentsJson; the provider accepts only ` +
                    "one of them. Move every argument into argumentsJson.",
            );
        }
        for (const [key, arg] of queueArguments(queue).values) {
            const text = String(arg.value);
            const looksTyped = /^[+-]?\d+(\.\d+)?$/.test(text) || text === "true" || text === "false";
            if (arg.source === "arguments" && (TYPED_ARGUMENTS.has(key) || looksTyped)) {
                reportViolation(
                    `${label} passes ${key}=${JSON.stringify(text)} through settings.arguments, which sends it ` +
                        "as a string; the broker rejects or silently ignores non-string arguments sent as strings. " +
                        `Move it to settings.argumentsJson as a JSON ${text === "true" || text === "false" ? "boolean" : "number"}.`,
                );
            }
        }
    }),
};
