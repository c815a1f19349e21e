/**
 * The brokers the suite runs against: the local ones started by scripts/brokers.sh (env files in
 * $BROKERS_ENV_DIR, default .brokers/run), or one external broker given by RABBITMQ_TEST_* variables.
 * In CI (CI=true) a missing broker fails the suite; elsewhere the affected tests are skipped with a reason.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ManagementClient } from "../../../lib/management/client";

export type BrokerId = "single310" | "cluster310" | "single40" | "cluster40" | "cluster40small" | "external";

export interface BrokerNode {
    index: number;
    name: string;
    amqpPort: number;
    /** TLS listener (amqps) of the node, when the broker has one. */
    amqpsPort?: number;
    mgmtPort: number;
    /** The node's beam.smp pid file (local brokers only): the failover test kills this process. */
    pidFile?: string;
}

export interface Broker {
    id: BrokerId;
    version: string;
    mgmtUrl: string;
    amqpUrl: string;
    /** amqps://host:port of the broker's TLS listener, and the CA that signed its certificate. */
    amqpsUrl?: string;
    caFile?: string;
    adminUser: string;
    adminPassword: string;
    nodes: BrokerNode[];
    local: boolean;
}

export const repoRoot = path.resolve(__dirname, "..", "..", "..", "..");

function readEnvFile(file: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        if (m) {
            out[m[1]] = m[2];
        }
    }
    return out;
}

function fromEnvFile(file: string): Broker {
    const e = readEnvFile(file);
    const nodes: BrokerNode[] = [];
    for (let n = 1; e[`BROKER_NODE_${n}_NAME`]; n++) {
        nodes.push({
            index: n,
            name: e[`BROKER_NODE_${n}_NAME`],
            amqpPort: Number(e[`BROKER_NODE_${n}_AMQP_PORT`]),
            amqpsPort: e[`BROKER_NODE_${n}_AMQPS_PORT`]
                ? Number(e[`BROKER_NODE_${n}_AMQPS_PORT`])
                : undefined,
            mgmtPort: Number(e[`BROKER_NODE_${n}_MGMT_PORT`]),
            pidFile: e[`BROKER_NODE_${n}_PID_FILE`],
        });
    }
    return {
        id: e.BROKER_NAME as BrokerId,
        version: e.BROKER_VERSION,
        mgmtUrl: e.RABBITMQ_MGMT_URL,
        amqpUrl: e.RABBITMQ_AMQP_URL,
        amqpsUrl: e.RABBITMQ_AMQPS_URL,
        caFile: e.BROKER_CA_FILE,
        adminUser: e.RABBITMQ_ADMIN_USER,
        adminPassword: e.RABBITMQ_ADMIN_PASSWORD,
        nodes,
        local: true,
    };
}

export function externalBroker(): Broker | undefined {
    const { RABBITMQ_TEST_MGMT_URL: mgmt, RABBITMQ_TEST_AMQP_URL: amqp } = process.env;
    if (!mgmt || !amqp) {
        return undefined;
    }
    const u = new URL(amqp);
    return {
        id: "external",
        version: "unknown",
        mgmtUrl: mgmt.replace(/\/+$/, ""),
        amqpUrl: `amqp://${u.hostname}:${u.port || 5672}`,
        amqpsUrl: process.env.RABBITMQ_TEST_AMQPS_URL,
        caFile: process.env.RABBITMQ_TEST_CA_FILE,
        adminUser: process.env.RABBITMQ_TEST_USERNAME ?? "guest",
        adminPassword: process.env.RABBITMQ_TEST_PASSWORD ?? "guest",
        nodes: [
            {
                index: 1,
                name: "external",
                amqpPort: Number(u.port || 5672),
                mgmtPort: Number(new URL(mgmt).port),
            },
        ],
        local: false,
    };
}

export function envDir(): string {
    return process.env.BROKERS_ENV_DIR ?? path.join(repoRoot, ".brokers", "run");
}

/** The broker with this id, if it runs. With RABBITMQ_TEST_* set, every id maps to the external broker. */
export function findBroker(id: BrokerId): Broker | undefined {
    const ext = externalBroker();
    if (ext) {
        return ext;
    }
    const file = path.join(envDir(), `${id}.env`);
    return fs.existsSync(file) ? fromEnvFile(file) : undefined;
}

