import * as batchV1 from "@pulumi/kubernetes/batch/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { PERFTEST_IMAGE } from "../lib/images";
import type { PerfTestRoute, PerfTestUser } from "../lib/perfTest";

/**
 * RabbitMQ PerfTest 2.25.0 (released 2026-06-30, the newest release); its release workflow pushes the image as
 * `pivotalrabbitmq/perf-test:<version>`. Pinned so a rerun measures with the same tool.
 */

/** The image's own non-root user (its Dockerfile creates perf-test with uid and gid 2000). */
const PERFTEST_UID = 2000;

/**
 * keytool of the image's Java runtime: the Dockerfile sets JAVA_HOME to /usr/lib/jvm/java-21-openjdk/jre and puts
 * only `java` on the PATH.
 */
const KEYTOOL = "/usr/lib/jvm/java-21-openjdk/jre/bin/keytool";

/** keytool requires a store password; the store holds only the public CA certificate, so nothing secret. */
const TRUSTSTORE_PASSWORD = "changeit";
const TRUSTSTORE = "/truststore/ca.p12";

/** The consumers run this much longer than the producers, so they drain what was published at the end. */
const CONSUMER_GRACE_SECONDS = 15;

/** Time for scheduling and pulling the image before the run, within the Job's deadline and Pulumi's wait. */
const START_ALLOWANCE_SECONDS = 600;

/** Kept a day after the run so `kubectl logs` still shows PerfTest's summary. */
const TTL_SECONDS_AFTER_FINISHED = 86400;

/** Matches the load test's window (BENCHMARKS.md), so the figures compare. */
const CONFIRM_WINDOW = 500;
const PREFETCH = 250;
const MESSAGE_BYTES = 1024;

export interface PerfTestArgs {
    /**
     * The queue's route and the app users PerfTest runs as (lib/perfTest.ts `perfTestRoute`). One Job per
     * namespace of their Secrets: a pod can only read Secrets of its own namespace.
     */
    route: PerfTestRoute;
    /**
     * How PerfTest verifies the broker over amqps. `"appSecretCa"` trusts only the CA in the app Secret's `ca.crt`
     * (an init container imports it into a truststore, and the JVM uses it through `javax.net.ssl.*`);
     * `"jvmDefault"` trusts the Java runtime's public CAs (a broker with a publicly trusted certificate). Either
     * way the certificate chain is verified but not the host name: PerfTest does not enable the Java client's
     * host name verification.
     * @default undefined: plain AMQP, as the Secrets' `AMQP_URL` says
     */
    tlsTrust?: "appSecretCa" | "jvmDefault";
    /**
     * Messages per second per producer (PerfTest `--rate`).
     * @default 5000 (with 2 producers, the performance goal of 10,000 msg/s with confirms; BENCHMARKS.md)
     */
    rate?: pulumi.Input<number>;
    /**
     * How long the producers publish (PerfTest `--time`); the consumers run 15 s longer.
     * @default 60
     */
    seconds?: pulumi.Input<number>;
    /**
     * Concurrent publishers (PerfTest `--producers`).
     * @default 2
     */
    producers?: pulumi.Input<number>;
    /**
     * Concurrent consumers (PerfTest `--consumers`).
     * @default 2
     */
    consumers?: pulumi.Input<number>;
    /** The route's queue, its policy and bindings, and both users' grants: the Jobs wait for all of them. */
    topology: pulumi.Resource[];
    /** The publisher's and the consumer's app Secrets: the Jobs read them. */
    secrets: pulumi.Resource[];
    /**
     * PerfTest's image, when it must come from a mirror.
     * @default PERFTEST_IMAGE (lib/images.ts), the release whose flags this component uses
     */
    image?: string;
}

