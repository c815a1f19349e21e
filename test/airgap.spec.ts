// Air-gapped installs: the operator manifest and cert-manager chart from local copies, every image from a mirror
// or an override, validated before anything is created; and lib/images.ts's mirror rules.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderStack, RenderFailure } from "../lib/render";
import { chartImage, mirrored, resolveImage } from "../lib/images";
import { one, shippedStackConfig, stackFile } from "./support";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile";
const OPERATOR_PATCH = "kubernetes:apps/v1:DeploymentPatch";
const CR = "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster";

/** A folder holding a stand-in manifest and a chart folder whose Chart.yaml has `chartVersion`. */
function vendored(chartVersion: string): { manifest: string; chart: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-"));
    const manifest = path.join(dir, "cluster-operator.yml");
    fs.writeFileSync(manifest, "# the operator's release manifest\n");
    const chart = path.join(dir, "cert-manager");
    fs.mkdirSync(chart);
    fs.writeFileSync(
        path.join(chart, "Chart.yaml"),
        `apiVersion: v2\nname: cert-manager\nversion: ${chartVersion}\n`,
    );
    return { manifest, chart };
}

async function failure(config: Record<string, unknown>): Promise<string> {
    try {
        await renderStack({
            stack: "variant",
            configFile: stackFile("variant", { ...shippedStackConfig("dev"), ...config }),
        });
    } catch (e) {
        assert.ok(e instanceof RenderFailure, String(e));
        return e.message;
    }
    throw new Error("expected the stack to be refused");
}

