import * as networkingV1 from "@pulumi/kubernetes/networking/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { LabelSelector, podLabels } from "../lib/clusterSpec";
import { NAMESPACE_NAME_LABEL } from "../lib/labelSelector";

/** RabbitMQ's ports (rabbitmq.com networking guide; the operator's client and headless Services). */
export const PORTS = {
    epmd: 4369,
    distribution: 25672,
    /** CLI tools' distribution ports: 35672-35682. */
    cliFirst: 35672,
    cliLast: 35682,
    amqp: 5672,
    amqps: 5671,
    management: 15672,
    managementTls: 15671,
    prometheus: 15692,
    prometheusTls: 15691,
    dns: 53,
} as const;

/** Where the Cluster Operator and the Messaging Topology Operator run (their release manifests). */
export const OPERATOR_NAMESPACE = "rabbitmq-system";

export interface NetworkPoliciesArgs {
    /** Namespace of the RabbitmqCluster; the policies live there. */
    namespace: pulumi.Input<string>;
    /** Name of the RabbitmqCluster: the operator labels its pods `app.kubernetes.io/name: <clusterName>`. */
    clusterName: string;
    /**
     * Namespaces whose pods may open AMQP (5672) and AMQPS (5671) connections: those holding app credentials.
     * An empty list allows AMQP from nowhere.
     */
    appNamespaces: string[];
    /**
     * Namespace of the Cluster Operator and Messaging Topology Operator, allowed to reach the management API
     * (the operator's quorum-status checks, the topology operator's API calls).
     * @default "rabbitmq-system"
     */
    operatorNamespace?: string;
    /**
     * IPv4 CIDRs allowed to reach the management API: where `pulumi up` runs. They must be the source address the
     * pod sees: through a NodePort or a LoadBalancer with `externalTrafficPolicy: Cluster` that is a node address.
     * `0.0.0.0/0` is refused.
     * @default []
     */
    managementSourceRanges?: string[];
    /**
     * Namespace of Prometheus, allowed to scrape 15692 (15691 with TLS). Undefined allows no scraping.
     * @default undefined
     */
    monitoringNamespace?: string;
    /**
     * Restrict the brokers' egress too: only to each other, DNS (53) and the Kubernetes API (443, 6443; peer
     * discovery). Off, egress is not restricted.
     * @default true
     */
    restrictEgress?: boolean;
    /**
     * CIDRs of the Kubernetes API server for the egress rule; pods reach it through the `kubernetes` Service,
     * whose endpoints are outside the pod network, so they cannot be selected by labels. Undefined allows 443 and
     * 6443 to any address.
     * @default undefined
     */
    apiServerCidrs?: string[];
}

type Policy = k8sInput.networking.v1.NetworkPolicySpec;
type Peer = k8sInput.networking.v1.NetworkPolicyPeer;
type Port = k8sInput.networking.v1.NetworkPolicyPort;

const tcp = (port: number, endPort?: number): Port =>
    endPort === undefined ? { protocol: "TCP", port } : { protocol: "TCP", port, endPort };
