// A happy-path stack in the shape the program registers (wire-format inputs): cert-manager, the operator,
// a five-replica RabbitmqCluster with its PDB and admin Secret, a rabbitmq provider, and one vhost with a
// quorum queue, its dead-letter queue, policies, a binding and an app user. Each test breaks one field.

import type { TestResource } from "./harness";
import { UNKNOWN, secret, urnOf } from "./harness";

export const T = {
    stack: "pulumi:pulumi:Stack",
    release: "kubernetes:helm.sh/v3:Release",
    configFile: "kubernetes:yaml/v2:ConfigFile",
    deploymentPatch: "kubernetes:apps/v1:DeploymentPatch",
    cluster: "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    secret: "kubernetes:core/v1:Secret",
    randomPassword: "random:index/randomPassword:RandomPassword",
    provider: "pulumi:providers:rabbitmq",
    vhost: "rabbitmq:index/vHost:VHost",
    exchange: "rabbitmq:index/exchange:Exchange",
    queue: "rabbitmq:index/queue:Queue",
    binding: "rabbitmq:index/binding:Binding",
    policy: "rabbitmq:index/policy:Policy",
    user: "rabbitmq:index/user:User",
    permissions: "rabbitmq:index/permissions:Permissions",
};

const u = (type: string, name: string) => urnOf({ type, name });

export const URN = {
    certManager: u(T.release, "cert-manager"),
    operator: u(T.configFile, "cluster-operator"),
    operatorEnv: u(T.deploymentPatch, "cluster-operator-env"),
    adminPassword: u(T.randomPassword, "admin-password"),
    adminSecret: u(T.secret, "rabbitmq-admin"),
    cluster: u(T.cluster, "rabbitmq"),
    provider: u(T.provider, "rabbitmq"),
    vhost: u(T.vhost, "carpeta"),
    exchange: u(T.exchange, "documento.events"),
    queue: u(T.queue, "documento.deletion.queue"),
    dlq: u(T.queue, "documento.deletion.dlq"),
    appPassword: u(T.randomPassword, "documento-consumer"),
    user: u(T.user, "documento-consumer"),
};

export function quorumArgs(extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ "x-queue-type": "quorum", "x-quorum-initial-group-size": 5, ...extra });
}

