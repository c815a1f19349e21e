import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadTopologyFile } from "../config";
import { ConfigError } from "../lib/config";
import { projectRoot } from "../lib/project";
import { escapeRegex, exactAlternation, normalizeTopology, Router, topicMatches } from "../lib/topology";
import { readYamlFile } from "../lib/yaml";

const shipped = () => readYamlFile(path.join(projectRoot(), "topology.yaml"));
const normalize = (input: unknown) =>
    normalizeTopology(input, "t.yaml", { quorumGroupSize: 3, brokerMajorVersion: 4 });

function problemsOf(input: unknown): string[] {
    try {
        normalize(input);
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems.map((p) => `${p.key}: ${p.message}`);
    }
    throw new Error("expected the topology to be rejected");
}

/** A minimal valid vhost to break one field at a time. */
function vhost(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "/v",
        exchanges: [{ name: "ex", type: "direct" }],
        queues: [
            { name: "q", deliveryLimit: 3, deadLetter: { exchange: "ex", routingKey: "dead" } },
            { name: "q.dlq" },
        ],
        bindings: [
            { exchange: "ex", queue: "q", routingKey: "work" },
            { exchange: "ex", queue: "q.dlq", routingKey: "dead" },
        ],
        users: [
            {
                name: "app",
                secret: { namespace: "ns", name: "app-rabbitmq" },
                publishes: [{ exchange: "ex" }],
                consumes: ["q"],
            },
        ],
        ...overrides,
    };
}

