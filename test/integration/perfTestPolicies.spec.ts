/** The policy pack over the real analyzer (a pack process), so it runs with the integration suite. */
import * as assert from "assert";
import * as path from "path";
import { PROJECT } from "../../lib/config";
import { renderStack } from "../../lib/render";
import { byType, shippedStackConfig, stackFile } from "../support";
import { check, lines, ROOT } from "./policies/support";

const JOB = "kubernetes:batch/v1:Job";
const ENGINE_TASKS = { enabled: true, vhost: "/engine", queue: "engine:tasks" };

describe("the policy pack, with PerfTest enabled", function () {
    this.timeout(120000);

    for (const stack of ["dev", "prod"]) {
        it(`passes the ${stack} stack with zero violations`, async function () {
            const configFile = stackFile(stack, {
                ...shippedStackConfig(stack),
                [`${PROJECT}:perfTest`]: ENGINE_TASKS,
            });
            const { plan } = await renderStack({ stack, configFile, preview: true });
            assert.strictEqual(byType(plan, JOB).length, 1, "the variant runs PerfTest");
            const result = await check({
                stack,
                configFile,
                policyPackConfig: path.join(ROOT, "policies", `config.${stack}.json`),
            });
            assert.deepStrictEqual(lines(result), []);
        });
    }
});
