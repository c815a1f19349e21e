/**
 * Offline rendering of a stack: runs the compiled program under Pulumi's mocks (no CLI, no cluster, no
 * credentials) and records every registration as the engine would receive it. `npm run plan`, the policy check
 * and the tests all use this one machinery.
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { projectRoot } from "./project";
import { loadStackConfig } from "./stackConfig";

export interface PlanResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent: string | null;
    /** URN of the explicit provider resource, without the `::id` suffix. */
    provider: string | null;
    /** Every URN this resource itself waits on (dependsOn and input dependencies), as the SDK registers them. */
    dependencies: string[];
    /**
     * Per input, the URNs its value came from, as the SDK registers them: an entry for every input it sent, empty
     * for a literal. Policies tell a generated credential from a literal by these; a dependsOn is only in
     * `dependencies`.
     */
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    inputs: Record<string, unknown>;
}

export interface Plan {
    project: string;
    stack: string;
    resources: PlanResource[];
    outputs: Record<string, unknown>;
}

export interface WireResource {
    /** Inputs exactly as registered: secrets and unknowns in Pulumi's wire format. */
    inputs: Record<string, unknown>;
    /** The `deletedWith` resource URN, or "" (never set here: a skipped delete strands finalizers). */
    deletedWith: string;
}

export interface RenderedStack {
    plan: Plan;
    /** Per URN. */
    wire: Record<string, WireResource>;
}

export interface RenderOptions {
    stack: string;
    /** A stack file of the Pulumi.<stack>.yaml format, read instead of the stack's own. */
    configFile?: string;
    /** Render as `pulumi preview` sees it: computed values unknown. */
    preview?: boolean;
    /** Print secret values instead of "[secret]". */
    showSecrets?: boolean;
    /** The project directory (Pulumi.yaml); defaults to this repository. */
    projectDir?: string;
}

/** Pulumi's wire markers (sdk/nodejs/runtime/rpc.ts). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Stand-in for the CA certificate cert-manager writes to a certificate Secret's `ca.crt` (not a real certificate). */
export const MOCK_CA_PEM =
    "-----BEGIN CERTIFICATE-----\nMOCKED-CA-FOR-OFFLINE-PLANS\n-----END CERTIFICATE-----\n";

/** An address from TEST-NET-3 (RFC 5737): realistic, and never a real load balancer. */
export const MOCK_LOAD_BALANCER_IP = "203.0.113.10";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DEFAULT_SPECIALS = "!@#$%&*()-_=+[]{}<>:?";

/** Deterministic stand-in for RandomPassword.result, honouring length, special and minSpecial. */
export function mockPassword(seed: string, inputs: Record<string, unknown>): string {
    const length = typeof inputs.length === "number" ? inputs.length : 16;
    const special = inputs.special !== false;
    const specials = typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : DEFAULT_SPECIALS;
    const minSpecial = special
        ? Math.max(typeof inputs.minSpecial === "number" ? inputs.minSpecial : 0, 1)
        : 0;
    const bytes: number[] = [];
    for (let i = 0; bytes.length < length * 2; i++) {
        bytes.push(...createHash("sha256").update(`${seed}#${i}`).digest());
    }
    const chars = Array.from({ length }, (_, i) => ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length]);
    // Spread the special characters through the password rather than leaving them all at one end.
    for (let i = 0; i < minSpecial; i++) {
        const position = (bytes[length + i] + i * Math.floor(length / minSpecial)) % length;
        chars[position] = specials[(bytes[length + minSpecial + i] + i) % specials.length];
    }
    return chars.join("");
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns wire values into plan values: secrets "[secret]" (or revealed), unknowns "[unknown]", references URNs. */
export function displayValue(value: unknown, showSecrets: boolean): unknown {
    if (value === UNKNOWN) {
        return "[unknown]";
    }
    if (Array.isArray(value)) {
        return value.map((v) => displayValue(v, showSecrets));
    }
    if (!isRecord(value)) {
        return value;
    }
    const sig = value[SPECIAL_SIG_KEY];
    if (sig === SECRET_SIG) {
        return showSecrets ? displayValue(value.value, showSecrets) : "[secret]";
    }
    if (sig === RESOURCE_SIG) {
        return value.urn;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, displayValue(v, showSecrets)]));
}

function secretWire(value: unknown): Record<string, unknown> {
    return { [SPECIAL_SIG_KEY]: SECRET_SIG, value };
}

/** Computed outputs the engine would return after create; in preview none are known. */
function mockState(
    args: pulumi.runtime.MockResourceArgs,
    stack: string,
    preview: boolean,
): Record<string, unknown> {
    if (preview) {
        return {};
    }
    if (args.id !== undefined && args.id !== "" && args.type === "kubernetes:core/v1:Secret") {
        // A read (Secret.get) of a certificate Secret cert-manager wrote.
        return { data: { "ca.crt": Buffer.from(MOCK_CA_PEM).toString("base64") } };
    }
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            // The engine marks result secret (additionalSecretOutputs); mocks must do it themselves.
            return { result: secretWire(mockPassword(`${stack}/${args.name}`, args.inputs)) };
        case "kubernetes:core/v1:Service":
            return args.inputs?.spec?.type === "LoadBalancer"
                ? { status: { loadBalancer: { ingress: [{ ip: MOCK_LOAD_BALANCER_IP }] } } }
                : {};
        default:
            return {};
    }
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getProtect(): boolean;
    getDependenciesList(): string[];
    getDeletedwith(): string;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
}
interface OutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback<T> = (err: Error | null, resp: T) => void;
/** A mock monitor method that answers with the resource's URN: registerResource, readResource. */
export type UrnCall<Req> = (req: Req, cb: Callback<{ getUrn(): string }>) => void;
interface MockMonitor {
    registerResource: UrnCall<RegisterRequest>;
    registerResourceOutputs(req: OutputsRequest, cb: Callback<unknown>): void;
}
/** Runtime functions that exist at run time but are marked internal in the SDK's declarations. */
const runtime = pulumi.runtime as unknown as {
    getMonitor(): MockMonitor;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    waitForRPCs(): Promise<void>;
};