describe("topology (lib/topology.ts)", function () {
    it("derives quorum arguments, per-queue policies and least-privilege permissions from the shipped file", function () {
        const t = normalizeTopology(shipped(), "topology.yaml", {
            quorumGroupSize: 5,
            brokerMajorVersion: 4,
        });
        const carpeta = t.vhosts.find((v) => v.name === "/carpeta")!;
        const deletion = carpeta.queues.find((q) => q.name === "documento.deletion.queue")!;
        assert.deepStrictEqual(deletion.arguments, { "x-queue-type": "quorum" });
        assert.deepStrictEqual(deletion.policy, {
            name: "documento.deletion.queue",
            pattern: "^documento\\.deletion\\.queue$",
            applyTo: "queues",
            priority: 10,
            definition: {
                "target-group-size": "5",
                "delivery-limit": "3",
                "dead-letter-exchange": "documento.events",
                "dead-letter-routing-key": "documento.deletion.dlq",
                "dead-letter-strategy": "at-least-once",
                overflow: "reject-publish",
            },
        });
        assert.strictEqual(
            carpeta.queues.find((q) => q.name === "documento.deletion.dlq")!.isDeadLetterTarget,
            true,
        );
        const producer = carpeta.users.find((u) => u.name === "documento-producer")!;
        assert.deepStrictEqual(producer.permissions, {
            configure: "^$",
            write: "^documento\\.events$",
            read: "^$",
        });
        assert.deepStrictEqual(producer.topicPermissions, [
            { exchange: "documento.events", write: "^documento\\.deletion\\.requested$", read: "^$" },
        ]);
        const worker = t.vhosts
            .find((v) => v.name === "/engine")!
            .users.find((u) => u.name === "engine-worker")!;
        assert.deepStrictEqual(worker.permissions, {
            configure: "^$",
            write: "^engine:events$",
            read: "^(engine:events:worker|engine:tasks)$",
        });
    });

    it("keeps dead-letter queues from ever dropping on RabbitMQ 4 (default delivery limit 20), and leaves 3.x alone", function () {
        const on = (brokerMajorVersion: number) =>
            normalizeTopology({ vhosts: [vhost()] }, "t.yaml", { quorumGroupSize: 3, brokerMajorVersion })
                .vhosts[0].queues;
        assert.deepStrictEqual(on(4)[1].policy, {
            name: "q.dlq",
            pattern: "^q\\.dlq$",
            applyTo: "queues",
            priority: 10,
            definition: { "target-group-size": "3", "delivery-limit": "-1" },
        });
        assert.strictEqual(on(3)[1].policy, undefined);
        assert.strictEqual(on(4)[0].policy?.definition["delivery-limit"], "3");
    });

    it("sizes quorum queues by a policy target on RabbitMQ 4 (mutable) and by an argument on 3.x", function () {
        const on = (brokerMajorVersion: number) =>
            normalizeTopology(
                {
                    vhosts: [
                        {
                            name: "/v",
                            queues: [{ name: "q" }, { name: "c", type: "classic", maxLength: 10 }],
                        },
                    ],
                },
                "t.yaml",
                { quorumGroupSize: 5, brokerMajorVersion },
            ).vhosts[0].queues.map((q) => [q.arguments, q.policy?.definition]);
        assert.deepStrictEqual(on(4), [
            [{ "x-queue-type": "quorum" }, { "target-group-size": "5" }],
            [{ "x-queue-type": "classic" }, { "max-length": "10" }],
        ]);
        assert.deepStrictEqual(on(3), [
            [{ "x-queue-type": "quorum", "x-quorum-initial-group-size": 5 }, undefined],
            [{ "x-queue-type": "classic" }, { "max-length": "10" }],
        ]);
    });

    it("rejects a dead-letter route to nowhere (the ADR's missing DLQ binding)", function () {
        const v = vhost({ bindings: [{ exchange: "ex", queue: "q", routingKey: "work" }] });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].queues[0].deadLetter.routingKey: must route dead letters of queue "q" to a queue through exchange "ex", or RabbitMQ drops them; no binding does (got "dead"). Fix: add a binding { exchange: "ex", queue: <dead-letter queue>, routingKey: "dead" }',
        ]);
        const typo = vhost({
            bindings: [
                { exchange: "ex", queue: "q", routingKey: "work" },
                { exchange: "ex", queue: "q.dlq", routingKey: "deadx" },
            ],
        });
        assert.deepStrictEqual(problemsOf({ vhosts: [typo] }), [
            't.yaml: vhosts[0].queues[0].deadLetter.routingKey: must route dead letters of queue "q" to a queue through exchange "ex", or RabbitMQ drops them; no binding does (got "dead"). Fix: use "deadx"',
        ]);
    });

    it("rejects dead letters routed back into their own queue", function () {
        const v = vhost({ bindings: [{ exchange: "ex", queue: "q", routingKey: "dead" }] });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].queues[0].deadLetter: must not route dead letters of queue "q" back into itself, an endless loop (got exchange "ex" with routingKey "dead"). Fix: route them to a separate dead-letter queue',
        ]);
    });

    it("rejects bindings, publishers and consumers that name nothing", function () {
        const v = vhost({
            bindings: [
                { exchange: "nope", queue: "q", routingKey: "work" },
                { exchange: "ex", queue: "q.dlq", routingKey: "dead" },
            ],
            users: [
                {
                    name: "app",
                    secret: { namespace: "ns", name: "s" },
                    publishes: [{ exchange: "gone" }],
                    consumes: ["missing"],
                },
            ],
        });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].bindings[0].exchange: must name an exchange that vhost /v declares (got "nope"). Fix: use one of "ex", or declare it under exchanges',
            't.yaml: vhosts[0].users[0].publishes[0].exchange: must name an exchange that vhost /v declares (got "gone"). Fix: use one of "ex", or declare it under exchanges',
            't.yaml: vhosts[0].users[0].consumes[0]: must name a queue that vhost /v declares (got "missing"). Fix: use one of "q" or "q.dlq", or declare it under queues',
        ]);
    });

    it("names the declared name a typo meant: within two edits, or the same ignoring case", function () {
        const v = vhost({
            bindings: [
                { exchange: "Ex", queue: "q", routingKey: "work" },
                { exchange: "ex", queue: "q.dql", routingKey: "dead" },
            ],
            users: [{ name: "app", secret: { namespace: "ns", name: "s" }, consumes: ["qq"] }],
        });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].bindings[0].exchange: must name an exchange that vhost /v declares (got "Ex"). Fix: use "ex"',
            't.yaml: vhosts[0].bindings[1].queue: must name a queue that vhost /v declares (got "q.dql"). Fix: use "q.dlq"',
            't.yaml: vhosts[0].users[0].consumes[0]: must name a queue that vhost /v declares (got "qq"). Fix: use "q"',
        ]);
    });

    it("rejects duplicate names and duplicate Secrets", function () {
        const v = vhost({
            queues: [{ name: "q" }, { name: "q" }, { name: "q.dlq" }],
            users: [
                { name: "a", secret: { namespace: "ns", name: "s" } },
                { name: "b", secret: { namespace: "ns", name: "s" } },
            ],
        });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].queues[1].name: must name each queue once (got "q", also at vhosts[0].queues[0]). Fix: rename this queue or remove it',
            't.yaml: vhosts[0].users[1].secret.name: must name a Secret no other user writes (got "s" in namespace ns, written for user "a"). Fix: use "b-rabbitmq"',
        ]);
    });

    it("rejects names the broker or the provider cannot handle", function () {
        const bad = (queueName: string) =>
            problemsOf({ vhosts: [vhost({ queues: [{ name: queueName }], bindings: [], users: [] })] })[0];
        assert.strictEqual(
            bad("amq.reserved"),
            `t.yaml: vhosts[0].queues[0].name: must not start with 'amq.' (reserved by RabbitMQ) (got "amq.reserved"). Fix: use "reserved"`,
        );
        const chars =
            "may contain only letters, digits and _ . : - (a '/' breaks the provider's binding IDs, an '@' breaks its resource IDs)";
        assert.strictEqual(
            bad("has@at"),
            `t.yaml: vhosts[0].queues[0].name: ${chars} (got "has@at"). Fix: use "has-at"`,
        );
        assert.strictEqual(
            bad("a/b"),
            `t.yaml: vhosts[0].queues[0].name: ${chars} (got "a/b"). Fix: use "a-b"`,
        );
        assert.match(
            problemsOf({
                vhosts: [vhost({ users: [{ name: "guest", secret: { namespace: "ns", name: "s" } }] })],
            })[0],
            /^t\.yaml: vhosts\[0\]\.users\[0\]\.name: must not be 'guest': .* \(got "guest"\)\. Fix: /,
        );
    });

    it("rejects settings a queue type does not support", function () {
        const v = vhost({
            queues: [{ name: "s", type: "stream", deliveryLimit: 3 }],
            bindings: [],
            users: [],
        });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].queues[0].deliveryLimit: is supported by quorum queues only (got 3 on stream queue "s"). Fix: remove deliveryLimit, or remove type: stream (queues are quorum by default)',
        ]);
    });

    it("requires routing keys for publishers to topic exchanges (they become topic permissions)", function () {
        const v = vhost({ exchanges: [{ name: "ex", type: "topic" }] });
        assert.deepStrictEqual(problemsOf({ vhosts: [v] }), [
            't.yaml: vhosts[0].users[0].publishes[0].routingKeys: is required for topic exchange "ex": the keys user "app" may publish there become its topic permission. Fix: add routingKeys: ["<key>", ...]',
        ]);
    });

    it("reports schema errors with their path", function () {
        assert.deepStrictEqual(
            problemsOf({ vhosts: [vhost({ exchanges: [{ name: "ex", type: "fan" }] })] }),
            [
                't.yaml: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "fan"). Fix: use one of "direct", "fanout", "topic" or "headers"',
            ],
        );
        assert.deepStrictEqual(
            problemsOf({ vhosts: [vhost({ exchanges: [{ name: "ex", type: "Topic" }] })] }),
            [
                't.yaml: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "Topic"). Fix: use "topic"',
            ],
        );
    });

    it("names the fields an entry may have when it has another, and requires the ones it must have", function () {
        assert.deepStrictEqual(
            problemsOf({
                vhosts: [
                    vhost({
                        queues: [{ name: "q", deliveryLimt: 3 }, { type: "quorum" }, "q2"],
                        bindings: [],
                        users: [],
                    }),
                ],
            }),
            [
                "t.yaml: vhosts[0].queues[0].deliveryLimt: is not a field of a queue; its fields are name, type, deliveryLimit, deadLetter, maxLength, maxLengthBytes and overflow. Fix: rename it to deliveryLimit",
                "t.yaml: vhosts[0].queues[1].name: is required in a queue. Fix: add name",
                't.yaml: vhosts[0].queues[2]: must be a queue (an object with name, type, deliveryLimit, deadLetter, maxLength, maxLengthBytes and overflow) (got "q2"). Fix: write { name: "q2" }',
            ],
        );
        assert.deepStrictEqual(problemsOf({ vhosts: "/engine" }), [
            't.yaml: vhosts: must be a list (got "/engine"). Fix: write it as a list, e.g. ["/engine"]',
        ]);
    });

    it("reports the first rule a value breaks, not every rule after it", function () {
        assert.deepStrictEqual(
            problemsOf({
                vhosts: [
                    vhost({ users: [{ name: "app", secret: { namespace: "Bad_".repeat(20), name: "s" } }] }),
                ],
            }),
            [
                `t.yaml: vhosts[0].users[0].secret.namespace: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got ${JSON.stringify("Bad_".repeat(20))}). Fix: use "${"bad-".repeat(16).slice(0, -1)}"`,
            ],
        );
    });

    it("reads the file as YAML 1.2 core: a YAML error names its line, a date-like key stays a string", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "topology-"));
        const file = path.join(dir, "t.yaml");
        const options = { quorumGroupSize: 3, brokerMajorVersion: 4 };
        fs.writeFileSync(file, "vhosts:\n  - name: /v\n    queues: [q\n");
        try {
            loadTopologyFile(file, options);
            assert.fail("expected the YAML error to be reported");
        } catch (e) {
            assert.ok(e instanceof ConfigError, String(e));
            assert.deepStrictEqual(
                e.problems.map((p) => p.key),
                [`${file}: line 4`],
            );
            assert.match(e.problems[0].message, /Fix: correct the YAML$/);
        }
        fs.writeFileSync(
            file,
            "vhosts:\n  - name: /v\n    exchanges: [{ name: ex, type: direct }]\n    queues: [{ name: q }]\n" +
                "    bindings: [{ exchange: ex, queue: q, routingKey: 2024-01-01 }]\n",
        );
        assert.strictEqual(loadTopologyFile(file, options).vhosts[0].bindings[0].routingKey, "2024-01-01");
        fs.rmSync(dir, { recursive: true });
    });

    it("matches topic routing keys like the broker", function () {
        assert.strictEqual(topicMatches("documento.deletion.*", "documento.deletion.dlq"), true);
        assert.strictEqual(topicMatches("documento.*", "documento.deletion.dlq"), false);
        assert.strictEqual(topicMatches("documento.#", "documento.deletion.dlq"), true);
        assert.strictEqual(topicMatches("#", ""), true);
        assert.strictEqual(topicMatches("a.#.z", "a.z"), true);
    });

    it("routes like the broker: direct by key, fanout to all, topic by literal key and by wildcard", function () {
        const router = new Router([
            { exchange: "t", queue: "exact", routingKey: "a.b" },
            { exchange: "t", queue: "star", routingKey: "a.*" },
            { exchange: "t", queue: "hash", routingKey: "#" },
            { exchange: "d", queue: "q1", routingKey: "k" },
            { exchange: "f", queue: "all", routingKey: "ignored" },
        ]);
        assert.deepStrictEqual(router.targets({ name: "t", type: "topic" }, "a.b"), [
            "exact",
            "star",
            "hash",
        ]);
        assert.deepStrictEqual(router.targets({ name: "t", type: "topic" }, "a.b.c"), ["hash"]);
        assert.deepStrictEqual(router.targets({ name: "t", type: "topic" }, "a.*"), ["star", "hash"]);
        assert.deepStrictEqual(router.targets({ name: "d", type: "direct" }, "k"), ["q1"]);
        assert.deepStrictEqual(router.targets({ name: "d", type: "direct" }, "other"), []);
        assert.deepStrictEqual(router.targets({ name: "f", type: "fanout" }, "anything"), ["all"]);
    });

    it("escapes names for anchored policy patterns and permissions", function () {
        assert.strictEqual(escapeRegex("a.b*c(d)"), "a\\.b\\*c\\(d\\)");
        assert.strictEqual(exactAlternation([]), "^$");
        assert.strictEqual(exactAlternation(["b.x", "a"]), "^(a|b\\.x)$");
    });
});