describe("air-gapped installs", function () {
    it("mirrors keep the repository path and spell out Docker Hub's", function () {
        assert.strictEqual(
            mirrored("rabbitmq:4.0.5-management", "reg:5000/m"),
            "reg:5000/m/library/rabbitmq:4.0.5-management",
        );
        assert.strictEqual(
            mirrored("rabbitmqoperator/cluster-operator:2.22.3", "reg.example.com"),
            "reg.example.com/rabbitmqoperator/cluster-operator:2.22.3",
        );
        assert.strictEqual(
            mirrored("quay.io/jetstack/cert-manager-webhook:v1.18.2", "reg.example.com"),
            "reg.example.com/jetstack/cert-manager-webhook:v1.18.2",
        );
        assert.strictEqual(mirrored("localhost/a/b:1", "r"), "r/a/b:1");
        assert.strictEqual(
            resolveImage("rabbitmq:4.0.5", "r", "other/rabbitmq:4.0.5"),
            "other/rabbitmq:4.0.5",
        );
        assert.strictEqual(resolveImage("rabbitmq:4.0.5", undefined, undefined), "rabbitmq:4.0.5");
        assert.deepStrictEqual(chartImage("reg:5000/jetstack/cert-manager-controller:v1.18.2"), {
            repository: "reg:5000/jetstack/cert-manager-controller",
            tag: "v1.18.2",
        });
        const digest = `sha256:${"a".repeat(64)}`;
        assert.deepStrictEqual(chartImage(`reg/x@${digest}`), { repository: "reg/x", digest });
    });

    it("installs from local copies and a mirror, with the images the stack runs rewritten", async function () {
        const { manifest, chart } = vendored("v1.18.2");
        const { plan } = await renderStack({
            stack: "variant",
            configFile: stackFile("variant", {
                ...shippedStackConfig("dev"),
                "rabbitmq-platform:operatorManifest": manifest,
                "rabbitmq-platform:certManagerChart": chart,
                "rabbitmq-platform:imageRegistry": "registry.example.com:5000/mirror",
                "rabbitmq-platform:images": { certManagerWebhook: "other.example.com/webhook:v1.18.2" },
            }),
        });
        assert.strictEqual(one(plan, CONFIG_FILE, "cluster-operator-manifest").inputs.file, manifest);
        const release = one(plan, RELEASE, "cert-manager").inputs;
        assert.strictEqual(release.chart, chart);
        assert.strictEqual(release.repositoryOpts, undefined);
        assert.strictEqual(release.version, undefined);
        const mirror = "registry.example.com:5000/mirror/jetstack/cert-manager";
        assert.deepStrictEqual(release.values, {
            crds: { enabled: true },
            image: { repository: `${mirror}-controller`, tag: "v1.18.2" },
            webhook: { image: { repository: "other.example.com/webhook", tag: "v1.18.2" } },
            cainjector: { image: { repository: `${mirror}-cainjector`, tag: "v1.18.2" } },
            startupapicheck: { image: { repository: `${mirror}-startupapicheck`, tag: "v1.18.2" } },
            acmesolver: { image: { repository: `${mirror}-acmesolver`, tag: "v1.18.2" } },
        });
        const container = (
            one(plan, OPERATOR_PATCH, "cluster-operator-settings").inputs.spec as {
                template: {
                    spec: {
                        containers: {
                            name: string;
                            image?: string;
                            env: { name: string; value: string }[];
                        }[];
                    };
                };
            }
        ).template.spec.containers[0];
        assert.strictEqual(
            container.image,
            "registry.example.com:5000/mirror/rabbitmqoperator/cluster-operator:2.22.3",
        );
        const rabbitmqImage = "registry.example.com:5000/mirror/library/rabbitmq:4.0.5-management";
        assert.deepStrictEqual(
            container.env.find((e) => e.name === "DEFAULT_RABBITMQ_IMAGE"),
            { name: "DEFAULT_RABBITMQ_IMAGE", value: rabbitmqImage },
        );
        assert.strictEqual(
            (one(plan, CR, "rabbitmq-cluster").inputs.spec as { image: string }).image,
            rabbitmqImage,
        );
    });

    it("keeps the upstream sources and images when nothing is set", async function () {
        const { plan } = await renderStack({
            stack: "variant",
            configFile: stackFile("variant", shippedStackConfig("dev")),
        });
        assert.strictEqual(
            one(plan, CONFIG_FILE, "cluster-operator-manifest").inputs.file,
            "https://github.com/rabbitmq/cluster-operator/releases/download/v2.22.3/cluster-operator.yml",
        );
        const release = one(plan, RELEASE, "cert-manager").inputs;
        assert.strictEqual(release.chart, "cert-manager");
        assert.deepStrictEqual(release.repositoryOpts, { repo: "https://charts.jetstack.io" });
        assert.deepStrictEqual(release.values, { crds: { enabled: true } });
        const container = (
            one(plan, OPERATOR_PATCH, "cluster-operator-settings").inputs.spec as {
                template: { spec: { containers: Record<string, unknown>[] } };
            }
        ).template.spec.containers[0];
        assert.ok(!("image" in container), "the manifest's own image");
    });

    it("refuses an operator manifest that does not exist, before creating anything", async function () {
        assert.strictEqual(
            await failure({ "rabbitmq-platform:operatorManifest": "vendor/missing.yml" }),
            "Invalid stack configuration:\n  - rabbitmq-platform:operatorManifest: names " +
                `${path.resolve("vendor/missing.yml")}, which does not exist (got "vendor/missing.yml"). Fix: copy ` +
                "cluster-operator.yml of v2.22.3 there, or name its URL\nNothing was created.",
        );
    });

    it("refuses a cert-manager chart of another version than certManagerVersion pins", async function () {
        const { chart } = vendored("v1.17.0");
        assert.strictEqual(
            await failure({ "rabbitmq-platform:certManagerChart": chart }),
            "Invalid stack configuration:\n  - rabbitmq-platform:certManagerChart: names a chart of version v1.17.0, " +
                "but certManagerVersion pins v1.18.2. Fix: use the v1.18.2 chart, or pulumi config set " +
                "rabbitmq-platform:certManagerVersion v1.17.0\nNothing was created.",
        );
    });

    it("refuses a mirror written as a URL", async function () {
        assert.strictEqual(
            await failure({ "rabbitmq-platform:imageRegistry": "https://registry.example.com/" }),
            "Invalid stack configuration:\n  - rabbitmq-platform:imageRegistry: must be a registry host with an " +
                "optional port and path, such as registry.example.com:5000/mirror (no scheme, no trailing slash) " +
                '(got "https://registry.example.com/"). Fix: pulumi config set rabbitmq-platform:imageRegistry ' +
                "registry.example.com:5000/mirror\nNothing was created.",
        );
    });

    it("refuses an image override for a role that does not exist, naming the roles", async function () {
        assert.strictEqual(
            await failure({ "rabbitmq-platform:images": { operatr: "x/y:1" } }),
            'Invalid stack configuration:\n  - rabbitmq-platform:images: has no field "operatr"; its fields are ' +
                "operator, certManagerController, certManagerWebhook, certManagerCainjector, " +
                'certManagerStartupapicheck, certManagerAcmesolver and perfTest (got {"operatr":"x/y:1"}). Fix: ' +
                "pulumi config set rabbitmq-platform:images " +
                `'{"operator":"registry.example.com/rabbitmqoperator/cluster-operator:2.22.3"}'\nNothing was created.`,
        );
    });
});
