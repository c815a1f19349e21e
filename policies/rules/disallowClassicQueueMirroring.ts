import type { ResourceValidationPolicy } from "@pulumi/policy";
import { RABBITMQ_POLICY } from "../lib/tokens";
import type { RabbitmqPolicyProps } from "../lib/types";
import { forType } from "../lib/validation";

/**
 * Checks that no RabbitMQ policy configures classic queue mirroring (`ha-*` keys). Mirroring was removed in
 * RabbitMQ 4.0, where such policies are rejected; replication is what quorum queues are for.
 */
export const disallowClassicQueueMirroring: ResourceValidationPolicy = {
    name: "disallow-classic-queue-mirroring",
    description: "Checks that no RabbitMQ policy definition uses the removed classic mirroring ha-* keys.",
    validateResource: forType<RabbitmqPolicyProps>(RABBITMQ_POLICY, (policy, args, reportViolation) => {
        const keys = Object.keys(policy.policy?.definition ?? {}).filter((k) => k.startsWith("ha-"));
        if (keys.length > 0) {
            reportViolation(
                `Policy "${policy.name ?? args.name}" sets ${keys.join(", ")}; classic queue mirroring was ` +
                    "removed in RabbitMQ 4.0. Remove the ha-* keys and use quorum queues with target-group-size.",
            );
        }
    }),
};
