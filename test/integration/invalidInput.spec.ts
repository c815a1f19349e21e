// Invalid stack configs and topology files through the built commands a user runs, as child processes: each prints
// exactly the problem (key or path, rule, the refused value, the fix), once, with no stack trace, and exits with
// the code the README documents for it.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../lib/project";
import { CASES, caseFiles, expectedMessage } from "../invalidInputs";

interface Tool {
    name: string;
    /** The arguments after `node`, for a stack named `stack` in `file`. */
    args: (stack: string, file: string, scratch: string) => string[];
    /** What the tool puts before the message, and its documented exit code for an invalid stack. */
    prefix: string;
    status: number;
}

const bin = (tool: string) => path.join(projectRoot(), "bin", "tools", `${tool}.js`);

const TOOLS: Tool[] = [
    {
        name: "npm run plan",
        args: (stack, file) => [bin("plan"), "--stack", stack, "--config-file", file],
        prefix: "",
        status: 1,
    },
    {
        name: "npm run policy",
        args: (stack, file) => [bin("policy-check"), "--stack", stack, "--config-file", file],
        prefix: "error: ",
        status: 1,
    },
    {
        // --check on a file that does not exist: should a stack ever pass, nothing is written anywhere.
        name: "npm run diagram",
        args: (stack, file, scratch) => [
            bin("diagram"),
            "--stack",
            stack,
            "--config-file",
            file,
            "--check",
            path.join(scratch, "none.md"),
        ],
        prefix: "",
        status: 1,
    },
    {
        // The flags are valid (the broker is never reached): the stack's plan cannot be rendered, a usage error.
        name: "npm run verify",
        args: (stack, file) => [
            bin("verify"),
            "--mgmt-url",
            "http://127.0.0.1:9",
            "--username",
            "admin",
            "--password-env",
            "INVALID_INPUT_SPEC_PASSWORD",
            "--stack",
            stack,
            "--config-file",
            file,
        ],
        prefix: "verify: ",
        status: 2,
    },
];

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function run(args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
            cwd: projectRoot(),
            env: { ...process.env, INVALID_INPUT_SPEC_PASSWORD: "unused" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** Runs every job, `width` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
    const results: T[] = new Array<T>(jobs.length);
    let next = 0;
    const worker = async () => {
        while (next < jobs.length) {
            const i = next++;
            results[i] = await jobs[i]();
        }
    };
    await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
    return results;
}

describe("invalid input through every command a user runs (one table)", function () {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rmq-invalid-"));
    /** Per case, its topology file (or undefined) and stack file. */
    const files = CASES.map((c, i) => caseFiles(c, i, scratch));
    const runs = new Map<string, Run>();

    before(async function () {
        this.timeout(600000);
        const jobs = CASES.flatMap((_, i) =>
            TOOLS.map((t) => async () => {
                runs.set(`${i} ${t.name}`, await run(t.args("invalid", files[i].stack, scratch)));
            }),
        );
        await pool(jobs, Math.max(2, os.cpus().length));
    });

    after(function () {
        fs.rmSync(scratch, { recursive: true, force: true });
        for (const f of files) {
            fs.rmSync(path.dirname(f.stack), { recursive: true, force: true });
        }
    });

    CASES.forEach((c, i) => {
        it(`refuses ${c.title}, the same way in every command`, function () {
            const message = expectedMessage(c, files[i].topologyFile);
            for (const t of TOOLS) {
                const r = runs.get(`${i} ${t.name}`)!;
                assert.deepStrictEqual(
                    { status: r.status, stdout: r.stdout, stderr: r.stderr },
                    { status: t.status, stdout: "", stderr: `${t.prefix}${message}` },
                    `${t.name} on ${c.title}`,
                );
            }
        });
    });
});
