/**
 * `npm run loadtest [-- options]`: publishers with confirms and consumers with manual acks through the stack's own
 * task-queue route, with the stack's own app credentials, then the same load on a bare quorum queue (no policies)
 * for the broker's raw ceiling. See BENCHMARKS.md.
 *
 * Broker: a local one started by scripts/brokers.sh (env file, default cluster310), or an existing broker given by
 * RABBITMQ_TEST_MGMT_URL / RABBITMQ_TEST_AMQP_URL / RABBITMQ_TEST_USERNAME / RABBITMQ_TEST_PASSWORD (a deployed
 * stack: its managementUrl, amqpHost:amqpPort and admin outputs). The stack's topology is replayed onto the broker
 * with the broker suite's replay (test/broker/support/replay.ts: the provider's exact HTTP calls); --no-replay
 * skips that for a broker the stack already provisioned.
 *
 * Exits 1 if any message is lost (published, confirmed and consumed differ) or the broker nacks.
 */
import * as amqp from "amqplib";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { LatencyHistogram, ratio } from "../lib/bench/stats";
import { PlotSeries, SecondSample, renderSvg } from "../lib/loadtest/plot";
import { ManagementClient, apiPath } from "../lib/management/client";
import { projectRoot } from "../lib/project";
import { Broker, BrokerId, adminClient, ensureVersion, findBroker } from "../test/broker/support/brokers";
import { modelFor, planFor, secretOf } from "../test/broker/support/plans";
import { failures, grantAdmin, replay, resetBroker } from "../test/broker/support/replay";
import { Decl, erlangRegex, ofKind } from "../lib/verify/model";
import { declaredGroupSize } from "../lib/verify/verify";
import { startOwnCluster } from "./loadtest-broker";

const USAGE = `usage: npm run loadtest -- [--quick] [--stack dev] [--broker cluster310] [--duration 60] [--rate 0]
    [--size 1024] [--publishers 2] [--consumers 2] [--prefetch 250] [--window 500] [--rounds 1]
    [--vhost /engine] [--exchange engine:tasks] [--routing-key engine:tasks] [--queue engine:tasks]
    [--publisher-user engine-api] [--consumer-user engine-worker] [--no-raw] [--no-replay] [--out-dir DIR]
    [--own-broker]   start (and stop) a dedicated 3-node 3.10 cluster instead of using scripts/brokers.sh's`;

interface Options {
    stack: string;
    broker: BrokerId;
    durationS: number;
    rate: number;
    size: number;
    publishers: number;
    consumers: number;
    prefetch: number;
    window: number;
    rounds: number;
    vhost: string;
    exchange: string;
    routingKey: string;
    queue: string;
    publisherUser: string;
    consumerUser: string;
    raw: boolean;
    replay: boolean;
    outDir: string;
    quick: boolean;
    ownBroker: boolean;
}

/** Where one run publishes and consumes, and as whom. */
interface Target {
    label: string;
    vhost: string;
    exchange: string;
    routingKey: string;
    queue: string;
    publisher: { user: string; password: string };
    consumer: { user: string; password: string };
}

interface RunResult {
    label: string;
    published: number;
    confirmed: number;
    nacked: number;
    consumed: number;
    duplicates: number;
    left: number;
    publishSeconds: number;
    /** Confirmed messages per second of the publishing phase. */
    confirmedRate: number;
    /** Consumed messages per second, from the first publish to the last consume. */
    consumedRate: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    samples: SecondSample[];
    /** CPU used during the run, in cores (1.0 = one core busy): this generator, the broker nodes, the machine. */
    cpu: { generator: number; broker: number; machine: number; cores: number };
}

const tty = process.stdout.isTTY === true;
const n0 = (v: number) => Math.round(v).toLocaleString("en-US");
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : "-");

