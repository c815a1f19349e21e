/**
 * Offline policy check: `npm run policy -- (--stack <name> [--config-file F] | --plan <plan.json>)
 * [--policy-pack-config F] [--update]`.
 *
 * Runs the policy pack the way `pulumi preview --policy-pack policies` does, with no CLI, cluster or
 * credentials: it starts the compiled pack in a child process exactly as the CLI's analyzer host does
 * (`@pulumi/pulumi/cmd/run-policy-pack` from the pack's own node_modules, cwd = the pack), connects to the
 * gRPC analyzer the pack serves, and makes the engine's calls: GetAnalyzerInfo, Configure (with the
 * `--policy-pack-config` file reconciled against the policies' configSchema the way the CLI does),
 * Analyze for every resource and AnalyzeStack for the whole stack. So the pack's own copy of
 * @pulumi/policy and its real `makeAnalyzeRpcFun`/`makeAnalyzeStackRpcFun` handlers judge the resources,
 * policy config reaches them through the real Configure RPC, and this process never constructs a
 * PolicyPack. Exit status: 1 if any mandatory violation (or an error), 0 otherwise.
 */
import Ajv from "ajv";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import type { AnalyzeResponse, AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import type { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type * as render from "../lib/render";

// The protobufs and gRPC runtime the analyzer client uses must be one copy: take them all from the
// @pulumi/pulumi that owns `proto/analyzer_grpc_pb` (its generated code checks `instanceof` on requests).
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzerpb = pulumiRequire("./proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
const analyzerrpc = pulumiRequire(
    "./proto/analyzer_grpc_pb",
) as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structpb = pulumiRequire(
    "google-protobuf/google/protobuf/struct_pb",
) as typeof import("google-protobuf/google/protobuf/struct_pb");
const emptypb = pulumiRequire(
    "google-protobuf/google/protobuf/empty_pb",
) as typeof import("google-protobuf/google/protobuf/empty_pb");

/** The project root (this file runs from bin/tools/). */
const ROOT = path.resolve(__dirname, "..", "..");
/** The policy pack's directory, as passed to `pulumi preview --policy-pack`. */
export const DEFAULT_PACK_DIR = path.join(ROOT, "policies");

/** Wire-format markers the SDK uses for secrets and preview unknowns (what AnalyzeRequest properties carry). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"]; // protobuf enum order

/** One resource of a plan (`npm run plan -- --json`, or a plan from elsewhere that may lack per-input dependencies). */
export interface PlanResource extends Omit<render.PlanResource, "propertyDependencies"> {
    /** Per-input dependencies as registered; they let credential policies see where a value comes from. */
    propertyDependencies?: Record<string, string[]>;
}

/** A plan in the `plan --json` format, from any source. */
export interface Plan extends Omit<render.Plan, "resources" | "outputs"> {
    resources: PlanResource[];
    outputs?: Record<string, unknown>;
}

/** A resource ready to send to the analyzer, its per-input dependencies as the engine passes them. */
export interface AnalyzedResource extends PlanResource {
    propertyDependencies: Record<string, string[]>;
}

export interface CheckOptions {
    stack?: string;
    configFile?: string;
    planFile?: string;
    /** A `--policy-pack-config` JSON file, in the format `pulumi preview` takes. */
    policyPackConfig?: string;
    /** Render as a preview (unknowns stay unknown), as `pulumi preview` does. Default true. */
    preview?: boolean;
    packDir?: string;
    /** A pack already started (tests reuse one); it is configured afresh and left running. */
    pack?: PolicyPackProcess;
    /** Renders `stack` (default lib/render.ts's renderStack); tests pass the renders they share. */
    render?: (options: render.RenderOptions) => Promise<render.RenderedStack>;
}

export interface Finding {
    policyName: string;
    policyPackName: string;
    policyPackVersion: string;
    description: string;
    /** The violation message without the description line the analyzer prefixes. */
    message: string;
    enforcementLevel: EnforcementLevel;
    urn: string;
    /** True for "can't run policy … during preview": a value was unknown, so nothing could be decided. */
    cannotTellYet: boolean;
}

export interface CheckResult {
    project: string;
    stack: string;
    packName: string;
    packVersion: string;
    findings: Finding[];
    /** The policy config sent to the pack with Configure, after reconciliation. */
    config: Record<string, PolicyConfigEntry>;
    /** Caveats about the input, printed with the result. */
    notes: string[];
}

export interface PolicyConfigEntry {
    enforcementLevel: EnforcementLevel;
    properties?: Record<string, unknown>;
}

export interface PolicyMetadata {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: { properties: Record<string, Record<string, unknown>>; required?: string[] };
}

// ---------------------------------------------------------------------------------------------------------
// Inputs: a rendered stack or a plan file.
// ---------------------------------------------------------------------------------------------------------

/** Turns a plan file's printable placeholders back into wire values: "[secret]" and "[unknown]". */
export function planValueToWire(value: unknown): unknown {
    if (value === "[secret]") {
        return { [SECRET_SIG_KEY]: SECRET_SIG, value: "[secret]" };
    }
    if (value === "[unknown]") {
        return UNKNOWN;
    }
    if (Array.isArray(value)) {
        return value.map(planValueToWire);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, planValueToWire(v)]));
    }
    return value;
}

