// Calls policies the way the analyzer does, without a gRPC server: properties go through the pack's own
// `deserializeProperties` (secrets unwrapped) and `unknownCheckingProxy` (reading a preview unknown throws
// UnknownValueError), parents and dependencies are linked by URN, and `getConfig()` returns what the CLI
// would send: the configSchema defaults overlaid with the test's overrides.

import type {
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as assert from "assert";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/* eslint-disable @typescript-eslint/no-require-imports */
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(s: Struct, keepSecrets: boolean): Record<string, unknown>;
};
const { unknownCheckingProxy, UnknownValueError } = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(v: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Wire-format values, as the SDK registers them and the engine sends them. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export function secret<T>(value: T): { [k: string]: unknown } {
    return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

/** A resource as a test describes it; `inputs` are wire-format. */
export interface TestResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    protect?: boolean;
    parent?: string;
    provider?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
}

export function urnOf(r: { type: string; name: string }): string {
    return `urn:pulumi:test::rabbitmq-platform::${r.type}::${r.name}`;
}

export interface Outcome {
    violations: { message: string; urn?: string }[];
    notApplicable?: string;
    unknown?: string;
}

class NotApplicable extends Error {}

function props(inputs: Record<string, unknown>): Record<string, unknown> {
    return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(inputs as never), false));
}

/** The config the CLI would send: schema defaults, then `overrides`. */
export function configFor(policy: Policy, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const defaults = Object.entries(policy.configSchema?.properties ?? {})
        .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
        .map(([k, s]) => [k, (s as { default?: unknown }).default]);
    return { ...Object.fromEntries(defaults), ...overrides };
}

function settle(out: Outcome, e: unknown): void {
    if (e instanceof NotApplicable) {
        out.notApplicable = e.message;
    } else if (e instanceof UnknownValueError) {
        out.unknown = e.message;
    } else {
        throw e;
    }
}

const noOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
};

/** Runs a resource policy on one resource; `all` supplies the provider when the resource names one. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    r: TestResource,
    config: Record<string, unknown> = {},
    all: TestResource[] = [],
): Promise<Outcome> {
    const out: Outcome = { violations: [] };
    const p = props(r.inputs);
    const provider = all.find((x) => urnOf(x) === r.provider);
    const args: ResourceValidationArgs = {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props: p,
        opts: { ...noOptions, protect: r.protect ?? false },
        stackTags: new Map(),
        provider: provider && {
            type: provider.type,
            name: provider.name,
            urn: urnOf(provider),
            props: props(provider.inputs),
        },
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => configFor(policy, config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    for (const v of validations) {
        try {
            await v(args, (message, urn) => out.violations.push(urn ? { message, urn } : { message }));
        } catch (e) {
            settle(out, e);
        }
    }
    return out;
}

/** Runs a stack policy over `resources`, linking parents, dependencies and providers by URN. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: TestResource[],
    config: Record<string, unknown> = {},
): Promise<Outcome> {
    const out: Outcome = { violations: [] };
    const byUrn = new Map<string, PolicyResource>();
    const linked = resources.map((r) => {
        const pr: PolicyResource = {
            type: r.type,
            name: r.name,
            urn: urnOf(r),
            props: props(r.inputs),
            opts: { ...noOptions, protect: r.protect ?? false },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        byUrn.set(pr.urn, pr);
        return pr;
    });
    resources.forEach((r, i) => {
        const pr = linked[i];
        const resolve = (urns: string[] = []) => urns.map((u) => byUrn.get(u)).filter((x) => x !== undefined);
        pr.parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
        pr.dependencies = resolve(r.dependencies);
        for (const [k, v] of Object.entries(r.propertyDependencies ?? {})) {
            pr.propertyDependencies[k] = resolve(v);
        }
        const provider = r.provider === undefined ? undefined : byUrn.get(r.provider);
        if (provider !== undefined) {
            pr.provider = {
                type: provider.type,
                name: provider.name,
                urn: provider.urn,
                props: provider.props,
            };
        }
    });
    const args: StackValidationArgs = {
        resources: linked,
        stackTags: new Map(),
        getConfig: <T extends object>() => configFor(policy, config) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
    try {
        await policy.validateStack(args, (message, urn) =>
            out.violations.push(urn ? { message, urn } : { message }),
        );
    } catch (e) {
        settle(out, e);
    }
    return out;
}

/** Asserts the exact violation messages, in order. */
export function assertViolations(out: Outcome, expected: string[]): void {
    assert.deepStrictEqual(
        out.violations.map((v) => v.message),
        expected,
    );
}