function amqpUrl(b: Broker, nodeIndex: number, user: string, password: string, vhost: string): string {
    const node = b.nodes[nodeIndex % b.nodes.length];
    const base = new URL(b.amqpUrl);
    const port = b.local ? node.amqpPort : Number(base.port || 5672);
    return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${base.hostname}:${port}/${encodeURIComponent(vhost)}`;
}

const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));

const CLK_TCK = 100;

/** CPU seconds used so far by the beam processes of these Erlang nodes (Linux /proc), 0 where unreadable. */
function brokerCpuSeconds(nodeNames: string[]): number {
    let total = 0;
    for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
        try {
            if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0].endsWith("beam.smp")) {
                continue;
            }
            const node = /(?:^|\0)RABBITMQ_NODENAME=([^\0]*)/.exec(
                fs.readFileSync(`/proc/${pid}/environ`, "utf8"),
            );
            if (node === null || !nodeNames.includes(node[1])) {
                continue;
            }
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
        } catch {
            // process gone or not ours to read
        }
    }
    return total;
}

/** Busy and total CPU seconds of the whole machine (Linux /proc/stat). */
function machineCpuSeconds(): { busy: number; total: number } {
    try {
        const f = fs
            .readFileSync("/proc/stat", "utf8")
            .split("\n")[0]
            .trim()
            .split(/\s+/)
            .slice(1)
            .map(Number);
        const total = f.reduce((a, c) => a + c, 0) / CLK_TCK;
        const idle = (f[3] + (f[4] ?? 0)) / CLK_TCK;
        return { busy: total - idle, total };
    } catch {
        return { busy: NaN, total: NaN };
    }
}

async function run(b: Broker, target: Target, o: Options): Promise<RunResult> {
    const payload = Buffer.alloc(o.size, "x");
    let published = 0;
    let confirmed = 0;
    let nacked = 0;
    let consumed = 0;
    let duplicates = 0;
    const seen = new Set<string>();
    const total = new LatencyHistogram();
    let second = new LatencyHistogram();
    const samples: SecondSample[] = [];
    let last = { published: 0, confirmed: 0, consumed: 0 };
    let lastConsumeAt = 0;

    const conns: amqp.ChannelModel[] = [];
    const consumerConns = await Promise.all(
        Array.from({ length: o.consumers }, (_, i) =>
            amqp.connect(amqpUrl(b, i, target.consumer.user, target.consumer.password, target.vhost)),
        ),
    );
    conns.push(...consumerConns);
    const publisherConns = await Promise.all(
        Array.from({ length: o.publishers }, (_, i) =>
            amqp.connect(amqpUrl(b, i + 1, target.publisher.user, target.publisher.password, target.vhost)),
        ),
    );
    conns.push(...publisherConns);

    for (const conn of consumerConns) {
        const ch = await conn.createChannel();
        await ch.prefetch(o.prefetch);
        await ch.consume(
            target.queue,
            (msg) => {
                if (msg === null) {
                    return;
                }
                const sent = Number((msg.properties.headers ?? {})["x-sent-ms"]);
                const id = String(msg.properties.messageId);
                if (seen.has(id)) {
                    duplicates++;
                } else {
                    seen.add(id);
                    consumed++;
                }
                const latency = performance.now() - sent;
                total.record(latency);
                second.record(latency);
                lastConsumeAt = performance.now();
                ch.ack(msg);
            },
            { noAck: false },
        );
    }

    const nodeNames = b.nodes.map((n) => n.name);
    const cpu0 = {
        gen: process.cpuUsage(),
        broker: brokerCpuSeconds(nodeNames),
        machine: machineCpuSeconds(),
    };
    const started = performance.now();
    const stopAt = started + o.durationS * 1000;
    const ticker = setInterval(() => {
        const t = (performance.now() - started) / 1000;
        const s: SecondSample = {
            t: Math.round(t),
            published: published - last.published,
            confirmed: confirmed - last.confirmed,
            consumed: consumed - last.consumed,
            p50: second.percentile(50),
            p99: second.percentile(99),
        };
        samples.push(s);
        last = { published, confirmed, consumed };
        second = new LatencyHistogram();
        const line = `[${target.label}] ${t.toFixed(0).padStart(3)} s  published ${n0(s.published)}/s  confirmed ${n0(s.confirmed)}/s  consumed ${n0(s.consumed)}/s  latency p50 ${ms(s.p50)} p99 ${ms(s.p99)}  in flight ${n0(published - consumed)}`;
        if (tty) {
            process.stdout.write(`\r\x1b[K${line}`);
        } else if (samples.length % 5 === 0 || o.quick) {
            process.stdout.write(`${line}\n`);
        }
    }, 1000);

    const perPublisherRate = o.rate > 0 ? o.rate / o.publishers : 0;
    const publishers = publisherConns.map(async (conn, pi) => {
        const ch = await conn.createConfirmChannel();
        let outstanding = 0;
        let wake: (() => void) | undefined;
        let seq = 0;
        const pubStart = performance.now();
        while (performance.now() < stopAt) {
            if (outstanding >= o.window) {
                await new Promise<void>((r) => (wake = r));
                continue;
            }
            if (perPublisherRate > 0) {
                const due = ((performance.now() - pubStart) / 1000) * perPublisherRate;
                if (seq >= due) {
                    await sleep(Math.max(1, ((seq - due) / perPublisherRate) * 1000));
                    continue;
                }
            }
            outstanding++;
            published++;
            const ok = ch.publish(
                target.exchange,
                target.routingKey,
                payload,
                {
                    persistent: true,
                    messageId: `${pi}-${seq++}`,
                    headers: { "x-sent-ms": performance.now() },
                },
                (err: unknown) => {
                    outstanding--;
                    if (err) {
                        nacked++;
                    } else {
                        confirmed++;
                    }
                    const w = wake;
                    wake = undefined;
                    w?.();
                },
            );
            if (!ok) {
                await new Promise<void>((r) => ch.once("drain", () => r()));
            } else if (seq % 64 === 0) {
                // Let consumers and confirms run between bursts.
                await new Promise<void>((r) => setImmediate(r));
            }
        }
        await ch.waitForConfirms();
        await ch.close();
    });
    await Promise.all(publishers);
    const publishSeconds = (performance.now() - started) / 1000;
    const drainDeadline = performance.now() + Math.max(30_000, o.durationS * 1000);
    while (consumed < confirmed && performance.now() < drainDeadline) {
        await sleep(50);
    }
    await sleep(200);
    clearInterval(ticker);
    if (tty) {
        process.stdout.write("\n");
    }
    const admin = await amqp.connect(amqpUrl(b, 0, b.adminUser, b.adminPassword, target.vhost));
    const ach = await admin.createChannel();
    const left = (await ach.checkQueue(target.queue)).messageCount;
    await admin.close();
    for (const c of conns) {
        await c.close();
    }
    const consumeSeconds = (Math.max(lastConsumeAt, started) - started) / 1000;
    const wall = (performance.now() - started) / 1000;
    const gen = process.cpuUsage(cpu0.gen);
    const machine = machineCpuSeconds();
    const cpu = {
        generator: (gen.user + gen.system) / 1e6 / wall,
        broker: (brokerCpuSeconds(nodeNames) - cpu0.broker) / wall,
        machine: (machine.busy - cpu0.machine.busy) / wall,
        cores: (machine.total - cpu0.machine.total) / wall,
    };
    return {
        label: target.label,
        published,
        confirmed,
        nacked,
        consumed,
        duplicates,
        left,
        publishSeconds,
        confirmedRate: confirmed / publishSeconds,
        consumedRate: consumeSeconds > 0 ? consumed / consumeSeconds : 0,
        p50: total.percentile(50),
        p95: total.percentile(95),
        p99: total.percentile(99),
        max: total.max,
        samples,
        cpu,
    };
}

/** A bare quorum queue in its own vhost: no policies, admin credentials, the same route shape (direct exchange). */
async function prepareRaw(b: Broker, client: ManagementClient, groupSize: number): Promise<Target> {
    const vhost = "/loadtest-raw";
    await client.ok("DELETE", "vhosts/" + apiPath(vhost)).catch(() => undefined);
    await client.ok("PUT", "vhosts/" + apiPath(vhost), {});
    await client.ok("PUT", "permissions/" + apiPath(vhost, b.adminUser), {
        configure: ".*",
        write: ".*",
        read: ".*",
    });
    const conn = await amqp.connect(amqpUrl(b, 0, b.adminUser, b.adminPassword, vhost));
    const ch = await conn.createChannel();
    await ch.assertExchange("loadtest.raw", "direct", { durable: true });
    await ch.assertQueue("loadtest.raw", {
        durable: true,
        arguments: { "x-queue-type": "quorum", "x-quorum-initial-group-size": groupSize },
    });
    await ch.bindQueue("loadtest.raw", "loadtest.raw", "loadtest.raw");
    await conn.close();
    const admin = { user: b.adminUser, password: b.adminPassword };
    return {
        label: "bare quorum queue",
        vhost,
        exchange: "loadtest.raw",
        routingKey: "loadtest.raw",
        queue: "loadtest.raw",
        publisher: admin,
        consumer: admin,
    };
}

function parseOptions(): Options {
    const { values } = parseArgs({
        options: {
            quick: { type: "boolean", default: false },
            stack: { type: "string", default: "dev" },
            broker: { type: "string", default: "cluster310" },
            duration: { type: "string" },
            rate: { type: "string", default: "0" },
            size: { type: "string", default: "1024" },
            publishers: { type: "string", default: "2" },
            consumers: { type: "string", default: "2" },
            prefetch: { type: "string", default: "250" },
            window: { type: "string", default: "500" },
            rounds: { type: "string", default: "1" },
            vhost: { type: "string", default: "/engine" },
            exchange: { type: "string", default: "engine:tasks" },
            "routing-key": { type: "string", default: "engine:tasks" },
            queue: { type: "string", default: "engine:tasks" },
            "publisher-user": { type: "string", default: "engine-api" },
            "consumer-user": { type: "string", default: "engine-worker" },
            "no-raw": { type: "boolean", default: false },
            "no-replay": { type: "boolean", default: false },
            "out-dir": { type: "string" },
            "own-broker": { type: "boolean", default: false },
        },
        strict: true,
    });
    const quick = values.quick ?? false;
    const num = (k: string, v: string | undefined) => {
        const x = Number(v);
        if (!Number.isFinite(x) || x < 0) {
            throw new Error(`--${k} must be a non-negative number, got ${v}\n${USAGE}`);
        }
        return x;
    };
    return {
        quick,
        stack: values.stack!,
        broker: values.broker as BrokerId,
        durationS: num("duration", values.duration ?? (quick ? "3" : "60")),
        rate: num("rate", values.rate),
        size: num("size", values.size),
        publishers: Math.max(1, num("publishers", values.publishers)),
        consumers: Math.max(1, num("consumers", values.consumers)),
        prefetch: num("prefetch", values.prefetch),
        window: Math.max(1, num("window", values.window)),
        rounds: Math.max(1, num("rounds", values.rounds)),
        vhost: values.vhost!,
        exchange: values.exchange!,
        routingKey: values["routing-key"]!,
        queue: values.queue!,
        publisherUser: values["publisher-user"]!,
        consumerUser: values["consumer-user"]!,
        raw: !values["no-raw"],
        replay: !values["no-replay"],
        outDir: values["out-dir"] ?? path.join(projectRoot(), "bin", ".loadtest"),
        ownBroker: values["own-broker"] ?? false,
    };
}

/** Confirmed messages per CPU-second of the broker nodes: robust to neighbours taking CPU away mid-run. */
function perBrokerCpu(r: RunResult): number {
    return r.cpu.broker > 0 ? r.confirmedRate / r.cpu.broker : NaN;
}

function report(r: RunResult): string[] {
    const lost = r.confirmed - r.consumed;
    return [
        `  ${r.label}:`,
        `    published ${n0(r.published)}  confirmed ${n0(r.confirmed)}  nacked ${n0(r.nacked)}  consumed ${n0(r.consumed)}  duplicates ${n0(r.duplicates)}  left in queue ${n0(r.left)}  ${lost === 0 && r.published === r.confirmed && r.nacked === 0 ? "nothing lost" : "MISMATCH"}`,
        `    ${n0(r.confirmedRate)} msg/s confirmed over ${r.publishSeconds.toFixed(1)} s; ${n0(r.consumedRate)} msg/s consumed`,
        `    latency p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  p99 ${ms(r.p99)}  max ${ms(r.max)}`,
        `    CPU (cores busy, of ${r.cpu.cores.toFixed(1)}): machine ${r.cpu.machine.toFixed(2)}, broker nodes ${r.cpu.broker.toFixed(2)}, this generator ${r.cpu.generator.toFixed(2)}, other processes ${Math.max(0, r.cpu.machine - r.cpu.broker - r.cpu.generator).toFixed(2)}`,
        `    broker efficiency: ${n0(perBrokerCpu(r))} messages per broker CPU-second (all nodes together)`,
    ];
}

async function main(): Promise<number> {
    const o = parseOptions();
    if (o.ownBroker) {
        console.log("starting a dedicated 3-node RabbitMQ 3.10 cluster (tools/loadtest-broker.ts)");
        const own = await startOwnCluster(path.join(o.outDir, "broker"));
        try {
            return await loadtest(o, own.broker);
        } finally {
            await own.stop();
        }
    }
    const b = findBroker(o.broker);
    if (!b) {
        console.error(
            `broker '${o.broker}' is not running: start it with scripts/brokers.sh start ${o.broker} (or run this under scripts/brokers.sh run ${o.broker} -- npm run loadtest), or set RABBITMQ_TEST_MGMT_URL/AMQP_URL/USERNAME/PASSWORD`,
        );
        return 2;
    }
    return loadtest(o, b);
}

async function loadtest(o: Options, b: Broker): Promise<number> {
    const client = adminClient(b);
    // The stack as rendered for this broker's major version: 3.x rejects the 4.x-only policy keys on the route.
    const version = (await ensureVersion(b)).version;
    const plan = planFor(o.stack, version);
    const model = modelFor(o.stack, version);
    const queueDecl = ofKind(model, "queue").find((q) => q.name === o.queue && q.vhost === o.vhost);
    if (queueDecl === undefined) {
        console.error(`stack ${o.stack} declares no queue ${o.queue} in vhost ${o.vhost}`);
        return 2;
    }
    // The bare queue gets the members the stack's queue is kept at (its policy's target on RabbitMQ 4).
    const groupSize = Math.min(declaredGroupSize(model, queueDecl)?.size ?? 1, b.nodes.length);
    if (o.replay) {
        await resetBroker(client, model);
        // The load needs only the task route; a rejection elsewhere in the stack is reported, not fatal.
        const results = await replay(client, model);
        const onRoute = (d: Decl) =>
            d.kind !== "policy" || (d.vhost === o.vhost && erlangRegex(d.pattern).test(o.queue));
        const fatal = failures(results.filter((r) => onRoute(r.decl)));
        const elsewhere = failures(results.filter((r) => !onRoute(r.decl)));
        if (elsewhere.length > 0) {
            console.warn(
                `WARNING: the broker rejected parts of the stack off the load's route:\n  ${elsewhere.join("\n  ")}`,
            );
        }
        if (fatal.length > 0) {
            console.error(`the broker rejected the task route's topology:\n  ${fatal.join("\n  ")}`);
            return 1;
        }
        await grantAdmin(client, model);
    }
    const pub = secretOf(plan, o.publisherUser).data;
    const con = secretOf(plan, o.consumerUser).data;
    const provisioned: Target = {
        label: `${o.stack} ${o.vhost} ${o.queue}`,
        vhost: o.vhost,
        exchange: o.exchange,
        routingKey: o.routingKey,
        queue: o.queue,
        publisher: { user: pub.username, password: pub.password },
        consumer: { user: con.username, password: con.password },
    };
    const raw = o.raw ? await prepareRaw(b, client, groupSize) : undefined;
    console.log(
        `# npm run loadtest${o.quick ? " --quick" : ""}: RabbitMQ ${b.version} (${b.id}, ${b.nodes.length} node(s)); ${o.publishers} publishers (confirms, window ${o.window}), ${o.consumers} consumers (manual ack, prefetch ${o.prefetch}); ${o.size} B persistent messages; ${o.rate > 0 ? `${n0(o.rate)} msg/s target` : "unthrottled"}; ${o.durationS} s per run, ${o.rounds} round(s)`,
    );
    const results: RunResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
        const order =
            raw === undefined ? [provisioned] : round % 2 === 0 ? [provisioned, raw] : [raw, provisioned];
        for (const t of order) {
            results.push(await run(b, t, o));
        }
    }
    const lines: string[] = [
        o.quick
            ? "## Results (--quick: a few seconds per run, a smoke test of the pipeline, not a measurement)"
            : "## Results",
    ];
    results.forEach((r) => lines.push(...report(r)));
    const byLabel = (label: string) => results.filter((r) => r.label === label);
    const medianOf = (rs: RunResult[], f: (r: RunResult) => number) => {
        const v = rs.map(f).sort((a, c) => a - c);
        return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    };
    const provRate = medianOf(byLabel(provisioned.label), (r) => r.confirmedRate);
    if (raw !== undefined) {
        const rawRate = medianOf(byLabel(raw.label), (r) => r.confirmedRate);
        const rel = provRate / rawRate;
        lines.push(
            `## Provisioned topology vs bare quorum queue: ${n0(provRate)} vs ${n0(rawRate)} msg/s confirmed = ${ratio(provRate, rawRate)} (goal: within 10%, i.e. >= 0.90x: ${rel >= 0.9 ? "MET" : "NOT MET"})`,
        );
        const provEff = medianOf(byLabel(provisioned.label), perBrokerCpu);
        const rawEff = medianOf(byLabel(raw.label), perBrokerCpu);
        lines.push(
            `   per broker CPU-second (noise-robust): ${n0(provEff)} vs ${n0(rawEff)} = ${ratio(provEff, rawEff)} (${provEff / rawEff >= 0.9 ? "MET" : "NOT MET"})`,
        );
    }
    if (!o.quick) {
        const sustained = byLabel(provisioned.label).every(
            (r) => r.publishSeconds >= 59 && r.confirmedRate >= 10_000,
        );
        lines.push(
            `## 10K msg/s with confirms for 60 s (1 KiB): ${o.durationS >= 60 && o.size === 1024 ? (sustained ? "MET" : `NOT MET (${n0(provRate)} msg/s)`) : "not measured (needs --duration 60 --size 1024)"}`,
        );
    }
    fs.mkdirSync(o.outDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const svgFile = path.join(o.outDir, `loadtest-${stamp}.svg`);
    const colors = ["#1f77b4", "#7f7f7f", "#2ca02c", "#d62728"];
    const series: PlotSeries[] = results.map((r, i) => ({
        label: o.rounds > 1 ? `${r.label} #${Math.floor(i / (raw ? 2 : 1)) + 1}` : r.label,
        color: colors[i % colors.length],
        samples: r.samples,
    }));
    fs.writeFileSync(
        svgFile,
        renderSvg(
            `RabbitMQ ${b.version}, ${b.nodes.length} node(s): ${o.publishers}p/${o.consumers}c, ${o.size} B, confirms + manual ack`,
            series,
        ),
    );
    const jsonFile = path.join(o.outDir, `loadtest-${stamp}.json`);
    fs.writeFileSync(jsonFile, `${JSON.stringify({ options: o, broker: b.version, results }, null, 2)}\n`);
    lines.push(
        `plot: ${path.relative(process.cwd(), svgFile)}  data: ${path.relative(process.cwd(), jsonFile)}`,
    );
    console.log(lines.join("\n"));
    const lost = results.some(
        (r) => r.published !== r.confirmed || r.nacked > 0 || r.consumed !== r.confirmed || r.left !== 0,
    );
    return lost ? 1 : 0;
}

if (require.main === module) {
    main()
        .then((code) => {
            process.exitCode = code;
        })
        .catch((e: unknown) => {
            console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
            process.exitCode = 1;
        });
}
