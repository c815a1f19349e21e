/** The program Pulumi runs, bin/index.js, is one bundled file (tools/bundle.ts) that shares the SDK with its host. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../lib/project";
import { renderStack } from "../lib/render";
import { unexpectedInputs } from "../tools/bundle";

const root = projectRoot();
const program = path.join(root, "bin", "index.js");

describe("program bundle (tools/bundle.ts)", function () {
    it("requires only the external packages and Node built-ins; valibot and our modules are inside", function () {
        const required = new Set(
            [...fs.readFileSync(program, "utf8").matchAll(/\brequire\("([^"]+)"\)/g)].map(([, id]) => {
                const parts = id.split("/");
                return id.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
            }),
        );
        assert.deepEqual([...required].sort(), [
            "@pulumi/kubernetes",
            "@pulumi/pulumi",
            "@pulumi/rabbitmq",
            "@pulumi/random",
            "fs",
            "js-yaml",
            "os",
            "path",
        ]);
    });

    it("renders the prod stack without loading any other module of this repository", async function () {
        // The renderer drops every module under bin/ from the require cache before it runs the program, so what is
        // cached there afterwards is what the program loaded.
        const { plan } = await renderStack({ stack: "prod" });
        const loaded = Object.keys(require.cache).filter(
            (file) =>
                file.startsWith(path.join(root, "bin") + path.sep) &&
                !file.includes(`${path.sep}node_modules${path.sep}`),
        );
        assert.deepEqual(loaded, [program]);
        assert.ok(plan.resources.some((r) => r.type === "rabbitmq:index/queue:Queue"));
    });

    it("refuses to inline any package but valibot, wherever it is nested", function () {
        assert.deepEqual(
            unexpectedInputs([
                "index.ts",
                "components/messagingTopology.ts",
                "node_modules/valibot/dist/index.js",
                "node_modules/@pulumi/pulumi/index.js",
                "node_modules/js-yaml/index.js",
                "node_modules/valibot/node_modules/@scope/dep/index.js",
            ]),
            [
                "node_modules/@pulumi/pulumi/index.js",
                "node_modules/js-yaml/index.js",
                "node_modules/valibot/node_modules/@scope/dep/index.js",
            ],
        );
    });
});
