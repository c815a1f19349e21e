// Invalid stack configs and topology files through the built commands a user runs, as child processes: each prints
// exactly the problem (key or path, rule, the refused value, the fix), once, with no stack trace, and exits with
// the code the README documents for it.
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectRoot } from "../../lib/project";
import { shippedStackConfig, stackFile } from "../support";

const P = "rabbitmq-platform";

/** A topology small enough to read in a case: one vhost, one route, one app. */
function topology(edit: (vhost: Record<string, unknown>) => void = () => undefined): object {
    const vhost: Record<string, unknown> = {
        name: "/app",
        exchanges: [
            { name: "orders", type: "direct" },
            { name: "dlx", type: "direct" },
        ],
        queues: [
            { name: "orders", deadLetter: { exchange: "dlx", routingKey: "orders" } },
            { name: "orders.dead" },
        ],
        bindings: [
            { exchange: "orders", queue: "orders", routingKey: "orders" },
            { exchange: "dlx", queue: "orders.dead", routingKey: "orders" },
        ],
        users: [
            {
                name: "app",
                secret: { namespace: "app", name: "app-rabbitmq" },
                publishes: [{ exchange: "orders" }],
                consumes: ["orders"],
            },
        ],
    };
    edit(vhost);
    return { vhosts: [vhost] };
}

type Vhost = Record<string, Record<string, unknown>[]>;

interface Case {
    title: string;
    /** Config keys over the shipped dev stack's (without the project prefix). */
    config?: Record<string, unknown>;
    /** The topology file's text (the stack names it), for topology cases. */
    topology?: string;
    /** The one problem line: `<key or path>: <rule> (got <value>). Fix: <change>`; TOPOLOGY is the file's path. */
    problem: string;
}

const TOPOLOGY = "<topology>";

