import * as assert from "assert";
import {
    PolicyMetadata,
    parseArgs,
    parsePolicyPackConfig,
    planValueToWire,
    reconcilePolicyPackConfig,
} from "../../tools/policy-check";

const policies: PolicyMetadata[] = [
    {
        name: "enforce-cluster-replica-minimum",
        description: "d",
        enforcementLevel: "mandatory",
        configSchema: { properties: { minReplicas: { type: "integer", minimum: 1, default: 3 } } },
    },
    {
        name: "enforce-production-shape",
        description: "d",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                enabled: { type: "boolean", default: false },
                protectedTypes: { type: "array", items: { type: "string" }, default: ["a"] },
            },
        },
    },
    { name: "configure-poison-message-handling", description: "d", enforcementLevel: "advisory" },
];

describe("policy pack config (as pulumi preview --policy-pack-config reconciles it)", function () {
    it("starts from each policy's level and its configSchema defaults", function () {
        assert.deepStrictEqual(reconcilePolicyPackConfig(policies, {}, {}), {
            "enforce-cluster-replica-minimum": {
                enforcementLevel: "mandatory",
                properties: { minReplicas: 3 },
            },
            "enforce-production-shape": {
                enforcementLevel: "mandatory",
                properties: { enabled: false, protectedTypes: ["a"] },
            },
            "configure-poison-message-handling": { enforcementLevel: "advisory", properties: undefined },
        });
    });

    it("applies `all` first, then per-policy levels and properties", function () {
        const given = parsePolicyPackConfig({
            all: "advisory",
            "configure-poison-message-handling": "mandatory",
            "enforce-production-shape": { enabled: true },
        });
        const r = reconcilePolicyPackConfig(policies, {}, given);
        assert.deepStrictEqual(r["enforce-cluster-replica-minimum"], {
            enforcementLevel: "advisory",
            properties: { minReplicas: 3 },
        });
        assert.deepStrictEqual(r["configure-poison-message-handling"], {
            enforcementLevel: "mandatory",
            properties: undefined,
        });
        assert.deepStrictEqual(r["enforce-production-shape"], {
            enforcementLevel: "advisory",
            properties: { enabled: true, protectedTypes: ["a"] },
        });
    });

    it("applies the pack's initial config before the file", function () {
        const r = reconcilePolicyPackConfig(
            policies,
            { "enforce-cluster-replica-minimum": { properties: { minReplicas: 5 } } },
            parsePolicyPackConfig({ "enforce-cluster-replica-minimum": { enforcementLevel: "disabled" } }),
        );
        assert.deepStrictEqual(r["enforce-cluster-replica-minimum"], {
            enforcementLevel: "disabled",
            properties: { minReplicas: 5 },
        });
    });

    it("validates the result against configSchema", function () {
        assert.throws(
            () =>
                reconcilePolicyPackConfig(
                    policies,
                    {},
                    parsePolicyPackConfig({ "enforce-cluster-replica-minimum": { minReplicas: 0 } }),
                ),
            {
                message:
                    "policy pack configuration is invalid:\n  enforce-cluster-replica-minimum: minReplicas must be >= 1",
            },
        );
        assert.throws(
            () =>
                reconcilePolicyPackConfig(
                    policies,
                    {},
                    parsePolicyPackConfig({ "enforce-production-shape": { enabled: "yes" } }),
                ),
            {
                message:
                    "policy pack configuration is invalid:\n  enforce-production-shape: enabled must be boolean",
            },
        );
    });

    it("rejects invalid levels and names that are not policies of the pack", function () {
        assert.throws(() => parsePolicyPackConfig({ all: "strict" }), {
            message: 'parsing enforcement level for "all": "strict" is not a valid enforcement level',
        });
        assert.throws(() => parsePolicyPackConfig({ x: 3 }), {
            message: 'parsing "x": 3 is not a valid value; must be a string or object',
        });
        assert.throws(
            () =>
                reconcilePolicyPackConfig(
                    policies,
                    {},
                    parsePolicyPackConfig({ "enforce-quorum": "mandatory" }),
                ),
            {
                message: 'policy pack config names "enforce-quorum", which is not a policy of this pack',
            },
        );
    });

    it("maps a plan file's placeholders back to wire values", function () {
        assert.deepStrictEqual(planValueToWire({ a: "[secret]", b: ["[unknown]", 1], c: { d: "x" } }), {
            a: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "[secret]" },
            b: ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", 1],
            c: { d: "x" },
        });
    });

    it("parses the command line", function () {
        assert.deepStrictEqual(parseArgs(["--stack", "prod", "--policy-pack-config", "p.json"]), {
            preview: true,
            stack: "prod",
            policyPackConfig: "p.json",
        });
        assert.deepStrictEqual(parseArgs(["--plan", "plan.json", "--update"]), {
            preview: false,
            planFile: "plan.json",
        });
        assert.throws(() => parseArgs(["--stack", "a", "--plan", "b"]), {
            message: "pass exactly one of --stack <name> or --plan <plan.json>",
        });
        assert.throws(() => parseArgs(["--stack"]), { message: "--stack needs a value" });
    });
});
