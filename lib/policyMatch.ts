/**
 * Which policy RabbitMQ applies to a queue, as far as `npm run verify` (lib/verify) and `npm run diagram`
 * (lib/diagram.ts) both need it: the kinds of queue a policy's `apply-to` covers, and the winner among the matching.
 */

/** Whether a policy with this `apply-to` covers a queue of this type (classic, quorum or stream). */
export function appliesToQueueType(applyTo: string, queueType: string): boolean {
    switch (applyTo) {
        case "all":
        case "queues":
            return true;
        case "quorum_queues":
            return queueType === "quorum";
        case "classic_queues":
            return queueType === "classic";
        case "streams":
            return queueType === "stream";
        default:
            return false;
    }
}

/** RabbitMQ applies the matching policy with the highest priority; ties are broken by name here, so it is stable. */
export function highestPriority<P extends { name: string; priority: number }>(
    policies: readonly P[],
): P | undefined {
    return [...policies].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))[0];
}
