/**
 * `npm run plan -- --stack <dev|prod> [--config-file <Pulumi.x.yaml>] [--json] [--show-secrets] [--preview]`
 * Prints what a stack would create, rendered offline under Pulumi's mocks (lib/render.ts).
 */
import { parseStackCommand } from "../lib/cli";
import { Plan, PlanResource, renderStack } from "../lib/render";

const USAGE =
    "usage: npm run plan -- --stack <name> [--config-file <Pulumi.x.yaml>] [--json] [--show-secrets] [--preview]";

/** A readable tree: each resource under its parent, with its provider and what it waits on. */
export function formatTree(plan: Plan): string {
    const children = new Map<string | null, PlanResource[]>();
    for (const r of plan.resources) {
        const siblings = children.get(r.parent);
        if (siblings === undefined) {
            children.set(r.parent, [r]);
        } else {
            siblings.push(r);
        }
    }
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const label = (urn: string) => byUrn.get(urn)?.name ?? urn;
    const lines = [
        `${plan.project} / ${plan.stack}: ${plan.resources.filter((r) => r.custom).length} resources`,
    ];
    const walk = (parent: string | null, indent: string) => {
        for (const r of children.get(parent) ?? []) {
            const notes = [
                r.protect ? "protected" : "",
                r.dependencies.length > 0 ? `after ${r.dependencies.map(label).join(", ")}` : "",
            ].filter((n) => n !== "");
            lines.push(
                `${indent}${r.custom ? "+" : "▸"} ${r.type} ${r.name}${notes.length > 0 ? `  (${notes.join("; ")})` : ""}`,
            );
            walk(r.urn, `${indent}    `);
        }
    };
    walk(null, "");
    lines.push("Outputs:");
    for (const [k, v] of Object.entries(plan.outputs)) {
        lines.push(`    ${k}: ${JSON.stringify(v)}`);
    }
    return lines.join("\n");
}

async function main(): Promise<number> {
    const values = parseStackCommand(
        {
            options: {
                stack: { type: "string" },
                "config-file": { type: "string" },
                json: { type: "boolean", default: false },
                "show-secrets": { type: "boolean", default: false },
                preview: { type: "boolean", default: false },
            },
            strict: true,
        },
        USAGE,
    );
    if (values === undefined) {
        return 2;
    }
    try {
        const { plan } = await renderStack({
            stack: values.stack,
            configFile: values["config-file"],
            preview: values.preview,
            showSecrets: values["show-secrets"],
        });
        process.stdout.write(values.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatTree(plan)}\n`);
        return 0;
    } catch (e) {
        console.error((e as Error).message);
        return 1;
    }
}

if (require.main === module) {
    main().then((code) => {
        process.exitCode = code;
    });
}
