// Small helpers shared by the rules: type-filtered validations, "can't tell yet" handling for preview
// unknowns in stack policies, and walking the dependency graph the engine uses for ordering.

import type {
    PolicyResource,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
} from "@pulumi/policy";

// `UnknownValueError` is what the analyzer's proxy throws when a policy reads a value that is unknown during
// preview; the analyzer turns it into an advisory "can't run policy ... during preview" diagnostic. It is
// exported at run time but stripped from the typings, hence the typed require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as { UnknownValueError: new (...args: never[]) => Error };

/** True if `e` is the analyzer's "value unknown during preview" error. */
export function isUnknownValueError(e: unknown): boolean {
    return e instanceof proxy.UnknownValueError;
}

/**
 * Runs `validate` only for resources of type `token`; every other type is reported as not applicable, the
 * same way `validateResourceOfType` does for SDK classes.
 */
export function forType<T>(
    token: string,
    validate: (
        props: T,
        args: ResourceValidationArgs,
        reportViolation: ReportViolation,
    ) => void | Promise<void>,
): ResourceValidation {
    return (args, reportViolation) => {
        if (args.type !== token) {
            args.notApplicable(`Policy only applies to resources of type '${token}'`);
        }
        return validate(args.props as T, args, reportViolation);
    };
}

/**
 * Collects preview unknowns inside a stack policy so that one unknown value does not hide violations in other
 * resources: read with `read`, and call `rethrow()` at the end. If anything was unknown the policy then ends
 * the way the analyzer expects ("can't run ... during preview", advisory) after reporting what it could check.
 */
export class Unknowns {
    private first: unknown = undefined;

    /** Returns `read()`, or `undefined` if it touched a value that is unknown during preview. */
    read<T>(read: () => T): T | undefined {
        try {
            return read();
        } catch (e) {
            if (!isUnknownValueError(e)) {
                throw e;
            }
            this.first ??= e;
            return undefined;
        }
    }

    rethrow(): void {
        if (this.first !== undefined) {
            throw this.first;
        }
    }
}

/** The resource's name for messages: its logical name and type, e.g. `orders (rabbitmq:index/queue:Queue)`. */
export function describe(r: { name: string; type: string }): string {
    return `${r.name} (${r.type})`;
}

/**
 * Every resource `from` depends on, directly or transitively, the way the engine orders creation and deletion:
 * explicit `dependsOn`, property dependencies, the parent, the provider, and (as the engine does) the children
 * of a component that is depended on.
 */
export function dependencyClosure(from: PolicyResource, all: PolicyResource[]): Set<PolicyResource> {
    const byUrn = new Map(all.map((r) => [r.urn, r]));
    const children = new Map<string, PolicyResource[]>();
    for (const r of all) {
        if (r.parent) {
            children.set(r.parent.urn, [...(children.get(r.parent.urn) ?? []), r]);
        }
    }
    const seen = new Set<PolicyResource>();
    const expanded = new Set<PolicyResource>();
    // Each entry says whether the resource was reached through a dependency edge; only then are its
    // children part of the dependency (reaching a parent through `parent` must not pull in its siblings).
    const queue: [PolicyResource, boolean][] = directEdges(from, byUrn).map(([r, dep]) => [r, dep]);
    while (queue.length > 0) {
        const [r, viaDependency] = queue.shift() as [PolicyResource, boolean];
        if (r === from) {
            continue;
        }
        if (viaDependency && !expanded.has(r)) {
            expanded.add(r);
            for (const c of children.get(r.urn) ?? []) {
                queue.push([c, true]);
            }
        }
        if (seen.has(r)) {
            continue;
        }
        seen.add(r);
        queue.push(...directEdges(r, byUrn));
    }
    return seen;
}

function directEdges(r: PolicyResource, byUrn: Map<string, PolicyResource>): [PolicyResource, boolean][] {
    const edges: [PolicyResource, boolean][] = r.dependencies.map((d) => [d, true]);
    for (const deps of Object.values(r.propertyDependencies)) {
        edges.push(...deps.map((d): [PolicyResource, boolean] => [d, true]));
    }
    if (r.parent) {
        edges.push([r.parent, false]);
    }
    const provider = r.provider ? byUrn.get(r.provider.urn) : undefined;
    if (provider) {
        edges.push([provider, true]);
    }
    return edges;
}
