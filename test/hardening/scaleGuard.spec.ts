import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    QUORUM_GROUP_SIZE_OUTPUT,
    REPLICAS_OUTPUT,
    ScaleSettings,
    groupSizeChangeProblem,
    scaleDownProblem,
    scaleGuard,
} from "../../lib/scaleGuard";
import { installMocks, Recorder } from "./support";

/** Settles to the Output's value, or to the error it fails with. */
function settle<T>(output: pulumi.Output<T>): Promise<T | Error> {
    return new Promise((resolve) => {
        (output as unknown as { promise(): Promise<T> })
            .promise()
            .then(resolve, (e: unknown) => resolve(e instanceof Error ? e : new Error(String(e))));
    });
}

const sized = (replicas: number, quorumGroupSize = 3, brokerMajorVersion = 4): ScaleSettings => ({
    replicas,
    quorumGroupSize,
    brokerMajorVersion,
});

describe("scale guard (lib/scaleGuard.ts)", function () {
    let previous: unknown;
    let previousGroup: unknown;
    let rec: Recorder;

    before(async function () {
        rec = await installMocks(true, (args) =>
            args.type === "pulumi:pulumi:StackReference"
                ? {
                      outputs: {
                          ...(previous === undefined ? {} : { [REPLICAS_OUTPUT]: previous }),
                          ...(previousGroup === undefined
                              ? {}
                              : { [QUORUM_GROUP_SIZE_OUTPUT]: previousGroup }),
                      },
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
        const result = await settle(scaleGuard("guard-up", sized(5), "rabbitmq/rabbitmq"));
        assert.ok(Array.isArray(result) && result.length === 1, String(result));
        await rec.settle();
        const ref = rec.one("pulumi:pulumi:StackReference", "guard-up");
        assert.strictEqual(ref.inputs.name, "organization/rabbitmq-platform/test");
        previous = undefined;
        assert.ok(Array.isArray(await settle(scaleGuard("guard-first", sized(3), "rabbitmq/rabbitmq"))));
        // Offline renders (npm run plan) give the reference no outputs at all.
        previous = null;
        assert.ok(Array.isArray(await settle(scaleGuard("guard-offline", sized(3), "rabbitmq/rabbitmq"))));
    });

    it("fails the preview with a ResourceError when replicas decrease", async function () {
        previous = 5;
        const result = await settle(scaleGuard("guard-down", sized(3), "rabbitmq/rabbitmq"));
        assert.ok(result instanceof pulumi.ResourceError, String(result));
        assert.strictEqual(result.message, scaleDownProblem(5, 3, "rabbitmq/rabbitmq"));
        previous = undefined;
    });

    it("lets RabbitMQ 4 change quorumGroupSize (a policy update) and 3.x keep it", function () {
        assert.strictEqual(groupSizeChangeProblem(3, 5, 4), undefined);
        assert.strictEqual(groupSizeChangeProblem(5, 3, 4), undefined);
        assert.strictEqual(groupSizeChangeProblem(3, 3, 3), undefined);
        assert.strictEqual(groupSizeChangeProblem(undefined, 5, 3), undefined);
    });

    it("refuses a quorumGroupSize change on RabbitMQ 3.x, naming the key, the rule and the fix", async function () {
        const message =
            "`rabbitmq-platform:quorumGroupSize` would go from 3 to 5 on RabbitMQ 3.x, where it is every quorum queue's x-quorum-initial-group-size argument: a changed argument replaces each queue and loses its messages (3.x has no target-group-size policy to change instead). Keep it (pulumi config set rabbitmq-platform:quorumGroupSize 3) and add members to existing queues on new nodes with `rabbitmq-queues grow <node> all` (docs/runbook.md#scale-up), or upgrade to RabbitMQ 4, where raising it grows queues in place.";
        assert.strictEqual(groupSizeChangeProblem(3, 5, 3), message);
        previous = 3;
        previousGroup = 3;
        const result = await settle(scaleGuard("guard-group", sized(5, 5, 3), "rabbitmq/rabbitmq"));
        assert.ok(result instanceof pulumi.ResourceError, String(result));
        assert.strictEqual(result.message, message);
        const both = await settle(scaleGuard("guard-both", sized(1, 5, 3), "rabbitmq/rabbitmq"));
        assert.ok(both instanceof pulumi.ResourceError, String(both));
        assert.strictEqual(both.message, `${scaleDownProblem(3, 1, "rabbitmq/rabbitmq")}\n${message}`);
        assert.ok(Array.isArray(await settle(scaleGuard("guard-4", sized(5, 5, 4), "rabbitmq/rabbitmq"))));
        previous = undefined;
        previousGroup = undefined;
    });
});