export const inCI = (): boolean => process.env.CI === "true" || process.env.CI === "1";

/**
 * For a mocha `before` hook: returns the broker, or fails (CI) / skips (elsewhere, with the reason printed).
 */
export function requireBroker(
    ctx: Mocha.Context,
    id: BrokerId,
    needs?: { nodes?: number; local?: boolean },
): Broker {
    const b = findBroker(id);
    let why: string | undefined;
    if (!b) {
        why = `broker '${id}' is not running (no ${path.join(envDir(), id + ".env")}); start it with scripts/brokers.sh start ${id}, or set RABBITMQ_TEST_MGMT_URL/AMQP_URL/USERNAME/PASSWORD`;
    } else if (needs?.nodes && b.nodes.length < needs.nodes) {
        why = `broker '${b.id}' has ${b.nodes.length} node(s); this test needs ${needs.nodes}`;
    } else if (needs?.local && !b.local) {
        why = `broker '${b.id}' is external; this test must kill broker processes, so it needs a local broker`;
    }
    if (why) {
        if (inCI()) {
            throw new Error(`CI: ${why}`);
        }
        console.warn(`      SKIPPED: ${why}`);
        ctx.skip();
    }
    return b as Broker;
}

export function adminClient(b: Broker, node?: BrokerNode): ManagementClient {
    const url = node && b.local ? `http://127.0.0.1:${node.mgmtPort}` : b.mgmtUrl;
    return new ManagementClient(url, b.adminUser, b.adminPassword);
}

/** AMQP URL of the admin user for a vhost (test-only inspection). */
export function adminAmqpUrl(b: Broker, vhost: string, node?: BrokerNode): string {
    const u = new URL(b.amqpUrl);
    const port = node && b.local ? node.amqpPort : Number(u.port || 5672);
    return `amqp://${encodeURIComponent(b.adminUser)}:${encodeURIComponent(b.adminPassword)}@${u.hostname}:${port}/${encodeURIComponent(vhost)}`;
}

/** Fills in the version of an external broker from /api/overview. */
export async function ensureVersion(b: Broker): Promise<Broker> {
    if (b.version === "unknown") {
        b.version = (await adminClient(b).get<{ rabbitmq_version: string }>("overview")).rabbitmq_version;
    }
    return b;
}

/** Kills a local node's Erlang VM outright (SIGKILL: no clean shutdown, as when a pod is lost). */
export function killNode(node: BrokerNode): void {
    if (node.pidFile === undefined) {
        throw new Error(`node ${node.name} has no pid file: it is not a local broker's node`);
    }
    process.kill(Number(fs.readFileSync(node.pidFile, "utf8").trim()), "SIGKILL");
}

export interface CliResult {
    /** What ran, for messages: `node N: tool args`. */
    what: string;
    status: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs scripts/brokers.sh on this suite's brokers, without blocking the event loop (tests keep traffic flowing
 * while a node stops or restarts). Never throws; the caller reads `status`.
 */
export function brokersSh(args: string[], timeoutMs = 180000): Promise<CliResult> {
    return new Promise((resolve) => {
        execFile(
            "bash",
            [path.join(repoRoot, "scripts", "brokers.sh"), ...args],
            {
                env: { ...process.env, BROKERS_DIR: path.dirname(envDir()) },
                timeout: timeoutMs,
                maxBuffer: 16 * 1024 * 1024,
            },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
                resolve({ what: args.join(" "), status: code, stdout, stderr });
            },
        );
    });
}

async function brokersShOk(args: string[]): Promise<void> {
    const r = await brokersSh(args);
    if (r.status !== 0) {
        throw new Error(`scripts/brokers.sh ${r.what} failed (${r.status}): ${r.stderr}`);
    }
}

/** Stops a local node cleanly (SIGTERM, as Kubernetes stops a pod) and keeps its data. */
export function stopNode(b: Broker, index: number): Promise<void> {
    return brokersShOk(["stop-node", b.id, String(index)]);
}

/** Starts node `index` of a local broker again (restart-node stops it first if it runs, and waits until it answers). */
export function restartNode(b: Broker, index: number): Promise<void> {
    return brokersShOk(["restart-node", b.id, String(index)]);
}
