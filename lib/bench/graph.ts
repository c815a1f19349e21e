/**
 * The deploy graph of a plan: what `pulumi up` must create one after another.
 *
 * A resource is registered with the engine only once everything it waits on exists: its `dependencies` (dependsOn and
 * input dependencies, as the SDK sends them), its explicit provider (the SDK needs the provider's ID) and its parent
 * (the SDK needs the parent's URN, and a component with dependsOn registers only once those exist). Custom
 * resources cost one create step; our own components cost nothing; remote components (such as a yaml v2
 * ConfigFile: custom=false with another package's type) are counted as one step, since their children are
 * created by the provider and are not visible offline.
 */

export interface GraphResource {
    urn: string;
    type: string;
    custom: boolean;
    parent: string | null;
    provider: string | null;
    dependencies: string[];
}

export interface Chain {
    /** Number of create steps on the longest chain. */
    length: number;
    /** The URNs on it (steps only), first created first. */
    path: string[];
}

/** Whether a resource costs a create step (see the module comment). */
export function isStep(r: GraphResource, project: string): boolean {
    if (r.custom) {
        return true;
    }
    return !(r.type === "pulumi:pulumi:Stack" || r.type.startsWith(`${project}:`));
}

/** What a resource waits on, limited to resources in the plan. */
export function waitsOn(r: GraphResource, known: ReadonlySet<string>): string[] {
    const out = new Set<string>(r.dependencies);
    if (r.provider !== null) {
        out.add(r.provider);
    }
    if (r.parent !== null) {
        out.add(r.parent);
    }
    out.delete(r.urn);
    return [...out].filter((u) => known.has(u));
}

/** The longest chain of create steps, in O(resources + edges). Throws on a cycle. */
export function longestChain(resources: readonly GraphResource[], project: string): Chain {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const known = new Set(byUrn.keys());
    const best = new Map<string, { length: number; prev: string | null }>();
    const visiting = new Set<string>();

    const visit = (root: string): void => {
        // Iterative post-order DFS so 10,000-resource plans cannot overflow the stack.
        const stack: { urn: string; deps: string[]; i: number }[] = [];
        const push = (urn: string) => {
            visiting.add(urn);
            stack.push({ urn, deps: waitsOn(byUrn.get(urn)!, known), i: 0 });
        };
        push(root);
        while (stack.length > 0) {
            const top = stack[stack.length - 1];
            if (top.i < top.deps.length) {
                const d = top.deps[top.i++];
                if (best.has(d)) {
                    continue;
                }
                if (visiting.has(d)) {
                    throw new Error(`dependency cycle through ${d}`);
                }
                push(d);
                continue;
            }
            stack.pop();
            visiting.delete(top.urn);
            let length = 0;
            let prev: string | null = null;
            for (const d of top.deps) {
                const b = best.get(d)!;
                if (b.length > length) {
                    length = b.length;
                    prev = d;
                }
            }
            const own = isStep(byUrn.get(top.urn)!, project) ? 1 : 0;
            best.set(top.urn, { length: length + own, prev });
        }
    };
    for (const r of resources) {
        if (!best.has(r.urn)) {
            visit(r.urn);
        }
    }
    let end: string | null = null;
    let length = 0;
    for (const [urn, b] of best) {
        if (b.length > length) {
            length = b.length;
            end = urn;
        }
    }
    const path: string[] = [];
    for (let u = end; u !== null; u = best.get(u)!.prev) {
        if (isStep(byUrn.get(u)!, project)) {
            path.push(u);
        }
    }
    return { length, path: path.reverse() };
}

/** The resource name part of a URN. */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}
