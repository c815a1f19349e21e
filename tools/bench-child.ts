/**
 * One measurement of `npm run bench`, in a fresh process so start-up and peak memory are its own.
 * Usage: node bin/tools/bench-child.js '<json ChildJob>'; prints one JSON line (ChildResult).
 */
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { longestChain, urnName } from "../lib/bench/graph";
import { BaselineFlavour, baselineSource, writeBaselineProgram } from "../lib/bench/baseline";
import { generateTopology } from "../lib/bench/topogen";
import { projectRoot } from "../lib/project";
import { invokeProgram, renderStack } from "../lib/render";
import { loadStackConfig } from "../lib/stackConfig";

/** How the program is loaded: compiled JS (our Pulumi.yaml), or ts-node as Pulumi's default TypeScript mode. */
export type Runtime = "compiled" | "ts-node-transpile-only" | "ts-node-typecheck";

export type ChildJob =
    | { mode: "startup"; runtime: Runtime; stack: string }
    | { mode: "render"; stack: string; configFile?: string; projectDir?: string; repeat: number }
    | { mode: "abstraction"; stack: string; baselineDir: string; repeat: number }
    | { mode: "baseline-program"; stack: string; configFile?: string; dir: string; flavour: BaselineFlavour }
    | { mode: "validate"; queues: number; deadLetter?: "direct" | "topic" };

export interface ChildResult {
    /** ms since the process started. */
    firstResourceMs?: number;
    doneMs?: number;
    renderMs?: number[];
    baselineMs?: number[];
    resources?: number;
    baselineResources?: number;
    chain?: { length: number; path: string[] };
    maxRssMb: number;
}

interface MockMonitor {
    registerResource(req: { getType(): string }, cb: (err: Error | null, resp: unknown) => void): void;
}
const runtime = pulumi.runtime as unknown as {
    getMonitor(): MockMonitor;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    waitForRPCs(): Promise<void>;
};

const root = projectRoot();

/** Registers ts-node the way @pulumi/pulumi's cmd/run/run.js does for a CommonJS project. */
function registerTsNode(transpileOnly: boolean): void {
    const tsconfigPath = path.join(root, "tsconfig.json");
    const tsconfig = JSON.parse(fs.readFileSync(tsconfigPath, "utf8")) as { compilerOptions?: object };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only in the ts-node modes
    const tsn = require("ts-node") as { register(opts: object): void };
    tsn.register({
        compiler: "typescript",
        transpileOnly,
        project: tsconfigPath,
        skipProject: false,
        compilerOptions: {
            target: "ES2020",
            module: "nodenext",
            moduleResolution: "nodenext",
            sourceMap: "true",
            ...tsconfig.compilerOptions,
        },
    });
}

async function startup(job: { runtime: Runtime; stack: string }): Promise<ChildResult> {
    process.chdir(root);
    const { project, config, secretKeys } = loadStackConfig(root, job.stack);
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: undefined, state: args.inputs }),
            call: () => ({}),
        },
        project,
        job.stack,
        true,
    );
    let firstResourceMs: number | undefined;
    let resources = 0;
    const monitor = runtime.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        if (req.getType() !== "pulumi:pulumi:Stack") {
            firstResourceMs ??= performance.now();
            resources++;
        }
        register(req, cb);
    };
    let program = path.join(root, "bin", "index.js");
    if (job.runtime !== "compiled") {
        registerTsNode(job.runtime === "ts-node-transpile-only");
        program = path.join(root, "index.ts");
    }
    await runtime.runInPulumiStack(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- this is how Pulumi loads the program
        return invokeProgram(require(program));
    });
    await runtime.waitForRPCs();
    return { firstResourceMs, doneMs: performance.now(), resources, maxRssMb: maxRssMb() };
}

function maxRssMb(): number {
    return process.resourceUsage().maxRSS / 1024;
}

async function render(job: {
    stack: string;
    configFile?: string;
    projectDir?: string;
    repeat: number;
}): Promise<ChildResult> {
    const renderMs: number[] = [];
    let resources = 0;
    let chain: ChildResult["chain"];
    for (let i = 0; i < job.repeat; i++) {
        const t = performance.now();
        const { plan } = await renderStack({
            stack: job.stack,
            configFile: job.configFile,
            projectDir: job.projectDir,
        });
        renderMs.push(performance.now() - t);
        resources = plan.resources.length;
        if (chain === undefined) {
            const c = longestChain(plan.resources, plan.project);
            chain = { length: c.length, path: c.path.map(urnName) };
        }
    }
    return { renderMs, resources, chain, doneMs: performance.now(), maxRssMb: maxRssMb() };
}

/** Ours and the baseline alternately in one warm process, so both see the same machine state. */
async function abstraction(job: {
    stack: string;
    baselineDir: string;
    repeat: number;
}): Promise<ChildResult> {
    const configFile = path.join(root, `Pulumi.${job.stack}.yaml`);
    const ours = () => renderStack({ stack: job.stack });
    const baseline = () => renderStack({ stack: job.stack, configFile, projectDir: job.baselineDir });
    const a = await ours();
    const b = await baseline();
    const renderMs: number[] = [];
    const baselineMs: number[] = [];
    for (let i = 0; i < job.repeat; i++) {
        for (const [fn, out] of i % 2 === 0
            ? ([
                  [ours, renderMs],
                  [baseline, baselineMs],
              ] as const)
            : ([
                  [baseline, baselineMs],
                  [ours, renderMs],
              ] as const)) {
            const t = performance.now();
            await fn();
            out.push(performance.now() - t);
        }
    }
    return {
        renderMs,
        baselineMs,
        resources: a.plan.resources.length,
        baselineResources: b.plan.resources.length,
        maxRssMb: maxRssMb(),
    };
}

async function baselineProgram(job: {
    stack: string;
    configFile?: string;
    dir: string;
    flavour: BaselineFlavour;
}): Promise<ChildResult> {
    const rendered = await renderStack({ stack: job.stack, configFile: job.configFile, showSecrets: true });
    writeBaselineProgram(job.dir, baselineSource(rendered), job.flavour, root);
    return { resources: rendered.plan.resources.length, maxRssMb: maxRssMb() };
}

/**
 * lib/topology.ts's validation alone, on a generated topology (after one small warm-up call). Imported here, not
 * at the top: a top-level import would load the validator in every child, before the timed renders, and hide its
 * load time from them.
 */
async function validate(job: { queues: number; deadLetter?: "direct" | "topic" }): Promise<ChildResult> {
    const { normalizeTopology } = await import("../lib/topology");
    normalizeTopology(generateTopology(10, job.deadLetter), "warm-up", {
        quorumGroupSize: 3,
        brokerMajorVersion: 4,
    });
    const input = generateTopology(job.queues, job.deadLetter);
    const t = performance.now();
    normalizeTopology(input, "generated", { quorumGroupSize: 3, brokerMajorVersion: 4 });
    return { renderMs: [performance.now() - t], maxRssMb: maxRssMb() };
}

async function main(): Promise<void> {
    const job = JSON.parse(process.argv[2] ?? "{}") as ChildJob;
    let result: ChildResult;
    switch (job.mode) {
        case "startup":
            result = await startup(job);
            break;
        case "render":
            result = await render(job);
            break;
        case "abstraction":
            result = await abstraction(job);
            break;
        case "baseline-program":
            result = await baselineProgram(job);
            break;
        case "validate":
            result = await validate(job);
            break;
        default:
            throw new Error(`unknown job ${JSON.stringify(job)}`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exitCode = 1;
    });
}
