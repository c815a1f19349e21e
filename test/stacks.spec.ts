import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    MOCK_CA_PEM,
    MOCK_LOAD_BALANCER_IP,
    Plan,
    RenderFailure,
    renderStack,
    SECRET_SIG,
    SPECIAL_SIG_KEY,
} from "../lib/render";
import { byType, one, rendered, shippedStackConfig, stackFile, transitiveDependencies } from "./support";

const CR = "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster";
const SECRET = "kubernetes:core/v1:Secret";
const QUEUE = "rabbitmq:index/queue:Queue";
const POLICY = "rabbitmq:index/policy:Policy";
const PROVIDER = "pulumi:providers:rabbitmq";
const RELEASE = "kubernetes:helm.sh/v3:Release";

function customTypeCounts(plan: Plan): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of plan.resources.filter((x) => x.custom)) {
        counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    return counts;
}

function isSecretWire(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG
    );
}

function stringData(plan: Plan, name: string): Record<string, string> {
    return one(plan, SECRET, name).inputs.stringData as Record<string, string>;
}

/** tl-engine's recommended option: topology and Secrets on a managed broker. */
const EXTERNAL_BROKER = {
    "rabbitmq-platform:mode": "external",
    "rabbitmq-platform:managementEndpoint": "https://broker.example.com:443",
    "rabbitmq-platform:externalAmqpHost": "broker.example.com",
    "rabbitmq-platform:externalAdminUsername": "admin",
    "rabbitmq-platform:externalAdminPassword": { secure: "AAABAE+encrypted" },
    "rabbitmq-platform:rabbitmqMajorVersion": 4,
};

async function renderFailure(config: Record<string, unknown>): Promise<RenderFailure> {
    try {
        await renderStack({ stack: "variant", configFile: stackFile("variant", config) });
    } catch (e) {
        assert.ok(e instanceof RenderFailure, String(e));
        return e;
    }
    throw new Error("expected the stack to fail");
}

