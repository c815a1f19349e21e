/**
 * Driving the real-engine rig from tests: its environment (exactly what `eval "$(npm run -s rig -- env)"` gives a
 * user), the real `pulumi` and `kubectl` as child processes, and throwaway stacks in the rig's file backend.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../../../..");
const RIG = path.join(ROOT, "scripts", "rig.sh");

export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** Runs `scripts/rig.sh VERB` and fails with its output when it fails. */
export function rig(verb: string): Run {
    const run = spawnSync("bash", [RIG, verb], { encoding: "utf8" });
    if (run.status !== 0) {
        throw new Error(`rig ${verb} exited ${run.status}:\n${run.stdout}${run.stderr}`);
    }
    return run;
}

let cachedEnv: NodeJS.ProcessEnv | undefined;

/** The environment a user gets from `eval "$(npm run -s rig -- env)"`, evaluated by bash as they would. */
export function rigEnv(): NodeJS.ProcessEnv {
    if (cachedEnv === undefined) {
        const run = spawnSync("bash", ["-c", `eval "$(bash '${RIG}' env)" && env -0`], { encoding: "utf8" });
        if (run.status !== 0) {
            throw new Error(`rig env failed: ${run.stderr}`);
        }
        cachedEnv = Object.fromEntries(
            run.stdout
                .split("\0")
                .filter((entry) => entry.includes("="))
                .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
        );
    }
    return cachedEnv;
}

/** Runs the rig's `pulumi` in `cwd` (the project folder unless given), never interactively, without colour. */
export function pulumi(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
    const run = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], {
        cwd: options.cwd ?? ROOT,
        env: { ...rigEnv(), ...options.env },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Like `pulumi`, but fails with the CLI's whole output unless it exits 0. */
export function pulumiOk(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
    const run = pulumi(args, options);
    if (run.status !== 0) {
        throw new Error(`pulumi ${args.join(" ")} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    }
    return run;
}

/** Runs the rig's `kubectl` against its API server. */
export function kubectl(args: string[]): Run {
    const run = spawnSync("kubectl", args, { env: rigEnv(), encoding: "utf8" });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let stackCount = 0;

/**
 * A new stack in the rig's backend for the project in `cwd`; `remove` deletes it (and whatever it still holds
 * in state only) so a failed test leaves nothing behind in the backend.
 */
export function newStack(prefix: string, cwd: string = ROOT): { name: string; remove(): void } {
    const name = `${prefix}-${process.pid}-${++stackCount}`;
    pulumiOk(["stack", "init", name], { cwd });
    return {
        name,
        remove() {
            pulumi(["stack", "rm", name, "--yes", "--force"], { cwd });
        },
    };
}

/** Writes a stack file (`Pulumi.<stack>.yaml` format) to a temp folder and returns its path. */
export function stackFile(config: Record<string, unknown>): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rig-stack-")), "Pulumi.stack.yaml");
    fs.writeFileSync(file, JSON.stringify({ config }, null, 2));
    return file;
}
