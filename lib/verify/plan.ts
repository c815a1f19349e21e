/**
 * The rendered plan (`npm run plan -- --stack S --json [--show-secrets]`): loading it from a file or by running
 * the compiled plan tool.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

// Types only (erased at compile time): verify never loads the Pulumi runtime the renderer needs.
import type { Plan } from "../render";
export type { Plan, PlanResource } from "../render";

export class PlanError extends Error {}

export function parsePlan(text: string, source: string): Plan {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new PlanError(`${source}: not JSON (${(e as Error).message})`);
    }
    const plan = value as Partial<Plan>;
    if (
        !plan ||
        typeof plan !== "object" ||
        !Array.isArray(plan.resources) ||
        typeof plan.stack !== "string"
    ) {
        throw new PlanError(`${source}: not a plan (expected {project, stack, resources[], outputs})`);
    }
    for (const r of plan.resources) {
        if (typeof r?.urn !== "string" || typeof r.type !== "string" || typeof r.inputs !== "object") {
            throw new PlanError(
                `${source}: resource without urn/type/inputs: ${JSON.stringify(r).slice(0, 200)}`,
            );
        }
        r.dependencies = r.dependencies ?? [];
    }
    return plan as Plan;
}

export function loadPlanFile(file: string): Plan {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new PlanError(`cannot read plan file ${file}: ${(e as Error).message}`);
    }
    return parsePlan(text, file);
}

/** The compiled plan tool (bin/tools/plan.js), found relative to this compiled module (bin/lib/verify). */
export function planToolPath(): string {
    return path.resolve(__dirname, "..", "..", "tools", "plan.js");
}

export interface RenderOptions {
    stack: string;
    configFile?: string;
    showSecrets?: boolean;
    cwd?: string;
}

/** Runs the compiled plan tool and parses its JSON. */
export function renderPlan(opts: RenderOptions): Plan {
    const tool = planToolPath();
    if (!fs.existsSync(tool)) {
        throw new PlanError(`plan tool not found at ${tool}; run 'npm run build' first`);
    }
    const args = [tool, "--stack", opts.stack, "--json"];
    if (opts.showSecrets) {
        args.push("--show-secrets");
    }
    if (opts.configFile) {
        args.push("--config-file", opts.configFile);
    }
    const res = spawnSync(process.execPath, args, {
        cwd: opts.cwd ?? path.resolve(__dirname, "..", "..", ".."),
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120000,
    });
    if (res.error) {
        throw new PlanError(`plan tool failed to run: ${res.error.message}`);
    }
    if (res.status === 1 && res.stderr.trim() !== "") {
        // The stack cannot be rendered (an invalid config or topology): plan's own message says which and how to fix it.
        throw new PlanError(res.stderr.trimEnd());
    }
    if (res.status !== 0) {
        throw new PlanError(
            `plan --stack ${opts.stack}${opts.configFile ? " --config-file " + opts.configFile : ""} exited ${res.status}: ${res.stderr.trim() || res.stdout.trim()}`,
        );
    }
    return parsePlan(res.stdout, `plan --stack ${opts.stack}`);
}