/** A fresh copy of the happy-path stack. */
export function happyStack(): TestResource[] {
    const onBroker = { provider: URN.provider, dependencies: [URN.vhost] };
    return [
        { type: T.release, name: "cert-manager", inputs: { chart: "cert-manager", version: "v1.18.2" } },
        {
            type: T.configFile,
            name: "cluster-operator",
            inputs: { files: ["cluster-operator.yml"] },
            dependencies: [URN.certManager],
        },
        {
            type: T.deploymentPatch,
            name: "cluster-operator-env",
            inputs: { metadata: { name: "rabbitmq-cluster-operator", namespace: "rabbitmq-system" } },
            dependencies: [URN.operator],
        },
        {
            type: T.randomPassword,
            name: "admin-password",
            inputs: { length: 32, special: false },
            protect: true,
        },
        {
            type: T.secret,
            name: "rabbitmq-admin",
            inputs: {
                metadata: { name: "rabbitmq-admin" },
                stringData: secret({ username: "admin", password: UNKNOWN }),
            },
            propertyDependencies: { stringData: [URN.adminPassword] },
            dependencies: [URN.adminPassword],
        },
        {
            type: T.cluster,
            name: "rabbitmq",
            protect: true,
            dependencies: [URN.operator, URN.operatorEnv, URN.adminSecret],
            inputs: {
                apiVersion: "rabbitmq.com/v1beta1",
                kind: "RabbitmqCluster",
                metadata: { name: "rabbitmq", namespace: "rabbitmq" },
                spec: {
                    replicas: 5,
                    image: "rabbitmq:4.0.5-management",
                    resources: {
                        requests: { cpu: "4", memory: "10Gi" },
                        limits: { cpu: "4", memory: "10Gi" },
                    },
                    persistence: { storageClassName: "ssd", storage: "500Gi" },
                    affinity: {
                        podAntiAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: [
                                {
                                    labelSelector: { matchLabels: { "app.kubernetes.io/name": "rabbitmq" } },
                                    topologyKey: "kubernetes.io/hostname",
                                },
                            ],
                        },
                    },
                    rabbitmq: { additionalConfig: "cluster_partition_handling = pause_minority\n" },
                    secretBackend: { externalSecret: { name: "rabbitmq-admin" } },
                    override: {
                        statefulSet: {
                            spec: {
                                persistentVolumeClaimRetentionPolicy: {
                                    whenDeleted: "Retain",
                                    whenScaled: "Retain",
                                },
                            },
                        },
                    },
                },
            },
        },
        {
            type: T.pdb,
            name: "rabbitmq",
            inputs: {
                spec: {
                    selector: { matchLabels: { "app.kubernetes.io/name": "rabbitmq" } },
                    maxUnavailable: 2,
                },
            },
            dependencies: [URN.cluster],
        },
        {
            type: T.provider,
            name: "rabbitmq",
            inputs: { endpoint: UNKNOWN, username: "admin", password: secret(UNKNOWN) },
            propertyDependencies: { endpoint: [URN.cluster], username: [], password: [URN.adminPassword] },
            dependencies: [URN.cluster, URN.adminPassword],
        },
        {
            type: T.vhost,
            name: "carpeta",
            inputs: { name: "/carpeta" },
            provider: URN.provider,
            protect: true,
        },
        {
            type: T.exchange,
            name: "documento.events",
            inputs: {
                name: "documento.events",
                vhost: "/carpeta",
                settings: { type: "topic", durable: true },
            },
            ...onBroker,
        },
        {
            type: T.queue,
            name: "documento.deletion.queue",
            protect: true,
            inputs: {
                name: "documento.deletion.queue",
                vhost: "/carpeta",
                settings: { durable: true, argumentsJson: quorumArgs() },
            },
            ...onBroker,
        },
        {
            type: T.queue,
            name: "documento.deletion.dlq",
            protect: true,
            inputs: {
                name: "documento.deletion.dlq",
                vhost: "/carpeta",
                settings: { durable: true, argumentsJson: quorumArgs() },
            },
            ...onBroker,
        },
        {
            type: T.policy,
            name: "documento.deletion.queue",
            inputs: {
                name: "documento.deletion.queue",
                vhost: "/carpeta",
                policy: {
                    pattern: "^documento\\.deletion\\.queue$",
                    priority: 10,
                    applyTo: "queues",
                    definition: {
                        "delivery-limit": "3",
                        "dead-letter-exchange": "documento.events",
                        "dead-letter-routing-key": "documento.deletion.dlq",
                        "target-group-size": "5",
                    },
                },
            },
            ...onBroker,
        },
        {
            type: T.policy,
            name: "documento.deletion.dlq",
            inputs: {
                name: "documento.deletion.dlq",
                vhost: "/carpeta",
                policy: {
                    pattern: "^documento\\.deletion\\.dlq$",
                    priority: 10,
                    applyTo: "queues",
                    definition: { "delivery-limit": "10" },
                },
            },
            ...onBroker,
        },
        {
            type: T.binding,
            name: "documento.events-documento.deletion.dlq",
            inputs: {
                source: "documento.events",
                vhost: "/carpeta",
                destination: "documento.deletion.dlq",
                destinationType: "queue",
                routingKey: "documento.deletion.dlq",
            },
            provider: URN.provider,
            dependencies: [URN.exchange, URN.dlq],
        },
        { type: T.randomPassword, name: "documento-consumer", inputs: { length: 32 } },
        {
            type: T.user,
            name: "documento-consumer",
            inputs: { name: "documento-consumer", password: secret(UNKNOWN), tags: [] },
            propertyDependencies: { password: [URN.appPassword] },
            provider: URN.provider,
            dependencies: [URN.appPassword],
        },
        {
            type: T.permissions,
            name: "documento-consumer",
            inputs: {
                user: "documento-consumer",
                vhost: "/carpeta",
                permissions: { configure: "^$", write: "^$", read: "^documento\\.deletion\\.(queue|dlq)$" },
            },
            provider: URN.provider,
            dependencies: [URN.user, URN.vhost],
        },
    ];
}

/** The resource named `name` of type `type` in `stack` (throws if missing, so fixtures can't drift silently). */
export function find(stack: TestResource[], type: string, name: string): TestResource {
    const r = stack.find((x) => x.type === type && x.name === name);
    if (r === undefined) {
        throw new Error(`fixture has no ${type} ${name}`);
    }
    return r;
}

/** A fixture's inputs viewed as the policy's prop type, for mutation in tests. */
export function inputsOf<P>(r: TestResource): P {
    return r.inputs as unknown as P;
}
