/**
 * `npm run bench [-- --quick] [--runs N] [--sizes 10,100,1000] [--only startup,abstraction,scale,validation,graph]`, `npm run deploy-graph` (= `--graph-only`): how fast the program previews and how deep its
 * deploy graph is. Every figure is a median over N fresh child processes (tools/bench-child.ts) measured in the
 * same run, next to its baseline, because this machine is shared and noisy. See BENCHMARKS.md.
 *
 * Exits 1 if a measurement fails, or if the deploy graph's longest chain exceeds 8 or differs between topology
 * sizes (that would mean a queue waits on another queue); timing goals are reported, not enforced (noisy machines).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { median, ratio } from "../lib/bench/stats";
import { stackVariantYaml, topologyYaml } from "../lib/bench/topogen";
import { projectRoot } from "../lib/project";
import type { BaselineFlavour } from "../lib/bench/baseline";
import { projectNodeArgs } from "../lib/bench/nodeArgs";
import type { ChildJob, ChildResult, Runtime } from "./bench-child";

const root = projectRoot();
/** Generated files live under bin/ (gitignored, rebuilt by tsc anyway). */
const workDir = path.join(root, "bin", ".bench");
const childScript = path.join(root, "bin", "tools", "bench-child.js");

interface Measured extends ChildResult {
    wallMs: number;
}

function runChild(job: ChildJob): Measured {
    const t = performance.now();
    // As Pulumi's language host starts a program: with its Pulumi.yaml's nodeargs (a baseline has a copy of ours).
    const nodeArgs = projectNodeArgs(
        "projectDir" in job && job.projectDir !== undefined ? job.projectDir : root,
    );
    const res = spawnSync(process.execPath, [...nodeArgs, childScript, JSON.stringify(job)], {
        cwd: root,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: undefined, PULUMI_NODEJS_TRANSPILE_ONLY: undefined },
    });
    const wallMs = performance.now() - t;
    if (res.status !== 0) {
        throw new Error(`bench child ${JSON.stringify(job)} failed (${res.status}):\n${res.stderr}`);
    }
    const last = res.stdout.trim().split("\n").pop() ?? "{}";
    return { ...(JSON.parse(last) as ChildResult), wallMs };
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtMb = (mb: number) => `${mb.toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? "MET" : "NOT MET");

function log(line = ""): void {
    process.stdout.write(`${line}\n`);
}

function machine(): Record<string, string> {
    return {
        cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}`,
        memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
        loadavg: os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(" "),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
    };
}

function startup(runs: number, quick: boolean): Record<string, unknown> {
    const runtimes: Runtime[] = quick
        ? ["compiled", "ts-node-typecheck"]
        : ["compiled", "ts-node-transpile-only", "ts-node-typecheck"];
    const samples = new Map<Runtime, Measured[]>(runtimes.map((r) => [r, []]));
    for (let i = 0; i < runs; i++) {
        // Interleaved, so load changes on the machine hit every runtime alike.
        for (const runtime of runtimes) {
            samples.get(runtime)!.push(runChild({ mode: "startup", runtime, stack: "prod" }));
        }
    }
    const summary = Object.fromEntries(
        runtimes.map((r) => {
            const s = samples.get(r)!;
            return [
                r,
                {
                    firstResourceMs: median(s.map((x) => x.firstResourceMs ?? NaN)),
                    wallMs: median(s.map((x) => x.wallMs)),
                    maxRssMb: median(s.map((x) => x.maxRssMb)),
                    samplesFirstResourceMs: s.map((x) => Math.round(x.firstResourceMs ?? NaN)),
                },
            ];
        }),
    ) as unknown as Record<Runtime, { firstResourceMs: number; wallMs: number; maxRssMb: number }>;
    const c = summary.compiled;
    const speedup = summary["ts-node-typecheck"].firstResourceMs / c.firstResourceMs;
    log(
        `## Start-up (prod stack, preview, time from process start to the first resource; median of ${runs})`,
    );
    for (const r of runtimes) {
        const s = summary[r];
        log(
            `  ${r.padEnd(24)} first resource ${fmtMs(s.firstResourceMs).padStart(8)}   process ${fmtMs(s.wallMs).padStart(8)}   peak RSS ${fmtMb(s.maxRssMb)}   (${ratio(s.firstResourceMs, c.firstResourceMs)} of compiled)`,
        );
    }
    log(
        `  goal: compiled >= 4x faster than ts-node type-check: ${speedup.toFixed(2)}x  ${verdict(speedup >= 4)}`,
    );
    return { runs, ...summary, speedup };
}

