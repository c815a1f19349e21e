/** amqplib helpers for the behaviour tests: app connections from the generated Secrets, probes, draining. */
import * as amqp from "amqplib";
import { strict as assert } from "assert";
import * as fs from "fs";
import { Broker, BrokerNode, adminAmqpUrl } from "./brokers";
import { AppSecret } from "./plans";

export type Conn = amqp.ChannelModel;

/**
 * The Secret's own AMQP_URL with only host and port replaced by the local broker's (its TLS listener for
 * amqps://; `node` picks a cluster node). Before that, proves the URL carries the Secret's username, password and
 * vhost percent-encoded (decoding gives them back exactly) and agrees with the Secret's host and port keys.
 */
export function localAppUrl(b: Broker, s: AppSecret, node?: BrokerNode): string {
    const raw = s.data.AMQP_URL;
    const u = new URL(raw);
    assert.ok(u.protocol === "amqp:" || u.protocol === "amqps:", `${s.name}: AMQP_URL scheme ${u.protocol}`);
    assert.equal(decodeURIComponent(u.username), s.data.username, `${s.name}: AMQP_URL username`);
    assert.equal(decodeURIComponent(u.password), s.data.password, `${s.name}: AMQP_URL password`);
    assert.equal(decodeURIComponent(u.pathname.slice(1)), s.data.vhost, `${s.name}: AMQP_URL vhost`);
    assert.equal(u.hostname, s.data.host, `${s.name}: AMQP_URL host vs host key`);
    const tls = u.protocol === "amqps:";
    assert.equal(u.port || (tls ? "5671" : "5672"), s.data.port, `${s.name}: AMQP_URL port vs port key`);
    let target: string;
    if (tls) {
        assert.ok(b.amqpsUrl && b.caFile, `${s.name} uses amqps:// but broker ${b.id} has no TLS listener`);
        const port = node?.amqpsPort ?? new URL(b.amqpsUrl).port;
        target = `${new URL(b.amqpsUrl).hostname}:${port}`;
    } else {
        const port = node?.amqpPort ?? new URL(b.amqpUrl).port;
        target = `${new URL(b.amqpUrl).hostname}:${port}`;
    }
    const hostPort = `@${u.host}/`;
    assert.ok(raw.includes(hostPort), `${s.name}: cannot find ${hostPort} in AMQP_URL`);
    return raw.replace(hostPort, `@${target}/`);
}

/** amqplib connect; for amqps:// it trusts the broker's test CA (and verifies the certificate). */
export async function amqpConnect(b: Broker, url: string): Promise<Conn> {
    const tls =
        url.startsWith("amqps:") && b.caFile
            ? { ca: [fs.readFileSync(b.caFile)], timeout: 10000 }
            : { timeout: 10000 };
    return amqp.connect(url, tls);
}

export async function connectApp(b: Broker, s: AppSecret): Promise<Conn> {
    return amqpConnect(b, localAppUrl(b, s));
}

export async function connectAdmin(b: Broker, vhost: string): Promise<Conn> {
    return amqp.connect(adminAmqpUrl(b, vhost));
}

/** An AMQP error's reply code (403 ACCESS_REFUSED, 404 NOT_FOUND, ...) or undefined. */
export function replyCode(e: unknown): number | undefined {
    const err = e as { code?: unknown; message?: string };
    if (typeof err?.code === "number") {
        return err.code;
    }
    const m = /\b(\d{3})\b/.exec(String(err?.message ?? ""));
    return m ? Number(m[1]) : undefined;
}

/** Runs `op` on a fresh channel; "ok" when it succeeds, "refused" on 403 ACCESS_REFUSED, throws otherwise. */
export async function probe(
    conn: Conn,
    op: (ch: amqp.ConfirmChannel) => Promise<unknown>,
): Promise<"ok" | "refused"> {
    const ch = await conn.createConfirmChannel();
    let closeError: unknown;
    const closed = new Promise<void>((resolve) => {
        ch.on("error", (e) => {
            closeError = e;
        });
        ch.on("close", () => resolve());
    });
    try {
        await op(ch);
        await ch.close();
        return "ok";
    } catch (e) {
        // The pending call fails with "channel closed"; the reason (reply code) comes with the channel's error event.
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
        for (const err of [closeError, e]) {
            if (replyCode(err) === 403 || /ACCESS_REFUSED/.test(String(err))) {
                return "refused";
            }
        }
        throw closeError ?? e;
    }
}

export interface Received {
    id: string;
    body: string;
    headers: Record<string, unknown>;
}

/** Takes every message currently in a queue (auto-ack consumer, until no message came for `settleMs`). */
export async function drain(conn: Conn, queue: string, settleMs = 300): Promise<Received[]> {
    const ch = await conn.createChannel();
    const out: Received[] = [];
    let last = Date.now();
    const { consumerTag } = await ch.consume(
        queue,
        (m) => {
            if (m) {
                last = Date.now();
                out.push({
                    id: String(m.properties.messageId),
                    body: m.content.toString("utf8"),
                    headers: (m.properties.headers ?? {}) as Record<string, unknown>,
                });
            }
        },
        { noAck: true },
    );
    while (Date.now() - last < settleMs) {
        await new Promise((r) => setTimeout(r, 50));
    }
    await ch.cancel(consumerTag);
    await ch.close();
    return out;
}

/** Publishes with publisher confirms; resolves when the broker confirmed every message. */
export async function publishConfirmed(
    conn: Conn,
    exchange: string,
    routingKey: string,
    messages: { id: string; body: string }[],
): Promise<void> {
    const ch = await conn.createConfirmChannel();
    for (const m of messages) {
        ch.publish(exchange, routingKey, Buffer.from(m.body), { persistent: true, messageId: m.id });
    }
    await ch.waitForConfirms();
    await ch.close();
}

export function uniqueBatch(prefix: string, n: number): { id: string; body: string }[] {
    const run = Math.random().toString(36).slice(2, 8);
    return Array.from({ length: n }, (_, i) => ({
        id: `${prefix}-${run}-${i}`,
        body: `${prefix} #${i} ${run} ✓ ${"x".repeat(i)}`,
    }));
}
