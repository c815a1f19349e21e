import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as coreV1 from "@pulumi/kubernetes/core/v1";
import * as policyV1 from "@pulumi/kubernetes/policy/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    buildClusterSpec,
    clientServiceHost,
    ClusterSettings,
    podLabels,
    READY_CONDITIONS,
    RabbitmqClusterSpec,
} from "../lib/clusterSpec";
import { BrokerTls, IssuerRef } from "./brokerTls";

export interface RabbitmqClusterArgs {
    /** Cluster shape, placement, storage and how the management API is reached. */
    settings: ClusterSettings;
    /**
     * What the operator needs to be serving (ClusterOperator `ready`). The custom resource depends on it directly:
     * its finalizer is removed by the operator, so Pulumi must delete the cluster before the operator.
     * @default []
     */
    operator?: pulumi.Resource[];
    /**
     * cert-manager (its chart), which TLS certificates need; empty when the cluster already runs it.
     * @default []
     */
    certManager?: pulumi.Resource[];
    /**
     * Pulumi-protect what holds data: the cluster (its volumes), its namespace and the admin password (RabbitMQ
     * keeps the first admin password it booted with; a new one would lock the provider out).
     * @default true
     */
    protect?: boolean;
}

/** The admin account the operator creates at first boot; never `guest`. */
export const ADMIN_USERNAME = "platform-admin";

/** Client ports of the operator's listeners: plain, then TLS. */
export const PORTS = {
    management: { plain: 15672, tls: 15671 },
    amqp: { plain: 5672, tls: 5671 },
};

/** `kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster` with a typed spec. */
export class RabbitmqClusterResource extends apiextensions.CustomResource {
    constructor(
        name: string,
        args: { metadata: k8sInput.meta.v1.ObjectMeta; spec: RabbitmqClusterSpec },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(name, { apiVersion: "rabbitmq.com/v1beta1", kind: "RabbitmqCluster", ...args }, opts);
    }
}

/**
 * A RabbitmqCluster managed by the Cluster Operator, with generated admin credentials handed to the operator
 * (`secretBackend.externalSecret`), awaited until ready, a PodDisruptionBudget and, where configured, a Service
 * that exposes the management API to where `pulumi up` runs.
 */
