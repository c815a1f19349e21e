// Shared helpers for the policy check's tests: build the pack once, run the check, and reduce its findings
// to comparable lines.

import { execFileSync } from "child_process";
import * as path from "path";
import {
    CheckOptions,
    CheckResult,
    DEFAULT_PACK_DIR,
    PolicyPackProcess,
    runPolicyCheck,
} from "../../../tools/policy-check";
import { projectRoot } from "../../../lib/project";
import { rendered } from "../../support";

export const ROOT = projectRoot(__dirname);
export const BAD_STACKS = path.join(ROOT, "test", "fixtures", "bad-stacks");
export const PLANS = path.join(ROOT, "test", "integration", "policies", "fixtures");

let built = false;

/**
 * Compiles the pack with its own TypeScript, so the check runs the current sources (the CLI runs the compiled
 * pack too). Needs `npm ci --prefix policies`.
 */
export function buildPack(): void {
    if (!built) {
        const tsc = path.join(DEFAULT_PACK_DIR, "node_modules", "typescript", "bin", "tsc");
        execFileSync(process.execPath, [tsc, "-p", path.join(DEFAULT_PACK_DIR, "tsconfig.json")], {
            stdio: "inherit",
        });
        built = true;
    }
}

/** One finding as a line: `[level] policy (type: name): message`. */
export function lines(result: CheckResult, opts: { includeUnknown?: boolean } = {}): string[] {
    return result.findings
        .filter((f) => opts.includeUnknown === true || !f.cannotTellYet)
        .map((f) => {
            const parts = f.urn.split("::");
            const resource = parts.length >= 4 ? `${parts[2].split("$").pop()}: ${parts[3]}` : "stack";
            return `[${f.enforcementLevel}] ${f.policyName} (${resource}): ${f.message}`;
        });
}

let shared: Promise<PolicyPackProcess> | undefined;

/**
 * Runs the check on the one pack process of this mocha run, built and started on first use and stopped by the
 * suite's root hook (`test/integration/hooks.ts`). Every run sends its own Configure first, so runs do not see each
 * other's config. Stacks come from the run's shared renders.
 */
export async function check(opts: CheckOptions): Promise<CheckResult> {
    shared ??= Promise.resolve().then(() => {
        buildPack();
        return PolicyPackProcess.start(DEFAULT_PACK_DIR);
    });
    return runPolicyCheck({ ...opts, pack: await shared, render: rendered });
}

export async function stopPack(): Promise<void> {
    const pack = shared;
    shared = undefined;
    (await pack)?.stop();
}