interface Role {
    container: string;
    user: PerfTestUser;
    args: pulumi.Input<string>[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * RabbitMQ's PerfTest as Kubernetes Jobs on one route of the provisioned topology: producers publish persistent
 * 1 KiB messages with publisher confirms as the route's publishing app user, consumers consume with manual acks
 * as its consuming app user, both with `--predeclared` and without binding (app users may not declare or bind).
 * `pulumi up` waits for the run and fails if PerfTest fails; the results are in the Job's logs.
 */
export class PerfTest extends pulumi.ComponentResource {
    /** Namespace and name of each Job, as `<namespace>/<name>`. */
    readonly jobs: pulumi.Output<string>[];

    constructor(name: string, args: PerfTestArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("rabbitmq-platform:loadtest:PerfTest", name, {}, opts);
        if (!DNS_LABEL.test(name) || name.length > 63) {
            throw new pulumi.ResourceError(
                `PerfTest name ${JSON.stringify(name)} must be a Kubernetes DNS-1123 label: it names the Jobs.`,
                this,
            );
        }
        const whole = (arg: string, value: pulumi.Input<number>) => {
            const check = (n: number) => {
                if (!Number.isInteger(n) || n < 1) {
                    throw new pulumi.ResourceError(
                        `PerfTest \`${arg}\` must be a whole number of at least 1 (got ${n}).`,
                        this,
                    );
                }
                return n;
            };
            if (typeof value === "number") {
                check(value);
            }
            return pulumi.output(value).apply(check);
        };
        const rate = whole("rate", args.rate ?? 5000);
        const seconds = whole("seconds", args.seconds ?? 60);
        const producers = whole("producers", args.producers ?? 2);
        const consumers = whole("consumers", args.consumers ?? 2);

        const { route } = args;
        const common = [
            "--uri=$(AMQP_URL)",
            // Use the topology as provisioned: declare nothing (app users have configure ^$).
            "--predeclared",
            // Both sides name the route's exchange: without it PerfTest looks for, and declares, one named "direct".
            `--exchange=${route.exchange}`,
            // Latency across processes (and, with two Jobs, across nodes) needs wall-clock timestamps.
            "--use-millis",
            // Without it, or javax.net.ssl.* properties, PerfTest trusts any certificate.
            ...(args.tlsTrust === "jvmDefault" ? ["--use-default-ssl-context"] : []),
        ];
        const roles: Role[] = [
            {
                container: "producer",
                user: route.publisher,
                args: [
                    ...common,
                    ...(route.routingKey === undefined ? [] : [`--routing-key=${route.routingKey}`]),
                    pulumi.interpolate`--producers=${producers}`,
                    "--consumers=0",
                    `--confirm=${CONFIRM_WINDOW}`,
                    `--size=${MESSAGE_BYTES}`,
                    "--flag=persistent",
                    pulumi.interpolate`--rate=${rate}`,
                    pulumi.interpolate`--time=${seconds}`,
                    `--id=${name}-producer`,
                ],
            },
            {
                container: "consumer",
                user: route.consumer,
                args: [
                    ...common,
                    // Binding needs write on the queue, which a consumer does not have; the route is bound already.
                    "--skip-binding-queues",
                    `--queue=${route.queue}`,
                    "--producers=0",
                    pulumi.interpolate`--consumers=${consumers}`,
                    `--qos=${PREFETCH}`,
                    seconds.apply((s) => `--time=${s + CONSUMER_GRACE_SECONDS}`),
                    `--id=${name}-consumer`,
                ],
            },
        ];
        const deadline = seconds.apply((s) => s + CONSUMER_GRACE_SECONDS + START_ALLOWANCE_SECONDS);
        const namespaces = [...new Set(roles.map((r) => r.user.secret.namespace))];
        this.jobs = namespaces.map((namespace) => {
            const here = roles.filter((r) => r.user.secret.namespace === namespace);
            const job = new batchV1.Job(
                `${name}-${namespace}`,
                {
                    metadata: {
                        name,
                        namespace,
                        labels: {
                            "app.kubernetes.io/name": "perftest",
                            "app.kubernetes.io/part-of": "rabbitmq-platform",
                        },
                        // Pulumi waits for the Job to complete; the run plus its start may take longer than 10 min.
                        annotations: { "pulumi.com/timeoutSeconds": deadline.apply(String) },
                    },
                    spec: {
                        // A load test that failed is a result to read, not something to retry.
                        backoffLimit: 0,
                        activeDeadlineSeconds: deadline,
                        ttlSecondsAfterFinished: TTL_SECONDS_AFTER_FINISHED,
                        template: {
                            metadata: { labels: { "app.kubernetes.io/name": "perftest" } },
                            spec: podSpec(here, args.tlsTrust, args.image ?? PERFTEST_IMAGE),
                        },
                    },
                },
                { parent: this, dependsOn: [...args.topology, ...args.secrets] },
            );
            return pulumi.interpolate`${job.metadata.namespace}/${job.metadata.name}`;
        });
        this.registerOutputs({ jobs: this.jobs });
    }
}

const restricted: k8sInput.core.v1.SecurityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};

const tmpMount = { name: "tmp", mountPath: "/tmp" };
const truststoreMount = { name: "truststore", mountPath: "/truststore" };

function podSpec(roles: Role[], tlsTrust: PerfTestArgs["tlsTrust"], image: string): k8sInput.core.v1.PodSpec {
    const ownCa = tlsTrust === "appSecretCa";
    return {
        restartPolicy: "Never",
        // PerfTest only talks AMQP; it has no business with the Kubernetes API.
        automountServiceAccountToken: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: PERFTEST_UID,
            runAsGroup: PERFTEST_UID,
            seccompProfile: { type: "RuntimeDefault" },
        },
        ...(ownCa
            ? {
                  initContainers: [
                      {
                          name: "truststore",
                          image,
                          // Java cannot trust a PEM file directly; every role's Secret carries the same ca.crt.
                          command: [
                              KEYTOOL,
                              "-importcert",
                              "-noprompt",
                              "-alias",
                              "rabbitmq-ca",
                              "-file",
                              "/ca/ca.crt",
                              "-keystore",
                              TRUSTSTORE,
                              "-storetype",
                              "PKCS12",
                              "-storepass",
                              TRUSTSTORE_PASSWORD,
                          ],
                          resources: {
                              requests: { cpu: "100m", memory: "256Mi" },
                              limits: { cpu: "500m", memory: "256Mi" },
                          },
                          securityContext: restricted,
                          volumeMounts: [
                              { name: "ca", mountPath: "/ca", readOnly: true },
                              truststoreMount,
                              tmpMount,
                          ],
                      },
                  ],
              }
            : {}),
        containers: roles.map((role) => ({
            name: role.container,
            image,
            args: role.args,
            env: [
                // Only the URL: the container never sees the Secret's other keys.
                {
                    name: "AMQP_URL",
                    valueFrom: { secretKeyRef: { name: role.user.secret.name, key: "AMQP_URL" } },
                },
                // PerfTest uses the JVM's default SSL context (verifying the chain) when javax.net.ssl.* is set,
                // and otherwise trusts any certificate.
                ...(ownCa
                    ? [
                          {
                              name: "JAVA_TOOL_OPTIONS",
                              value:
                                  `-Djavax.net.ssl.trustStore=${TRUSTSTORE} ` +
                                  `-Djavax.net.ssl.trustStorePassword=${TRUSTSTORE_PASSWORD} ` +
                                  "-Djavax.net.ssl.trustStoreType=PKCS12",
                          },
                      ]
                    : []),
            ],
            resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } },
            securityContext: restricted,
            volumeMounts: ownCa ? [tmpMount, { ...truststoreMount, readOnly: true }] : [tmpMount],
        })),
        volumes: [
            // The JVM writes to /tmp; the root filesystem stays read-only.
            { name: "tmp", emptyDir: {} },
            ...(ownCa
                ? [
                      { name: "truststore", emptyDir: {} },
                      {
                          name: "ca",
                          secret: {
                              secretName: roles[0].user.secret.name,
                              items: [{ key: "ca.crt", path: "ca.crt" }],
                          },
                      },
                  ]
                : []),
        ],
    };
}
