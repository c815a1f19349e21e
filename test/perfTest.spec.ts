import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PerfTest } from "../components/perfTest";
import { PERFTEST_IMAGE } from "../lib/images";
import { loadTopologyFile } from "../config";
import { ConfigError, parsePlatformConfig, PROJECT } from "../lib/config";
import { perfTestRoute, PerfTestRoute } from "../lib/perfTest";
import { projectRoot } from "../lib/project";
import { Plan, PlanResource, RenderFailure, renderStack } from "../lib/render";
import { loadStackConfig } from "../lib/stackConfig";
import { normalizeTopology, TopologyInput } from "../lib/topology";
import { toYaml } from "../lib/yaml";
import { byType, one, setComponentMocks, shippedStackConfig, stackFile } from "./support";

const JOB = "kubernetes:batch/v1:Job";
const PERF_TEST = "rabbitmq-platform:loadtest:PerfTest";
const key = (k: string) => `${PROJECT}:${k}`;
const ENGINE_TASKS = { enabled: true, vhost: "/engine", queue: "engine:tasks" };

const shipped = () => loadTopologyFile("topology.yaml", { quorumGroupSize: 3, brokerMajorVersion: 4 });

function configError(run: () => unknown): string[] {
    try {
        run();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems.map((p) => `${p.key}: ${p.message}`);
    }
    throw new Error("expected a ConfigError");
}

async function renderVariant(stack: string, config: Record<string, unknown>): Promise<Plan> {
    return (
        await renderStack({
            stack: "variant",
            configFile: stackFile("variant", { ...shippedStackConfig(stack), ...config }),
        })
    ).plan;
}

/** A topology file in a temporary directory (topologyFile resolves absolute paths as they are). */
function topologyFile(topology: TopologyInput): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rmq-topology-")), "topology.yaml");
    fs.writeFileSync(file, toYaml(topology));
    return file;
}

/** One vhost whose task queue is published to from namespace `producers` and consumed from `consumers`. */
const SPLIT_TOPOLOGY: TopologyInput = {
    vhosts: [
        {
            name: "/jobs",
            exchanges: [{ name: "jobs", type: "direct" }],
            queues: [{ name: "jobs" }],
            bindings: [{ exchange: "jobs", queue: "jobs", routingKey: "jobs" }],
            users: [
                {
                    name: "jobs-api",
                    secret: { namespace: "producers", name: "jobs-api" },
                    publishes: [{ exchange: "jobs" }],
                },
                {
                    name: "jobs-worker",
                    secret: { namespace: "consumers", name: "jobs-worker" },
                    consumes: ["jobs"],
                },
            ],
        },
    ],
};

interface Container {
    name: string;
    args: string[];
    env: { name: string; value?: string; valueFrom?: unknown }[];
    volumeMounts: unknown[];
}
interface JobInputs {
    metadata: { name: string; namespace: string };
    spec: { template: { spec: { containers: Container[]; initContainers?: unknown[]; volumes: unknown[] } } };
}
const podOf = (job: PlanResource) => (job.inputs as unknown as JobInputs).spec.template.spec;

const producerArgs = (extra: string[] = []) => [
    "--uri=$(AMQP_URL)",
    "--predeclared",
    "--exchange=engine:tasks",
    "--use-millis",
    ...extra,
    "--routing-key=engine:tasks",
    "--producers=2",
    "--consumers=0",
    "--confirm=500",
    "--size=1024",
    "--flag=persistent",
    "--rate=5000",
    "--time=60",
    "--id=perftest-producer",
];
const consumerArgs = (extra: string[] = []) => [
    "--uri=$(AMQP_URL)",
    "--predeclared",
    "--exchange=engine:tasks",
    "--use-millis",
    ...extra,
    "--skip-binding-queues",
    "--queue=engine:tasks",
    "--producers=0",
    "--consumers=2",
    "--qos=250",
    "--time=75",
    "--id=perftest-consumer",
];
const amqpUrlFrom = (secret: string) => ({
    name: "AMQP_URL",
    valueFrom: { secretKeyRef: { name: secret, key: "AMQP_URL" } },
});
const SECURITY_CONTEXT = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};
const RESOURCES = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "1Gi" } };

