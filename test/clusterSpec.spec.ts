import * as assert from "assert";
import Ajv, { ValidateFunction } from "ajv";
import { additionalConfig, buildClusterSpec } from "../lib/clusterSpec";
import { parsePlatformConfig } from "../lib/config";
import { projectRoot } from "../lib/project";
import { loadStackConfig } from "../lib/stackConfig";
import { readYamlFile } from "../lib/yaml";
import { ModuleRefused, operatorCrdFile } from "./operatorCrd";
import { one, rendered } from "./support";

/** The operator release a stack installs, read the way the program reads it, so a bump tests the new schema. */
function operatorVersion(stack: string): string {
    return parsePlatformConfig(loadStackConfig(projectRoot(), stack).config).operatorVersion;
}

type Schema = Record<string, unknown>;

/**
 * The API server prunes fields a structural schema does not declare, silently: a misspelt field would vanish.
 * Closing every object that declares properties makes such a field fail here instead.
 */
function closeObjects(schema: unknown): unknown {
    if (Array.isArray(schema)) {
        return schema.map(closeObjects);
    }
    if (typeof schema !== "object" || schema === null) {
        return schema;
    }
    const s = Object.fromEntries(
        Object.entries(schema).map(([k, v]) => [k, k === "default" || k === "example" ? v : closeObjects(v)]),
    ) as Schema;
    if (
        s.properties !== undefined &&
        s.additionalProperties === undefined &&
        s["x-kubernetes-preserve-unknown-fields"] !== true
    ) {
        s.additionalProperties = false;
    }
    return s;
}

function crdValidator(operator: string): ValidateFunction {
    const crd = readYamlFile(operatorCrdFile(operator)) as {
        spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    };
    const version = crd.spec.versions.find((v) => v.name === "v1beta1")!;
    // Ajv's optimisation passes only tidy the generated code; on this schema they double the compile time.
    const ajv = new Ajv({ strict: false, allErrors: true, code: { optimize: false } });
    ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
    });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat("date-time", (s: string) => !Number.isNaN(Date.parse(s)));
    return ajv.compile(closeObjects(version.schema.openAPIV3Schema) as Schema);
}

