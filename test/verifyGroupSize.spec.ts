import * as assert from "assert";
import { Model, PolicyDecl, QueueDecl } from "../lib/verify/model";
import { declaredGroupSize, expectedMembers } from "../lib/verify/verify";

const queue = (name: string, args: Record<string, unknown>): QueueDecl => ({
    kind: "queue",
    urn: `q-${name}`,
    label: `queue '${name}'`,
    name,
    vhost: "/v",
    durable: true,
    autoDelete: false,
    arguments: { "x-queue-type": "quorum", ...args },
    queueType: "quorum",
});

const target = (pattern: string, size: number, priority: number): PolicyDecl => ({
    kind: "policy",
    urn: `p-${pattern}-${priority}`,
    label: `policy ${pattern}`,
    name: `p${priority}`,
    vhost: "/v",
    pattern,
    priority,
    applyTo: "queues",
    definition: { "target-group-size": size },
});

describe("quorum group size a verify expects (lib/verify/verify.ts)", function () {
    const four = queue("four", {});
    const three = queue("three", { "x-quorum-initial-group-size": 3 });
    const model: Model = {
        decls: [four, three, target("^four$", 5, 10), target("^f", 7, 1)],
        providers: [],
        problems: [],
    };

    it("takes the target-group-size of the policy in effect (highest priority), else the initial group size", function () {
        assert.deepStrictEqual(declaredGroupSize(model, four), { size: 5, source: "target-group-size" });
        assert.deepStrictEqual(declaredGroupSize(model, three), { size: 3, source: "initial group size" });
        assert.strictEqual(declaredGroupSize({ ...model, decls: [four] }, four), undefined);
    });

    it("caps the expected members at the running nodes", function () {
        assert.strictEqual(expectedMembers(model, four, 5), 5);
        assert.strictEqual(expectedMembers(model, four, 3), 3);
        assert.strictEqual(expectedMembers(model, three, 5), 3);
        assert.strictEqual(expectedMembers({ ...model, decls: [four] }, four, 5), undefined);
    });
});
