import type { ResourceValidationPolicy } from "@pulumi/policy";
import { queueArguments } from "../lib/queues";
import { QUEUE } from "../lib/tokens";
import type { QueueProps } from "../lib/types";
import { forType } from "../lib/validation";

/** Configuration of {@link enforceQuorumQueues}. */
export interface EnforceQuorumQueuesArgs {
    /** Queue names allowed another type (streams, for example); they must still be durable, not auto-delete. */
    exemptQueues?: string[];
}

/**
 * Checks that every RabbitMQ queue is a durable, non-auto-delete quorum queue. Classic queues lose messages
 * when their node goes away; quorum queues replicate them. The broker rejects quorum queues that are not
 * durable or are auto-delete, so those are caught here, at preview, instead of at `pulumi up`.
 */
export const enforceQuorumQueues: ResourceValidationPolicy = {
    name: "enforce-quorum-queues",
    description: "Checks that every RabbitMQ queue is a durable quorum queue that is not auto-deleted.",
    configSchema: {
        properties: {
            exemptQueues: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Queue names exempt from the quorum type rule (for example streams).",
            },
        },
    },
    validateResource: forType<QueueProps>(QUEUE, (queue, args, reportViolation) => {
        const { exemptQueues } = args.getConfig<Required<EnforceQuorumQueuesArgs>>();
        const label = `Queue "${queue.name ?? args.name}"`;
        const { values, jsonError } = queueArguments(queue);
        const type = values.get("x-queue-type");
        const exempt = queue.name !== undefined && (exemptQueues ?? []).includes(queue.name);
        if (jsonError !== undefined) {
            reportViolation(
                `${label} has settings.argumentsJson that is not a JSON object (${jsonError}); the queue type ` +
                    'can\'t be read. Set argumentsJson to a JSON object such as {"x-queue-type":"quorum"}.',
            );
        } else if (!exempt && type?.value !== "quorum") {
            const observed =
                type === undefined
                    ? "no x-queue-type (a classic queue)"
                    : `x-queue-type ${JSON.stringify(type.value)}`;
            reportViolation(
                `${label} has ${observed}; every queue must be a quorum queue. Set settings.argumentsJson to ` +
                    '{"x-queue-type":"quorum"}, or list the queue in exemptQueues of enforce-quorum-queues.',
            );
        }
        if (queue.settings?.durable !== true) {
            const observed =
                queue.settings?.durable === undefined
                    ? "does not set settings.durable (the provider defaults it to false)"
                    : "has settings.durable false";
            reportViolation(
                `${label} ${observed}; quorum queues must be durable and the broker rejects them otherwise. ` +
                    "Set settings.durable to true.",
            );
        }
        if (queue.settings?.autoDelete === true) {
            reportViolation(
                `${label} has settings.autoDelete true; quorum queues can't be auto-deleted and the broker ` +
                    "rejects them. Remove settings.autoDelete or set it to false.",
            );
        }
    }),
};
