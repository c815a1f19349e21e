/**
 * The commands of docs/runbook.md, taken from its text, and a way to run the broker-side ones on the local brokers:
 * `kubectl -n "$NS" exec <pod> -c rabbitmq -- <tool> <args>` becomes `<tool> <args>` against the node that stands
 * for <pod> (server-i is node i+1), with the same shell words the runbook has. A changed command in the runbook is
 * a changed command in the test.
 */
import * as fs from "fs";
import * as path from "path";
import { Broker, CliResult, brokersSh, envDir, repoRoot } from "./brokers";

export const runbookText = fs.readFileSync(path.join(repoRoot, "docs", "runbook.md"), "utf8");

/** The text from `<a id="id">` to the next anchor of the same heading level or higher. */
export function section(id: string): string {
    const start = runbookText.indexOf(`<a id="${id}"></a>`);
    if (start < 0) {
        throw new Error(`docs/runbook.md has no <a id="${id}"></a>`);
    }
    const heading = /\n(#+) /.exec(runbookText.slice(start));
    const level = heading ? heading[1].length : 2;
    const rest = runbookText.slice(start + 1);
    const next = [...rest.matchAll(/<a id="[^"]+"><\/a>\s*\n\s*\n(#+) /g)].find((m) => m[1].length <= level);
    return next ? runbookText.slice(start, start + 1 + (next.index as number)) : runbookText.slice(start);
}

/** A shell word: literal text and variable references, in order (quotes already removed). */
export type Word = ({ lit: string } | { ref: string })[];

/** Splits one shell command line into words: '…' literal, "…" and bare text with $VAR / ${VAR}; `#` starts a comment. */
function shellWords(line: string): Word[] {
    const words: Word[] = [];
    let w: Word | undefined;
    const push = (p: { lit: string } | { ref: string }): void => {
        w = w ?? [];
        w.push(p);
    };
    let i = 0;
    const variable = (): void => {
        const m = /^\$(?:\{(\w+)\}|(\w+))/.exec(line.slice(i));
        if (!m) {
            throw new Error(`unsupported shell syntax at '${line.slice(i)}' in: ${line}`);
        }
        push({ ref: m[1] ?? m[2] });
        i += m[0].length;
    };
    while (i < line.length) {
        const c = line[i];
        if (/\s/.test(c)) {
            if (w) {
                words.push(w);
                w = undefined;
            }
            i++;
        } else if (c === "#" && !w) {
            break;
        } else if (c === "'") {
            const end = line.indexOf("'", i + 1);
            push({ lit: line.slice(i + 1, end) });
            i = end + 1;
        } else if (c === '"') {
            i++;
            while (line[i] !== '"') {
                if (i >= line.length) {
                    throw new Error(`unterminated " in: ${line}`);
                }
                if (line[i] === "$") {
                    variable();
                } else {
                    push({ lit: line[i++] });
                }
            }
            i++;
        } else if (c === "$") {
            variable();
        } else {
            push({ lit: c });
            i++;
        }
    }
    if (w) {
        words.push(w);
    }
    return words;
}

function expand(word: Word, vars: Record<string, string>): string {
    return word
        .map((p) => {
            if ("lit" in p) {
                return p.lit;
            }
            if (!(p.ref in vars)) {
                throw new Error(`runbook command uses $${p.ref}, which the test does not define`);
            }
            return vars[p.ref];
        })
        .join("");
}

/** The runbook's "Before you start" settings. */
export const RUNBOOK_VARS = { NS: "rabbitmq", CLUSTER: "rabbitmq", POD: "rabbitmq-server-0" };

/** One `kubectl exec … -c rabbitmq -- tool args` of the runbook, words not yet expanded. */
export interface PodCommand {
    /** The command as the runbook writes it (continuation lines joined). */
    text: string;
    pod: Word;
    tool: string;
    args: Word[];
}

/** Every shell command line of a section's fenced code blocks, continuation lines joined. */
export function codeLines(id: string): string[] {
    const lines: string[] = [];
    for (const block of section(id).matchAll(/```bash\n([\s\S]*?)```/g)) {
        lines.push(
            ...block[1]
                .replace(/\\\n\s*/g, "")
                .split("\n")
                .map((l) => l.trim())
                .filter((l) => l !== "" && !l.startsWith("#")),
        );
    }
    return lines;
}

/** The broker-side commands of a section's code blocks, in order. */
export function podCommands(id: string): PodCommand[] {
    const out: PodCommand[] = [];
    for (const line of codeLines(id)) {
        const m = /kubectl -n "\$NS" exec (\S+) -c rabbitmq -- (.*)$/.exec(line);
        if (!m) {
            continue;
        }
        const [pod] = shellWords(m[1]);
        const [tool, ...args] = shellWords(m[2]);
        out.push({ text: m[0], pod, tool: expand(tool, {}), args });
    }
    return out;
}

/** The one command of section `id` whose text contains every fragment (fails unless exactly one matches). */
export function podCommand(id: string, ...fragments: string[]): PodCommand {
    const found = podCommands(id).filter((c) => fragments.every((f) => c.text.includes(f)));
    if (found.length !== 1) {
        throw new Error(
            `docs/runbook.md#${id}: ${found.length} commands contain ${JSON.stringify(fragments)}:\n  ${found.map((c) => c.text).join("\n  ")}`,
        );
    }
    return found[0];
}

/** Inline code spans of a section that are CLI commands (`rabbitmqctl …`, `rabbitmq-diagnostics …`, …). */
export function inlineCommands(id: string): string[] {
    return [
        ...section(id).matchAll(
            /`((?:rabbitmqctl|rabbitmq-diagnostics|rabbitmq-queues|rabbitmq-upgrade) [^`]+)`/g,
        ),
    ].map((m) => m[1]);
}

/** Splits a command line into its words, with the variables in `vars` expanded (inline commands have none). */
export function lineWords(line: string, vars: Record<string, string> = {}): string[] {
    return shellWords(line).map((w) => expand(w, vars));
}

/** The same runbook command, run on another pod. */
export function onPod(c: PodCommand, ordinal: number): PodCommand {
    return { ...c, pod: [{ lit: `${RUNBOOK_VARS.CLUSTER}-server-${ordinal}` }] };
}

/** The command with the argument written as `<placeholder>` replaced by `value`. */
export function fillPlaceholder(c: PodCommand, placeholder: string, value: string): PodCommand {
    const at = c.args.findIndex((w) => w.length === placeholder.length && expand(w, {}) === placeholder);
    if (at < 0) {
        throw new Error(`runbook command has no ${placeholder} argument: ${c.text}`);
    }
    return { ...c, args: c.args.map((w, i) => (i === at ? [{ lit: value }] : w)) };
}

interface NodeFiles {
    /** The node's data directory as the node and its CLI see it (the pod's /var/lib/rabbitmq/mnesia). */
    mnesiaAsSeen: string;
    /** The same directory as this process sees it (through the chroot for 4.0). */
    mnesiaOnHost: string;
}

/** Where a local node keeps its data (from scripts/brokers.sh's node.vars). */
export function nodeFiles(b: Broker, index: number): NodeFiles {
    const dir = path.join(envDir(), b.id, `node${index}`);
    const vars = fs.readFileSync(path.join(dir, "node.vars"), "utf8");
    const m = /RABBITMQ_MNESIA_BASE=(\S+)/.exec(vars);
    if (!m) {
        throw new Error(`no RABBITMQ_MNESIA_BASE in ${dir}/node.vars`);
    }
    return { mnesiaAsSeen: m[1], mnesiaOnHost: path.join(dir, "files", "mnesia") };
}

const POD_DATA_DIR = "/var/lib/rabbitmq/mnesia";

/** Maps a runbook pod name (`<cluster>-server-<i>`) to the index of the local node that stands for it. */
export function podNode(b: Broker, pod: string): number {
    const m = new RegExp(`^${RUNBOOK_VARS.CLUSTER}-server-(\\d+)$`).exec(pod);
    if (!m || Number(m[1]) >= b.nodes.length) {
        throw new Error(`runbook pod '${pod}' has no local node in ${b.id} (${b.nodes.length} nodes)`);
    }
    return Number(m[1]) + 1;
}

/** Replaces the operator's node names and the pod's data directory with the local ones. */
export function localArg(b: Broker, nodeIndex: number, arg: string): string {
    const { CLUSTER, NS } = RUNBOOK_VARS;
    return arg
        .replace(
            new RegExp(`rabbit@${CLUSTER}-server-(\\d+)\\.${CLUSTER}-nodes\\.${NS}`, "g"),
            (_, i: string) => {
                const n = b.nodes[Number(i)];
                if (!n) {
                    throw new Error(`runbook node server-${i} has no local node in ${b.id}`);
                }
                return n.name;
            },
        )
        .split(POD_DATA_DIR)
        .join(nodeFiles(b, nodeIndex).mnesiaAsSeen);
}

/** Runs a RabbitMQ CLI tool against a local node (does not throw; see {@link cliOk}). */
export function cli(b: Broker, nodeIndex: number, tool: string, args: string[]): Promise<CliResult> {
    return brokersSh(["cli", b.id, String(nodeIndex), tool, ...args]);
}

export async function cliOk(b: Broker, nodeIndex: number, tool: string, args: string[]): Promise<CliResult> {
    const r = await cli(b, nodeIndex, tool, args);
    if (r.status !== 0) {
        throw new Error(`${r.what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    }
    return r;
}

/**
 * Runs a runbook command on the local node standing for its pod. `vars` adds to the runbook's own settings (for
 * example `i` of a loop over the pods).
 */
export async function runPodCommand(
    b: Broker,
    c: PodCommand,
    vars: Record<string, string> = {},
): Promise<CliResult> {
    const all = { ...RUNBOOK_VARS, ...vars };
    const node = podNode(b, expand(c.pod, all));
    const args = c.args.map((a) => localArg(b, node, expand(a, all)));
    const r = await cli(b, node, c.tool, args);
    return { ...r, what: `node ${node}: ${c.tool} ${args.join(" ")}` };
}

export async function runPodCommandOk(
    b: Broker,
    c: PodCommand,
    vars: Record<string, string> = {},
): Promise<CliResult> {
    const r = await runPodCommand(b, c, vars);
    if (r.status !== 0) {
        throw new Error(
            `runbook command failed (${r.status}): ${c.text}\n  ran ${r.what}\n${r.stdout}\n${r.stderr}`,
        );
    }
    return r;
}

/** A tab-separated table as rabbitmqctl prints it with -q: header row, then one row per item. */
export function parseTable(stdout: string): Record<string, string>[] {
    const lines = stdout.split("\n").filter((l) => l.trim() !== "");
    const header = lines.findIndex((l) => l.includes("\t") || /^\w+$/.test(l));
    if (header < 0) {
        return [];
    }
    const cols = lines[header].split("\t");
    return lines.slice(header + 1).map((l) => {
        const cells = l.split("\t");
        return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]));
    });
}
