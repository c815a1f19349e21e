import type { ResourceValidationPolicy } from "@pulumi/policy";
import { USER } from "../lib/tokens";
import type { UserProps } from "../lib/types";
import { forType } from "../lib/validation";

/** Configuration of {@link disallowPrivilegedAppUsers}. */
export interface DisallowPrivilegedAppUsersArgs {
    /** User tags that grant broker-wide powers. */
    privilegedTags?: string[];
}

/**
 * Checks that application users carry no broker-wide management tags. `administrator` can create users and
 * change every vhost's permissions, `policymaker` can rewrite the policies that hold delivery limits and
 * dead-letter routes; an application's credentials leak far more often than an operator's.
 */
export const disallowPrivilegedAppUsers: ResourceValidationPolicy = {
    name: "disallow-privileged-app-users",
    description:
        "Checks that no RabbitMQ user created by the stack has the administrator or policymaker tag.",
    configSchema: {
        properties: {
            privilegedTags: {
                type: "array",
                items: { type: "string" },
                default: ["administrator", "policymaker"],
                description: "User tags that grant broker-wide powers.",
            },
        },
    },
    validateResource: forType<UserProps>(USER, (user, args, reportViolation) => {
        const { privilegedTags } = args.getConfig<Required<DisallowPrivilegedAppUsersArgs>>();
        const granted = (user.tags ?? []).filter((t) => privilegedTags.includes(t));
        if (granted.length > 0) {
            reportViolation(
                `User "${user.name ?? args.name}" has tags ${granted.join(", ")}; application users must not hold ` +
                    "broker-wide powers. Remove the tags; operators use the cluster's admin credentials.",
            );
        }
    }),
};