/**
 * The per-input dependencies the engine hands analyzers for a registration (pulumi/pulumi: the resource monitor's
 * RegisterResource in pkg/resource/deploy/source_eval.go, then AnalyzeStack in
 * sdk/go/common/resource/plugin/analyzer_plugin.go). A registration that sent none gets every input depending on
 * all of the resource's dependencies, dependsOn included (the engine's rule for SDKs that predate them): that can
 * hide a literal credential next to a generated one, but never invents a violation. Otherwise the registered map
 * stands as it is. Inputs that depend on nothing are left out, as the engine leaves them out. (The engine also adds
 * the dependencies of output values among the inputs; the SDK sends those only to remote components, and a plan
 * has none.)
 */
export function analyzerPropertyDependencies(
    r: Pick<PlanResource, "inputs" | "dependencies" | "propertyDependencies">,
): Record<string, string[]> {
    const registered = r.propertyDependencies ?? {};
    const perInput =
        Object.keys(registered).length === 0
            ? Object.fromEntries(Object.keys(r.inputs ?? {}).map((k) => [k, r.dependencies]))
            : registered;
    return Object.fromEntries(Object.entries(perInput).filter(([, urns]) => urns.length > 0));
}

/** Reads a plan in the `plan --json` format; inputs become wire values. */
export function resourcesFromPlan(plan: Plan): AnalyzedResource[] {
    return plan.resources.map((r) => ({
        ...r,
        inputs: planValueToWire(r.inputs ?? {}) as Record<string, unknown>,
        propertyDependencies: analyzerPropertyDependencies(r),
    }));
}

/** Combines a rendered stack's plan with the exact wire inputs the SDK registered. */
export function resourcesFromRendered(rendered: render.RenderedStack): AnalyzedResource[] {
    return rendered.plan.resources.map((r) => ({
        ...r,
        inputs: rendered.wire[r.urn]?.inputs ?? (planValueToWire(r.inputs ?? {}) as Record<string, unknown>),
        propertyDependencies: analyzerPropertyDependencies(r),
    }));
}

async function loadInputs(
    opts: CheckOptions,
): Promise<{ plan: Plan; resources: AnalyzedResource[]; notes: string[] }> {
    if (opts.planFile !== undefined) {
        const plan = JSON.parse(fs.readFileSync(opts.planFile, "utf8")) as Plan;
        if (!Array.isArray(plan.resources)) {
            throw new Error(
                `${opts.planFile} is not a plan: it has no "resources" array (see npm run plan -- --json).`,
            );
        }
        const notes = plan.resources.some((r) => r.propertyDependencies === undefined)
            ? [
                  "the plan has no propertyDependencies, so each input is taken to depend on all of its " +
                      "resource's dependencies; disallow-plaintext-credentials may miss a literal value.",
              ]
            : [];
        return { plan, resources: resourcesFromPlan(plan), notes };
    }
    if (opts.stack === undefined) {
        throw new Error("Pass --stack <name> or --plan <plan.json>.");
    }
    // lib/render.ts runs the program; it is loaded only here, so `--plan` never loads the program or its SDKs.
    const renderStack = opts.render ?? (await import("../lib/render")).renderStack;
    const rendered = await renderStack({
        stack: opts.stack,
        configFile: opts.configFile,
        preview: opts.preview ?? true,
    });
    return { plan: rendered.plan, resources: resourcesFromRendered(rendered), notes: [] };
}