describe("RabbitmqCluster spec against the CRD schema of the operator each stack pins", function () {
    const STACKS = ["dev", "prod"];
    /** Per stack; stacks that pin the same operator share one compiled schema. */
    const validators = new Map<string, ValidateFunction>();
    let refused: string | undefined;

    before(function () {
        const byVersion = new Map<string, ValidateFunction>();
        try {
            for (const stack of STACKS) {
                const version = operatorVersion(stack);
                if (!byVersion.has(version)) {
                    byVersion.set(version, crdValidator(version));
                }
                validators.set(stack, byVersion.get(version)!);
            }
        } catch (e) {
            // A proxy that refuses the module leaves no way to the schema on that machine: a user's run says so
            // and goes on, CI (where no test may skip) fails.
            if (!(e instanceof ModuleRefused) || process.env.CI === "true") {
                throw e;
            }
            refused = e.message;
        }
    });

    /** Skips a test that needs the schema when the proxy refused the operator's module, saying why. */
    function needSchema(test: Mocha.Context): void {
        if (refused !== undefined) {
            console.warn(`  skipped: ${refused}`);
            test.skip();
        }
    }

    for (const stack of STACKS) {
        it(`accepts the ${stack} stack's custom resource exactly as the program registers it`, async function () {
            needSchema(this);
            const validate = validators.get(stack)!;
            const { plan } = await rendered({ stack });
            const cr = one(plan, "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster", "rabbitmq-cluster");
            const ok = validate(cr.inputs);
            assert.ok(ok, JSON.stringify(validate.errors, null, 2));
        });
    }

    it("rejects a misspelt field and a wrong type (the validator is not a rubber stamp)", function () {
        needSchema(this);
        const validate = validators.get("prod")!;
        const config = parsePlatformConfig(loadStackConfig(projectRoot(), "prod").config);
        const spec = buildClusterSpec(config, "rabbitmq-admin", "rabbitmq-tls");
        const object = {
            apiVersion: "rabbitmq.com/v1beta1",
            kind: "RabbitmqCluster",
            metadata: { name: "x" },
        };
        assert.ok(validate({ ...object, spec }), JSON.stringify(validate.errors));
        assert.strictEqual(validate({ ...object, spec: { ...spec, replica: 3 } }), false);
        assert.deepStrictEqual(
            validate.errors?.map((e) => [e.instancePath, e.message]),
            [["/spec", "must NOT have additional properties"]],
        );
        assert.strictEqual(validate({ ...object, spec: { ...spec, replicas: "5" } }), false);
        assert.deepStrictEqual(
            validate.errors?.map((e) => [e.instancePath, e.message]),
            [["/spec/replicas", "must be integer"]],
        );
    });

    it("builds the production shape in prod and relaxes only what a one-node dev cluster cannot meet", function () {
        const prod = buildClusterSpec(
            parsePlatformConfig(loadStackConfig(projectRoot(), "prod").config),
            "a",
            "a-tls",
        );
        const dev = buildClusterSpec(parsePlatformConfig(loadStackConfig(projectRoot(), "dev").config), "a");
        const selector = { matchLabels: { "app.kubernetes.io/name": "rabbitmq" } };
        assert.deepStrictEqual(prod.affinity, {
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    { labelSelector: selector, topologyKey: "kubernetes.io/hostname" },
                ],
            },
        });
        assert.deepStrictEqual(dev.affinity, {
            podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                        weight: 100,
                        podAffinityTerm: { labelSelector: selector, topologyKey: "kubernetes.io/hostname" },
                    },
                ],
            },
        });
        const spread = (s: typeof prod) =>
            s.override.statefulSet.spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable;
        assert.deepStrictEqual([spread(prod), spread(dev)], ["DoNotSchedule", "ScheduleAnyway"]);
        assert.deepStrictEqual(prod.override.statefulSet.spec.persistentVolumeClaimRetentionPolicy, {
            whenDeleted: "Retain",
            whenScaled: "Retain",
        });
        assert.strictEqual(
            dev.override.statefulSet.spec.persistentVolumeClaimRetentionPolicy.whenDeleted,
            "Delete",
        );
        assert.deepStrictEqual(prod.resources, {
            requests: { cpu: "4", memory: "10Gi" },
            limits: { cpu: "4", memory: "10Gi" },
        });
        assert.strictEqual(dev.resources.requests.memory, dev.resources.limits.memory);
        assert.deepStrictEqual(prod.persistence, { storageClassName: "ssd", storage: "500Gi" });
        assert.strictEqual(
            prod.rabbitmq.additionalConfig,
            "cluster_partition_handling = pause_minority\nvm_memory_high_watermark.relative = 0.6\ndisk_free_limit.relative = 1.5\ncollect_statistics_interval = 10000\n" +
                "quorum_queue.continuous_membership_reconciliation.enabled = true\n" +
                "quorum_queue.continuous_membership_reconciliation.auto_remove = false\n",
        );
        // 3.10's configuration schema has no reconciliation keys: a node refuses to start with one.
        assert.strictEqual(
            additionalConfig({ memoryHighWatermark: 0.6, diskFreeLimitRelative: 1.5, brokerMajorVersion: 3 }),
            "cluster_partition_handling = pause_minority\nvm_memory_high_watermark.relative = 0.6\ndisk_free_limit.relative = 1.5\ncollect_statistics_interval = 10000\n",
        );
        assert.deepStrictEqual(prod.secretBackend, { externalSecret: { name: "a" } });
        assert.deepStrictEqual(prod.tls, { secretName: "a-tls", disableNonTLSListeners: true });
        assert.strictEqual(dev.tls, undefined);
    });
});
