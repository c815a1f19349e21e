import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { projectRoot } from "../../lib/project";
import { Plan, SECRET_SIG } from "../../lib/render";
import { shippedStackConfig, stackFile } from "../support";

describe("npm run plan (tools/plan.ts)", function () {
    const planTool = path.join(projectRoot(), "bin", "tools", "plan.js");

    it("prints exactly the documented JSON shape and nothing else", function () {
        const out = execFileSync(process.execPath, [planTool, "--stack", "dev", "--json"], {
            encoding: "utf8",
        });
        const plan = JSON.parse(out) as Plan;
        assert.deepStrictEqual(Object.keys(plan), ["project", "stack", "resources", "outputs"]);
        assert.deepStrictEqual([plan.project, plan.stack], ["rabbitmq-platform", "dev"]);
        for (const r of plan.resources) {
            assert.deepStrictEqual(Object.keys(r), [
                "urn",
                "type",
                "name",
                "custom",
                "parent",
                "provider",
                "dependencies",
                "propertyDependencies",
                "protect",
                "inputs",
            ]);
        }
        assert.ok(!out.includes(SECRET_SIG), "no wire-format secrets in the plan");
    });

    it("exits 1 with the config error on stderr, and 2 on bad usage", function () {
        const bad = stackFile("bad", {
            ...shippedStackConfig("dev"),
            "rabbitmq-platform:quorumGroupSize": 5,
        });
        const failed = spawnSync(process.execPath, [planTool, "--stack", "bad", "--config-file", bad], {
            encoding: "utf8",
        });
        assert.strictEqual(failed.status, 1);
        assert.strictEqual(failed.stdout, "");
        // Exactly the message, once: no stack trace, no second copy from the root Stack's rejected outputs.
        assert.strictEqual(
            failed.stderr,
            "Invalid stack configuration:\n" +
                "  - rabbitmq-platform:quorumGroupSize: must not exceed replicas (got 5 with replicas 3): a quorum " +
                "queue cannot have more members than the cluster has nodes. Fix: pulumi config set " +
                "rabbitmq-platform:quorumGroupSize 3\nNothing was created.\n",
        );
        const usage = spawnSync(process.execPath, [planTool], { encoding: "utf8" });
        assert.strictEqual(usage.status, 2);
        assert.match(usage.stderr, /^--stack is required/);
    });
});
