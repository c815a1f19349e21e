import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";
import { chartImage } from "../lib/images";

/** cert-manager's workloads, each with its own image in the chart's values. */
export type CertManagerComponent = "controller" | "webhook" | "cainjector" | "startupapicheck" | "acmesolver";

export interface CertManagerArgs {
    /** Pinned cert-manager chart version, e.g. `v1.18.2`. */
    version: string;
    /**
     * A local copy of that chart (a folder with Chart.yaml, or a .tgz archive), for clusters that cannot reach
     * charts.jetstack.io.
     * @default the chart from the jetstack repository
     */
    chart?: string;
    /**
     * Images to run instead of the chart's (pinned references, e.g. from a mirror).
     * @default the chart's images, from quay.io
     */
    images?: Partial<Record<CertManagerComponent, string>>;
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
                ...(args.chart === undefined
                    ? {
                          chart: "cert-manager",
                          version: args.version,
                          repositoryOpts: { repo: "https://charts.jetstack.io" },
                      }
                    : { chart: args.chart }),
                namespace: args.namespace ?? "cert-manager",
                createNamespace: true,
                values: { crds: { enabled: true }, ...imageValues(args.images ?? {}) },
            },
            { parent: this },
        );
        this.registerOutputs({ release: this.release });
    }
}

/** The chart's values that set each overridden image: the controller's at the top level, the others nested. */
function imageValues(images: Partial<Record<CertManagerComponent, string>>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [component, image] of Object.entries(images)) {
        if (image === undefined) {
            continue;
        } else if (component === "controller") {
            values.image = chartImage(image);
        } else {
            values[component] = { image: chartImage(image) };
        }
    }
    return values;
}