// ---------------------------------------------------------------------------------------------------------
// Policy pack config: the CLI's reconciliation (pulumi/pulumi pkg/resource/analyzer/config.go).
// ---------------------------------------------------------------------------------------------------------

function isLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (LEVELS as string[]).includes(v);
}

/**
 * Parses a `--policy-pack-config` file: `{ "all": "<level>", "<policy>": "<level>" | { enforcementLevel?, ...props } }`.
 * Errors use the CLI's wording.
 */
export function parsePolicyPackConfig(json: unknown): Record<string, Partial<PolicyConfigEntry>> {
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
        throw new Error("policy pack config must be a JSON object");
    }
    const result: Record<string, Partial<PolicyConfigEntry>> = {};
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
        if (typeof v === "string") {
            if (!isLevel(v)) {
                throw new Error(
                    `parsing enforcement level for "${k}": "${v}" is not a valid enforcement level`,
                );
            }
            result[k] = { enforcementLevel: v };
        } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
            const { enforcementLevel, ...properties } = v as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                throw new Error(
                    `parsing enforcement level for "${k}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`,
                );
            }
            const entry: Partial<PolicyConfigEntry> = {};
            if (enforcementLevel !== undefined) {
                entry.enforcementLevel = enforcementLevel;
            }
            if (Object.keys(properties).length > 0) {
                entry.properties = properties;
            }
            if (entry.enforcementLevel !== undefined || entry.properties !== undefined) {
                result[k] = entry;
            }
        } else {
            throw new Error(
                `parsing "${k}": ${JSON.stringify(v)} is not a valid value; must be a string or object`,
            );
        }
    }
    return result;
}

function applyConfig(
    result: Record<string, PolicyConfigEntry>,
    given: Record<string, Partial<PolicyConfigEntry>>,
): Record<string, PolicyConfigEntry> {
    const all = given["all"]?.enforcementLevel;
    if (all !== undefined) {
        for (const k of Object.keys(result)) {
            result[k] = { ...result[k], enforcementLevel: all };
        }
    }
    for (const [policy, cfg] of Object.entries(given)) {
        if (policy === "all") {
            continue;
        }
        const existing = result[policy];
        if (existing === undefined) {
            throw new Error(`policy pack config names "${policy}", which is not a policy of this pack`);
        }
        result[policy] = {
            enforcementLevel: cfg.enforcementLevel ?? existing.enforcementLevel,
            properties:
                cfg.properties === undefined
                    ? existing.properties
                    : { ...(existing.properties ?? {}), ...cfg.properties },
        };
    }
    return result;
}

/**
 * The config the CLI sends with Configure: schema defaults and the policy's own level, then the pack's
 * initial config, then the file (`all` first, then per policy), validated against each configSchema.
 * Unlike the CLI, a policy name the pack does not have is an error rather than silently ignored.
 */
