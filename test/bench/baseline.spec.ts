/** The abstraction-cost baselines must register exactly what the program registers, or the ratio means nothing. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BaselineFlavour, baselineSource, typedClass, writeBaselineProgram } from "../../lib/bench/baseline";
import { projectRoot } from "../../lib/project";
import { RenderedStack, renderStack } from "../../lib/render";
import { rendered } from "../support";

/**
 * Everything the engine sees of each registration, by URN. Dependencies on reads (the scale guard's StackReference,
 * the TLS Secret's `get`) are left out: the plan does not list reads, so the baselines cannot reproduce them.
 */
function registrations(r: RenderedStack) {
    const listed = new Set(r.plan.resources.map((res) => res.urn));
    return Object.fromEntries(
        r.plan.resources.map((res) => [
            res.urn,
            {
                ...res,
                dependencies: res.dependencies.filter((d) => listed.has(d)),
                // The baselines pass plain values and the dependencies as dependsOn: the engine gets every edge,
                // but not which input it belongs to.
                propertyDependencies: {},
                wire: r.wire[res.urn]?.inputs,
            },
        ]),
    );
}

describe("abstraction-cost baselines (lib/bench/baseline.ts)", function () {
    for (const flavour of ["typed", "generic"] as BaselineFlavour[]) {
        it(`the ${flavour} baseline registers the prod plan's resources, inputs, secrets and dependencies`, async function () {
            const ours = await rendered({ stack: "prod", showSecrets: true });
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), `baseline-${flavour}-`));
            writeBaselineProgram(dir, baselineSource(ours), flavour, projectRoot(__dirname));
            const baseline = await renderStack({
                stack: "prod",
                configFile: path.join(projectRoot(__dirname), "Pulumi.prod.yaml"),
                projectDir: dir,
                showSecrets: true,
            });
            assert.deepEqual(registrations(baseline), registrations(ours));
            fs.rmSync(dir, { recursive: true, force: true });
        });
    }

    it("resolves each type token to its SDK class from the group module a program would import", function () {
        /* eslint-disable @typescript-eslint/no-require-imports -- comparing with the modules themselves */
        assert.equal(typedClass("kubernetes:core/v1:Secret"), require("@pulumi/kubernetes/core/v1").Secret);
        assert.equal(
            typedClass("kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfigurationPatch"),
            require("@pulumi/kubernetes/admissionregistration/v1").MutatingWebhookConfigurationPatch,
        );
        assert.equal(typedClass("kubernetes:batch/v1:Job"), require("@pulumi/kubernetes/batch/v1").Job);
        assert.equal(
            typedClass("kubernetes:networking.k8s.io/v1:NetworkPolicy"),
            require("@pulumi/kubernetes/networking/v1").NetworkPolicy,
        );
        assert.equal(
            typedClass("kubernetes:yaml/v2:ConfigFile"),
            require("@pulumi/kubernetes/yaml/v2").ConfigFile,
        );
        assert.equal(
            typedClass("kubernetes:helm.sh/v3:Release"),
            require("@pulumi/kubernetes/helm/v3/release").Release,
        );
        assert.equal(
            typedClass("kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster"),
            require("@pulumi/kubernetes/apiextensions").CustomResource,
        );
        assert.equal(typedClass("rabbitmq:index/queue:Queue"), require("@pulumi/rabbitmq").Queue);
        assert.equal(typedClass("pulumi:providers:rabbitmq"), require("@pulumi/rabbitmq").Provider);
        /* eslint-enable @typescript-eslint/no-require-imports */
        assert.throws(() => typedClass("aws:s3/bucket:Bucket"), /no SDK class for aws:s3\/bucket:Bucket/);
    });
});
