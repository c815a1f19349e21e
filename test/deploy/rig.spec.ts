// The rig itself, through the real engine: the CLI and plugins it built, a stack's whole life on its API server
// (up, no-op, refresh, drift, destroy) with the real kubernetes provider, and cert-manager's chart as the rig
// assembles it for air-gapped installs.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readYamlFile } from "../../lib/yaml";
import { kubectl, newStack, pulumi, pulumiOk, rigEnv, ROOT } from "./support/rig";

const FIXTURE = path.join(ROOT, "test", "deploy", "fixtures", "kubernetes");
const inFixture = { cwd: FIXTURE };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
};
const fixtureLock = JSON.parse(fs.readFileSync(path.join(FIXTURE, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
};

/** The cert-manager chart version the stack pins (Pulumi.yaml), which `rig build` assembles. */
function certManagerVersion(): string {
    const project = readYamlFile(path.join(ROOT, "Pulumi.yaml")) as {
        config: { certManagerVersion: { default: string } };
    };
    return project.config.certManagerVersion.default;
}

/** Waits until `probe` returns true, polling every half second, or fails naming `what`. */
async function eventually(what: string, seconds: number, probe: () => boolean): Promise<void> {
    for (let i = 0; i < seconds * 2; i++) {
        if (probe()) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.fail(`${what} within ${seconds}s`);
}

describe("the rig: the real Pulumi CLI and plugins, built here", function () {
    it("builds the CLI at the SDK's version and finds the plugin with downloads disabled", function () {
        const env = rigEnv();
        assert.strictEqual(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
        assert.strictEqual(env.PULUMI_SKIP_UPDATE_CHECK, "true");
        assert.strictEqual(
            pulumiOk(["version"]).stdout.trim(),
            `v${lock.packages["node_modules/@pulumi/pulumi"].version}`,
        );
        const plugins = JSON.parse(pulumiOk(["plugin", "ls", "--json"]).stdout) as {
            name: string;
            kind: string;
            version: string;
        }[];
        assert.deepStrictEqual(
            plugins.map((p) => `${p.kind} ${p.name} ${p.version}`),
            [`resource kubernetes ${fixtureLock.packages["node_modules/@pulumi/kubernetes"].version}`],
        );
    });

    it("reaches its API server with the kubeconfig it printed", function () {
        const version = JSON.parse(kubectl(["get", "--raw", "/version"]).stdout) as { gitVersion: string };
        const kubeMod = fs.readFileSync(path.join(ROOT, "rig", "kube", "go.mod"), "utf8");
        const pinned = /^require k8s\.io\/kubernetes (v\S+)$/m.exec(kubeMod)?.[1];
        assert.strictEqual(version.gitVersion, pinned);
    });

    describe("a stack's whole life on the rig's API server (real CLI, kubernetes provider 4.25.0)", function () {
        const namespace = `rig-apps-${process.pid}`;
        const amqpUrl = "amqp://app:p%40ss@rabbitmq.rabbitmq.svc:5672/%2Fengine";
        let stack: ReturnType<typeof newStack>;

        before(function () {
            stack = newStack("life", FIXTURE);
            pulumiOk(["config", "set", "namespace", namespace, "--stack", stack.name], inFixture);
            pulumiOk(["config", "set", "--secret", "amqpUrl", amqpUrl, "--stack", stack.name], inFixture);
        });

        after(function () {
            pulumi(["destroy", "--yes", "--stack", stack.name], inFixture);
            stack.remove();
        });

        function secretValue(): string | undefined {
            const run = kubectl([
                "get",
                "secret",
                "rabbitmq-secret",
                "-n",
                namespace,
                "-o",
                "jsonpath={.data.AMQP_URL}",
            ]);
            return run.status === 0 ? Buffer.from(run.stdout, "base64").toString("utf8") : undefined;
        }

        it("up creates the Namespace and the Secret, and keeps the Secret's value secret", function () {
            const up = pulumiOk(["up", "--yes", "--stack", stack.name], inFixture);
            assert.match(up.stdout, /\+ 3 created/);
            assert.ok(!up.stdout.includes("p%40ss"), "the secret value must not be printed");
            assert.strictEqual(secretValue(), amqpUrl);
            const outputs = JSON.parse(
                pulumiOk(["stack", "output", "--json", "--stack", stack.name], inFixture).stdout,
            );
            assert.deepStrictEqual(outputs, { namespace, secret: "rabbitmq-secret" });
        });

        it("a second up has nothing to do and refresh finds no drift", function () {
            assert.strictEqual(
                pulumi(["preview", "--expect-no-changes", "--stack", stack.name], inFixture).status,
                0,
            );
            assert.strictEqual(
                pulumi(["refresh", "--yes", "--expect-no-changes", "--stack", stack.name], inFixture).status,
                0,
            );
        });

        it("finds a Secret deleted behind its back on refresh, and puts it back on up", function () {
            assert.strictEqual(kubectl(["delete", "secret", "rabbitmq-secret", "-n", namespace]).status, 0);
            const refresh = pulumi(
                ["refresh", "--yes", "--expect-no-changes", "--stack", stack.name],
                inFixture,
            );
            assert.notStrictEqual(refresh.status, 0, "refresh must report the drift");
            assert.match(refresh.stdout, /- +kubernetes:core\/v1:Secret +app +deleted/);
            const up = pulumiOk(["up", "--yes", "--stack", stack.name], inFixture);
            assert.match(up.stdout, /\+ 1 created/);
            assert.strictEqual(secretValue(), amqpUrl);
        });

        it("destroy removes everything, the namespace too (the controller manager finishes it)", async function () {
            const destroy = pulumiOk(["destroy", "--yes", "--stack", stack.name], inFixture);
            assert.match(destroy.stdout, /- 3 deleted/);
            await eventually(
                `namespace ${namespace} gone`,
                60,
                () => kubectl(["get", "namespace", namespace]).status !== 0,
            );
            assert.match(kubectl(["get", "namespace", namespace]).stderr, /NotFound/);
        });
    });

    it("installs cert-manager's chart, assembled from its Go module, through the provider's Helm", function () {
        const chart = path.join(
            rigEnv().PULUMI_HOME!,
            "..",
            "charts",
            `cert-manager-${certManagerVersion()}`,
        );
        const stack = newStack("chart", FIXTURE);
        try {
            for (const [key, value] of [
                ["namespace", `chart-${process.pid}`],
                ["certManagerChart", chart],
            ]) {
                pulumiOk(["config", "set", key, value, "--stack", stack.name], inFixture);
            }
            pulumiOk(["config", "set", "--secret", "amqpUrl", "amqp://x", "--stack", stack.name], inFixture);
            pulumiOk(["up", "--yes", "--stack", stack.name], inFixture);
            const outputs = JSON.parse(
                pulumiOk(["stack", "output", "--json", "--stack", stack.name], inFixture).stdout,
            );
            assert.strictEqual(outputs.certManagerChartVersion, certManagerVersion());
            const images = kubectl([
                "get",
                "deployments",
                "-n",
                "cert-manager",
                "-o",
                "jsonpath={range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image} {end}",
            ])
                .stdout.trim()
                .split(" ");
            const tag = certManagerVersion();
            assert.deepStrictEqual(images, [
                `cert-manager=quay.io/jetstack/cert-manager-controller:${tag}`,
                `cert-manager-cainjector=quay.io/jetstack/cert-manager-cainjector:${tag}`,
                `cert-manager-webhook=quay.io/jetstack/cert-manager-webhook:${tag}`,
            ]);
            const crds = kubectl(["get", "crd", "-o", "name"])
                .stdout.split("\n")
                .filter((n) => n.includes("cert-manager.io"));
            assert.strictEqual(crds.length, 6, crds.join(", "));
            pulumiOk(["destroy", "--yes", "--stack", stack.name], inFixture);
            assert.match(kubectl(["get", "deployments", "-n", "cert-manager"]).stderr, /No resources found/);
        } finally {
            pulumi(["destroy", "--yes", "--stack", stack.name], inFixture);
            stack.remove();
            // Helm leaves the namespace it created and, by the chart's crds.keep, the CRDs.
            kubectl(["delete", "namespace", "cert-manager", "--wait=false"]);
            const left = kubectl(["get", "crd", "-o", "name"])
                .stdout.split("\n")
                .filter((n) => n.includes("cert-manager.io"));
            if (left.length > 0) {
                kubectl(["delete", ...left]);
            }
        }
    });
});