export function reconcilePolicyPackConfig(
    policies: PolicyMetadata[],
    initialConfig: Record<string, Partial<PolicyConfigEntry>>,
    given: Record<string, Partial<PolicyConfigEntry>>,
): Record<string, PolicyConfigEntry> {
    let result: Record<string, PolicyConfigEntry> = {};
    for (const p of policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
        result[p.name] = {
            enforcementLevel: p.enforcementLevel,
            properties:
                defaults.length > 0
                    ? Object.fromEntries(defaults.map(([k, s]) => [k, s["default"]]))
                    : undefined,
        };
    }
    result = applyConfig(result, initialConfig);
    result = applyConfig(result, given);

    const ajv = new Ajv({ allErrors: true, strict: false });
    const errors: string[] = [];
    for (const p of policies) {
        if (p.configSchema === undefined) {
            continue;
        }
        const validate = ajv.compile({ type: "object", ...p.configSchema });
        if (!validate(result[p.name].properties ?? {})) {
            for (const e of validate.errors ?? []) {
                errors.push(
                    `${p.name}: ${e.instancePath === "" ? "" : `${e.instancePath.slice(1)} `}${e.message}`,
                );
            }
        }
    }
    if (errors.length > 0) {
        throw new Error(`policy pack configuration is invalid:\n  ${errors.join("\n  ")}`);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------------------
// The analyzer: the pack in a child process, driven over gRPC like the engine does.
// ---------------------------------------------------------------------------------------------------------

type Client = InstanceType<typeof analyzerrpc.AnalyzerClient>;

/** How long one analyzer call may take before the check gives up (a hung pack must not hang CI). */
const CALL_TIMEOUT_MS = 120_000;

function call<Req, Res>(
    fn: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown,
    req: Req,
): Promise<Res> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(
            () => reject(new Error(`the policy pack did not answer within ${CALL_TIMEOUT_MS / 1000} s`)),
            CALL_TIMEOUT_MS,
        );
        fn(req, (err, res) => {
            clearTimeout(timer);
            return err ? reject(err) : resolve(res);
        });
    });
}

/** A running policy pack, started the way the CLI's analyzer host starts it. */
export class PolicyPackProcess {
    private constructor(
        private readonly child: ChildProcess,
        readonly client: Client,
    ) {}

    static async start(packDir: string, env: Record<string, string> = {}): Promise<PolicyPackProcess> {
        const runner = path.join(packDir, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
        if (!fs.existsSync(runner)) {
            throw new Error(`The policy pack's dependencies are not installed; run npm ci in ${packDir}.`);
        }
        if (!fs.existsSync(path.join(packDir, "bin", "index.js"))) {
            throw new Error(`The policy pack is not built; run npm run build in ${packDir}.`);
        }
        // Arguments as the CLI passes them: <engine address> <program dir>; the pack never dials the engine.
        const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
            cwd: packDir,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            child.on("error", reject);
            let stdout = "";
            const timer = setTimeout(
                () => reject(new Error(`policy pack did not start in 60 s:\n${stderr}`)),
                60_000,
            );
            child.stdout?.on("data", (d: Buffer) => {
                stdout += d.toString();
                const m = /^(\d+)\s*$/m.exec(stdout);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`policy pack exited with code ${code} before serving:\n${stderr}`));
            });
        }).catch((e: unknown) => {
            child.kill();
            throw e;
        });
        const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PolicyPackProcess(child, client);
    }

    async info(): Promise<{
        name: string;
        version: string;
        policies: PolicyMetadata[];
        initialConfig: Record<string, Partial<PolicyConfigEntry>>;
    }> {
        const info = await call<Empty, AnalyzerInfo>(
            this.client.getAnalyzerInfo.bind(this.client),
            new emptypb.Empty(),
        );
        const policies = info.getPoliciesList().map((p) => {
            const schema = p.getConfigschema();
            const meta: PolicyMetadata = {
                name: p.getName(),
                description: p.getDescription(),
                enforcementLevel: LEVELS[p.getEnforcementlevel()],
            };
            if (schema !== undefined) {
                const properties = (schema.getProperties()?.toJavaScript() ?? {}) as Record<
                    string,
                    Record<string, unknown>
                >;
                meta.configSchema = { properties, required: schema.getRequiredList() };
            }
            return meta;
        });
        const initialConfig: Record<string, Partial<PolicyConfigEntry>> = {};
        info.getInitialconfigMap().forEach((v, k) => {
            initialConfig[k] = {
                enforcementLevel: LEVELS[v.getEnforcementlevel()],
                properties: v.getProperties()?.toJavaScript(),
            };
        });
        return { name: info.getName(), version: info.getVersion(), policies, initialConfig };
    }

    async configure(config: Record<string, PolicyConfigEntry>): Promise<void> {
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        for (const [name, c] of Object.entries(config)) {
            const pc = new analyzerpb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel) as 0 | 1 | 2 | 3);
            pc.setProperties(structpb.Struct.fromJavaScript((c.properties ?? {}) as Record<string, never>));
            req.getPolicyconfigMap().set(name, pc);
        }
        await call(this.client.configure.bind(this.client), req);
    }

    async analyze(r: AnalyzedResource, byUrn: Map<string, AnalyzedResource>): Promise<Finding[]> {
        const req = new analyzerpb.AnalyzeRequest();
        req.setUrn(r.urn);
        req.setType(r.type);
        req.setName(r.name);
        req.setProperties(toStruct(r.inputs));
        req.setOptions(options(r));
        const provider = r.provider === null ? undefined : byUrn.get(stripProviderId(r.provider));
        if (provider !== undefined) {
            req.setProvider(providerResource(provider));
        }
        const res = await call<typeof req, AnalyzeResponse>(this.client.analyze.bind(this.client), req);
        return findings(res, r.urn);
    }

    async analyzeStack(
        resources: AnalyzedResource[],
        byUrn: Map<string, AnalyzedResource>,
    ): Promise<Finding[]> {
        const req = new analyzerpb.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const ar = new analyzerpb.AnalyzerResource();
                ar.setUrn(r.urn);
                ar.setType(r.type);
                ar.setName(r.name);
                ar.setProperties(toStruct(r.inputs));
                ar.setOptions(options(r));
                if (r.parent !== null) {
                    ar.setParent(r.parent);
                }
                ar.setDependenciesList(r.dependencies);
                for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                    const deps = new analyzerpb.AnalyzerPropertyDependencies();
                    deps.setUrnsList(urns);
                    ar.getPropertydependenciesMap().set(k, deps);
                }
                const provider = r.provider === null ? undefined : byUrn.get(stripProviderId(r.provider));
                if (provider !== undefined) {
                    ar.setProvider(providerResource(provider));
                }
                return ar;
            }),
        );
        const res = await call<typeof req, AnalyzeResponse>(this.client.analyzeStack.bind(this.client), req);
        return findings(res, "");
    }

    /** Stops the pack process this object started. */
    stop(): void {
        this.client.close();
        this.child.kill();
    }
}