/**
 * Wraps a mock monitor method (bound to the monitor) so that `observe` sees every request it accepted, with the URN
 * it gave. `observe` runs before the SDK hears back, so whoever awaits the resource finds it already recorded.
 */
export function observeAccepted<Req>(
    call: UrnCall<Req>,
    observe: (req: Req, urn: string) => void,
): UrnCall<Req> {
    return (req, cb) =>
        call(req, (err, resp) => {
            if (err === null) {
                observe(req, resp.getUrn());
            }
            cb(err, resp);
        });
}

function stripProviderId(ref: string): string | null {
    if (ref === "") {
        return null;
    }
    const cut = ref.lastIndexOf("::");
    return cut > ref.indexOf("::pulumi:providers:") ? ref.slice(0, cut) : ref;
}

/**
 * What Pulumi's Node.js host does with a program's exports (cmd/run/run.js in @pulumi/pulumi): an exported function
 * is the program's main, called once; its result, awaited, is the stack outputs.
 */
export function invokeProgram(exported: unknown): unknown {
    return exported instanceof Function ? (exported as () => unknown)() : exported;
}

/**
 * Runs the program again from the top (its module's code too: drops the project's own compiled modules from the
 * require cache) and returns what Pulumi would take as its stack outputs.
 */
function runProgram(programFile: string): unknown {
    const dir = path.dirname(programFile);
    for (const key of Object.keys(require.cache)) {
        if (key.startsWith(dir + path.sep) && !key.includes(`${path.sep}node_modules${path.sep}`)) {
            delete require.cache[key];
        }
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- re-running the program needs a fresh require
    return invokeProgram(require(programFile));
}

/**
 * Errors a render has already rejected with. The SDK also rejects the root Stack's outputs with the program's
 * error, and nothing awaits those, so without this Node.js would print the same error again with its stack
 * and exit: a user would see every config error twice. Any other unhandled rejection goes to the process's
 * other listeners (a test runner's) or, with none, ends the process as Node.js would.
 */
const reportedFailures = new WeakSet<object>();
process.on("unhandledRejection", (reason) => {
    const reported = typeof reason === "object" && reason !== null && reportedFailures.has(reason);
    if (!reported && process.listenerCount("unhandledRejection") === 1) {
        throw reason;
    }
});

/** The program failed; `registered` is what it had registered by then (the root Stack only, for config errors). */
export class RenderFailure extends Error {
    constructor(
        readonly cause: Error,
        readonly registered: PlanResource[],
    ) {
        super(cause.message);
        this.name = "RenderFailure";
    }
}

/** Renders one stack. Rejects with a RenderFailure carrying the program's error (for example a ConfigError). */
export async function renderStack(options: RenderOptions): Promise<RenderedStack> {
    const projectDir = options.projectDir ?? projectRoot();
    const preview = options.preview ?? false;
    const showSecrets = options.showSecrets ?? false;
    const { project, config, secretKeys } = loadStackConfig(projectDir, options.stack, options.configFile);

    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({
                id: args.id || (preview ? undefined : `${args.name}-id`),
                state: { ...args.inputs, ...mockState(args, options.stack, preview) },
            }),
            call: (args) => {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        },
        project,
        options.stack,
        preview,
    );

    const resources: PlanResource[] = [];
    const wire: Record<string, WireResource> = {};
    let stackOutputs: Record<string, unknown> = {};
    const monitor = runtime.getMonitor();
    monitor.registerResource = observeAccepted(monitor.registerResource.bind(monitor), (req, urn) => {
        const inputs = req.getObject()?.toJavaScript() ?? {};
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((v, k) => {
            propertyDependencies[k] = v.getUrnsList();
        });
        resources.push({
            urn,
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent() === "" ? null : req.getParent(),
            provider: stripProviderId(req.getProvider()),
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            protect: req.getProtect(),
            inputs: displayValue(inputs, showSecrets) as Record<string, unknown>,
        });
        wire[urn] = { inputs, deletedWith: req.getDeletedwith() };
    });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
        if (req.getUrn().includes("::pulumi:pulumi:Stack::")) {
            stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
        }
        registerOutputs(req, cb);
    };

    const programFile = path.join(projectDir, "bin", "index.js");
    try {
        await runtime.runInPulumiStack(async () => runProgram(programFile));
        await runtime.waitForRPCs();
    } catch (e) {
        reportedFailures.add(e as object);
        throw new RenderFailure(e instanceof Error ? e : new Error(String(e)), resources);
    }
    return {
        plan: {
            project,
            stack: options.stack,
            resources,
            outputs: displayValue(stackOutputs, showSecrets) as Record<string, unknown>,
        },
        wire,
    };
}