/** Renders the stack in a child and writes the baseline program registering its resources to `dir`. */
function baselineProgram(dir: string, stack: string, flavour: BaselineFlavour, configFile?: string): void {
    runChild({ mode: "baseline-program", stack, configFile, dir, flavour });
}

interface Pairing {
    median: number;
    /** Median of back-to-back ratios ours/baseline: cancels most of the machine's load drift. */
    paired: number;
    wall: number;
}

function abstraction(runs: number, quick: boolean): Record<string, unknown> {
    const flavours: BaselineFlavour[] = ["typed", "generic"];
    const dirs = Object.fromEntries(
        flavours.map((f) => {
            const dir = path.join(workDir, `baseline-prod-${f}`);
            baselineProgram(dir, "prod", f);
            return [f, dir];
        }),
    ) as Record<BaselineFlavour, string>;
    const warm = runChild({
        mode: "abstraction",
        stack: "prod",
        baselineDir: dirs.typed,
        repeat: quick ? 2 : Math.max(6, runs * 2),
    });
    const stackFile = path.join(root, "Pulumi.prod.yaml");
    const ours: Measured[] = [];
    const baselines: Record<BaselineFlavour, Measured[]> = { typed: [], generic: [] };
    for (let i = 0; i < runs; i++) {
        ours.push(runChild({ mode: "render", stack: "prod", repeat: 1 }));
        for (const f of flavours) {
            baselines[f].push(
                runChild({
                    mode: "render",
                    stack: "prod",
                    configFile: stackFile,
                    projectDir: dirs[f],
                    repeat: 1,
                }),
            );
        }
    }
    const plan = (m: Measured) => m.renderMs![0];
    const oursCold = median(ours.map(plan));
    const pairing = (f: BaselineFlavour): Pairing => ({
        median: median(baselines[f].map(plan)),
        paired: median(ours.map((m, i) => plan(m) / plan(baselines[f][i]))),
        wall: median(baselines[f].map((m) => m.wallMs)),
    });
    const typed = pairing("typed");
    const generic = pairing("generic");
    const oursWall = median(ours.map((m) => m.wallMs));
    const warmOurs = median(warm.renderMs ?? []);
    const warmBase = median(warm.baselineMs ?? []);
    log(
        `## Abstraction cost (prod plan, ${warm.resources} resources; each baseline registers the same ${warm.baselineResources} straight through the SDK)`,
    );
    log(
        `  warm, same process, alternating with the typed baseline (median of ${warm.renderMs?.length}): ours ${fmtMs(warmOurs)}  baseline ${fmtMs(warmBase)}  ratio ${ratio(warmOurs, warmBase)}  (informational: each of our renders re-evaluates the program's modules)`,
    );
    log(`  cold, fresh process, first plan (median of ${runs}, interleaved): ours ${fmtMs(oursCold)}`);
    for (const [label, p] of [
        ["typed SDK classes (what a program without our abstractions pays)", typed],
        ["generic core SDK resources only (a floor: loads no provider SDK)", generic],
    ] as const) {
        log(
            `    vs ${label}: ${fmtMs(p.median)}  ratio ${ratio(oursCold, p.median)}  median of paired ratios ${p.paired.toFixed(2)}x  (whole process ${fmtMs(oursWall)} vs ${fmtMs(p.wall)}: ${ratio(oursWall, p.wall)})`,
        );
    }
    log(
        `  goal <= 1.3x against the typed baseline: ${typed.paired.toFixed(2)}x ${verdict(typed.paired <= 1.3)}`,
    );
    return {
        resources: warm.resources,
        warm: { ours: warmOurs, baseline: warmBase, ratio: warmOurs / warmBase },
        cold: { ours: oursCold, oursWall, typed, generic },
    };
}

