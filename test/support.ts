/** Shared test helpers: cached offline renders of the shipped stacks, and lookups into a plan. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Plan, PlanResource, renderStack, RenderedStack, RenderOptions } from "../lib/render";
import { projectRoot } from "../lib/project";
import { readYamlFile } from "../lib/yaml";

const cache = new Map<string, Promise<RenderedStack>>();

/**
 * Renders a stack once per set of options for the whole run (renders are deterministic), shared by every spec
 * and by the tools the specs drive in-process. Tests that change a stack's config render their own variant.
 */
export function rendered(options: RenderOptions): Promise<RenderedStack> {
    // The tools pass unset options as undefined members and in their own order; both must hit the same entry.
    const key = JSON.stringify(
        Object.entries(options)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => a.localeCompare(b)),
    );
    if (!cache.has(key)) {
        cache.set(key, renderStack(options).then(deepFreeze));
    }
    return cache.get(key)!;
}

/** A shared render must stay as rendered: a spec that changed it would change what later specs see. */
function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) {
            deepFreeze(v);
        }
    }
    return value;
}

export function byType(plan: Plan, type: string): PlanResource[] {
    return plan.resources.filter((r) => r.type === type);
}

/** The one resource of this type and name; throws when there is none or more than one. */
export function exactlyOne<R extends { type: string; name: string }>(
    resources: readonly R[],
    type: string,
    name: string,
): R {
    const found = resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected exactly one ${type} ${name}, found ${found.length}`);
    }
    return found[0];
}

export function one(plan: Plan, type: string, name: string): PlanResource {
    return exactlyOne(plan.resources, type, name);
}

/** Every URN a resource waits on, directly or through its dependencies and parents. */
export function transitiveDependencies(plan: Plan, urn: string): Set<string> {
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [urn];
    while (stack.length > 0) {
        const r = byUrn.get(stack.pop()!);
        for (const next of [...(r?.dependencies ?? []), ...(r?.parent ? [r.parent] : [])]) {
            if (!seen.has(next)) {
                seen.add(next);
                stack.push(next);
            }
        }
    }
    return seen;
}

/** Writes a stack file variant to a temporary directory and returns its path. */
export function stackFile(name: string, config: Record<string, unknown>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rmq-stack-"));
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    const lines = ["config:", ...Object.entries(config).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)];
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
}

/** The shipped stack file's config, to derive variants from. */
export function shippedStackConfig(stack: string): Record<string, unknown> {
    const doc = readYamlFile(path.join(projectRoot(), `Pulumi.${stack}.yaml`)) as {
        config: Record<string, unknown>;
    };
    return doc.config;
}

/** Mocks for constructing a component directly: every resource echoes its inputs, any call fails loudly. */
export function setComponentMocks(stack: string): Promise<void> {
    return pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
            call: (args) => {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        },
        "rabbitmq-platform",
        stack,
        false,
    );
}
