import * as assert from "assert";
import {
    BINDING_TYPE,
    DiagramError,
    EXCHANGE_TYPE,
    findBlock,
    mermaidLabel,
    OPERATOR_POLICY_TYPE,
    PERMISSIONS_TYPE,
    POLICY_TYPE,
    QUEUE_TYPE,
    renderBlock,
    renderMermaid,
    replaceBlock,
    TOPIC_PERMISSIONS_TYPE,
    topologyFromPlan,
} from "../../lib/diagram";
import type { Plan, PlanResource } from "../../lib/render";

let counter = 0;
function res(type: string, inputs: Record<string, unknown>): PlanResource {
    counter += 1;
    return {
        urn: `urn:pulumi:t::p::${type}::r${counter}`,
        type,
        name: `r${counter}`,
        custom: true,
        parent: null,
        provider: null,
        dependencies: [],
        propertyDependencies: {},
        protect: false,
        inputs,
    };
}

const quorum = (name: string, extra: Record<string, unknown> = {}) =>
    res(QUEUE_TYPE, {
        name,
        vhost: "/v",
        settings: {
            durable: true,
            argumentsJson: JSON.stringify({
                "x-queue-type": "quorum",
                "x-quorum-initial-group-size": 3,
                ...extra,
            }),
        },
    });

function plan(resources: PlanResource[]): Plan {
    return { project: "p", stack: "t", resources, outputs: {} };
}

/** One vhost exercising every rule: policy priority, operator policy, topic permissions, the default exchange. */
function samplePlan(): Plan {
    return plan([
        res(EXCHANGE_TYPE, { name: "orders", vhost: "/v", settings: { type: "topic" } }),
        res(EXCHANGE_TYPE, { name: "dlx", vhost: "/v", settings: { type: "direct" } }),
        quorum("orders.q", { "x-max-length": 500 }),
        quorum("orders.dlq"),
        res(QUEUE_TYPE, { name: "scratch", vhost: "/v", settings: { argumentsJson: "{}" } }),
        res(POLICY_TYPE, {
            name: "broad",
            vhost: "/v",
            policy: {
                pattern: "^orders",
                priority: 1,
                applyTo: "queues",
                definition: { "delivery-limit": "9" },
            },
        }),
        res(POLICY_TYPE, {
            name: "orders-q",
            vhost: "/v",
            policy: {
                pattern: "^orders\\.q$",
                priority: 10,
                applyTo: "quorum_queues",
                definition: {
                    "delivery-limit": "3",
                    "max-length": "1000",
                    "dead-letter-exchange": "dlx",
                    "dead-letter-routing-key": "orders.dead",
                    overflow: "reject-publish",
                },
            },
        }),
        res(OPERATOR_POLICY_TYPE, {
            name: "cap",
            vhost: "/v",
            policy: { pattern: ".*", priority: 0, applyTo: "queues", definition: { "delivery-limit": "2" } },
        }),
        res(BINDING_TYPE, {
            vhost: "/v",
            source: "orders",
            destination: "orders.q",
            destinationType: "queue",
            routingKey: "order.*",
        }),
        res(BINDING_TYPE, {
            vhost: "/v",
            source: "dlx",
            destination: "orders.dlq",
            destinationType: "queue",
            routingKey: "orders.dead",
        }),
        res(PERMISSIONS_TYPE, {
            user: "shop",
            vhost: "/v",
            permissions: { configure: "^$", write: "^orders$", read: "^$" },
        }),
        res(TOPIC_PERMISSIONS_TYPE, {
            user: "shop",
            vhost: "/v",
            permissions: [{ exchange: "orders", write: "^order\\.created$", read: "^$" }],
        }),
        res(PERMISSIONS_TYPE, {
            user: "admin-ish",
            vhost: "/v",
            permissions: { configure: ".*", write: ".*", read: "^orders\\." },
        }),
    ]);
}

