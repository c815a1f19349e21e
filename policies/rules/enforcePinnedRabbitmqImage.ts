import type { ResourceValidationPolicy } from "@pulumi/policy";
import { RABBITMQ_CLUSTER } from "../lib/tokens";
import type { RabbitmqClusterProps } from "../lib/types";
import { forType } from "../lib/validation";

/**
 * Checks that each RabbitmqCluster pins its RabbitMQ image. Without `spec.image` the operator's webhook fills
 * in its own default, so upgrading the operator silently upgrades (and rolls) every broker; `latest` or no tag
 * does the same on any pod restart.
 */
export const enforcePinnedRabbitmqImage: ResourceValidationPolicy = {
    name: "enforce-pinned-rabbitmq-image",
    description: "Checks that every RabbitmqCluster sets spec.image to a pinned tag or digest.",
    validateResource: forType<RabbitmqClusterProps>(RABBITMQ_CLUSTER, (cluster, args, reportViolation) => {
        const label = `RabbitmqCluster "${cluster.metadata?.name ?? args.name}"`;
        const image = cluster.spec?.image;
        if (image === undefined || image === "") {
            reportViolation(
                `${label} does not set spec.image, so the operator picks the image and an operator upgrade ` +
                    "upgrades RabbitMQ. Set spec.image to a pinned tag such as rabbitmq:4.1.4-management.",
            );
            return;
        }
        const lastSegment = image.split("/").pop() ?? image;
        const tag = image.includes("@")
            ? "digest"
            : lastSegment.includes(":")
              ? lastSegment.split(":")[1]
              : undefined;
        if (tag === undefined || tag === "latest" || tag === "management") {
            reportViolation(
                `${label} has spec.image "${image}", which floats; every pod restart can change the RabbitMQ ` +
                    "version. Pin a version tag (rabbitmq:4.1.4-management) or a digest.",
            );
        }
    }),
};