function toStruct(v: Record<string, unknown>) {
    return structpb.Struct.fromJavaScript(v as Record<string, never>);
}

/** Provider references may carry the provider's ID after the URN (`<urn>::<id>`). */
function stripProviderId(ref: string): string {
    const parts = ref.split("::");
    return parts.length > 4 ? parts.slice(0, 4).join("::") : ref;
}

function options(r: AnalyzedResource) {
    const o = new analyzerpb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    if (r.parent !== null) {
        o.setParent(r.parent);
    }
    return o;
}

function providerResource(p: AnalyzedResource) {
    const pr = new analyzerpb.AnalyzerProviderResource();
    pr.setUrn(p.urn);
    pr.setType(p.type);
    pr.setName(p.name);
    pr.setProperties(toStruct(p.inputs));
    return pr;
}

function findings(res: AnalyzeResponse, urn: string): Finding[] {
    return res.getDiagnosticsList().map((d) => {
        const description = d.getDescription();
        const full = d.getMessage();
        const message = full.startsWith(`${description}\n`) ? full.slice(description.length + 1) : full;
        return {
            policyName: d.getPolicyname(),
            policyPackName: d.getPolicypackname(),
            policyPackVersion: d.getPolicypackversion(),
            description,
            message,
            enforcementLevel: LEVELS[d.getEnforcementlevel()],
            urn: d.getUrn() || urn,
            cannotTellYet: message.startsWith("can't run policy"),
        };
    });
}

