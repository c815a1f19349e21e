import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { REPLICAS_OUTPUT, scaleDownProblem, scaleGuard } from "../../lib/scaleGuard";
import { installMocks, Recorder } from "./support";

/** Settles to the Output's value, or to the error it fails with. */
function settle<T>(output: pulumi.Output<T>): Promise<T | Error> {
    return new Promise((resolve) => {
        (output as unknown as { promise(): Promise<T> })
            .promise()
            .then(resolve, (e: unknown) => resolve(e instanceof Error ? e : new Error(String(e))));
    });
}

describe("scale guard (lib/scaleGuard.ts)", function () {
    let previous: unknown;
    let rec: Recorder;

    before(async function () {
        rec = await installMocks(true, (args) =>
            args.type === "pulumi:pulumi:StackReference"
                ? {
                      outputs: previous === undefined ? {} : { [REPLICAS_OUTPUT]: previous },
                      secretOutputNames: [],
                  }
                : {},
        );
    });

    it("allows the first deployment, equal sizes and scaling up", function () {
        assert.strictEqual(scaleDownProblem(undefined, 3, "rabbitmq/rabbitmq"), undefined);
        assert.strictEqual(scaleDownProblem(3, 3, "rabbitmq/rabbitmq"), undefined);
        assert.strictEqual(scaleDownProblem(3, 5, "rabbitmq/rabbitmq"), undefined);
    });

    it("explains a scale-down: why the operator refuses it and what to do instead", function () {
        assert.strictEqual(
            scaleDownProblem(5, 3, "rabbitmq/rabbitmq"),
            "`replicas` would go from 5 to 3 on RabbitmqCluster rabbitmq/rabbitmq, and the Cluster Operator does not support scaling down: it would set ReconcileSuccess=False (UnsupportedOperation) and change nothing, and quorum queue members on the removed nodes would lose their majority. Keep the size (pulumi config set rabbitmq-platform:replicas 5), or move to a smaller cluster: a new stack with the smaller size, definitions exported from this cluster and imported there, messages moved with a shovel, then this stack destroyed (docs/runbook.md#scale-up).",
        );
    });

    it("reads the stack's own previous outputs at preview and passes when nothing shrinks", async function () {
        previous = 3;
        const result = await settle(scaleGuard("guard-up", 5, "rabbitmq/rabbitmq"));
        assert.ok(Array.isArray(result) && result.length === 1, String(result));
        await rec.settle();
        const ref = rec.one("pulumi:pulumi:StackReference", "guard-up");
        assert.strictEqual(ref.inputs.name, "organization/rabbitmq-platform/test");
        previous = undefined;
        assert.ok(Array.isArray(await settle(scaleGuard("guard-first", 3, "rabbitmq/rabbitmq"))));
        // Offline renders (npm run plan) give the reference no outputs at all.
        previous = null;
        assert.ok(Array.isArray(await settle(scaleGuard("guard-offline", 3, "rabbitmq/rabbitmq"))));
    });

    it("fails the preview with a ResourceError when replicas decrease", async function () {
        previous = 5;
        const result = await settle(scaleGuard("guard-down", 3, "rabbitmq/rabbitmq"));
        assert.ok(result instanceof pulumi.ResourceError, String(result));
        assert.strictEqual(result.message, scaleDownProblem(5, 3, "rabbitmq/rabbitmq"));
    });
});
