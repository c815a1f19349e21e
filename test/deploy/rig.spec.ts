// The rig itself, through the real engine: the CLI and plugins it built, a stack's whole life on its API server
// (up, no-op, refresh, drift, destroy) with the real kubernetes provider, and the policy pack run by the CLI.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { kubectl, newStack, pulumi, pulumiOk, rigEnv, ROOT } from "./support/rig";

const FIXTURE = path.join(ROOT, "test", "deploy", "fixtures", "kubernetes");
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
};
const fixtureLock = JSON.parse(fs.readFileSync(path.join(FIXTURE, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
};

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
        const inFixture = { cwd: FIXTURE };

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
});