/** Runs the whole check and returns every diagnostic; printing and the exit status are up to the caller. */
export async function runPolicyCheck(opts: CheckOptions): Promise<CheckResult> {
    const { plan, resources, notes } = await loadInputs(opts);
    const given =
        opts.policyPackConfig === undefined
            ? {}
            : parsePolicyPackConfig(JSON.parse(fs.readFileSync(opts.policyPackConfig, "utf8")));
    const pack =
        opts.pack ??
        (await PolicyPackProcess.start(opts.packDir ?? DEFAULT_PACK_DIR, {
            // What the CLI's analyzer host sets for a pack (plugin.constructEnv).
            PULUMI_NODEJS_PROJECT: plan.project,
            PULUMI_NODEJS_STACK: plan.stack,
            PULUMI_NODEJS_DRY_RUN: String(opts.preview ?? true),
        }));
    try {
        const info = await pack.info();
        const config = reconcilePolicyPackConfig(info.policies, info.initialConfig, given);
        await pack.configure(config);
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const all: Finding[] = [];
        for (const r of resources) {
            all.push(...(await pack.analyze(r, byUrn)));
        }
        all.push(...(await pack.analyzeStack(resources, byUrn)));
        return {
            project: plan.project,
            stack: plan.stack,
            packName: info.name,
            packVersion: info.version,
            findings: all,
            config,
            notes,
        };
    } finally {
        if (opts.pack === undefined) {
            pack.stop();
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Output, grouped like `pulumi preview` prints policy results.
// ---------------------------------------------------------------------------------------------------------

function resourceLabel(urn: string): string {
    const parts = urn.split("::");
    if (parts.length < 4) {
        return urn === "" ? "stack" : urn;
    }
    const type = parts[2].split("$").pop() as string;
    return `${type}: ${parts[3]}`;
}

/** Formats the result as `pulumi preview` does under "Policies:", plus a one-line summary. */
export function formatResult(result: CheckResult, packDir = DEFAULT_PACK_DIR): string {
    const violations = result.findings.filter((f) => !f.cannotTellYet);
    const mandatory = violations.filter((f) => f.enforcementLevel === "mandatory");
    const advisory = violations.filter((f) => f.enforcementLevel !== "mandatory");
    const unknown = result.findings.filter((f) => f.cannotTellYet);
    const icon = mandatory.length > 0 ? "❌" : advisory.length > 0 ? "⚠️ " : "✅";
    const lines = [
        `Policies (${result.project}/${result.stack}):`,
        `    ${icon} ${result.packName}@v${result.packVersion} (local: ${path.relative(process.cwd(), packDir) || "."})`,
    ];
    const ordered = [...mandatory, ...advisory, ...unknown];
    for (const f of ordered) {
        lines.push(`        - [${f.enforcementLevel}]  ${f.policyName}  (${resourceLabel(f.urn)})`);
        lines.push(`          ${f.description}`);
        for (const l of f.message.split("\n")) {
            lines.push(`          ${l}`);
        }
    }
    lines.push("", ...result.notes.map((n) => `note: ${n}`));
    lines.push(
        `${mandatory.length} mandatory and ${advisory.length} advisory policy violations; ` +
            `${unknown.length} checks could not run because values are unknown until update.`,
    );
    return lines.join("\n");
}

/** True if the result must fail the check. */
export function hasMandatoryViolation(result: CheckResult): boolean {
    return result.findings.some((f) => f.enforcementLevel === "mandatory" && !f.cannotTellYet);
}

export function parseArgs(argv: string[]): CheckOptions {
    const opts: CheckOptions = { preview: true };
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) {
            throw new Error(`${flag} needs a value`);
        }
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        switch (a) {
            case "--stack":
                opts.stack = value(i++, a);
                break;
            case "--config-file":
                opts.configFile = value(i++, a);
                break;
            case "--plan":
                opts.planFile = value(i++, a);
                break;
            case "--policy-pack-config":
                opts.policyPackConfig = value(i++, a);
                break;
            case "--update":
                opts.preview = false;
                break;
            default:
                throw new Error(`unknown argument ${a}`);
        }
    }
    if ((opts.stack === undefined) === (opts.planFile === undefined)) {
        throw new Error("pass exactly one of --stack <name> or --plan <plan.json>");
    }
    return opts;
}

const USAGE =
    "usage: npm run policy -- (--stack <name> [--config-file F] | --plan <plan.json>) " +
    "[--policy-pack-config F] [--update]";

async function main(): Promise<number> {
    let opts: CheckOptions;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error(`error: ${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    try {
        const result = await runPolicyCheck(opts);
        console.log(formatResult(result));
        return hasMandatoryViolation(result) ? 1 : 0;
    } catch (e) {
        console.error(`error: ${(e as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    main().then((code) => process.exit(code));
}
