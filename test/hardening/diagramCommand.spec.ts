import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../lib/project";
import { runDiagram } from "../../tools/diagram";
import { rendered } from "../support";

describe("npm run diagram (tools/diagram.ts)", function () {
    this.timeout(60000);
    const root = projectRoot(__dirname);
    let dir: string;

    before(function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "diagram-"));
    });

    it("keeps docs/topology-dev.md current with the dev plan", async function () {
        const result = await runDiagram({ stack: "dev", check: "docs/topology-dev.md" }, root, rendered);
        assert.deepStrictEqual(result, {
            code: 0,
            message: 'docs/topology-dev.md: topology diagram of stack "dev" is current.',
        });
    });

    it("shows every dev queue, its dead-letter route and its consumers", function () {
        const doc = fs.readFileSync(path.join(root, "docs", "topology-dev.md"), "utf8");
        assert.match(
            doc,
            /engine:tasks<br\/>quorum queue, group 3<br\/>delivery-limit 5, overflow reject-publish/,
        );
        assert.match(doc, /v1_q2 -\.->\|"dead letters as engine:tasks"\| v1_x0/);
        assert.match(
            doc,
            /\| \/carpeta \| documento\.deletion\.queue \| quorum \|.*\| documento-consumer \|/,
        );
    });

    it("fails --check when the embedded diagram is stale, for another stack, or missing", async function () {
        const current = fs.readFileSync(path.join(root, "docs", "topology-dev.md"), "utf8");
        fs.writeFileSync(path.join(dir, "stale.md"), current.replace("delivery-limit 5", "delivery-limit 6"));
        fs.writeFileSync(path.join(dir, "none.md"), "# nothing here\n");
        const stale = await runDiagram({ stack: "dev", check: "stale.md" }, dir, rendered);
        assert.strictEqual(stale.code, 1);
        assert.match(
            stale.message,
            /stale\.md: the topology diagram of stack "dev" is out of date with the plan/,
        );
        assert.match(stale.message, /Fix: npm run build && npm run diagram -- --stack dev --out stale\.md/);
        const other = await runDiagram({ stack: "prod", check: "stale.md" }, dir, rendered);
        assert.deepStrictEqual(other, {
            code: 1,
            message: 'stale.md embeds the diagram of stack "dev", not "prod".',
        });
        const none = await runDiagram({ stack: "dev", check: "none.md" }, dir, rendered);
        assert.strictEqual(none.code, 1);
    });

    it("fills a document's markers in place and refuses a file without them", async function () {
        fs.writeFileSync(
            path.join(dir, "README.md"),
            "# Readme\n<!-- BEGIN topology-diagram stack=dev -->\n<!-- END topology-diagram -->\nafter\n",
        );
        assert.strictEqual((await runDiagram({ stack: "dev", out: "README.md" }, dir, rendered)).code, 0);
        const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
        assert.ok(readme.startsWith("# Readme\n<!-- BEGIN topology-diagram stack=dev (generated"));
        assert.ok(readme.endsWith("<!-- END topology-diagram -->\nafter\n"));
        assert.strictEqual((await runDiagram({ stack: "dev", check: "README.md" }, dir, rendered)).code, 0);

        fs.writeFileSync(path.join(dir, "plain.md"), "keep me\n");
        const refused = await runDiagram({ stack: "dev", out: "plain.md" }, dir, rendered);
        assert.strictEqual(refused.code, 1);
        assert.strictEqual(fs.readFileSync(path.join(dir, "plain.md"), "utf8"), "keep me\n");
    });
});
