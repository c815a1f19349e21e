import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { NetworkPolicies, NetworkPoliciesArgs } from "../../components/networkPolicies";
import type { LabelSelector } from "../../lib/clusterSpec";
import { NAMESPACE_NAME_LABEL, operatorPodLabels, selectorMatches } from "../../lib/labelSelector";
import { installMocks, promiseOf, Recorder } from "./support";

const TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

interface PolicyInputs {
    metadata: { name: string; namespace: string };
    spec: {
        podSelector: LabelSelector;
        policyTypes: string[];
        ingress?: {
            from?: Record<string, unknown>[];
            ports: { protocol: string; port: number; endPort?: number }[];
        }[];
        egress?: {
            to?: Record<string, unknown>[];
            ports: { protocol: string; port: number; endPort?: number }[];
        }[];
    };
}

const ARGS: NetworkPoliciesArgs = {
    namespace: "rabbitmq",
    clusterName: "rabbitmq",
    appNamespaces: ["tl-engine", "carpeta", "tl-engine"],
    managementSourceRanges: ["10.0.0.0/8"],
    monitoringNamespace: "monitoring",
};

const interNode = [
    { protocol: "TCP", port: 4369 },
    { protocol: "TCP", port: 25672 },
    { protocol: "TCP", port: 35672, endPort: 35682 },
];
const brokers = { matchLabels: { "app.kubernetes.io/name": "rabbitmq" } };
const ns = (name: string) => ({ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } } });

