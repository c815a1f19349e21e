/**
 * rabbitmq-platform: a production RabbitMQ on Kubernetes, per stack.
 * cert-manager -> Cluster Operator -> RabbitmqCluster (ready) -> rabbitmq provider -> topology -> app Secrets.
 * In external mode the first three are skipped and the provider points at an existing broker.
 */
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { AppCredentials } from "./components/appCredentials";
import { caCertificateFile } from "./components/brokerTls";
import { CertManager } from "./components/certManager";
import { ClusterOperator } from "./components/clusterOperator";
import { MessagingTopology } from "./components/messagingTopology";
import { Monitoring } from "./components/monitoring";
import { NetworkPolicies } from "./components/networkPolicies";
import { PerfTest } from "./components/perfTest";
import { RabbitmqCluster } from "./components/rabbitmqCluster";
import { readSettings } from "./config";
import type { AmqpEndpoint } from "./lib/amqpUrl";
import { clientServiceHost } from "./lib/clusterSpec";
import { scaleGuard } from "./lib/scaleGuard";

const { config, topology, externalAdminPassword, perfTestRoute, sources } = readSettings();

interface Broker {
    endpoint: pulumi.Output<string>;
    username: pulumi.Output<string>;
    password: pulumi.Output<string>;
    amqp: pulumi.Output<AmqpEndpoint>;
    /** Whether apps connect over amqps. */
    tls: boolean;
    /** PEM of the CA apps and the provider verify the broker with, when it is not publicly trusted. */
    caCertificate?: pulumi.Output<string>;
    ready: pulumi.Resource[];
}

function operatorManagedBroker(): Broker {
    const certManager = config.installCertManager
        ? new CertManager("cert-manager", {
              version: config.certManagerVersion,
              chart: sources.certManagerChart,
              images: {
                  controller: sources.images.certManagerController,
                  webhook: sources.images.certManagerWebhook,
                  cainjector: sources.images.certManagerCainjector,
                  startupapicheck: sources.images.certManagerStartupapicheck,
                  acmesolver: sources.images.certManagerAcmesolver,
              },
          })
        : undefined;
    const operator = new ClusterOperator(
        "cluster-operator",
        {
            version: config.operatorVersion,
            manifest: sources.operatorManifest,
            image: sources.images.operator,
            scopeNamespaces: config.operatorScopeNamespaces,
            defaultImage: config.image,
        },
        { dependsOn: certManager === undefined ? [] : [certManager.release] },
    );
    const cluster = new RabbitmqCluster(
        "rabbitmq",
        {
            settings: config,
            protect: config.protect,
            operator: operator.ready,
            certManager: certManager === undefined ? [] : [certManager.release],
        },
        // The operator cannot scale down: refuse it at preview, before anything changes.
        {
            dependsOn: scaleGuard("scale-guard", config, `${config.namespace}/${config.clusterName}`),
        },
    );
    if (config.networkPolicies) {
        new NetworkPolicies(
            "network",
            {
                namespace: cluster.cluster.metadata.namespace,
                clusterName: config.clusterName,
                appNamespaces: topology.vhosts.flatMap((v) => v.users.map((u) => u.secret.namespace)),
                managementSourceRanges: config.managementSourceRanges,
                monitoringNamespace: config.prometheusOperator ? config.monitoringNamespace : undefined,
                restrictEgress: config.restrictBrokerEgress,
                apiServerCidrs: config.apiServerCidrs.length > 0 ? config.apiServerCidrs : undefined,
            },
            // Deny-all must not land before the cluster is ready: pulumi up still has to reach the API.
            { dependsOn: cluster.ready },
        );
    }
    if (config.prometheusOperator) {
        new Monitoring(
            "monitoring",
            {
                namespace: config.namespace,
                clusterName: config.clusterName,
                replicas: config.replicas,
                quorumGroupSize: config.quorumGroupSize,
                runbookUrl: config.runbookUrl,
                ...(cluster.tlsSecretName === undefined
                    ? {}
                    : {
                          tls: {
                              caSecretName: cluster.tlsSecretName,
                              serverName: clientServiceHost(config.clusterName, config.namespace),
                          },
                      }),
                labels: Object.fromEntries(
                    config.prometheusLabels.map((l) => [
                        l.slice(0, l.indexOf("=")),
                        l.slice(l.indexOf("=") + 1),
                    ]),
                ),
            },
            { dependsOn: [cluster.cluster] },
        );
    }
    return {
        endpoint: cluster.managementEndpoint,
        username: cluster.adminUsername,
        password: cluster.adminPassword,
        amqp: pulumi
            .all([cluster.amqpHost, cluster.amqpPort])
            .apply(([host, port]) => ({ tls: cluster.tls, host, port })),
        tls: cluster.tls,
        caCertificate: cluster.caCertificate,
        ready: cluster.ready,
    };
}

