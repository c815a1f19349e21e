import type { StackValidationPolicy } from "@pulumi/policy";
import { K8S_SECRET, RABBITMQ_PROVIDER, RANDOM_PASSWORD, USER } from "../lib/tokens";
import { describe } from "../lib/validation";

/** Configuration of {@link disallowPlaintextCredentials}. */
export interface DisallowPlaintextCredentialsArgs {
    /** Resource types whose outputs count as secret credential sources. */
    secretSources?: string[];
    /**
     * Logical names of resources whose credentials come from encrypted stack config (`pulumi config set
     * --secret`): the analyzer can't tell such a value from a literal, so the stack's policy config vouches for it.
     */
    exemptResources?: string[];
}

/**
 * The credential-carrying fields, by resource type, in groups judged together: a Secret's `data` and
 * `stringData` are one content (after an update the engine's state carries `data` encoded from `stringData`,
 * while the property dependencies stay those of the registered `stringData`).
 */
const CREDENTIAL_FIELDS: Record<string, string[][]> = {
    [USER]: [["password"]],
    [RABBITMQ_PROVIDER]: [["password"]],
    [K8S_SECRET]: [["data", "stringData"]],
};

/**
 * Checks that passwords and Kubernetes Secret data are produced by a secret source (a RandomPassword, or
 * another Kubernetes Secret) instead of being written into the program or its config. The analyzer hands
 * policies secret values already unwrapped, so the rule follows where each value comes from: a literal has no
 * property dependency at all.
 */
export const disallowPlaintextCredentials: StackValidationPolicy = {
    name: "disallow-plaintext-credentials",
    description:
        "Checks that user passwords, the rabbitmq provider password and Kubernetes Secret data come from " +
        "generated secret values, not literals.",
    configSchema: {
        properties: {
            secretSources: {
                type: "array",
                items: { type: "string" },
                default: [RANDOM_PASSWORD, K8S_SECRET],
                description: "Resource types whose outputs count as secret credential sources.",
            },
            exemptResources: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Logical names of resources whose credentials come from encrypted stack config, which the " +
                    "analyzer can't tell from a literal.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { secretSources, exemptResources } =
            args.getConfig<Required<DisallowPlaintextCredentialsArgs>>();
        for (const r of args.resources.filter((x) => !exemptResources.includes(x.name))) {
            for (const group of CREDENTIAL_FIELDS[r.type] ?? []) {
                // Presence only: the value itself is never read, so unknowns at preview do not matter.
                const present = group.filter((f) => Object.prototype.hasOwnProperty.call(r.props, f));
                if (present.length === 0) {
                    continue;
                }
                const deps = group.flatMap((f) => r.propertyDependencies[f] ?? []);
                if (!deps.some((d) => secretSources.includes(d.type))) {
                    const from = [...new Set(deps.map((d) => d.type))];
                    reportViolation(
                        `${describe(r)} sets ${present.join(" and ")} from ` +
                            `${from.length === 0 ? "a literal value" : from.join(", ")}; credentials must come from ` +
                            `one of ${secretSources.join(", ")}. Generate it with a RandomPassword (or read it from ` +
                            "a Kubernetes Secret) and pass that output; if it comes from encrypted stack config, " +
                            "list the resource in exemptResources of this policy.",
                        r.urn,
                    );
                }
            }
        }
    },
};