describe("NetworkPolicies component", function () {
    let rec: Recorder;
    let policies: Map<string, PolicyInputs>;
    let componentUrn: string;

    before(async function () {
        rec = await installMocks();
        const component = new NetworkPolicies("network", ARGS);
        await Promise.all(component.policyNames.map(promiseOf));
        componentUrn = await promiseOf(component.urn);
        assert.ok(
            componentUrn.endsWith("::rabbitmq-platform:network:NetworkPolicies::network"),
            componentUrn,
        );
        await rec.settle();
        policies = new Map(
            rec
                .byType(TYPE)
                .map((r) => [r.name, r.inputs as unknown as PolicyInputs] as [string, PolicyInputs]),
        );
    });

    it("creates one policy per allowance, children of the component, named from it", function () {
        // Registration order is asynchronous: compare sorted.
        assert.deepStrictEqual([...policies.keys()].sort(), [
            "network-allow-amqp",
            "network-allow-egress",
            "network-allow-inter-node",
            "network-allow-management",
            "network-allow-metrics",
            "network-deny-all",
        ]);
        for (const r of rec.byType(TYPE)) {
            assert.strictEqual(r.parent, componentUrn);
        }
        for (const [name, p] of policies) {
            assert.deepStrictEqual(
                [p.metadata.namespace, p.metadata.name],
                ["rabbitmq", name.replace(/^network-/, "rabbitmq-")],
            );
        }
    });

    it("selects every pod the Cluster Operator labels for the cluster, and nothing else", function () {
        const others: Record<string, string>[] = [
            operatorPodLabels("other-cluster", 0),
            // The Cluster Operator's own pod (config/manager in its release manifest).
            {
                "app.kubernetes.io/name": "rabbitmq-cluster-operator",
                "app.kubernetes.io/component": "rabbitmq-operator",
            },
            { app: "engine-worker" },
        ];
        for (const [name, p] of policies) {
            for (const ordinal of [0, 1, 2, 4]) {
                assert.ok(selectorMatches(p.spec.podSelector, operatorPodLabels("rabbitmq", ordinal)), name);
            }
            for (const labels of others) {
                assert.ok(
                    !selectorMatches(p.spec.podSelector, labels),
                    `${name} selects ${JSON.stringify(labels)}`,
                );
            }
        }
    });

    it("denies all ingress and egress by default", function () {
        assert.deepStrictEqual(policies.get("network-deny-all")!.spec, {
            podSelector: brokers,
            policyTypes: ["Ingress", "Egress"],
        });
    });

    it("allows epmd, distribution and CLI ports between the brokers only", function () {
        assert.deepStrictEqual(policies.get("network-allow-inter-node")!.spec, {
            podSelector: brokers,
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: brokers }], ports: interNode }],
        });
        // The peer selector is the broker selector: it matches the other brokers' pods.
        const peer = policies.get("network-allow-inter-node")!.spec.ingress![0].from![0] as {
            podSelector: LabelSelector;
        };
        assert.ok(selectorMatches(peer.podSelector, operatorPodLabels("rabbitmq", 3)));
    });

    it("allows AMQP and AMQPS from each app namespace once", function () {
        assert.deepStrictEqual(policies.get("network-allow-amqp")!.spec.ingress, [
            {
                from: [ns("carpeta"), ns("tl-engine")],
                ports: [
                    { protocol: "TCP", port: 5672 },
                    { protocol: "TCP", port: 5671 },
                ],
            },
        ]);
    });

    it("allows the management API from the operator namespace and the configured CIDRs only", function () {
        assert.deepStrictEqual(policies.get("network-allow-management")!.spec.ingress, [
            {
                from: [ns("rabbitmq-system"), { ipBlock: { cidr: "10.0.0.0/8" } }],
                ports: [
                    { protocol: "TCP", port: 15672 },
                    { protocol: "TCP", port: 15671 },
                ],
            },
        ]);
    });

    it("allows Prometheus scrapes from the monitoring namespace only", function () {
        assert.deepStrictEqual(policies.get("network-allow-metrics")!.spec.ingress, [
            {
                from: [ns("monitoring")],
                ports: [
                    { protocol: "TCP", port: 15692 },
                    { protocol: "TCP", port: 15691 },
                ],
            },
        ]);
    });

    it("allows egress only to the other brokers, DNS and the Kubernetes API", function () {
        assert.deepStrictEqual(policies.get("network-allow-egress")!.spec.egress, [
            { to: [{ podSelector: brokers }], ports: interNode },
            {
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
            {
                ports: [
                    { protocol: "TCP", port: 443 },
                    { protocol: "TCP", port: 6443 },
                ],
            },
        ]);
    });

    it("leaves out what is not configured and can leave egress open", async function () {
        const before = rec.resources.length;
        const minimal = new NetworkPolicies("minimal", {
            namespace: "rabbitmq",
            clusterName: "broker",
            appNamespaces: [],
            restrictEgress: false,
            apiServerCidrs: ["172.18.0.2/32"],
        });
        await Promise.all(minimal.policyNames.map(promiseOf));
        await rec.settle();
        const created = rec.resources.slice(before).filter((r) => r.type === TYPE);
        assert.deepStrictEqual(created.map((r) => r.name).sort(), [
            "minimal-allow-inter-node",
            "minimal-allow-management",
            "minimal-deny-all",
        ]);
        const byName = (n: string) => created.find((r) => r.name === n)!.inputs as unknown as PolicyInputs;
        const deny = byName("minimal-deny-all");
        assert.deepStrictEqual(deny.spec, {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "broker" } },
            policyTypes: ["Ingress"],
        });
        const management = byName("minimal-allow-management");
        assert.deepStrictEqual(management.spec.ingress![0].from, [ns("rabbitmq-system")]);
    });

    it("restricts API-server egress to the given CIDRs", async function () {
        const before = rec.resources.length;
        const c = new NetworkPolicies("api", { ...ARGS, apiServerCidrs: ["172.18.0.2/32"] });
        await Promise.all(c.policyNames.map(promiseOf));
        await rec.settle();
        const egress = rec.resources.slice(before).find((r) => r.name === "api-allow-egress")!
            .inputs as unknown as PolicyInputs;
        assert.deepStrictEqual(egress.spec.egress![2], {
            to: [{ ipBlock: { cidr: "172.18.0.2/32" } }],
            ports: [
                { protocol: "TCP", port: 443 },
                { protocol: "TCP", port: 6443 },
            ],
        });
    });

    it("refuses an open management range, malformed CIDRs and bad namespace names", function () {
        assert.throws(
            () => new NetworkPolicies("open", { ...ARGS, managementSourceRanges: ["0.0.0.0/0"] }),
            (e: unknown) =>
                e instanceof pulumi.ResourceError &&
                e.message ===
                    "NetworkPolicies `managementSourceRanges` must not contain a /0 range: the management API is an admin endpoint. List the CIDRs where `pulumi up` runs.",
        );
        assert.throws(
            () => new NetworkPolicies("bad-cidr", { ...ARGS, managementSourceRanges: ["10.0.0.0/33"] }),
            (e: unknown) =>
                e instanceof pulumi.ResourceError &&
                e.message ===
                    'NetworkPolicies CIDR "10.0.0.0/33" is not an IPv4 CIDR such as 203.0.113.0/24.',
        );
        assert.throws(
            () => new NetworkPolicies("bad-ns", { ...ARGS, appNamespaces: ["Tl_Engine"] }),
            (e: unknown) =>
                e instanceof pulumi.ResourceError &&
                e.message ===
                    'NetworkPolicies namespace "Tl_Engine" is not a Kubernetes namespace name (DNS-1123 label).',
        );
    });
});