describe("topology diagram (lib/diagram.ts)", function () {
    it("reads queues with their type, arguments and the effective policy and operator-policy limits", function () {
        const [v] = topologyFromPlan(samplePlan()).vhosts;
        assert.deepStrictEqual(
            v.queues.map((q) => [q.name, q.type, q.policy, q.limits, q.deadLetter]),
            [
                // "^orders" matches the DLQ too; the operator policy's delivery limit is lower than the policy's.
                ["orders.dlq", "quorum", "broad", ["group 3", "delivery-limit 2"], undefined],
                [
                    "orders.q",
                    "quorum",
                    // The priority-10 policy wins over the priority-1 one; the operator policy's lower delivery
                    // limit and the argument's lower max-length apply.
                    "orders-q",
                    ["group 3", "delivery-limit 2", "max-length 500", "overflow reject-publish"],
                    { exchange: "dlx", routingKey: "orders.dead" },
                ],
                // quorum_queues policies do not apply to a classic queue; the operator policy does.
                ["scratch", "classic", undefined, ["delivery-limit 2"], undefined],
            ],
        );
    });

    it("shows a negative delivery limit as unlimited, and lets any real limit win over it", function () {
        const policy = (name: string, type: string, limit: string) =>
            res(type, {
                name,
                vhost: "/v",
                policy: {
                    pattern: "^dlq$",
                    priority: 0,
                    applyTo: "queues",
                    definition: { "delivery-limit": limit },
                },
            });
        const unlimited = topologyFromPlan(plan([quorum("dlq"), policy("p", POLICY_TYPE, "-1")]));
        assert.deepStrictEqual(unlimited.vhosts[0].queues[0].limits, ["group 3", "delivery-limit unlimited"]);
        const capped = topologyFromPlan(
            plan([quorum("dlq"), policy("p", POLICY_TYPE, "-1"), policy("o", OPERATOR_POLICY_TYPE, "7")]),
        );
        assert.deepStrictEqual(capped.vhosts[0].queues[0].limits, ["group 3", "delivery-limit 7"]);
    });

    it("shows the group a queue is kept at: the largest target-group-size, else the initial group size", function () {
        const target = (name: string, type: string, size: string) =>
            res(type, {
                name,
                vhost: "/v",
                policy: {
                    pattern: "^q$",
                    priority: 0,
                    applyTo: "queues",
                    definition: { "target-group-size": size },
                },
            });
        const groupOf = (resources: PlanResource[]) =>
            topologyFromPlan(plan(resources)).vhosts[0].queues[0].limits;
        const four = res(QUEUE_TYPE, {
            name: "q",
            vhost: "/v",
            settings: { durable: true, argumentsJson: JSON.stringify({ "x-queue-type": "quorum" }) },
        });
        assert.deepStrictEqual(groupOf([four, target("p", POLICY_TYPE, "5")]), ["group 5"]);
        assert.deepStrictEqual(
            groupOf([four, target("p", POLICY_TYPE, "5"), target("o", OPERATOR_POLICY_TYPE, "7")]),
            ["group 7"],
        );
        assert.deepStrictEqual(groupOf([quorum("q"), target("p", POLICY_TYPE, "5")]), ["group 5"]);
        assert.deepStrictEqual(groupOf([quorum("q")]), ["group 3"]);
        assert.deepStrictEqual(groupOf([four]), []);
    });

    it("derives publish and consume grants from permission regexes and topic permissions", function () {
        const [v] = topologyFromPlan(samplePlan()).vhosts;
        assert.deepStrictEqual(v.users, [
            {
                name: "admin-ish",
                // `.*` also matches the default exchange, which routes to every queue by name.
                publishes: [{ exchange: "dlx" }, { exchange: "orders" }, { exchange: "amq.default" }],
                consumes: ["orders.dlq", "orders.q"],
                configure: ".*",
            },
            {
                name: "shop",
                publishes: [{ exchange: "orders", routingKeys: "^order\\.created$" }],
                consumes: [],
            },
        ]);
    });

    it("draws bindings with keys, dead-letter routes and grants as Mermaid edges", function () {
        const mermaid = renderMermaid(topologyFromPlan(samplePlan()));
        const lines = mermaid.split("\n").map((l) => l.trim());
        for (const expected of [
            'subgraph v0["vhost /v"]',
            'v0_x1{{"orders<br/>topic exchange"}}:::exchange',
            'v0_x0 -->|"orders.dead"| v0_q0',
            'v0_x1 -->|"order.*"| v0_q1',
            'v0_q1 -.->|"dead letters as orders.dead"| v0_x0',
            'v0_u1 ==>|"publish ^order\\.created$"| v0_x1',
            'v0_q1 ==>|"consume"| v0_u0',
            'v0_u0 ==>|"publish"| v0_xdefault',
            'v0_u0(["user admin-ish<br/>configure .*"]):::user',
            'v0_q1[("orders.q<br/>quorum queue, group 3<br/>delivery-limit 2, max-length 500<br/>overflow reject-publish")]:::queue',
        ]) {
            assert.ok(lines.includes(expected), `missing line ${expected}\n${mermaid}`);
        }
    });

    it("shows a dead-letter exchange the plan does not create as a broken route", function () {
        const mermaid = renderMermaid(
            topologyFromPlan(plan([quorum("q", { "x-dead-letter-exchange": "nowhere" })])),
        );
        assert.match(mermaid, /v0_missing_0\{\{"MISSING nowhere<br\/>messages are dropped"\}\}:::missing/);
        assert.match(mermaid, /v0_q0 -\.->\|"dead letters"\| v0_missing_0/);
    });

    it("refuses a binding to an object the plan does not create, and unknown names", function () {
        const dangling = plan([
            res(EXCHANGE_TYPE, { name: "x", vhost: "/v", settings: { type: "direct" } }),
            res(BINDING_TYPE, { vhost: "/v", source: "x", destination: "gone", routingKey: "" }),
        ]);
        assert.throws(
            () => renderMermaid(topologyFromPlan(dangling)),
            new DiagramError("binding x -> gone in vhost /v refers to an object the plan does not create."),
        );
        assert.throws(
            () =>
                topologyFromPlan(
                    plan([
                        res(QUEUE_TYPE, { name: "[unknown]", vhost: "/v" }),
                        res(EXCHANGE_TYPE, { vhost: "/v" }),
                    ]),
                ),
            /`name` is missing, not a known string/,
        );
    });

    it("escapes characters that would end a Mermaid label", function () {
        assert.strictEqual(mermaidLabel('a|b"c<d>[e]'), "a#124;b#34;c#60;d#62;#91;e#93;");
    });

    it("finds and replaces the embedded block, keeping the rest of the document", function () {
        const block = renderBlock(samplePlan());
        const doc = `# Title\n\ntext\n<!-- BEGIN topology-diagram stack=t -->\nold\n<!-- END topology-diagram -->\ntail\n`;
        const updated = replaceBlock(doc, block);
        assert.strictEqual(updated, `# Title\n\ntext\n${block}\ntail\n`);
        assert.deepStrictEqual(findBlock(updated)?.block, block);
        assert.strictEqual(findBlock(updated)?.stack, "t");
        assert.strictEqual(findBlock("no block"), undefined);
        assert.throws(() => findBlock("<!-- BEGIN topology-diagram stack=t -->"), DiagramError);
    });
});
