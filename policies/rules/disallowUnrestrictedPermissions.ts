import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PERMISSIONS } from "../lib/tokens";
import type { PermissionsProps } from "../lib/types";
import { forType } from "../lib/validation";

/** Configuration of {@link disallowUnrestrictedPermissions}. */
export interface DisallowUnrestrictedPermissionsArgs {
    /** Users allowed full configure, write and read access (operators' tooling, for example). */
    exemptUsers?: string[];
}

/** Patterns that match every resource name. */
const MATCH_ALL = new Set([".*", "^.*$", "^.*", ".*$", ".+", "^.+$"]);

/**
 * Checks that application users are not granted everything: a user that may configure, write and read every
 * resource of a vhost can delete other applications' queues and read their messages.
 */
export const disallowUnrestrictedPermissions: ResourceValidationPolicy = {
    name: "disallow-unrestricted-permissions",
    description:
        "Checks that no application user gets match-all patterns for configure, write and read together.",
    configSchema: {
        properties: {
            exemptUsers: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Users allowed full configure, write and read access.",
            },
        },
    },
    validateResource: forType<PermissionsProps>(PERMISSIONS, (grant, args, reportViolation) => {
        const { exemptUsers } = args.getConfig<Required<DisallowUnrestrictedPermissionsArgs>>();
        const p = grant.permissions ?? {};
        const all = [p.configure, p.write, p.read].every((x) => x !== undefined && MATCH_ALL.has(x));
        if (all && !(grant.user !== undefined && (exemptUsers ?? []).includes(grant.user))) {
            reportViolation(
                `Permissions "${args.name}" give user "${grant.user}" configure "${p.configure}", write ` +
                    `"${p.write}" and read "${p.read}" on vhost "${grant.vhost ?? "/"}"; application users must ` +
                    "not match every resource on all three. Restrict at least one pattern to the user's own " +
                    "queues and exchanges (for example ^orders\\.).",
            );
        }
    }),
};
