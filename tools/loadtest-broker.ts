/**
 * A dedicated throwaway 3-node RabbitMQ 3.10 cluster for the load test (`npm run loadtest -- --own-broker`), for
 * when scripts/brokers.sh's cluster310 is in use by the broker suite (its node names are fixed, so a second copy
 * cannot run beside it, and the load test resets the stack's vhosts). Same recipe as scripts/brokers.sh, with node
 * names lt310-N@localhost and files under bin/.loadtest/broker.
 * Needs rabbitmq-server installed (scripts/brokers.sh install 310).
 */
import { execFileSync, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { Broker } from "../test/broker/support/brokers";

const RMQ_BIN = "/usr/lib/rabbitmq/bin";

interface NodeInfo {
    name: string;
    amqp: number;
    mgmt: number;
    dist: number;
    dir: string;
    pgid: number;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));

function env(n: Omit<NodeInfo, "pgid">, home: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        HOME: home,
        RABBITMQ_NODENAME: n.name,
        RABBITMQ_MNESIA_BASE: path.join(n.dir, "mnesia"),
        RABBITMQ_LOG_BASE: path.join(n.dir, "log"),
        RABBITMQ_CONFIG_FILE: path.join(n.dir, "rabbit"),
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(n.dir, "enabled_plugins"),
        RABBITMQ_DIST_PORT: String(n.dist),
        RABBITMQ_PID_FILE: path.join(n.dir, "beam.pid"),
    };
}

async function waitReady(mgmt: number, user: string, pass: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const auth = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    while (Date.now() < deadline) {
        try {
            const res = await fetch(`http://127.0.0.1:${mgmt}/api/overview`, {
                headers: { authorization: auth },
            });
            if (res.ok) {
                return String(((await res.json()) as { rabbitmq_version?: string }).rabbitmq_version);
            }
        } catch {
            // not up yet
        }
        await sleep(500);
    }
    throw new Error(`node with management port ${mgmt} not ready after ${timeoutMs / 1000} s`);
}

/** Starts the cluster; `stop` kills exactly the process groups it started. */
export async function startOwnCluster(
    baseDir: string,
    nodes = 3,
): Promise<{ broker: Broker; stop: () => Promise<void> }> {
    if (!fs.existsSync(path.join(RMQ_BIN, "rabbitmq-server"))) {
        throw new Error(`no RabbitMQ at ${RMQ_BIN}: run scripts/brokers.sh install 310`);
    }
    fs.rmSync(baseDir, { recursive: true, force: true });
    const home = path.join(baseDir, "home");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, ".erlang.cookie"), randomBytes(15).toString("hex").toUpperCase(), {
        mode: 0o400,
    });
    const user = "admin";
    const pass = randomBytes(12).toString("hex");
    const started: NodeInfo[] = [];
    const stop = async () => {
        for (const n of started) {
            try {
                process.kill(-n.pgid, "SIGTERM");
            } catch {
                // already gone
            }
        }
        for (let i = 0; i < 40 && started.some((n) => alive(n.pgid)); i++) {
            await sleep(250);
        }
        for (const n of started.filter((x) => alive(x.pgid))) {
            process.kill(-n.pgid, "SIGKILL");
        }
    };
    try {
        for (let i = 1; i <= nodes; i++) {
            const n = {
                name: `lt310-${i}@localhost`,
                amqp: await freePort(),
                mgmt: await freePort(),
                dist: await freePort(),
                dir: path.join(baseDir, `node${i}`),
            };
            fs.mkdirSync(path.join(n.dir, "mnesia"), { recursive: true });
            fs.mkdirSync(path.join(n.dir, "log"), { recursive: true });
            fs.writeFileSync(
                path.join(n.dir, "rabbit.conf"),
                [
                    `listeners.tcp.default = 127.0.0.1:${n.amqp}`,
                    "management.tcp.ip = 127.0.0.1",
                    `management.tcp.port = ${n.mgmt}`,
                    `default_user = ${user}`,
                    `default_pass = ${pass}`,
                    "default_user_tags.administrator = true",
                    "loopback_users = none",
                    "disk_free_limit.absolute = 50MB",
                    "",
                ].join("\n"),
            );
            fs.writeFileSync(path.join(n.dir, "enabled_plugins"), "[rabbitmq_management].\n");
            const out = fs.openSync(path.join(n.dir, "out.log"), "w");
            const child = spawn(path.join(RMQ_BIN, "rabbitmq-server"), [], {
                env: env(n, home),
                detached: true,
                stdio: ["ignore", out, out],
            });
            child.unref();
            started.push({ ...n, pgid: child.pid! });
        }
        let version = "";
        for (const n of started) {
            version = await waitReady(n.mgmt, user, pass, 90_000);
        }
        for (const n of started.slice(1)) {
            const ctl = (...args: string[]) =>
                execFileSync(path.join(RMQ_BIN, "rabbitmqctl"), ["-q", "-n", n.name, ...args], {
                    env: env(n, home),
                    stdio: "pipe",
                });
            ctl("stop_app");
            ctl("reset");
            ctl("join_cluster", started[0].name);
            ctl("start_app");
        }
        for (const n of started) {
            await waitReady(n.mgmt, user, pass, 60_000);
        }
        const broker: Broker = {
            id: "cluster310",
            version,
            mgmtUrl: `http://127.0.0.1:${started[0].mgmt}`,
            amqpUrl: `amqp://127.0.0.1:${started[0].amqp}`,
            adminUser: user,
            adminPassword: pass,
            nodes: started.map((n, i) => ({
                index: i + 1,
                name: n.name,
                amqpPort: n.amqp,
                mgmtPort: n.mgmt,
            })),
            local: true,
        };
        return { broker, stop };
    } catch (e) {
        await stop();
        throw e;
    }
}

function alive(pgid: number): boolean {
    try {
        process.kill(-pgid, 0);
        return true;
    } catch {
        return false;
    }
}
