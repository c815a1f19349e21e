import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";

export interface CertManagerArgs {
    /** Pinned cert-manager chart version, e.g. `v1.18.2`. */
    version: string;
    /**
     * Namespace cert-manager runs in; the release creates it.
     * @default "cert-manager"
     */
    namespace?: string;
}

/**
 * cert-manager, installed from its Helm chart with its CRDs. The Cluster Operator's manifest (v2.22+) contains
 * cert-manager Issuers and Certificates for its webhooks, so it cannot be applied before this is ready.
 *
 * A Helm Release rather than a Chart v4: the release creates its own namespace, so cert-manager is one step of
 * the deploy chain instead of two (a Chart needs a Namespace resource created before it), which is what
 * `@pulumi/kubernetes-cert-manager` does too. The release is awaited until every workload it installs is ready.
 */
export class CertManager extends pulumi.ComponentResource {
    /** Depend on it to wait until cert-manager's deployments (and its webhook) are available. */
    readonly release: Release;

    constructor(name: string, args: CertManagerArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:prerequisites:CertManager", name, {}, opts);
        if (!/^v\d+\.\d+\.\d+$/.test(args.version)) {
            throw new pulumi.ResourceError(
                `CertManager \`version\` must be an exact chart version such as v1.18.2 (got ${JSON.stringify(args.version)}).`,
                this,
            );
        }
        this.release = new Release(
            name,
            {
                // A fixed release name: the default adds a random suffix, which would make `helm list` and the
                // runbook's upgrade steps guess it.
                name,
                chart: "cert-manager",
                version: args.version,
                repositoryOpts: { repo: "https://charts.jetstack.io" },
                namespace: args.namespace ?? "cert-manager",
                createNamespace: true,
                values: { crds: { enabled: true } },
            },
            { parent: this },
        );
        this.registerOutputs({ release: this.release });
    }
}