interface ScaleRow {
    queues: number;
    resources: number;
    renderMs: number;
    wallMs: number;
    maxRssMb: number;
    chain: number;
    baselineRenderMs?: number;
    baselineMaxRssMb?: number;
}

function scale(runs: number, sizes: number[], withBaseline: boolean): Record<string, unknown> {
    fs.mkdirSync(workDir, { recursive: true });
    const prodYaml = fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8");
    const rows: ScaleRow[] = [];
    log(`## Scale (prod stack + N generated quorum queues, each with binding, policy and its own app user)`);
    for (const n of sizes) {
        const topo = path.join(workDir, `topology-${n}.yaml`);
        fs.writeFileSync(topo, topologyYaml(n));
        const stackFile = path.join(workDir, `Pulumi.scale${n}.yaml`);
        fs.writeFileSync(stackFile, stackVariantYaml(prodYaml, path.relative(root, topo)));
        const r = n >= 1000 ? Math.min(runs, 3) : runs;
        const samples = Array.from({ length: r }, () =>
            runChild({ mode: "render", stack: "prod", configFile: stackFile, repeat: 1 }),
        );
        const row: ScaleRow = {
            queues: n,
            resources: samples[0].resources ?? 0,
            renderMs: median(samples.map((s) => s.renderMs![0])),
            wallMs: median(samples.map((s) => s.wallMs)),
            maxRssMb: median(samples.map((s) => s.maxRssMb)),
            chain: samples[0].chain?.length ?? NaN,
        };
        if (withBaseline && n === sizes[sizes.length - 1]) {
            const dir = path.join(workDir, `baseline-scale${n}`);
            baselineProgram(dir, "prod", "typed", stackFile);
            const b = runChild({
                mode: "render",
                stack: "prod",
                configFile: stackFile,
                projectDir: dir,
                repeat: 1,
            });
            row.baselineRenderMs = b.renderMs![0];
            row.baselineMaxRssMb = b.maxRssMb;
        }
        rows.push(row);
        log(
            `  ${String(n).padStart(5)} queues ${String(row.resources).padStart(5)} resources: plan ${fmtMs(row.renderMs).padStart(8)} (process ${fmtMs(row.wallMs)})  peak RSS ${fmtMb(row.maxRssMb)}  longest chain ${row.chain}  (median of ${r})` +
                (row.baselineRenderMs === undefined
                    ? ""
                    : `\n        typed-SDK baseline, same resources: plan ${fmtMs(row.baselineRenderMs)}  peak RSS ${fmtMb(row.baselineMaxRssMb!)}  ours/baseline ${ratio(row.renderMs, row.baselineRenderMs)}`),
        );
    }
    const at = (n: number) => rows.find((x) => x.queues === n);
    const r100 = at(100);
    const r1000 = at(1000);
    if (r100 && r1000) {
        const growth = r1000.renderMs / r100.renderMs;
        log(`  goal: 1000 vs 100 within 12x: ${growth.toFixed(2)}x  ${verdict(growth <= 12)}`);
        log(
            `  goal: 1000-queue plan < 10 s: ${fmtMs(r1000.wallMs)} (process)  ${verdict(r1000.wallMs < 10_000)}`,
        );
        log(`  goal: 1000-queue plan < 400 MB: ${fmtMb(r1000.maxRssMb)}  ${verdict(r1000.maxRssMb < 400)}`);
    }
    return { rows };
}

/** Validation alone (lib/topology.ts) at doubling sizes: linear code doubles, quadratic code quadruples. */
function validation(quick: boolean): Record<string, unknown> {
    const sizes = quick ? [250, 500] : [500, 1000, 2000];
    const rows: Record<string, unknown>[] = [];
    log(`## Topology validation alone (normalizeTopology), doubling sizes: x2 is linear, x4 is quadratic`);
    for (const deadLetter of [undefined, "direct", "topic"] as const) {
        const times = sizes.map((queues) => runChild({ mode: "validate", queues, deadLetter }).renderMs![0]);
        const growth = times.slice(1).map((t, i) => t / times[i]);
        rows.push({ deadLetter: deadLetter ?? "none", sizes, ms: times, growth });
        log(
            `  ${(deadLetter === undefined ? "no dead-lettering" : `shared ${deadLetter} DLX`).padEnd(19)} ${sizes.map((n, i) => `${n}: ${fmtMs(times[i])}`).join("  ")}   growth per doubling ${growth.map((g) => `x${g.toFixed(1)}`).join(" ")}`,
        );
    }
    return { rows };
}

