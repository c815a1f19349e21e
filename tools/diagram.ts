/**
 * `npm run diagram -- --stack <name> [--out <file>] [--check <file>] [--config-file <Pulumi.x.yaml>]`
 *
 * Renders the stack offline (lib/render.ts) and writes its messaging topology as Mermaid (lib/diagram.ts).
 * - default: writes `docs/topology-<stack>.md`, or `--out <file>`. An existing file keeps everything outside its
 *   generated block (so the README can embed the diagram); a file without a block is refused, never overwritten.
 * - `--check <file>`: writes nothing; exits 1 when the file's embedded block is missing, is for another stack, or
 *   differs from what the plan renders now (CI).
 * Run `npm run build` first: like `plan`, it renders the compiled program in bin/.
 */
import * as fs from "fs";
import * as path from "path";
import { parseStackCommand } from "../lib/cli";
import { findBlock, renderBlock, renderDocument, replaceBlock } from "../lib/diagram";
import { RenderedStack, RenderOptions, renderStack } from "../lib/render";

const USAGE =
    "usage: npm run diagram -- --stack <name> [--out <file> | --check <file>] [--config-file <Pulumi.x.yaml>]";

export interface DiagramOptions {
    stack: string;
    out?: string;
    check?: string;
    configFile?: string;
}

/**
 * Runs the command; returns the exit code and what to print. `render` lets tests pass the renders they already
 * share (renders are deterministic), so checking a document does not render its stack again.
 */
export async function runDiagram(
    options: DiagramOptions,
    cwd: string = process.cwd(),
    render: (options: RenderOptions) => Promise<RenderedStack> = renderStack,
): Promise<{ code: number; message: string }> {
    const { plan } = await render({ stack: options.stack, configFile: options.configFile });
    const block = renderBlock(plan);
    const regenerate = `npm run build && npm run diagram -- --stack ${options.stack}`;

    if (options.check !== undefined) {
        const file = path.resolve(cwd, options.check);
        if (!fs.existsSync(file)) {
            return {
                code: 1,
                message: `${options.check} does not exist. Fix: ${regenerate} --out ${options.check}`,
            };
        }
        const found = findBlock(fs.readFileSync(file, "utf8"));
        if (found === undefined) {
            return {
                code: 1,
                message: `${options.check} embeds no topology diagram (no "<!-- BEGIN topology-diagram stack=... -->" block).`,
            };
        }
        if (found.stack !== options.stack) {
            return {
                code: 1,
                message: `${options.check} embeds the diagram of stack "${found.stack}", not "${options.stack}".`,
            };
        }
        if (found.block !== block) {
            return {
                code: 1,
                message:
                    `${options.check}: the topology diagram of stack "${options.stack}" is out of date with the plan.\n` +
                    `${firstDifference(found.block, block)}\nFix: ${regenerate} --out ${options.check}`,
            };
        }
        return {
            code: 0,
            message: `${options.check}: topology diagram of stack "${options.stack}" is current.`,
        };
    }

    const target = options.out ?? path.join("docs", `topology-${options.stack}.md`);
    const file = path.resolve(cwd, target);
    let content: string;
    if (fs.existsSync(file)) {
        const existing = fs.readFileSync(file, "utf8");
        if (findBlock(existing) === undefined) {
            return {
                code: 1,
                message:
                    `${target} exists and has no topology-diagram block; refusing to overwrite it. Add the two lines\n` +
                    `<!-- BEGIN topology-diagram stack=${options.stack} -->\n<!-- END topology-diagram -->\nwhere the diagram belongs and run again.`,
            };
        }
        content = replaceBlock(existing, block);
    } else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        content = renderDocument(plan);
    }
    fs.writeFileSync(file, content);
    return { code: 0, message: `wrote the topology diagram of stack "${options.stack}" to ${target}` };
}

function firstDifference(current: string, expected: string): string {
    const a = current.split("\n");
    const b = expected.split("\n");
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (a[i] !== b[i]) {
            return `First difference at block line ${i + 1}:\n  file: ${a[i] ?? "(end)"}\n  plan: ${b[i] ?? "(end)"}`;
        }
    }
    return "";
}

async function main(): Promise<number> {
    const values = parseStackCommand(
        {
            options: {
                stack: { type: "string" },
                out: { type: "string" },
                check: { type: "string" },
                "config-file": { type: "string" },
            },
            strict: true,
        },
        USAGE,
    );
    if (values === undefined) {
        return 2;
    }
    if (values.out !== undefined && values.check !== undefined) {
        console.error(`--out and --check cannot be combined\n${USAGE}`);
        return 2;
    }
    try {
        const { code, message } = await runDiagram({
            stack: values.stack,
            out: values.out,
            check: values.check,
            configFile: values["config-file"],
        });
        (code === 0 ? console.log : console.error)(message);
        return code;
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
