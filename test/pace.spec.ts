/** Declaring large topologies a few resources at a time (lib/pace.ts), and what it changes in a real render. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackVariantYaml, topologyYaml } from "../lib/bench/topogen";
import { pacer } from "../lib/pace";
import { projectRoot } from "../lib/project";
import { renderStack } from "../lib/render";

describe("declaration pacing (lib/pace.ts)", function () {
    it("resolves at once, except every n-th call, which waits for one turn of the event loop", async function () {
        const pace = pacer(3);
        const order: string[] = [];
        setImmediate(() => order.push("turn"));
        for (const call of ["1", "2", "3", "4"]) {
            await pace();
            order.push(call);
        }
        assert.deepEqual(order, ["1", "2", "turn", "3", "4"]);
    });

    it("refuses a count that is not a positive whole number", function () {
        for (const every of [0, -1, 2.5]) {
            assert.throws(() => pacer(every), {
                name: "RangeError",
                message: `pacer: every must be a positive integer, got ${every}`,
            });
        }
    });

    it("lets the SDK register a 100-queue topology while the program is still declaring it", async function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pace-"));
        try {
            const topologyFile = path.join(dir, "topology.yaml");
            fs.writeFileSync(topologyFile, topologyYaml(100));
            const configFile = path.join(dir, "Pulumi.prod.yaml");
            const prod = fs.readFileSync(path.join(projectRoot(), "Pulumi.prod.yaml"), "utf8");
            fs.writeFileSync(configFile, stackVariantYaml(prod, topologyFile));

            const { plan } = await renderStack({ stack: "prod", configFile });
            // Registrations are recorded as the engine (here the mock monitor) accepts them. Declared all at once,
            // the queues would wait behind the cluster and provider while the app Secrets' component went first.
            const at = (type: string) => plan.resources.flatMap((r, i) => (r.type === type ? [i] : []));
            const queues = at("rabbitmq:index/queue:Queue");
            const [apps] = at("rabbitmq-platform:apps:AppCredentials");
            assert.equal(queues.length, 100);
            assert.deepEqual(
                queues.filter((i) => i > apps),
                [],
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