/** Issue 5's goal for the longest chain of create steps. */
const MAX_DEPLOY_CHAIN = 8;

function deployGraph(scaleRows: ScaleRow[]): { ok: boolean; result: Record<string, unknown> } {
    const stacks = ["dev", "prod"].map((stack) => {
        const m = runChild({ mode: "render", stack, repeat: 1 });
        return { stack, length: m.chain?.length ?? NaN, path: m.chain?.path ?? [] };
    });
    log(
        `## Deploy graph (longest chain of create steps: dependencies + provider + parent, see lib/bench/graph.ts)`,
    );
    for (const s of stacks) {
        log(`  ${s.stack}: ${s.length}  ${s.path.join(" -> ")}`);
    }
    const lengths = scaleRows.map((r) => r.chain);
    const same = lengths.every((l) => l === lengths[0]);
    log(
        `  generated: ${scaleRows.map((r) => `${r.queues} queues ${r.chain}`).join(", ")}: ${same ? "same at every size" : "DIFFERS BY SIZE"}`,
    );
    const worst = Math.max(...stacks.map((s) => s.length), ...lengths);
    // Unlike the timings, the depth is deterministic, so exceeding the goal is a regression and fails the run.
    const shallow = worst <= MAX_DEPLOY_CHAIN;
    log(
        `  goal: <= ${MAX_DEPLOY_CHAIN}: ${worst}  ${verdict(shallow)};  same at every size: ${verdict(same)}`,
    );
    return { ok: same && shallow, result: { stacks, scale: lengths, same, longest: worst } };
}

function main(): number {
    const { values } = parseArgs({
        options: {
            quick: { type: "boolean", default: false },
            runs: { type: "string" },
            sizes: { type: "string" },
            out: { type: "string" },
            "graph-only": { type: "boolean", default: false },
            only: { type: "string" },
        },
        strict: true,
    });
    const quick = values.quick ?? false;
    const runs = Number(values.runs ?? (quick ? 1 : 5));
    const sizes = (values.sizes ?? (quick ? "10,40" : "10,100,1000")).split(",").map(Number);
    if (!fs.existsSync(childScript) || !fs.existsSync(path.join(root, "bin", "index.js"))) {
        console.error("bin/ is missing: run `npm run build` first");
        return 2;
    }
    fs.mkdirSync(workDir, { recursive: true });
    const started = performance.now();
    const info = machine();
    log(`# npm run bench${quick ? " --quick" : ""}: ${runs} run(s) per figure, ${new Date().toISOString()}`);
    log(
        `  ${Object.entries(info)
            .map(([k, v]) => `${k}: ${v}`)
            .join("; ")}`,
    );
    const results: Record<string, unknown> = { machine: info, runs, quick };
    if (values["graph-only"]) {
        const rows = scale(1, values.sizes === undefined ? [10, 1000] : sizes, false).rows as ScaleRow[];
        return deployGraph(rows).ok ? 0 : 1;
    }
    const only = new Set((values.only ?? "startup,abstraction,scale,validation,graph").split(","));
    if (only.has("startup")) {
        results.startup = startup(runs, quick);
    }
    if (only.has("abstraction")) {
        results.abstraction = abstraction(runs, quick);
    }
    let graph = { ok: true, result: {} as Record<string, unknown> };
    if (only.has("scale") || only.has("graph")) {
        const sc = scale(runs, sizes, !quick);
        results.scale = sc;
        if (only.has("graph")) {
            graph = deployGraph(sc.rows as ScaleRow[]);
            results.deployGraph = graph.result;
        }
    }
    if (only.has("validation")) {
        results.validation = validation(quick);
    }
    const out = values.out ?? path.join(workDir, quick ? "results-quick.json" : "results.json");
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`(${fmtMs(performance.now() - started)} in all; results in ${path.relative(root, out)})`);
    return graph.ok ? 0 : 1;
}

if (require.main === module) {
    try {
        process.exitCode = main();
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exitCode = 1;
    }
}
