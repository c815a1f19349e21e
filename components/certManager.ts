import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface CertManagerArgs {
    /** Pinned cert-manager chart version, e.g. `v1.18.2`. */
    version: string;
    /**
     * Namespace cert-manager runs in.
     * @default "cert-manager"
     */
    namespace?: string;
}

/**
 * cert-manager, installed from its Helm chart with its CRDs. The Cluster Operator's manifest (v2.22+) contains
 * cert-manager Issuers and Certificates for its webhooks, so it cannot be applied before this is ready.
 */
export class CertManager extends pulumi.ComponentResource {
    /** The chart; depend on it to wait until cert-manager's deployments (and its webhook) are available. */
    readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: CertManagerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:prerequisites:CertManager", name, {}, opts);
        const namespaceName = args.namespace ?? "cert-manager";
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: namespaceName } },
            { parent: this },
        );
        this.chart = new k8s.helm.v4.Chart(
            name,
            {
                chart: "cert-manager",
                version: args.version,
                repositoryOpts: { repo: "https://charts.jetstack.io" },
                namespace: namespace.metadata.name,
                values: { crds: { enabled: true } },
            },
            { parent: this },
        );
        this.registerOutputs({ chart: this.chart });
    }
}