describe("the program under mocks (lib/render.ts), per stack", function () {
    it("creates exactly the expected resources in prod", async function () {
        const { plan } = await rendered({ stack: "prod" });
        assert.deepStrictEqual(customTypeCounts(plan), {
            [RELEASE]: 1,
            "kubernetes:core/v1:Namespace": 1,
            "random:index/randomPassword:RandomPassword": 5,
            "kubernetes:apps/v1:DeploymentPatch": 1,
            "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfigurationPatch": 1,
            "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfigurationPatch": 1,
            [SECRET]: 5,
            [CR]: 1,
            "kubernetes:core/v1:Service": 1,
            "kubernetes:policy/v1:PodDisruptionBudget": 1,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy": 6,
            "kubernetes:cert-manager.io/v1:Issuer": 2,
            "kubernetes:cert-manager.io/v1:Certificate": 2,
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": 1,
            "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 1,
            [PROVIDER]: 1,
            "rabbitmq:index/vHost:VHost": 2,
            "rabbitmq:index/user:User": 4,
            "rabbitmq:index/exchange:Exchange": 4,
            [QUEUE]: 6,
            [POLICY]: 6,
            "rabbitmq:index/permissions:Permissions": 4,
            "rabbitmq:index/topicPermissions:TopicPermissions": 1,
            "rabbitmq:index/binding:Binding": 6,
        });
    });

    it("installs pinned cert-manager and a pinned operator manifest with its scope and default image", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const release = one(plan, RELEASE, "cert-manager");
        assert.deepStrictEqual(release.inputs, {
            compat: "true", // set by the SDK's Release class itself
            name: "cert-manager",
            chart: "cert-manager",
            version: "v1.18.2",
            repositoryOpts: { repo: "https://charts.jetstack.io" },
            namespace: "cert-manager",
            createNamespace: true,
            values: { crds: { enabled: true } },
        });
        assert.ok(
            !plan.resources.some((r) => r.name === "cert-manager-namespace"),
            "the release creates its own namespace: no Namespace resource ahead of it in the deploy chain",
        );
        assert.strictEqual(
            one(plan, "kubernetes:yaml/v2:ConfigFile", "cluster-operator-manifest").inputs.file,
            "https://github.com/rabbitmq/cluster-operator/releases/download/v2.22.3/cluster-operator.yml",
        );
        const patch = one(plan, "kubernetes:apps/v1:DeploymentPatch", "cluster-operator-settings").inputs as {
            metadata: { name: string; namespace: string };
            spec: { template: { spec: { containers: { name: string; env: unknown }[] } } };
        };
        assert.deepStrictEqual(
            patch.metadata.name + "/" + patch.metadata.namespace,
            "rabbitmq-cluster-operator/rabbitmq-system",
        );
        assert.deepStrictEqual(patch.spec.template.spec.containers, [
            {
                name: "operator",
                env: [
                    { name: "OPERATOR_SCOPE_NAMESPACE", value: "rabbitmq" },
                    { name: "DEFAULT_RABBITMQ_IMAGE", value: "rabbitmq:4.0.5-management" },
                ],
            },
        ]);
        for (const name of ["cluster-operator-mutating-webhook", "cluster-operator-validating-webhook"]) {
            const webhook = plan.resources.find((r) => r.name === name)!;
            assert.deepStrictEqual((webhook.inputs.metadata as { annotations: unknown }).annotations, {
                "pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}",
                "pulumi.com/patchForce": "true",
            });
        }
    });

    it("orders creation (and so deletion): cert-manager, operator, cluster, provider, topology, app Secrets", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const urnOf = (type: string, name: string) => one(plan, type, name).urn;
        const cr = one(plan, CR, "rabbitmq-cluster");
        const operatorResources = [
            urnOf("kubernetes:yaml/v2:ConfigFile", "cluster-operator-manifest"),
            urnOf("kubernetes:apps/v1:DeploymentPatch", "cluster-operator-settings"),
            urnOf(
                "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfigurationPatch",
                "cluster-operator-validating-webhook",
            ),
        ];
        for (const urn of operatorResources) {
            assert.ok(cr.dependencies.includes(urn), `the cluster itself must depend on ${urn}`);
        }
        const certManager = urnOf(RELEASE, "cert-manager");
        assert.ok(
            transitiveDependencies(plan, operatorResources[0]).has(certManager),
            "operator after cert-manager",
        );
        const provider = one(plan, PROVIDER, "rabbitmq");
        assert.ok(provider.dependencies.includes(cr.urn), "provider waits for the ready cluster");
        assert.ok(provider.dependencies.includes(urnOf("kubernetes:core/v1:Service", "rabbitmq-management")));
        const topology = plan.resources.filter((r) => r.type.startsWith("rabbitmq:index/"));
        assert.strictEqual(topology.length, 33);
        for (const r of topology) {
            assert.strictEqual(r.provider, provider.urn, `${r.name} uses the explicit provider`);
        }
        for (const secret of byType(plan, SECRET).filter((s) => s.name.startsWith("apps-"))) {
            const deps = transitiveDependencies(plan, secret.urn);
            assert.ok(
                [...deps].some((u) => u.includes("rabbitmq:index/permissions:Permissions")),
                `${secret.name} waits for its permissions`,
            );
        }
    });

    it("never uses deletedWith: the cluster's finalizer needs its operator to delete it", async function () {
        const { wire } = await rendered({ stack: "prod" });
        assert.deepStrictEqual(
            Object.entries(wire)
                .filter(([, w]) => w.deletedWith !== "")
                .map(([urn]) => urn),
            [],
        );
    });

    it("waits until the cluster is really ready, with the stack's timeout", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const metadata = one(plan, CR, "rabbitmq-cluster").inputs.metadata as Record<string, unknown>;
        assert.deepStrictEqual(metadata.annotations, {
            "pulumi.com/waitFor":
                '["condition=AllReplicasReady","condition=ClusterAvailable","condition=ReconcileSuccess"]',
            "pulumi.com/timeoutSeconds": "900",
        });
    });

    it("hands the operator generated admin credentials in the service-binding format, never guest", async function () {
        const { plan } = await rendered({ stack: "prod", showSecrets: true });
        const admin = stringData(plan, "rabbitmq-admin");
        assert.deepStrictEqual(Object.keys(admin).sort(), [
            "default_user.conf",
            "host",
            "password",
            "port",
            "provider",
            "type",
            "username",
        ]);
        assert.strictEqual(admin.username, "platform-admin");
        assert.match(admin.password, /^[A-Za-z0-9]{40}$/);
        assert.strictEqual(
            admin["default_user.conf"],
            `default_user = platform-admin\ndefault_pass = ${admin.password}\n`,
        );
        const spec = one(plan, CR, "rabbitmq-cluster").inputs.spec as { secretBackend: unknown };
        assert.deepStrictEqual(spec.secretBackend, { externalSecret: { name: "rabbitmq-admin" } });
        assert.deepStrictEqual(one(plan, PROVIDER, "rabbitmq").inputs, {
            endpoint: `https://${MOCK_LOAD_BALANCER_IP}:15671`,
            username: "platform-admin",
            password: admin.password,
            cacertFile: path.join(os.tmpdir(), "rabbitmq-platform", "prod-rabbitmq-ca.crt"),
        });
    });

    it("keeps every credential secret: in the registered inputs, the plan and the outputs", async function () {
        const revealed = (await rendered({ stack: "prod", showSecrets: true })).plan;
        const { plan, wire } = await rendered({ stack: "prod" });
        const passwords = byType(revealed, SECRET).map(
            (s) => (s.inputs.stringData as Record<string, string>).password,
        );
        assert.strictEqual(passwords.length, 5);
        const text = JSON.stringify(plan);
        for (const pw of passwords) {
            assert.ok(!text.includes(pw), "a password leaked into the plan");
        }
        for (const s of byType(plan, SECRET)) {
            assert.ok(isSecretWire(wire[s.urn].inputs.stringData), `${s.name} stringData is a secret`);
        }
        assert.ok(isSecretWire(wire[one(plan, PROVIDER, "rabbitmq").urn].inputs.password));
        for (const u of byType(plan, "rabbitmq:index/user:User")) {
            assert.ok(isSecretWire(wire[u.urn].inputs.password), `${u.name} password is a secret`);
        }
        assert.strictEqual(plan.outputs.adminPassword, "[secret]");
    });

    it("writes each app a Secret with its own URL-encoded AMQP_URL and service-binding keys", async function () {
        const { plan } = await rendered({ stack: "dev", showSecrets: true });
        const secrets = byType(plan, SECRET).filter((s) => s.name.startsWith("apps-"));
        assert.deepStrictEqual(
            secrets.map((s) => {
                const m = s.inputs.metadata as { namespace: string; name: string };
                return `${m.namespace}/${m.name}`;
            }),
            [
                "tl-engine/engine-api-rabbitmq",
                "tl-engine/rabbitmq-secret",
                "carpeta/documento-producer-rabbitmq",
                "carpeta/documento-consumer-rabbitmq",
            ],
        );
        for (const s of secrets) {
            const data = s.inputs.stringData as Record<string, string>;
            assert.deepStrictEqual(Object.keys(data).sort(), [
                "AMQP_URL",
                "host",
                "password",
                "port",
                "provider",
                "type",
                "username",
                "vhost",
            ]);
            assert.match(
                data.password,
                /[@/:#%?&=+!]/,
                "passwords include characters that need URL-encoding",
            );
            const url = new URL(data.AMQP_URL);
            assert.strictEqual(url.protocol, "amqp:");
            assert.strictEqual(decodeURIComponent(url.username), data.username);
            assert.strictEqual(decodeURIComponent(url.password), data.password);
            assert.strictEqual(`${url.hostname}:${url.port}`, "rabbitmq.rabbitmq.svc:5672");
            assert.strictEqual(decodeURIComponent(url.pathname.slice(1)), data.vhost);
            assert.ok(url.pathname === "/%2Fengine" || url.pathname === "/%2Fcarpeta", url.pathname);
        }
    });

    it("protects vhosts in prod: deleting one deletes every queue in it", async function () {
        assert.deepStrictEqual(
            byType((await rendered({ stack: "prod" })).plan, "rabbitmq:index/vHost:VHost").map(
                (v) => v.protect,
            ),
            [true, true],
        );
        assert.deepStrictEqual(
            byType((await rendered({ stack: "dev" })).plan, "rabbitmq:index/vHost:VHost").map(
                (v) => v.protect,
            ),
            [false, false],
        );
    });

    it("declares durable quorum queues with typed arguments, the stack's group size in their policy, and protection in prod", async function () {
        for (const [stack, groupSize, protect] of [
            ["dev", "3", false],
            ["prod", "5", true],
        ] as const) {
            const { plan } = await rendered({ stack });
            const targets = byType(plan, POLICY).map(
                (p) =>
                    (p.inputs.policy as { definition: Record<string, string> }).definition[
                        "target-group-size"
                    ],
            );
            assert.deepStrictEqual(targets, Array<string>(byType(plan, QUEUE).length).fill(groupSize));
            for (const q of byType(plan, QUEUE)) {
                const settings = q.inputs.settings as Record<string, unknown>;
                assert.deepStrictEqual(Object.keys(settings).sort(), [
                    "argumentsJson",
                    "autoDelete",
                    "durable",
                ]);
                assert.strictEqual(settings.durable, true);
                assert.strictEqual(settings.autoDelete, false);
                assert.deepStrictEqual(JSON.parse(settings.argumentsJson as string), {
                    "x-queue-type": "quorum",
                });
                assert.strictEqual(q.protect, protect, `${stack} ${q.name} protect`);
            }
        }
    });

    it("puts changeable settings in one anchored policy per queue that matches that queue only", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const queues = byType(plan, QUEUE).map(
            (q) => `${q.inputs.vhost as string}|${q.inputs.name as string}`,
        );
        for (const p of byType(plan, POLICY)) {
            const policy = p.inputs.policy as {
                pattern: string;
                applyTo: string;
                definition: Record<string, string>;
            };
            const matches = queues.filter((id) => {
                const [vhost, name] = id.split("|");
                return vhost === p.inputs.vhost && new RegExp(policy.pattern).test(name);
            });
            assert.deepStrictEqual(matches, [`${p.inputs.vhost as string}|${p.inputs.name as string}`]);
            assert.strictEqual(policy.applyTo, "queues");
            for (const v of Object.values(policy.definition)) {
                assert.strictEqual(typeof v, "string");
            }
        }
    });

    it("gives the PodDisruptionBudget the selector of the operator's pods", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const pdb = one(plan, "kubernetes:policy/v1:PodDisruptionBudget", "rabbitmq-pdb").inputs.spec;
        assert.deepStrictEqual(pdb, {
            maxUnavailable: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": "rabbitmq" } },
        });
    });

    it("exposes management through a source-restricted LoadBalancer in prod and a NodePort in dev", async function () {
        const prod = one(
            (await rendered({ stack: "prod" })).plan,
            "kubernetes:core/v1:Service",
            "rabbitmq-management",
        );
        assert.deepStrictEqual(prod.inputs.spec, {
            type: "LoadBalancer",
            selector: { "app.kubernetes.io/name": "rabbitmq" },
            ports: [{ name: "management-tls", port: 15671, targetPort: 15671 }],
            loadBalancerSourceRanges: ["10.0.0.0/8"],
        });
        const dev = (await rendered({ stack: "dev" })).plan;
        assert.strictEqual(dev.outputs.managementUrl, "http://127.0.0.1:31672");
        assert.deepStrictEqual(
            (one(dev, "kubernetes:core/v1:Service", "rabbitmq-management").inputs.spec as { ports: unknown })
                .ports,
            [{ name: "management", port: 15672, targetPort: 15672, nodePort: 31672 }],
        );
    });

    it("previews with unknown computed values and no secret in sight", async function () {
        const { plan } = await rendered({ stack: "prod", preview: true });
        assert.strictEqual(one(plan, PROVIDER, "rabbitmq").inputs.endpoint, "[unknown]");
        assert.strictEqual(
            one(plan, SECRET, "apps-carpeta-documento-producer-rabbitmq").inputs.stringData,
            "[unknown]",
        );
        assert.strictEqual(byType(plan, QUEUE).length, 6);
    });

    it("exports outputs with credentials only as secrets", async function () {
        const { plan } = await rendered({ stack: "prod" });
        assert.deepStrictEqual(plan.outputs, {
            mode: "operator",
            replicas: 5,
            quorumGroupSize: 5,
            managementUrl: `https://${MOCK_LOAD_BALANCER_IP}:15671`,
            amqpHost: "rabbitmq.rabbitmq.svc",
            amqpPort: 5671,
            adminUsername: "platform-admin",
            adminPassword: "[secret]",
            vhosts: ["/engine", "/carpeta"],
            queues: [
                "/engine/engine:tasks",
                "/engine/engine:events:worker",
                "/engine/engine:tasks:dead",
                "/engine/engine:events:dead",
                "/carpeta/documento.deletion.queue",
                "/carpeta/documento.deletion.dlq",
            ],
            appSecrets: {
                "tl-engine": ["engine-api-rabbitmq", "rabbitmq-secret"],
                carpeta: ["documento-producer-rabbitmq", "documento-consumer-rabbitmq"],
            },
        });
    });

    it("renders the same bytes twice", async function () {
        // The run's shared render (usually made earlier, other renders in between) against a fresh one.
        const a = await rendered({ stack: "dev", showSecrets: true });
        const b = await renderStack({ stack: "dev", showSecrets: true });
        assert.strictEqual(JSON.stringify(a.plan), JSON.stringify(b.plan));
    });

    it("fails on invalid config before the program registers any resource", async function () {
        const failure = await renderFailure({
            ...shippedStackConfig("dev"),
            "rabbitmq-platform:replicas": 4,
        });
        assert.match(failure.message, /rabbitmq-platform:replicas: must be odd/);
        assert.deepStrictEqual(
            failure.registered.map((r) => r.type),
            [],
        );
    });

    it("skips cert-manager when the cluster already has it", async function () {
        const { plan } = await renderStack({
            stack: "variant",
            configFile: stackFile("variant", {
                ...shippedStackConfig("dev"),
                "rabbitmq-platform:installCertManager": false,
            }),
        });
        assert.deepStrictEqual(byType(plan, RELEASE), []);
        assert.strictEqual(byType(plan, CR).length, 1);
    });

    it("serves TLS only in prod: no plain listener, amqps URLs with the CA, HTTPS management verified by the CA", async function () {
        const { plan } = await rendered({ stack: "prod", showSecrets: true });
        const spec = one(plan, CR, "rabbitmq-cluster").inputs.spec as { tls: unknown };
        assert.deepStrictEqual(spec.tls, { secretName: "rabbitmq-tls", disableNonTLSListeners: true });
        for (const s of byType(plan, SECRET).filter((x) => x.name.startsWith("apps-"))) {
            const data = s.inputs.stringData as Record<string, string>;
            assert.match(data.AMQP_URL, /^amqps:\/\/[^@]+@rabbitmq\.rabbitmq\.svc:5671\/%2F/);
            assert.strictEqual(data.port, "5671");
            assert.strictEqual(data["ca.crt"], MOCK_CA_PEM);
        }
        assert.strictEqual(stringData(plan, "rabbitmq-admin").port, "5671");
        const monitor = one(
            plan,
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
            "monitoring-service-monitor",
        );
        const endpoints = (monitor.inputs.spec as { endpoints: Record<string, unknown>[] }).endpoints;
        assert.deepStrictEqual(
            endpoints.map((e) => [e.port, e.scheme, e.tlsConfig]),
            [1, 2].map(() => [
                "prometheus-tls",
                "https",
                {
                    ca: { secret: { name: "rabbitmq-tls", key: "ca.crt" } },
                    serverName: "rabbitmq.rabbitmq.svc",
                },
            ]),
        );
        const cacertFile = one(plan, PROVIDER, "rabbitmq").inputs.cacertFile as string;
        assert.strictEqual(fs.readFileSync(cacertFile, "utf8"), MOCK_CA_PEM);
    });

    it("issues the broker certificate from a self-signed CA made for the stack, naming every way it is reached", async function () {
        const { plan } = await rendered({ stack: "prod" });
        const server = one(plan, "kubernetes:cert-manager.io/v1:Certificate", "rabbitmq-tls-server");
        const spec = server.inputs.spec as Record<string, unknown>;
        assert.deepStrictEqual(spec.dnsNames, [
            "rabbitmq.rabbitmq.svc",
            "rabbitmq.rabbitmq.svc.cluster.local",
            "*.rabbitmq-nodes.rabbitmq.svc",
            "*.rabbitmq-nodes.rabbitmq.svc.cluster.local",
        ]);
        assert.deepStrictEqual(spec.ipAddresses, [MOCK_LOAD_BALANCER_IP]);
        assert.deepStrictEqual(spec.issuerRef, {
            kind: "Issuer",
            name: "rabbitmq-ca",
            group: "cert-manager.io",
        });
        const ca = one(plan, "kubernetes:cert-manager.io/v1:Certificate", "rabbitmq-tls-ca").inputs
            .spec as Record<string, unknown>;
        assert.strictEqual(ca.isCA, true);
        assert.ok(
            one(plan, CR, "rabbitmq-cluster").dependencies.includes(server.urn),
            "the cluster waits for its certificate",
        );
        const certManager = one(plan, RELEASE, "cert-manager").urn;
        assert.ok(
            transitiveDependencies(plan, server.urn).has(certManager),
            "certificates wait for cert-manager",
        );
        assert.deepStrictEqual((server.inputs.metadata as { annotations: unknown }).annotations, {
            "pulumi.com/waitFor": "condition=Ready",
        });
    });

    it("uses an existing issuer when the stack names one, and stays plain in dev", async function () {
        const { plan } = await renderStack({
            stack: "variant",
            configFile: stackFile("variant", {
                ...shippedStackConfig("prod"),
                "rabbitmq-platform:tlsIssuer": "ClusterIssuer/internal-ca",
            }),
        });
        assert.deepStrictEqual(byType(plan, "kubernetes:cert-manager.io/v1:Issuer"), []);
        const server = one(plan, "kubernetes:cert-manager.io/v1:Certificate", "rabbitmq-tls-server");
        assert.deepStrictEqual((server.inputs.spec as { issuerRef: unknown }).issuerRef, {
            kind: "ClusterIssuer",
            name: "internal-ca",
            group: "cert-manager.io",
        });
        const dev = (await rendered({ stack: "dev" })).plan;
        assert.deepStrictEqual(byType(dev, "kubernetes:cert-manager.io/v1:Certificate"), []);
        assert.ok(!("cacertFile" in one(dev, PROVIDER, "rabbitmq").inputs));
    });

    it("provisions topology and amqps Secrets on an external broker, with no operator or cluster", async function () {
        const { plan, wire } = await renderStack({
            stack: "external",
            showSecrets: false,
            configFile: stackFile("external", EXTERNAL_BROKER),
        });
        assert.deepStrictEqual(
            plan.resources
                .filter((r) => r.type.startsWith("kubernetes:") && r.type !== SECRET)
                .map((r) => r.type),
            [],
        );
        const provider = one(plan, PROVIDER, "rabbitmq");
        assert.deepStrictEqual(provider.inputs, {
            endpoint: "https://broker.example.com:443",
            username: "admin",
            password: "[secret]",
        });
        assert.ok(isSecretWire(wire[provider.urn].inputs.password));
        const revealed = await renderStack({
            stack: "external",
            showSecrets: true,
            configFile: stackFile("external", EXTERNAL_BROKER),
        });
        const url = new URL(stringData(revealed.plan, "apps-tl-engine-rabbitmq-secret").AMQP_URL);
        assert.strictEqual(
            `${url.protocol}//${url.host}${url.pathname}`,
            "amqps://broker.example.com:5671/%2Fengine",
        );
    });

    it("reads another topology file when the stack names one", async function () {
        const failure = await renderFailure({
            ...shippedStackConfig("dev"),
            "rabbitmq-platform:topologyFile": "no-such.yaml",
        });
        assert.match(
            failure.message,
            /rabbitmq-platform:topologyFile: must name a readable topology file; cannot read .*no-such\.yaml \(got "no-such\.yaml"\)\. Fix: point it at an existing topology file/,
        );
    });
});