const CASES: Case[] = [
    {
        title: "a namespace that is not a DNS-1123 label",
        config: { namespace: "Rabbit_MQ" },
        problem: `${P}:namespace: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Rabbit_MQ"). Fix: pulumi config set ${P}:namespace rabbitmq`,
    },
    {
        title: "an even replica count",
        config: { replicas: 4 },
        problem: `${P}:replicas: must be odd: an even cluster tolerates no more node failures than the next smaller odd one, and a 50/50 partition stops both halves (got 4). Fix: pulumi config set ${P}:replicas 3`,
    },
    {
        title: "a misspelt key",
        config: { replcas: 3 },
        problem: `${P}:replcas: is not a setting of ${P}; did you mean ${P}:replicas? Fix: remove it (pulumi config rm ${P}:replcas) or rename it to ${P}:replicas`,
    },
    {
        title: "a choice in the wrong case",
        config: { managementService: "Nodeport" },
        problem: `${P}:managementService: must be "none", "LoadBalancer" or "NodePort" (got "Nodeport"). Fix: pulumi config set ${P}:managementService NodePort`,
    },
    {
        title: "a flag that is not a boolean",
        config: { protect: "yes" },
        problem: `${P}:protect: must be true or false (got "yes"). Fix: pulumi config set ${P}:protect true`,
    },
    {
        title: "a watermark out of range",
        config: { memoryHighWatermark: "0.95" },
        problem: `${P}:memoryHighWatermark: must be between 0.4 and 0.9 (got "0.95"). Fix: pulumi config set ${P}:memoryHighWatermark 0.6`,
    },
    {
        title: "one bad entry of a list",
        config: { operatorScopeNamespaces: ["rabbitmq", "Apps"] },
        problem: `${P}:operatorScopeNamespaces[1]: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Apps"). Fix: pulumi config set ${P}:operatorScopeNamespaces '["rabbitmq"]'`,
    },
    {
        title: "an open management API",
        config: { managementSourceRanges: ["10.0.0.0/8", "0.0.0.0/0"] },
        problem: `${P}:managementSourceRanges: must not contain 0.0.0.0/0: the management API holds admin credentials (got ["10.0.0.0/8","0.0.0.0/0"]). Fix: list only the CIDRs of your CI runners and operators`,
    },
    {
        title: "a load test on a vhost the topology does not declare",
        config: { perfTest: { enabled: true, vhost: "/engin", queue: "engine:tasks" } },
        problem: `${P}:perfTest.vhost: must name a vhost the topology declares (got "/engin"). Fix: pulumi config set --path '${P}:perfTest.vhost' /engine`,
    },
    {
        title: "an exchange type in the wrong case",
        topology: JSON.stringify(topology((v) => ((v as Vhost).exchanges[0].type = "Direct"))),
        problem: `${TOPOLOGY}: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "Direct"). Fix: use "direct"`,
    },
    {
        title: "an exchange type that is no near miss",
        topology: JSON.stringify(topology((v) => ((v as Vhost).exchanges[0].type = "queue"))),
        problem: `${TOPOLOGY}: vhosts[0].exchanges[0].type: must be direct, fanout, topic or headers (got "queue"). Fix: use one of "direct", "fanout", "topic" or "headers"`,
    },
    {
        title: "a queue name in RabbitMQ's reserved namespace",
        topology: JSON.stringify(topology((v) => ((v as Vhost).queues[1].name = "amq.orders.dead"))),
        problem: `${TOPOLOGY}: vhosts[0].queues[1].name: must not start with 'amq.' (reserved by RabbitMQ) (got "amq.orders.dead"). Fix: use "orders.dead"`,
    },
    {
        title: "a binding to a misspelt queue",
        topology: JSON.stringify(topology((v) => ((v as Vhost).bindings[0].queue = "order"))),
        problem: `${TOPOLOGY}: vhosts[0].bindings[0].queue: must name a queue that vhost /app declares (got "order"). Fix: use "orders"`,
    },
    {
        title: "a publisher to an exchange nobody declares",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).users[0].publishes = [{ exchange: "payments" }])),
        ),
        problem: `${TOPOLOGY}: vhosts[0].users[0].publishes[0].exchange: must name an exchange that vhost /app declares (got "payments"). Fix: use one of "orders" or "dlx", or declare it under exchanges`,
    },
    {
        title: "a consumer of a queue in the wrong case",
        topology: JSON.stringify(topology((v) => ((v as Vhost).users[0].consumes = ["Orders"]))),
        problem: `${TOPOLOGY}: vhosts[0].users[0].consumes[0]: must name a queue that vhost /app declares (got "Orders"). Fix: use "orders"`,
    },
    {
        title: "a dead-letter exchange that is a typo",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).queues[0].deadLetter = { exchange: "dlq", routingKey: "orders" })),
        ),
        problem: `${TOPOLOGY}: vhosts[0].queues[0].deadLetter.exchange: must name an exchange that vhost /app declares (got "dlq"). Fix: use "dlx"`,
    },
    {
        title: "a Secret namespace that is not a DNS-1123 label",
        topology: JSON.stringify(
            topology(
                (v) => ((v as Vhost).users[0].secret = { namespace: "Order_Apps", name: "app-rabbitmq" }),
            ),
        ),
        problem: `${TOPOLOGY}: vhosts[0].users[0].secret.namespace: must be a Kubernetes DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit (got "Order_Apps"). Fix: use "order-apps"`,
    },
    {
        title: "a misspelt field",
        topology: JSON.stringify(
            topology((v) => ((v as Vhost).queues[1] = { name: "orders.dead", tpye: "quorum" })),
        ),
        problem: `${TOPOLOGY}: vhosts[0].queues[1].tpye: is not a field of a queue; its fields are name, type, deliveryLimit, deadLetter, maxLength, maxLengthBytes and overflow. Fix: rename it to type`,
    },
    {
        title: "a topology file that is not YAML",
        topology: "vhosts:\n  - name: /app\n   queues: [\n",
        problem: `${TOPOLOGY}: line 3: bad indentation of a sequence entry (got "   queues: ["). Fix: correct the YAML`,
    },
];

