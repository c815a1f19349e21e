import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../../lib/project";

const runbook = fs.readFileSync(path.join(projectRoot(__dirname), "docs", "runbook.md"), "utf8");
const anchors = new Set([...runbook.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));

describe("docs/runbook.md", function () {
    it("has a section for every procedure the platform team needs", function () {
        for (const id of [
            "scale-up",
            "upgrade-rabbitmq",
            "upgrade-the-cluster-operator",
            "rotate-an-apps-credentials",
            "export-and-restore-definitions",
            "recover-a-quorum-queue-that-lost-its-majority",
            "alerts",
        ]) {
            assert.ok(anchors.has(id), `no <a id="${id}"></a> in docs/runbook.md`);
        }
    });

    it("links only to anchors that exist", function () {
        const links = [...runbook.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
        assert.ok(links.length > 10);
        assert.deepStrictEqual(
            links.filter((l) => !anchors.has(l)),
            [],
        );
    });

    it("pauses reconciliation with the operator's label before upgrading the operator", function () {
        const section = runbook.slice(
            runbook.indexOf('<a id="upgrade-the-cluster-operator">'),
            runbook.indexOf('<a id="rotate-an-apps-credentials">'),
        );
        const pause = section.indexOf("rabbitmq.com/pauseReconciliation=true");
        const bump = section.indexOf("rabbitmq-platform:operatorVersion");
        const resume = section.indexOf("rabbitmq.com/pauseReconciliation-");
        assert.ok(pause > 0 && pause < bump && bump < resume, "pause, then upgrade, then resume");
    });

    it("runs only real CLI tools inside the broker pods", function () {
        const tools = [...runbook.matchAll(/-c rabbitmq -- (?:\\\n\s*)?(\S+)/g)].map((m) => m[1]);
        assert.ok(tools.length > 20);
        const allowed = new Set([
            "rabbitmqctl",
            "rabbitmq-diagnostics",
            "rabbitmq-queues",
            "rabbitmq-upgrade",
            "rm",
        ]);
        assert.deepStrictEqual(
            tools.filter((t) => !allowed.has(t)),
            [],
        );
    });
});
