import { strict as assert } from "assert";
import type { PlanResource } from "../../lib/render";
import { ModelError, dependencyOrder } from "../../lib/verify/model";

function res(name: string, dependencies: string[] = []): PlanResource {
    return {
        urn: name,
        type: "rabbitmq:index/queue:Queue",
        name,
        custom: true,
        parent: null,
        provider: null,
        dependencies,
        propertyDependencies: {},
        protect: false,
        inputs: {},
    };
}
const names = (rs: PlanResource[]) => rs.map((r) => r.name);

describe("dependencyOrder (lib/verify/model.ts)", function () {
    it("keeps plan order when every resource already follows its dependencies", function () {
        const plan = [res("vhost"), res("q1", ["vhost"]), res("q2", ["vhost"]), res("b", ["q1", "q2"])];
        assert.deepEqual(names(dependencyOrder(plan)), ["vhost", "q1", "q2", "b"]);
    });

    it("moves dependencies first and ignores those outside the plan", function () {
        const plan = [res("b", ["q1", "exchange"]), res("q1", ["vhost", "provider"]), res("vhost")];
        assert.deepEqual(names(dependencyOrder(plan)), ["vhost", "q1", "b"]);
    });

    it("names the cycle", function () {
        const plan = [res("a", ["b"]), res("b", ["c"]), res("c", ["a"])];
        assert.throws(
            () => dependencyOrder(plan),
            (e: unknown) =>
                e instanceof ModelError && e.message === "dependency cycle among: a -> b -> c -> a",
        );
    });

    it("is linear: a 50,000-long chain in reverse order, without overflowing the stack", function () {
        const n = 50_000;
        const plan = Array.from({ length: n }, (_, i) =>
            res(`r${n - 1 - i}`, i === n - 1 ? [] : [`r${n - 2 - i}`]),
        );
        const ordered = dependencyOrder(plan);
        assert.equal(ordered.length, n);
        assert.deepEqual(names(ordered.slice(0, 3)), ["r0", "r1", "r2"]);
        assert.equal(ordered[n - 1].name, `r${n - 1}`);
    });
});