function externalBroker(): Broker {
    const tls = config.externalAmqpTls ?? true;
    return {
        endpoint: pulumi.output(config.managementEndpoint!),
        username: pulumi.output(config.externalAdminUsername!),
        password: externalAdminPassword!,
        amqp: pulumi.output({
            tls,
            host: config.externalAmqpHost!,
            port: config.externalAmqpPort ?? (tls ? 5671 : 5672),
        }),
        tls,
        ready: [],
    };
}

/** Pulumi calls the exported function and awaits it (cmd/run of @pulumi/pulumi); it returns the stack outputs. */
export = async () => {
    const broker = config.mode === "external" ? externalBroker() : operatorManagedBroker();

    const provider = new rabbitmq.Provider(
        "rabbitmq",
        {
            endpoint: broker.endpoint,
            username: broker.username,
            password: broker.password,
            ...(broker.caCertificate === undefined
                ? {}
                : {
                      cacertFile: caCertificateFile(
                          pulumi.getStack(),
                          config.clusterName,
                          broker.caCertificate,
                      ),
                  }),
        },
        // Nothing may talk to the management API before the cluster reports ready.
        { dependsOn: broker.ready },
    );

    const messaging = await MessagingTopology.create("topology", {
        topology,
        provider,
        protect: config.protect,
    });

    const apps = await AppCredentials.create("apps", {
        secrets: topology.vhosts.flatMap((v) => v.users.map((u) => ({ user: u.name, ...u.secret }))),
        credentials: messaging.users,
        endpoint: broker.amqp,
        caCertificate: broker.caCertificate,
        createNamespaces: config.createAppNamespaces,
    });

    if (perfTestRoute !== undefined) {
        const { publisher, consumer, vhost, queue } = perfTestRoute;
        const secretOf = (u: typeof publisher) => apps.secrets[`${u.secret.namespace}/${u.secret.name}`];
        new PerfTest("perftest", {
            route: perfTestRoute,
            // Apps trust the broker through ca.crt in their Secrets when its CA is the stack's own.
            tlsTrust: !broker.tls
                ? undefined
                : broker.caCertificate === undefined
                  ? "jvmDefault"
                  : "appSecretCa",
            rate: config.perfTest?.rate,
            seconds: config.perfTest?.seconds,
            producers: config.perfTest?.producers,
            consumers: config.perfTest?.consumers,
            image: sources.images.perfTest,
            topology: [
                ...messaging.queueRoutes[`${vhost}/${queue}`],
                ...messaging.users[publisher.name].grants,
                ...messaging.users[consumer.name].grants,
            ],
            secrets: [...new Set([secretOf(publisher), secretOf(consumer)])],
        });
    }

    return {
        mode: config.mode,
        managementUrl: broker.endpoint,
        amqpHost: broker.amqp.host,
        amqpPort: broker.amqp.port,
        adminUsername: broker.username,
        adminPassword: pulumi.secret(broker.password),
        vhosts: messaging.vhosts,
        queues: messaging.queues,
        appSecrets: apps.secretNames,
        // Read back by the scale guard (lib/scaleGuard.ts) on the next run; keep the names.
        replicas: config.mode === "operator" ? config.replicas : undefined,
        quorumGroupSize: config.mode === "operator" ? config.quorumGroupSize : undefined,
    };
};
