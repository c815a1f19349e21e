// Invalid stacks under the real CLI and language host: the program's message printed once, with no stack trace,
// no bundle line and no "unhandled exception", the same message `npm run plan` prints, and nothing created.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { newStack, pulumi, ROOT, stackFile } from "./support/rig";
import { shippedStackConfig } from "../support";

const PLAN_TOOL = path.join(ROOT, "bin", "tools", "plan.js");

function topologyFile(text: string): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rig-topology-")), "topology.yaml");
    fs.writeFileSync(file, text);
    return file;
}

const CASES: { title: string; config: () => Record<string, unknown> }[] = [
    {
        title: "an even replica count",
        config: () => ({ ...shippedStackConfig("dev"), "rabbitmq-platform:replicas": 4 }),
    },
    {
        title: "a topology file that is not YAML",
        config: () => ({
            ...shippedStackConfig("dev"),
            "rabbitmq-platform:topologyFile": topologyFile("vhosts:\n  - name: /engine\n   queues: [\n"),
        }),
    },
    {
        title: "a binding to a queue the topology does not declare",
        config: () => ({
            ...shippedStackConfig("dev"),
            "rabbitmq-platform:topologyFile": topologyFile(
                [
                    "vhosts:",
                    "  - name: /engine",
                    '    exchanges: [{ name: "engine:tasks", type: direct }]',
                    '    queues: [{ name: "engine:tasks" }]',
                    '    bindings: [{ exchange: "engine:tasks", queue: "engine:taks", routingKey: "engine:tasks" }]',
                    "",
                ].join("\n"),
            ),
        }),
    },
];

describe("invalid stacks under the real CLI print the program's message once, without a stack", function () {
    let stack: ReturnType<typeof newStack>;

    before(function () {
        stack = newStack("invalid");
    });

    after(function () {
        stack.remove();
    });

    for (const c of CASES) {
        it(`refuses ${c.title} before creating anything`, function () {
            const file = stackFile(c.config());
            const offline = spawnSync(
                process.execPath,
                [PLAN_TOOL, "--stack", stack.name, "--config-file", file],
                {
                    encoding: "utf8",
                },
            );
            assert.strictEqual(offline.status, 1, offline.stderr);
            const message = offline.stderr.trimEnd();
            assert.match(message, /^Invalid (stack configuration|topology)/);

            const run = pulumi(["preview", "--stack", stack.name, "--config-file", file]);
            assert.notStrictEqual(run.status, 0);
            const output = run.stdout + run.stderr;
            // The Diagnostics section shows the error once, each line indented under the Stack.
            const shown = message
                .split("\n")
                .map((line, i) => (i === 0 ? `    error: ${line}` : `    ${line}`))
                .join("\n");
            assert.strictEqual(output.split(shown).length - 1, 1, `expected once:\n${shown}\nin:\n${output}`);
            assert.doesNotMatch(output, /^\s+at /m);
            assert.doesNotMatch(output, /unhandled exception|index\.js:\d+/);
            assert.match(run.stdout, /^ {4}1 errored$/m);
            assert.doesNotMatch(run.stdout, /kubernetes:|rabbitmq:|random:/, "nothing but the root Stack");
        });
    }
});