interface Tool {
    name: string;
    /** The arguments after `node`, for a stack named `stack` in `file`. */
    args: (stack: string, file: string, scratch: string) => string[];
    /** What the tool puts before the message, and its documented exit code for an invalid stack. */
    prefix: string;
    status: number;
}

const bin = (tool: string) => path.join(projectRoot(), "bin", "tools", `${tool}.js`);

const TOOLS: Tool[] = [
    {
        name: "npm run plan",
        args: (stack, file) => [bin("plan"), "--stack", stack, "--config-file", file],
        prefix: "",
        status: 1,
    },
    {
        name: "npm run policy",
        args: (stack, file) => [bin("policy-check"), "--stack", stack, "--config-file", file],
        prefix: "error: ",
        status: 1,
    },
    {
        // --check on a file that does not exist: should a stack ever pass, nothing is written anywhere.
        name: "npm run diagram",
        args: (stack, file, scratch) => [
            bin("diagram"),
            "--stack",
            stack,
            "--config-file",
            file,
            "--check",
            path.join(scratch, "none.md"),
        ],
        prefix: "",
        status: 1,
    },
    {
        // The flags are valid (the broker is never reached): the stack's plan cannot be rendered, a usage error.
        name: "npm run verify",
        args: (stack, file) => [
            bin("verify"),
            "--mgmt-url",
            "http://127.0.0.1:9",
            "--username",
            "admin",
            "--password-env",
            "INVALID_INPUT_SPEC_PASSWORD",
            "--stack",
            stack,
            "--config-file",
            file,
        ],
        prefix: "verify: ",
        status: 2,
    },
];

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function run(args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
            cwd: projectRoot(),
            env: { ...process.env, INVALID_INPUT_SPEC_PASSWORD: "unused" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** Runs every job, `width` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
    const results: T[] = new Array<T>(jobs.length);
    let next = 0;
    const worker = async () => {
        while (next < jobs.length) {
            const i = next++;
            results[i] = await jobs[i]();
        }
    };
    await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
    return results;
}

describe("invalid input through every command a user runs (one table)", function () {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rmq-invalid-"));
    /** Per case, its topology file (or undefined) and stack file. */
    const files = CASES.map((c, i) => {
        const topologyFile = c.topology === undefined ? undefined : path.join(scratch, `topology-${i}.yaml`);
        if (topologyFile !== undefined) {
            fs.writeFileSync(topologyFile, c.topology!);
        }
        const config: Record<string, unknown> = { ...shippedStackConfig("dev") };
        for (const [k, v] of Object.entries(c.config ?? {})) {
            config[`${P}:${k}`] = v;
        }
        if (topologyFile !== undefined) {
            config[`${P}:topologyFile`] = topologyFile;
        }
        return { topologyFile, stack: stackFile("invalid", config) };
    });
    const runs = new Map<string, Run>();

    before(async function () {
        this.timeout(600000);
        const jobs = CASES.flatMap((_, i) =>
            TOOLS.map((t) => async () => {
                runs.set(`${i} ${t.name}`, await run(t.args("invalid", files[i].stack, scratch)));
            }),
        );
        await pool(jobs, Math.max(2, os.cpus().length));
    });

    after(function () {
        fs.rmSync(scratch, { recursive: true, force: true });
        for (const f of files) {
            fs.rmSync(path.dirname(f.stack), { recursive: true, force: true });
        }
    });

    CASES.forEach((c, i) => {
        it(`refuses ${c.title}, the same way in every command`, function () {
            const file = files[i].topologyFile;
            const source = file === undefined ? "stack configuration" : `topology (${file})`;
            const problem = file === undefined ? c.problem : c.problem.split(TOPOLOGY).join(file);
            const message = `Invalid ${source}:\n  - ${problem}\nNothing was created.\n`;
            for (const t of TOOLS) {
                const r = runs.get(`${i} ${t.name}`)!;
                assert.deepStrictEqual(
                    { status: r.status, stdout: r.stdout, stderr: r.stderr },
                    { status: t.status, stdout: "", stderr: `${t.prefix}${message}` },
                    `${t.name} on ${c.title}`,
                );
            }
        });
    });
});
