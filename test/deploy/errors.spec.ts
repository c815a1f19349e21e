// The invalid-input table (test/invalidInputs.ts) under the real CLI and language host: `pulumi preview` shows the
// program's exact message once, with no stack trace, no bundle line and no "unhandled exception", and creates
// nothing but the root Stack it could not finish.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CASES, caseFiles, expectedMessage } from "../invalidInputs";
import { newStack, pulumi } from "./support/rig";

describe("the invalid-input table under the real CLI: the message once, without a stack", function () {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rig-invalid-"));
    let stack: ReturnType<typeof newStack>;

    before(function () {
        stack = newStack("invalid");
    });

    after(function () {
        stack.remove();
        fs.rmSync(scratch, { recursive: true, force: true });
    });

    CASES.forEach((c, i) => {
        it(`refuses ${c.title} before creating anything`, function () {
            const files = caseFiles(c, i, scratch);
            const run = pulumi(["preview", "--stack", stack.name, "--config-file", files.stack]);
            assert.notStrictEqual(run.status, 0);
            const output = run.stdout + run.stderr;
            if (c.cli !== undefined) {
                // Pulumi's typed-config check refuses it before the program runs: its message, and nothing else.
                assert.strictEqual(output.trim(), c.cli.replace("STACK", stack.name));
                return;
            }
            // The Diagnostics section shows the error once, each line indented under the Stack.
            const shown = expectedMessage(c, files.topologyFile)
                .trimEnd()
                .split("\n")
                .map((line, n) => (n === 0 ? `    error: ${line}` : `    ${line}`))
                .join("\n");
            assert.strictEqual(output.split(shown).length - 1, 1, `expected once:\n${shown}\nin:\n${output}`);
            assert.doesNotMatch(output, /^\s+at /m);
            assert.doesNotMatch(output, /unhandled exception|index\.js:\d+/);
            assert.match(run.stdout, /^ {4}1 errored$/m);
            assert.doesNotMatch(run.stdout, /kubernetes:|rabbitmq:|random:/, "nothing but the root Stack");
        });
    });
});
