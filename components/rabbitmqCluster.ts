import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    buildClusterSpec,
    ClusterSettings,
    podLabels,
    READY_CONDITIONS,
    RabbitmqClusterSpec,
} from "../lib/clusterSpec";

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
     * Pulumi-protect what holds data: the cluster (its volumes), its namespace and the admin password (RabbitMQ
     * keeps the first admin password it booted with; a new one would lock the provider out).
     * @default true
     */
    protect?: boolean;
}

/** The admin account the operator creates at first boot; never `guest`. */
export const ADMIN_USERNAME = "platform-admin";

const MANAGEMENT_PORT = 15672;
const AMQP_PORT = 5672;

/** `kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster` with a typed spec. */
export class RabbitmqClusterResource extends k8s.apiextensions.CustomResource {
    constructor(
        name: string,
        args: { metadata: k8s.types.input.meta.v1.ObjectMeta; spec: RabbitmqClusterSpec },
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
        const namespace = new k8s.core.v1.Namespace(
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
        this.amqpHost = pulumi.output(`${s.clusterName}.${s.namespace}.svc`);
        this.amqpPort = pulumi.output(AMQP_PORT);

        const adminSecretName = `${s.clusterName}-admin`;
        const adminSecret = new k8s.core.v1.Secret(
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
                        host: `${s.clusterName}.${s.namespace}.svc`,
                        port: String(AMQP_PORT),
                        provider: "rabbitmq",
                        type: "rabbitmq",
                    })),
                ),
            },
            { parent: this },
        );

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
                spec: buildClusterSpec(s, adminSecretName),
            },
            { parent: this, protect, dependsOn: [adminSecret, ...(args.operator ?? [])] },
        );

        if (s.podDisruptionBudget) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: { name: `${s.clusterName}-rabbitmq`, namespace: ns },
                    spec: { maxUnavailable: 1, selector: { matchLabels: podLabels(s.clusterName) } },
                },
                { parent: this, dependsOn: [this.cluster] },
            );
        }

        const service = this.managementService(name, s, ns);
        this.ready = service === undefined ? [this.cluster] : [this.cluster, service.resource];
        // An explicit endpoint wins: it is how users reach a Service through their own ingress or a tunnel.
        this.managementEndpoint = pulumi.output(s.managementEndpoint ?? service?.endpoint ?? "");
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
    ): { resource: k8s.core.v1.Service; endpoint: pulumi.Output<string> } | undefined {
        if (s.managementService === "none") {
            return undefined;
        }
        const isNodePort = s.managementService === "NodePort";
        const service = new k8s.core.v1.Service(
            `${name}-management`,
            {
                metadata: { name: `${s.clusterName}-management`, namespace: ns },
                spec: {
                    type: s.managementService,
                    selector: podLabels(s.clusterName),
                    ports: [
                        {
                            name: "management",
                            port: MANAGEMENT_PORT,
                            targetPort: MANAGEMENT_PORT,
                            ...(isNodePort ? { nodePort: s.managementNodePort } : {}),
                        },
                    ],
                    ...(isNodePort ? {} : { loadBalancerSourceRanges: s.managementSourceRanges }),
                },
            },
            { parent: this, dependsOn: [this.cluster] },
        );
        const endpoint = isNodePort
            ? pulumi.output(`http://${s.managementNodeAddress}:${s.managementNodePort}`)
            : service.status.loadBalancer.ingress.apply((ingress) => {
                  const first = ingress?.[0];
                  const host = first?.ip ?? first?.hostname;
                  if (host === undefined) {
                      throw new Error(
                          `Service ${s.clusterName}-management has no load-balancer address; check that the cluster can provision LoadBalancer Services or set managementEndpoint.`,
                      );
                  }
                  return `http://${host}:${MANAGEMENT_PORT}`;
              });
        return { resource: service, endpoint };
    }
}
