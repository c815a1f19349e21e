import * as assert from "assert";
import { selectorMatches } from "../../lib/labelSelector";

describe("selectorMatches (lib/labelSelector.ts)", function () {
    const labels = { "app.kubernetes.io/name": "rabbitmq", tier: "data" };

    it("applies matchLabels and every matchExpressions operator as Kubernetes does", function () {
        assert.ok(selectorMatches({}, labels), "an empty selector selects everything");
        assert.ok(selectorMatches({ matchLabels: { tier: "data" } }, labels));
        assert.ok(!selectorMatches({ matchLabels: { tier: "data", zone: "a" } }, labels));
        assert.ok(
            selectorMatches(
                { matchExpressions: [{ key: "tier", operator: "In", values: ["data"] }] },
                labels,
            ),
        );
        assert.ok(
            !selectorMatches(
                { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["data"] }] },
                labels,
            ),
        );
        assert.ok(
            selectorMatches(
                { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] },
                labels,
            ),
        );
        assert.ok(selectorMatches({ matchExpressions: [{ key: "tier", operator: "Exists" }] }, labels));
        assert.ok(
            !selectorMatches({ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, labels),
        );
    });
});
