/** Which policy RabbitMQ applies to a queue (lib/policyMatch.ts), shared by verify and the diagram. */
import { strict as assert } from "assert";
import { appliesToQueueType, highestPriority } from "../lib/policyMatch";

describe("policy matching (lib/policyMatch.ts)", function () {
    it("covers each queue type with the apply-to values RabbitMQ defines, and nothing with others", function () {
        const applyTo = [
            "all",
            "queues",
            "quorum_queues",
            "classic_queues",
            "streams",
            "exchanges",
            "Queues",
        ];
        const covered = (type: string) => applyTo.filter((a) => appliesToQueueType(a, type));
        assert.deepEqual(covered("quorum"), ["all", "queues", "quorum_queues"]);
        assert.deepEqual(covered("classic"), ["all", "queues", "classic_queues"]);
        assert.deepEqual(covered("stream"), ["all", "queues", "streams"]);
    });

    it("picks the highest priority, ties by name, and nothing from nothing", function () {
        const p = (name: string, priority: number) => ({ name, priority });
        assert.deepEqual(highestPriority([p("a", 1), p("b", 5), p("c", 3)]), p("b", 5));
        assert.deepEqual(highestPriority([p("z", 2), p("m", 2), p("q", 1)]), p("m", 2));
        assert.equal(highestPriority([]), undefined);
    });
});