const inNamespace = (namespace: string): Peer => ({
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function isCidr(value: string): boolean {
    const m = CIDR.exec(value);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/**
 * NetworkPolicies for the RabbitMQ pods of one cluster: deny everything, then allow inter-node traffic (epmd,
 * distribution, CLI), AMQP(S) from the app namespaces, the management API from the operators' namespace and
 * the configured CIDRs, metrics from the monitoring namespace, and (by default) egress only to the other
 * brokers, DNS and the Kubernetes API. Policies are additive, so each allowance is its own policy, named for it.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    /** Names of the NetworkPolicy objects, deny-all first. */
    readonly policyNames: pulumi.Output<string>[];

    constructor(name: string, args: NetworkPoliciesArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:network:NetworkPolicies", name, {}, opts);
        const operatorNamespace = args.operatorNamespace ?? OPERATOR_NAMESPACE;
        const sourceRanges = args.managementSourceRanges ?? [];
        for (const ns of [...args.appNamespaces, operatorNamespace, args.monitoringNamespace ?? "default"]) {
            if (!DNS_LABEL.test(ns)) {
                throw new pulumi.ResourceError(
                    `NetworkPolicies namespace ${JSON.stringify(ns)} is not a Kubernetes namespace name (DNS-1123 label).`,
                    this,
                );
            }
        }
        for (const cidr of [...sourceRanges, ...(args.apiServerCidrs ?? [])]) {
            if (!isCidr(cidr)) {
                throw new pulumi.ResourceError(
                    `NetworkPolicies CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR such as 203.0.113.0/24.`,
                    this,
                );
            }
        }
        if (sourceRanges.some((c) => c.endsWith("/0"))) {
            throw new pulumi.ResourceError(
                "NetworkPolicies `managementSourceRanges` must not contain a /0 range: the management API is an admin endpoint. List the CIDRs where `pulumi up` runs.",
                this,
            );
        }

        const brokers: LabelSelector = { matchLabels: podLabels(args.clusterName) };
        const interNodePorts = [tcp(PORTS.epmd), tcp(PORTS.distribution), tcp(PORTS.cliFirst, PORTS.cliLast)];
        const restrictEgress = args.restrictEgress ?? true;
        const specs: [string, Policy][] = [
            // Selecting the pods with no rules denies every connection the later policies do not allow.
            [
                "deny-all",
                {
                    podSelector: brokers,
                    policyTypes: restrictEgress ? ["Ingress", "Egress"] : ["Ingress"],
                },
            ],
            [
                "allow-inter-node",
                {
                    podSelector: brokers,
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ podSelector: brokers }], ports: interNodePorts }],
                },
            ],
        ];
        const appNamespaces = [...new Set(args.appNamespaces)].sort();
        if (appNamespaces.length > 0) {
            specs.push([
                "allow-amqp",
                {
                    podSelector: brokers,
                    policyTypes: ["Ingress"],
                    ingress: [
                        { from: appNamespaces.map(inNamespace), ports: [tcp(PORTS.amqp), tcp(PORTS.amqps)] },
                    ],
                },
            ]);
        }
        specs.push([
            "allow-management",
            {
                podSelector: brokers,
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            inNamespace(operatorNamespace),
                            ...sourceRanges.map((cidr): Peer => ({ ipBlock: { cidr } })),
                        ],
                        ports: [tcp(PORTS.management), tcp(PORTS.managementTls)],
                    },
                ],
            },
        ]);
        if (args.monitoringNamespace !== undefined) {
            specs.push([
                "allow-metrics",
                {
                    podSelector: brokers,
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [inNamespace(args.monitoringNamespace)],
                            ports: [tcp(PORTS.prometheus), tcp(PORTS.prometheusTls)],
                        },
                    ],
                },
            ]);
        }
        if (restrictEgress) {
            const apiServer: Peer[] | undefined = args.apiServerCidrs?.map((cidr) => ({ ipBlock: { cidr } }));
            specs.push([
                "allow-egress",
                {
                    podSelector: brokers,
                    policyTypes: ["Egress"],
                    egress: [
                        { to: [{ podSelector: brokers }], ports: interNodePorts },
                        {
                            ports: [
                                { protocol: "UDP", port: PORTS.dns },
                                { protocol: "TCP", port: PORTS.dns },
                            ],
                        },
                        {
                            ...(apiServer === undefined ? {} : { to: apiServer }),
                            ports: [tcp(443), tcp(6443)],
                        },
                    ],
                },
            ]);
        }

        this.policyNames = specs.map(
            ([role, spec]) =>
                new networkingV1.NetworkPolicy(
                    `${name}-${role}`,
                    {
                        metadata: {
                            name: `${args.clusterName}-${role}`,
                            namespace: args.namespace,
                            labels: { "app.kubernetes.io/part-of": "rabbitmq-platform" },
                        },
                        spec,
                    },
                    { parent: this },
                ).metadata.name,
        );
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
