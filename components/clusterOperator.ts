import * as admissionV1 from "@pulumi/kubernetes/admissionregistration/v1";
import * as appsV1 from "@pulumi/kubernetes/apps/v1";
import * as yamlV2 from "@pulumi/kubernetes/yaml/v2";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";

/** Names fixed by the operator's release manifest (config/installation, namePrefix cluster-operator-). */
export const OPERATOR_NAMESPACE = "rabbitmq-system";
export const OPERATOR_DEPLOYMENT = "rabbitmq-cluster-operator";
export const OPERATOR_WEBHOOKS = {
    mutating: "cluster-operator-mutating-webhook-configuration",
    validating: "cluster-operator-validating-webhook-configuration",
};

export interface ClusterOperatorArgs {
    /** Pinned release, e.g. `v2.22.3`. */
    version: string;
    /**
     * The release manifest of `version`: a local file (absolute, or relative to where `pulumi` runs) or a URL,
     * for clusters that cannot reach GitHub.
     * @default the manifest of `version`'s GitHub release
     */
    manifest?: string;
    /**
     * The operator's image, when it must come from somewhere else than the manifest says (a mirror).
     * @default the manifest's image
     */
    image?: pulumi.Input<string>;
    /**
     * Namespaces the operator watches (`OPERATOR_SCOPE_NAMESPACE`).
     * @default [] (all namespaces)
     */
    scopeNamespaces?: string[];
    /** Image the operator's mutating webhook fills in when a RabbitmqCluster sets none (`DEFAULT_RABBITMQ_IMAGE`). */
    defaultImage: pulumi.Input<string>;
}

/** The wait annotation that holds a webhook configuration until cert-manager has injected its CA bundle. */
function awaitCaBundle(): Record<string, string> {
    return {
        "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}",
        "pulumi.com/patchForce": "true",
    };
}

/**
 * The RabbitMQ Cluster Operator from its pinned release manifest, with its watch scope and default image set,
 * ready when its webhooks serve: a RabbitmqCluster created earlier is rejected (failurePolicy Fail).
 */
export class ClusterOperator extends pulumi.ComponentResource {
    readonly manifest: yamlV2.ConfigFile;
    /** Depend on these to wait until the operator runs and its webhooks have a CA bundle. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: ClusterOperatorArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:operator:ClusterOperator", name, {}, opts);
        if (!/^v\d+\.\d+\.\d+$/.test(args.version)) {
            throw new pulumi.ResourceError(
                `ClusterOperator \`version\` must be an exact release tag such as v2.22.3 (got ${JSON.stringify(args.version)}).`,
                this,
            );
        }
        this.manifest = new yamlV2.ConfigFile(
            `${name}-manifest`,
            {
                file:
                    args.manifest ??
                    `https://github.com/rabbitmq/cluster-operator/releases/download/${args.version}/cluster-operator.yml`,
            },
            { parent: this },
        );
        const env: k8sInput.core.v1.EnvVar[] = [
            { name: "OPERATOR_SCOPE_NAMESPACE", value: (args.scopeNamespaces ?? []).join(",") },
            { name: "DEFAULT_RABBITMQ_IMAGE", value: args.defaultImage },
        ];
        const deployment = new appsV1.DeploymentPatch(
            `${name}-settings`,
            {
                metadata: {
                    name: OPERATOR_DEPLOYMENT,
                    namespace: OPERATOR_NAMESPACE,
                    annotations: { "pulumi.com/patchForce": "true" },
                },
                spec: {
                    template: {
                        spec: {
                            containers: [
                                {
                                    name: "operator",
                                    env,
                                    ...(args.image === undefined ? {} : { image: args.image }),
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [this.manifest] },
        );
        const mutating = new admissionV1.MutatingWebhookConfigurationPatch(
            `${name}-mutating-webhook`,
            { metadata: { name: OPERATOR_WEBHOOKS.mutating, annotations: awaitCaBundle() } },
            { parent: this, dependsOn: [this.manifest] },
        );
        const validating = new admissionV1.ValidatingWebhookConfigurationPatch(
            `${name}-validating-webhook`,
            { metadata: { name: OPERATOR_WEBHOOKS.validating, annotations: awaitCaBundle() } },
            { parent: this, dependsOn: [this.manifest] },
        );
        this.ready = [this.manifest, deployment, mutating, validating];
        this.registerOutputs({ manifest: this.manifest });
    }
}