describe("in-cluster PerfTest", function () {
    describe("the route through the topology (lib/perfTest.ts)", function () {
        it("runs the task queue's route as the app that publishes tasks and the app that consumes them", function () {
            const expected: PerfTestRoute = {
                vhost: "/engine",
                queue: "engine:tasks",
                exchange: "engine:tasks",
                routingKey: "engine:tasks",
                publisher: {
                    name: "engine-api",
                    secret: { namespace: "tl-engine", name: "engine-api-rabbitmq" },
                },
                consumer: {
                    name: "engine-worker",
                    secret: { namespace: "tl-engine", name: "rabbitmq-secret" },
                },
            };
            assert.deepStrictEqual(perfTestRoute(shipped(), "/engine", "engine:tasks"), expected);
        });

        it("publishes a topic route with a key the publisher's topic permission allows", function () {
            const route = perfTestRoute(shipped(), "/carpeta", "documento.deletion.queue");
            assert.deepStrictEqual(
                [route.exchange, route.routingKey, route.publisher.name, route.consumer.name],
                [
                    "documento.events",
                    "documento.deletion.requested",
                    "documento-producer",
                    "documento-consumer",
                ],
            );
        });

        it("publishes to a fanout exchange without a key, as the first app allowed to", function () {
            const route = perfTestRoute(shipped(), "/engine", "engine:events:worker");
            assert.deepStrictEqual(
                [route.exchange, route.routingKey, route.publisher.name, route.consumer.name],
                ["engine:events", undefined, "engine-api", "engine-worker"],
            );
        });

        it("refuses a vhost or queue the topology does not declare, listing what it does", function () {
            assert.deepStrictEqual(
                configError(() => perfTestRoute(shipped(), "/nope", "engine:tasks")),
                [
                    `rabbitmq-platform:perfTest.vhost: must name a vhost the topology declares (got "/nope"). Fix: pulumi config set --path 'rabbitmq-platform:perfTest.vhost' /engine (declared: /engine, /carpeta)`,
                ],
            );
            assert.deepStrictEqual(
                configError(() => perfTestRoute(shipped(), "/engine", "tasks")),
                [
                    `rabbitmq-platform:perfTest.queue: must name a queue that vhost /engine declares (got "tasks"). Fix: pulumi config set --path 'rabbitmq-platform:perfTest.queue' engine:tasks (declared: engine:tasks, engine:events:worker, engine:tasks:dead, engine:events:dead)`,
                ],
            );
        });

        it("refuses a queue no app may publish to: the topic permission does not cover the dead-letter key", function () {
            assert.deepStrictEqual(
                configError(() => perfTestRoute(shipped(), "/carpeta", "documento.deletion.dlq")),
                [
                    `rabbitmq-platform:perfTest.queue: must name a queue whose route an app user of vhost /carpeta may publish to, since PerfTest publishes only as an app user; none may publish to exchange documento.events with key "documento.deletion.dlq" (got "documento.deletion.dlq"). Fix: choose another queue or let an app publish there (publishes in the topology)`,
                ],
            );
        });

        it("refuses a queue no app consumes", function () {
            const topology = normalizeTopology(
                {
                    vhosts: [
                        {
                            ...SPLIT_TOPOLOGY.vhosts[0],
                            users: [SPLIT_TOPOLOGY.vhosts[0].users![0]],
                        },
                    ],
                },
                "t.yaml",
                { quorumGroupSize: 3, brokerMajorVersion: 4 },
            );
            assert.deepStrictEqual(
                configError(() => perfTestRoute(topology, "/jobs", "jobs")),
                [
                    'rabbitmq-platform:perfTest.queue: must name a queue an app user of vhost /jobs consumes, since PerfTest consumes only as an app user (got "jobs"). Fix: choose another queue or let an app consume it (consumes in the topology)',
                ],
            );
        });

        it("refuses a route that would also fill a queue nobody in the test consumes", function () {
            const vhost = SPLIT_TOPOLOGY.vhosts[0];
            const topology = normalizeTopology(
                {
                    vhosts: [
                        {
                            ...vhost,
                            exchanges: [{ name: "jobs", type: "fanout" }],
                            queues: [{ name: "jobs" }, { name: "audit" }],
                            bindings: [
                                { exchange: "jobs", queue: "jobs" },
                                { exchange: "jobs", queue: "audit" },
                            ],
                        },
                    ],
                },
                "t.yaml",
                { quorumGroupSize: 3, brokerMajorVersion: 4 },
            );
            assert.deepStrictEqual(
                configError(() => perfTestRoute(topology, "/jobs", "jobs")),
                [
                    'rabbitmq-platform:perfTest.queue: must name a queue that a binding delivers to alone from a direct, fanout or topic exchange with a literal, non-empty routing key, or PerfTest fills other queues too (got "jobs" in vhost /jobs). Fix: choose another queue or add such a binding to the topology',
                ],
            );
        });
    });

    describe("configuration (lib/config.ts)", function () {
        const problems = (perfTest: string) =>
            configError(() =>
                parsePlatformConfig({
                    ...loadStackConfig(projectRoot(), "dev").config,
                    [key("perfTest")]: perfTest,
                }),
            );

        it("is off in both shipped stacks", function () {
            assert.strictEqual(
                parsePlatformConfig(loadStackConfig(projectRoot(), "dev").config).perfTest,
                undefined,
            );
            assert.strictEqual(
                parsePlatformConfig(loadStackConfig(projectRoot(), "prod").config).perfTest,
                undefined,
            );
        });

        it("needs the vhost and queue when enabled, and nothing when disabled", function () {
            assert.deepStrictEqual(problems('{"enabled":true}'), [
                "rabbitmq-platform:perfTest.vhost: is required when perfTest.enabled is true: the load test runs on one queue's route of the topology. Fix: pulumi config set --path 'rabbitmq-platform:perfTest.vhost' /engine",
                "rabbitmq-platform:perfTest.queue: is required when perfTest.enabled is true: the load test runs on one queue's route of the topology. Fix: pulumi config set --path 'rabbitmq-platform:perfTest.queue' engine:tasks",
            ]);
            const off = parsePlatformConfig({
                ...loadStackConfig(projectRoot(), "dev").config,
                [key("perfTest")]: '{"enabled":false}',
            });
            assert.deepStrictEqual(off.perfTest, { enabled: false });
        });

        it("names the field, the rule and the fix for out-of-range, mistyped and unknown fields", function () {
            assert.deepStrictEqual(
                problems(
                    '{"enabled":true,"vhost":"/engine","queue":"engine:tasks","seconds":5,"producers":1.5}',
                ),
                [
                    "rabbitmq-platform:perfTest.seconds: must be at least 10 seconds (got 5). Fix: pulumi config set --path 'rabbitmq-platform:perfTest.seconds' 60",
                    "rabbitmq-platform:perfTest.producers: must be a whole number (got 1.5). Fix: pulumi config set --path 'rabbitmq-platform:perfTest.producers' 2",
                ],
            );
            assert.deepStrictEqual(problems('{"enabled":"yes"}'), [
                `rabbitmq-platform:perfTest.enabled: must be true or false (got "yes"). Fix: pulumi config set --path 'rabbitmq-platform:perfTest.enabled' true`,
            ]);
            assert.deepStrictEqual(problems('{"enabled":true,"duration":60}'), [
                `rabbitmq-platform:perfTest: has no field "duration"; its fields are enabled, vhost, queue, rate, seconds, producers and consumers (got {"enabled":true,"duration":60}). Fix: pulumi config set rabbitmq-platform:perfTest '{"enabled":true,"vhost":"/engine","queue":"engine:tasks"}'`,
            ]);
            assert.deepStrictEqual(problems('{"vhost":"/engine"}'), [
                `rabbitmq-platform:perfTest.enabled: is required. Fix: pulumi config set --path 'rabbitmq-platform:perfTest.enabled' true`,
            ]);
            assert.deepStrictEqual(problems("true"), [
                `rabbitmq-platform:perfTest: must be an object (got "true"). Fix: pulumi config set rabbitmq-platform:perfTest '{"enabled":true,"vhost":"/engine","queue":"engine:tasks"}'`,
            ]);
        });

        it("fails the program before any resource exists when the route is not in the topology", async function () {
            try {
                await renderVariant("dev", {
                    [key("perfTest")]: { ...ENGINE_TASKS, queue: "engine:tasks:dead" },
                });
            } catch (e) {
                assert.ok(e instanceof RenderFailure, String(e));
                assert.strictEqual(
                    e.message,
                    "Invalid stack configuration:\n" +
                        '  - rabbitmq-platform:perfTest.queue: must name a queue whose route an app user of vhost /engine may publish to, since PerfTest publishes only as an app user; none may publish to exchange engine:dead-letters with key "engine:tasks" (got "engine:tasks:dead"). Fix: choose another queue or let an app publish there (publishes in the topology)\n' +
                        "Nothing was created.",
                );
                assert.deepStrictEqual(e.registered, []);
                return;
            }
            throw new Error("expected the stack to fail");
        });
    });

    describe("the Jobs (components/perfTest.ts)", function () {
        it("is absent from the dev and prod plans", async function () {
            for (const stack of ["dev", "prod"]) {
                const { plan } = await renderStack({ stack });
                assert.deepStrictEqual(
                    plan.resources.filter((r) => r.type === JOB || r.type === PERF_TEST).map((r) => r.name),
                    [],
                    stack,
                );
            }
        });

        it("renders one TLS Job in prod: pinned image, app Secrets, a truststore from the Secret's CA, and waits for the route", async function () {
            const plan = await renderVariant("prod", { [key("perfTest")]: ENGINE_TASKS });
            const component = one(plan, PERF_TEST, "perftest");
            const [job] = byType(plan, JOB);
            assert.strictEqual(byType(plan, JOB).length, 1);
            assert.strictEqual(job.parent, component.urn);
            assert.deepStrictEqual(job.inputs, {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: {
                    name: "perftest",
                    namespace: "tl-engine",
                    labels: {
                        "app.kubernetes.io/name": "perftest",
                        "app.kubernetes.io/part-of": "rabbitmq-platform",
                    },
                    annotations: { "pulumi.com/timeoutSeconds": "675" },
                },
                spec: {
                    backoffLimit: 0,
                    activeDeadlineSeconds: 675,
                    ttlSecondsAfterFinished: 86400,
                    template: {
                        metadata: { labels: { "app.kubernetes.io/name": "perftest" } },
                        spec: {
                            restartPolicy: "Never",
                            automountServiceAccountToken: false,
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: 2000,
                                runAsGroup: 2000,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            initContainers: [
                                {
                                    name: "truststore",
                                    image: "pivotalrabbitmq/perf-test:2.25.0",
                                    command: [
                                        "/usr/lib/jvm/java-21-openjdk/jre/bin/keytool",
                                        "-importcert",
                                        "-noprompt",
                                        "-alias",
                                        "rabbitmq-ca",
                                        "-file",
                                        "/ca/ca.crt",
                                        "-keystore",
                                        "/truststore/ca.p12",
                                        "-storetype",
                                        "PKCS12",
                                        "-storepass",
                                        "changeit",
                                    ],
                                    resources: {
                                        requests: { cpu: "100m", memory: "256Mi" },
                                        limits: { cpu: "500m", memory: "256Mi" },
                                    },
                                    securityContext: SECURITY_CONTEXT,
                                    volumeMounts: [
                                        { name: "ca", mountPath: "/ca", readOnly: true },
                                        { name: "truststore", mountPath: "/truststore" },
                                        { name: "tmp", mountPath: "/tmp" },
                                    ],
                                },
                            ],
                            containers: [
                                ["producer", producerArgs(), "engine-api-rabbitmq"] as const,
                                ["consumer", consumerArgs(), "rabbitmq-secret"] as const,
                            ].map(([name, args, secret]) => ({
                                name,
                                image: "pivotalrabbitmq/perf-test:2.25.0",
                                args,
                                env: [
                                    amqpUrlFrom(secret),
                                    {
                                        name: "JAVA_TOOL_OPTIONS",
                                        value: "-Djavax.net.ssl.trustStore=/truststore/ca.p12 -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12",
                                    },
                                ],
                                resources: RESOURCES,
                                securityContext: SECURITY_CONTEXT,
                                volumeMounts: [
                                    { name: "tmp", mountPath: "/tmp" },
                                    { name: "truststore", mountPath: "/truststore", readOnly: true },
                                ],
                            })),
                            volumes: [
                                { name: "tmp", emptyDir: {} },
                                { name: "truststore", emptyDir: {} },
                                {
                                    name: "ca",
                                    secret: {
                                        secretName: "engine-api-rabbitmq",
                                        items: [{ key: "ca.crt", path: "ca.crt" }],
                                    },
                                },
                            ],
                        },
                    },
                },
            });
            assert.strictEqual(PERFTEST_IMAGE, "pivotalrabbitmq/perf-test:2.25.0");
            const topologyUrn = (type: string, name: string) =>
                `urn:pulumi:variant::rabbitmq-platform::rabbitmq-platform:topology:MessagingTopology$rabbitmq:index/${type}::topology-${name}`;
            const secretUrn = (name: string) =>
                `urn:pulumi:variant::rabbitmq-platform::rabbitmq-platform:apps:AppCredentials$kubernetes:core/v1:Secret::apps-tl-engine-${name}`;
            assert.deepStrictEqual(job.dependencies, [
                topologyUrn("queue:Queue", "queue:/engine/engine:tasks"),
                topologyUrn("policy:Policy", "policy:/engine/engine:tasks"),
                topologyUrn("binding:Binding", "binding:/engine/engine:tasks->engine:tasks[engine:tasks]"),
                topologyUrn("user:User", "user:/engine/engine-api"),
                topologyUrn("permissions:Permissions", "permissions:/engine/engine-api"),
                topologyUrn("user:User", "user:/engine/engine-worker"),
                topologyUrn("permissions:Permissions", "permissions:/engine/engine-worker"),
                secretUrn("engine-api-rabbitmq"),
                secretUrn("rabbitmq-secret"),
            ]);
        });

        it("lets the Job's namespace reach AMQP(S) through prod's network policies", async function () {
            const plan = await renderVariant("prod", { [key("perfTest")]: ENGINE_TASKS });
            const allow = one(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-allow-amqp")
                .inputs.spec as {
                ingress: {
                    from: { namespaceSelector: { matchLabels: Record<string, string> } }[];
                    ports: unknown[];
                }[];
            };
            const allowed = allow.ingress[0].from.map(
                (p) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
            );
            assert.strictEqual(byType(plan, JOB).length, 1);
            for (const job of byType(plan, JOB)) {
                const namespace = (job.inputs as unknown as JobInputs).metadata.namespace;
                assert.ok(allowed.includes(namespace), `${namespace} may open AMQP connections`);
            }
            assert.deepStrictEqual(allow.ingress[0].ports, [
                { protocol: "TCP", port: 5672 },
                { protocol: "TCP", port: 5671 },
            ]);
        });

        it("runs plain AMQP in dev with the configured rate, duration, producers and consumers", async function () {
            const plan = await renderVariant("dev", {
                [key("perfTest")]: { ...ENGINE_TASKS, rate: 800, seconds: 30, producers: 3, consumers: 4 },
            });
            const [job] = byType(plan, JOB);
            const pod = podOf(job);
            assert.strictEqual(pod.initContainers, undefined);
            assert.deepStrictEqual(pod.volumes, [{ name: "tmp", emptyDir: {} }]);
            assert.deepStrictEqual(
                pod.containers.map((c) => [c.args, c.env, c.volumeMounts]),
                [
                    [
                        producerArgs().map(
                            (a) =>
                                ({
                                    "--producers=2": "--producers=3",
                                    "--rate=5000": "--rate=800",
                                    "--time=60": "--time=30",
                                })[a] ?? a,
                        ),
                        [amqpUrlFrom("engine-api-rabbitmq")],
                        [{ name: "tmp", mountPath: "/tmp" }],
                    ],
                    [
                        consumerArgs().map(
                            (a) => ({ "--consumers=2": "--consumers=4", "--time=75": "--time=45" })[a] ?? a,
                        ),
                        [amqpUrlFrom("rabbitmq-secret")],
                        [{ name: "tmp", mountPath: "/tmp" }],
                    ],
                ],
            );
            assert.strictEqual(
                (job.inputs.spec as { activeDeadlineSeconds: number }).activeDeadlineSeconds,
                645,
            );
        });

        it("trusts the JVM's public CAs on an external TLS broker, whose Secrets carry no CA", async function () {
            const plan = (
                await renderStack({
                    stack: "external",
                    configFile: stackFile("external", {
                        [key("mode")]: "external",
                        [key("managementEndpoint")]: "https://broker.example.com:443",
                        [key("externalAmqpHost")]: "broker.example.com",
                        [key("externalAdminUsername")]: "admin",
                        [key("externalAdminPassword")]: { secure: "AAABAE+encrypted" },
                        [key("rabbitmqMajorVersion")]: 4,
                        [key("perfTest")]: ENGINE_TASKS,
                    }),
                })
            ).plan;
            const pod = podOf(one(plan, JOB, "perftest-tl-engine"));
            assert.strictEqual(pod.initContainers, undefined);
            assert.deepStrictEqual(
                pod.containers.map((c) => [c.args, c.env]),
                [
                    [producerArgs(["--use-default-ssl-context"]), [amqpUrlFrom("engine-api-rabbitmq")]],
                    [consumerArgs(["--use-default-ssl-context"]), [amqpUrlFrom("rabbitmq-secret")]],
                ],
            );
        });

        it("runs one Job per namespace when the publisher's and consumer's Secrets live apart", async function () {
            const plan = await renderVariant("dev", {
                [key("topologyFile")]: topologyFile(SPLIT_TOPOLOGY),
                [key("perfTest")]: { enabled: true, vhost: "/jobs", queue: "jobs" },
            });
            assert.deepStrictEqual(
                // Registration order follows the Secrets' resolution; the Jobs are independent.
                [...byType(plan, JOB)]
                    .sort((a, b) => b.name.localeCompare(a.name))
                    .map((j) => {
                        const inputs = j.inputs as unknown as JobInputs;
                        const [container] = inputs.spec.template.spec.containers;
                        return [j.name, inputs.metadata.namespace, container.name, container.env[0]];
                    }),
                [
                    ["perftest-producers", "producers", "producer", amqpUrlFrom("jobs-api")],
                    ["perftest-consumers", "consumers", "consumer", amqpUrlFrom("jobs-worker")],
                ],
            );
            for (const j of byType(plan, JOB)) {
                assert.strictEqual(podOf(j).containers.length, 1, j.name);
            }
        });
    });

    describe("argument validation", function () {
        const route = (): PerfTestRoute => perfTestRoute(shipped(), "/engine", "engine:tasks");

        before(async function () {
            await setComponentMocks("perftest");
        });

        function assertResourceError(construct: () => unknown, message: string): void {
            assert.throws(construct, (e: unknown) => {
                assert.ok(e instanceof pulumi.ResourceError, `expected a ResourceError, got ${String(e)}`);
                assert.strictEqual(e.message, message);
                return true;
            });
        }

        it("refuses a name that cannot name a Job", function () {
            assertResourceError(
                () => new PerfTest("Perf_Test", { route: route(), topology: [], secrets: [] }),
                'PerfTest name "Perf_Test" must be a Kubernetes DNS-1123 label: it names the Jobs.',
            );
        });

        it("refuses a rate, duration or client count below 1", function () {
            assertResourceError(
                () => new PerfTest("p", { route: route(), rate: 0, topology: [], secrets: [] }),
                "PerfTest `rate` must be a whole number of at least 1 (got 0).",
            );
            assertResourceError(
                () => new PerfTest("p", { route: route(), seconds: 2.5, topology: [], secrets: [] }),
                "PerfTest `seconds` must be a whole number of at least 1 (got 2.5).",
            );
        });
    });
});
