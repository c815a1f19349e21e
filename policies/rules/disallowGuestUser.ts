import type { ResourceValidationPolicy } from "@pulumi/policy";
import { RABBITMQ_CLUSTER, RABBITMQ_PROVIDER, USER } from "../lib/tokens";
import type { RabbitmqClusterProps, RabbitmqProviderProps, UserProps } from "../lib/types";
import { forType } from "../lib/validation";

/**
 * Checks that nothing uses RabbitMQ's well-known `guest` account: no `User` named guest, no provider that
 * logs in as guest, and no cluster whose rabbitmq.conf makes guest its default user. Its password is public.
 */
export const disallowGuestUser: ResourceValidationPolicy = {
    name: "disallow-guest-user",
    description: "Checks that no RabbitMQ user, provider or cluster configuration uses the guest account.",
    validateResource: [
        forType<UserProps>(USER, (user, args, reportViolation) => {
            if (user.name === "guest") {
                reportViolation(
                    `User "${args.name}" has name "guest"; the guest account's password is public knowledge. ` +
                        "Create a user with its own name and a generated password.",
                );
            }
        }),
        forType<RabbitmqProviderProps>(RABBITMQ_PROVIDER, (provider, args, reportViolation) => {
            if (provider.username === "guest") {
                reportViolation(
                    `rabbitmq provider "${args.name}" logs in as "guest"; the guest account's password is public ` +
                        "knowledge. Use the cluster's generated admin credentials.",
                );
            }
        }),
        forType<RabbitmqClusterProps>(RABBITMQ_CLUSTER, (cluster, args, reportViolation) => {
            const config = cluster.spec?.rabbitmq?.additionalConfig ?? "";
            if (/^\s*default_user\s*=\s*guest\s*$/m.test(config)) {
                reportViolation(
                    `RabbitmqCluster "${cluster.metadata?.name ?? args.name}" sets default_user = guest in ` +
                        "spec.rabbitmq.additionalConfig; the guest account's password is public knowledge. " +
                        "Remove it and let the operator or secretBackend provide the default user.",
                );
            }
        }),
    ],
};
