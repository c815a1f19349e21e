import * as assert from "assert";
import * as path from "path";
import { ConfigError, KEYS, parsePlatformConfig, PROJECT, SECRET_KEYS } from "../lib/config";
import { projectRoot } from "../lib/project";
import { loadStackConfig } from "../lib/stackConfig";
import { readYamlFile } from "../lib/yaml";

const devConfig = () => loadStackConfig(projectRoot(), "dev").config;
const key = (k: string) => `${PROJECT}:${k}`;

function problemsOf(overrides: Record<string, string>, secretKeys: string[] = []): string[] {
    try {
        parsePlatformConfig({ ...devConfig(), ...overrides }, secretKeys);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems.map((p) => `${p.key}: ${p.message}`);
    }
    throw new Error("expected the configuration to be rejected");
}

describe("stack configuration (lib/config.ts)", function () {
    it("parses the shipped dev and prod stacks with Pulumi.yaml defaults", function () {
        const dev = parsePlatformConfig(devConfig());
        const prod = parsePlatformConfig(loadStackConfig(projectRoot(), "prod").config);
        assert.deepStrictEqual(
            [
                dev.replicas,
                dev.quorumGroupSize,
                dev.memory,
                dev.antiAffinity,
                dev.protect,
                dev.managementService,
            ],
            [3, 3, "1Gi", "preferred", false, "NodePort"],
        );
        assert.deepStrictEqual(
            [
                prod.replicas,
                prod.quorumGroupSize,
                prod.memory,
                prod.antiAffinity,
                prod.protect,
                prod.managementService,
            ],
            [5, 5, "10Gi", "required", true, "LoadBalancer"],
        );
        assert.strictEqual(prod.operatorVersion, "v2.22.3");
        assert.strictEqual(prod.memoryHighWatermark, 0.6);
    });

    it("declares every typed key in Pulumi.yaml, with a description, and nothing the program does not read", function () {
        const project = readYamlFile(path.join(projectRoot(), "Pulumi.yaml")) as {
            config: Record<string, { type: string; description?: string }>;
        };
        const optional = [
            "storageClass",
            "managementEndpoint",
            "managementNodePort",
            "managementNodeAddress",
            "externalAmqpHost",
            "externalAmqpPort",
            "externalAmqpTls",
            "externalAdminUsername",
            "rabbitmqMajorVersion",
            "tlsIssuer",
            "perfTest",
            "operatorManifest",
            "certManagerChart",
            "imageRegistry",
            "images",
        ];
        const declared = Object.keys(project.config).sort();
        const expected = Object.keys(KEYS)
            .filter((k) => !optional.includes(k))
            .sort();
        assert.deepStrictEqual(declared, expected);
        for (const [k, decl] of Object.entries(project.config)) {
            assert.strictEqual(decl.type, KEYS[k as keyof typeof KEYS].type, `type of ${k}`);
            assert.ok((decl.description ?? "").length > 10, `description of ${k}`);
        }
        assert.deepStrictEqual([...SECRET_KEYS], ["externalAdminPassword"]);
    });

    it("rejects an even replica count, naming the key, the rule and the fix", function () {
        assert.deepStrictEqual(problemsOf({ [key("replicas")]: "4" }), [
            "rabbitmq-platform:replicas: must be odd: an even cluster tolerates no more node failures than the next smaller odd one, and a 50/50 partition stops both halves (got 4). Fix: pulumi config set rabbitmq-platform:replicas 3",
        ]);
    });

    it("rejects too few replicas", function () {
        assert.deepStrictEqual(problemsOf({ [key("replicas")]: "0" }), [
            "rabbitmq-platform:replicas: must be at least 1 (got 0). Fix: pulumi config set rabbitmq-platform:replicas 3",
        ]);
    });

    it("rejects a quorum group larger than the cluster", function () {
        assert.deepStrictEqual(problemsOf({ [key("quorumGroupSize")]: "5" }), [
            "rabbitmq-platform:quorumGroupSize: must not exceed replicas (got 5 with replicas 3): a quorum queue cannot have more members than the cluster has nodes. Fix: pulumi config set rabbitmq-platform:quorumGroupSize 3",
        ]);
    });

    it("rejects on RabbitMQ 4 a quorum group below what queues are declared with (reconciliation only adds members)", function () {
        assert.deepStrictEqual(problemsOf({ [key("quorumGroupSize")]: "1" }), [
            "rabbitmq-platform:quorumGroupSize: must be at least 3 on RabbitMQ 4 (got 1 with replicas 3): it is each queue's policy target-group-size, queues are declared with the broker's default of up to 3 members, and membership reconciliation only adds members. Fix: pulumi config set rabbitmq-platform:quorumGroupSize 3",
        ]);
        const three = { [key("quorumGroupSize")]: "1", [key("image")]: "rabbitmq:3.10.8-management" };
        assert.strictEqual(parsePlatformConfig({ ...devConfig(), ...three }).quorumGroupSize, 1);
        const oneNode = { [key("quorumGroupSize")]: "1", [key("replicas")]: "1" };
        assert.strictEqual(parsePlatformConfig({ ...devConfig(), ...oneNode }).quorumGroupSize, 1);
    });

    it("rejects wrong types before anything else", function () {
        assert.deepStrictEqual(problemsOf({ [key("replicas")]: "three", [key("protect")]: "yes" }), [
            'rabbitmq-platform:replicas: must be a whole number (got "three"). Fix: pulumi config set rabbitmq-platform:replicas 3',
            'rabbitmq-platform:protect: must be true or false (got "yes"). Fix: pulumi config set rabbitmq-platform:protect true',
        ]);
    });

    it("names the range of a bounded number, for each bound", function () {
        const fix = (k: string, v: string) => `Fix: pulumi config set rabbitmq-platform:${k} ${v}`;
        assert.deepStrictEqual(
            problemsOf({
                [key("readyTimeoutSeconds")]: "30",
                [key("managementNodePort")]: "80",
                [key("externalAmqpPort")]: "70000",
                [key("rabbitmqMajorVersion")]: "5",
            }),
            [
                `rabbitmq-platform:readyTimeoutSeconds: must be at least 60 (got 30). ${fix("readyTimeoutSeconds", "900")}`,
                `rabbitmq-platform:managementNodePort: must be in the NodePort range 30000-32767 (got 80). ${fix("managementNodePort", "31672")}`,
                `rabbitmq-platform:externalAmqpPort: must be a port, 1-65535 (got 70000). ${fix("externalAmqpPort", "5671")}`,
                `rabbitmq-platform:rabbitmqMajorVersion: must be 3 or 4 (got 5). ${fix("rabbitmqMajorVersion", "4")}`,
            ],
        );
        assert.deepStrictEqual(problemsOf({ [key("readyTimeoutSeconds")]: "9000" }), [
            `rabbitmq-platform:readyTimeoutSeconds: must be at most 7200 (got 9000). ${fix("readyTimeoutSeconds", "900")}`,
        ]);
    });

    it("rejects unknown keys and suggests the intended one", function () {
        assert.deepStrictEqual(problemsOf({ [key("replica")]: "3" }), [
            "rabbitmq-platform:replica: is not a setting of rabbitmq-platform; did you mean rabbitmq-platform:replicas? Fix: remove it (pulumi config rm rabbitmq-platform:replica) or rename it to rabbitmq-platform:replicas",
        ]);
    });

    it("requires a way to reach the management API", function () {
        const [problem] = problemsOf({ [key("managementService")]: "none" });
        assert.match(
            problem,
            /^rabbitmq-platform:managementEndpoint: the management API must be reachable from where `pulumi up` runs/,
        );
        assert.match(problem, /Fix: pulumi config set rabbitmq-platform:managementService LoadBalancer/);
    });

    it("refuses an endpoint with a trailing slash (the provider would get 405 EOF)", function () {
        const [problem] = problemsOf({ [key("managementEndpoint")]: "http://127.0.0.1:15672/" });
        assert.match(
            problem,
            /^rabbitmq-platform:managementEndpoint: must be http\(s\):\/\/host:port with no path and no trailing slash/,
        );
    });

    it("refuses an open or missing source range on a LoadBalancer management Service", function () {
        const lb = { [key("managementService")]: "LoadBalancer" };
        assert.match(
            problemsOf(lb)[0],
            /^rabbitmq-platform:managementSourceRanges: must list the CIDRs allowed/,
        );
        assert.match(
            problemsOf({ ...lb, [key("managementSourceRanges")]: '["0.0.0.0/0"]' })[0],
            /^rabbitmq-platform:managementSourceRanges: must not contain 0.0.0.0\/0/,
        );
    });

    it("refuses unpinned images", function () {
        assert.match(
            problemsOf({ [key("image")]: "rabbitmq" })[0],
            /^rabbitmq-platform:image: must be a pinned image reference/,
        );
    });

    it("lists every missing external-broker setting at once", function () {
        assert.deepStrictEqual(
            problemsOf({ [key("mode")]: "external" }).map((p) => p.split(":")[1]),
            [
                "managementEndpoint",
                "externalAmqpHost",
                "externalAdminUsername",
                "rabbitmqMajorVersion",
                "externalAdminPassword",
            ],
        );
    });

    it("refuses an external admin password stored in plain text", function () {
        assert.deepStrictEqual(problemsOf({ [key("externalAdminPassword")]: "hunter2" }), [
            "rabbitmq-platform:externalAdminPassword: is stored in plain text in the stack file; it must be a secret. Fix: pulumi config set --secret rabbitmq-platform:externalAdminPassword <value>",
        ]);
    });

    it("derives the broker's major version from the image, and refuses a contradiction", function () {
        assert.strictEqual(parsePlatformConfig(devConfig()).brokerMajorVersion, 4);
        const three = { ...devConfig(), [key("image")]: "rabbitmq:3.13.7-management" };
        assert.strictEqual(parsePlatformConfig(three).brokerMajorVersion, 3);
        assert.deepStrictEqual(problemsOf({ [key("rabbitmqMajorVersion")]: "3" }), [
            `rabbitmq-platform:rabbitmqMajorVersion: must match the image's major version (got 3 with image "rabbitmq:4.0.5-management", RabbitMQ 4). Fix: pulumi config rm rabbitmq-platform:rabbitmqMajorVersion, or pulumi config set rabbitmq-platform:rabbitmqMajorVersion 4`,
        ]);
        const digest = "rabbitmq@sha256:" + "a".repeat(64);
        assert.match(
            problemsOf({ [key("image")]: digest })[0],
            /^rabbitmq-platform:rabbitmqMajorVersion: is required when the image tag does not name a version/,
        );
    });

    it("refuses a CPU request above its limit", function () {
        assert.match(
            problemsOf({ [key("cpuRequest")]: "2", [key("cpuLimit")]: "500m" })[0],
            /^rabbitmq-platform:cpuRequest: must not exceed cpuLimit \(got "2" with cpuLimit "500m"\)\. Fix: pulumi config set rabbitmq-platform:cpuRequest 500m$/,
        );
    });
});