export class RabbitmqCluster extends pulumi.ComponentResource {
    readonly cluster: RabbitmqClusterResource;
    /** Management API URL for the rabbitmq provider: `http://host:port`, no trailing slash. */
    readonly managementEndpoint: pulumi.Output<string>;
    readonly adminUsername: pulumi.Output<string>;
    /** Secret. */
    readonly adminPassword: pulumi.Output<string>;
    /** In-cluster AMQP address apps use. */
    readonly amqpHost: pulumi.Output<string>;
    readonly amqpPort: pulumi.Output<number>;
    /** Whether apps and the provider must use TLS (AMQPS, HTTPS). */
    readonly tls: boolean;
    /** PEM of the CA that signed the broker's certificate, when TLS is on. */
    readonly caCertificate?: pulumi.Output<string>;
    /** The Secret holding the broker's certificate and its CA (`ca.crt`), when TLS is on. */
    readonly tlsSecretName?: string;
    /** What the management API needs before it answers: the ready cluster and, if any, its Service. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: RabbitmqClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:cluster:RabbitmqCluster", name, {}, opts);
        const s = args.settings;
        const protect = args.protect ?? true;
        if (s.managementEndpoint === undefined && s.managementService === "none") {
            throw new pulumi.ResourceError(
                "RabbitmqCluster needs `managementEndpoint` or a `managementService` (LoadBalancer or NodePort): the rabbitmq provider must reach the management API from where `pulumi up` runs.",
                this,
            );
        }
        const namespace = new coreV1.Namespace(
            `${name}-namespace`,
            { metadata: { name: s.namespace } },
            // Deleting the namespace would delete retained volumes with it.
            { parent: this, protect, retainOnDelete: s.retainDataOnDelete },
        );
        const ns = namespace.metadata.name;

        const password = new random.RandomPassword(
            `${name}-admin-password`,
            // Alphanumeric: the operator writes it into rabbitmq.conf (default_user.conf), where '#' and
            // whitespace would be misread; 40 characters keep it strong.
            { length: 40, special: false },
            { parent: this, protect },
        );
        this.adminUsername = pulumi.output(ADMIN_USERNAME);
        this.adminPassword = pulumi.secret(password.result);
        this.tls = s.tls !== "off";
        const amqpPort = this.tls ? PORTS.amqp.tls : PORTS.amqp.plain;
        const host = clientServiceHost(s.clusterName, s.namespace);
        this.amqpHost = pulumi.output(host);
        this.amqpPort = pulumi.output(amqpPort);

        const adminSecretName = `${s.clusterName}-admin`;
        const adminSecret = new coreV1.Secret(
            `${name}-admin`,
            {
                metadata: { name: adminSecretName, namespace: ns },
                type: "Opaque",
                // The service-binding format of the operator's own default-user Secret.
                stringData: pulumi.secret(
                    password.result.apply((pw) => ({
                        "default_user.conf": `default_user = ${ADMIN_USERNAME}\ndefault_pass = ${pw}\n`,
                        username: ADMIN_USERNAME,
                        password: pw,
                        host,
                        port: String(amqpPort),
                        provider: "rabbitmq",
                        type: "rabbitmq",
                    })),
                ),
            },
            { parent: this },
        );

        const service = this.managementService(name, s, ns);
        const tls =
            s.tls === "off"
                ? undefined
                : new BrokerTls(
                      `${name}-tls`,
                      {
                          namespace: ns,
                          clusterName: s.clusterName,
                          issuer: parseIssuer(s.tlsIssuer),
                          extraHosts: managementHosts(s, service?.host),
                          certManager: args.certManager,
                      },
                      { parent: this },
                  );
        this.caCertificate = tls?.caCertificate;
        this.tlsSecretName = tls?.secretName;

        this.cluster = new RabbitmqClusterResource(
            `${name}-cluster`,
            {
                metadata: {
                    name: s.clusterName,
                    namespace: ns,
                    annotations: {
                        "pulumi.com/waitFor": JSON.stringify(READY_CONDITIONS.map((c) => `condition=${c}`)),
                        "pulumi.com/timeoutSeconds": String(s.readyTimeoutSeconds),
                    },
                },
                spec: buildClusterSpec(s, adminSecretName, tls?.secretName),
            },
            {
                parent: this,
                protect,
                dependsOn: [
                    adminSecret,
                    ...(tls === undefined ? [] : [tls.certificate]),
                    ...(args.operator ?? []),
                ],
            },
        );

        if (s.podDisruptionBudget) {
            new policyV1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: { name: `${s.clusterName}-rabbitmq`, namespace: ns },
                    spec: { maxUnavailable: 1, selector: { matchLabels: podLabels(s.clusterName) } },
                },
                { parent: this, dependsOn: [this.cluster] },
            );
        }

        this.ready = service === undefined ? [this.cluster] : [this.cluster, service.resource];
        // An explicit endpoint wins: it is how users reach a Service through their own ingress or a tunnel.
        const scheme = this.tls ? "https" : "http";
        this.managementEndpoint = pulumi.output(
            s.managementEndpoint ?? service?.host.apply((h) => `${scheme}://${h}:${service.port}`) ?? "",
        );
        this.registerOutputs({
            cluster: this.cluster,
            managementEndpoint: this.managementEndpoint,
            adminUsername: this.adminUsername,
            adminPassword: this.adminPassword,
            amqpHost: this.amqpHost,
            amqpPort: this.amqpPort,
        });
    }

    private managementService(
        name: string,
        s: ClusterSettings,
        ns: pulumi.Output<string>,
    ): { resource: coreV1.Service; host: pulumi.Output<string>; port: number } | undefined {
        if (s.managementService === "none") {
            return undefined;
        }
        const isNodePort = s.managementService === "NodePort";
        const port = s.tls === "off" ? PORTS.management.plain : PORTS.management.tls;
        // No dependency on the cluster: a Service may exist before its pods, and with TLS the certificate
        // needs the load balancer's address before the cluster starts.
        const service = new coreV1.Service(
            `${name}-management`,
            {
                metadata: { name: `${s.clusterName}-management`, namespace: ns },
                spec: {
                    type: s.managementService,
                    selector: podLabels(s.clusterName),
                    ports: [
                        {
                            name: s.tls === "off" ? "management" : "management-tls",
                            port,
                            targetPort: port,
                            ...(isNodePort ? { nodePort: s.managementNodePort } : {}),
                        },
                    ],
                    ...(isNodePort ? {} : { loadBalancerSourceRanges: s.managementSourceRanges }),
                },
            },
            { parent: this },
        );
        const host = isNodePort
            ? pulumi.output(s.managementNodeAddress ?? "")
            : service.status.loadBalancer.ingress.apply((ingress) => {
                  const first = ingress?.[0];
                  const address = first?.ip ?? first?.hostname;
                  if (address === undefined) {
                      throw new Error(
                          `Service ${s.clusterName}-management has no load-balancer address; check that the cluster can provision LoadBalancer Services or set managementEndpoint.`,
                      );
                  }
                  return address;
              });
        return { resource: service, host, port: isNodePort ? s.managementNodePort! : port };
    }
}

/** `ClusterIssuer/name` or `Issuer/name` (validated by lib/config.ts). */
function parseIssuer(value: string | undefined): IssuerRef | undefined {
    if (value === undefined) {
        return undefined;
    }
    const [kind, issuerName] = value.split("/");
    return { kind: kind as IssuerRef["kind"], name: issuerName };
}

/** Where `pulumi up` reaches the management API from: the certificate must name it. */
function managementHosts(
    s: ClusterSettings,
    serviceHost: pulumi.Output<string> | undefined,
): pulumi.Output<string[]> {
    if (s.managementEndpoint !== undefined) {
        return pulumi.output([new URL(s.managementEndpoint).hostname]);
    }
    return serviceHost === undefined ? pulumi.output([]) : serviceHost.apply((h) => [h]);
}
