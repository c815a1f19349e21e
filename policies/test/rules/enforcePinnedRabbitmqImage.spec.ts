import type { RabbitmqClusterProps } from "../../lib/types";
import { enforcePinnedRabbitmqImage } from "../../rules/enforcePinnedRabbitmqImage";
import { T, find, happyStack, inputsOf } from "../fixtures";
import { assertViolations, runResourcePolicy } from "../harness";

describe("enforce-pinned-rabbitmq-image", function () {
    const policy = enforcePinnedRabbitmqImage;
    function cluster() {
        const r = find(happyStack(), T.cluster, "rabbitmq");
        return { r, spec: inputsOf<RabbitmqClusterProps>(r).spec as Record<string, unknown> };
    }

    it("passes a version tag and a digest", async function () {
        assertViolations(await runResourcePolicy(policy, cluster().r), []);
        const { r, spec } = cluster();
        spec["image"] = "registry.example.com/rabbitmq@sha256:0123abcd";
        assertViolations(await runResourcePolicy(policy, r), []);
    });

    it("fails a cluster without spec.image", async function () {
        const { r, spec } = cluster();
        delete spec["image"];
        assertViolations(await runResourcePolicy(policy, r), [
            'RabbitmqCluster "rabbitmq" does not set spec.image, so the operator picks the image and an operator upgrade upgrades RabbitMQ. Set spec.image to a pinned tag such as rabbitmq:4.1.4-management.',
        ]);
    });

    it("fails a floating tag", async function () {
        for (const image of [
            "rabbitmq",
            "rabbitmq:latest",
            "rabbitmq:management",
            "registry:5000/rabbitmq",
        ]) {
            const { r, spec } = cluster();
            spec["image"] = image;
            assertViolations(await runResourcePolicy(policy, r), [
                `RabbitmqCluster "rabbitmq" has spec.image "${image}", which floats; every pod restart can change the RabbitMQ version. Pin a version tag (rabbitmq:4.1.4-management) or a digest.`,
            ]);
        }
    });
});
