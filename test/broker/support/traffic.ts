/**
 * Live traffic that behaves like a well-written app during maintenance: a publisher with confirms and a consumer
 * with manual acks, each reconnecting to the next URL when its connection goes (the Service would send it to another
 * ready pod). Records what the broker confirmed and what was delivered, to prove no confirmed message was lost.
 */
import * as amqp from "amqplib";
import { Broker } from "./brokers";
import { sleep } from "./wait";
import { Conn, amqpConnect } from "./amqp";

/** Connects to the first URL that accepts, starting after the last one used; `urls` may change between calls. */
async function connectNext(
    b: Broker,
    urls: () => string[],
    from: number,
    running: () => boolean,
): Promise<{ conn: Conn; index: number } | undefined> {
    for (let attempt = 0; running(); attempt++) {
        const list = urls();
        const index = (from + attempt) % list.length;
        try {
            const conn = await amqpConnect(b, list[index]);
            return { conn, index };
        } catch {
            await sleep(200);
        }
    }
    return undefined;
}

function closedPromise(conn: Conn): Promise<void> {
    return new Promise((resolve) => {
        conn.on("close", () => resolve());
        conn.on("error", () => resolve());
    });
}

/**
 * One connection after another while `running()`, each to the next URL that accepts (a reconnecting app goes to
 * another ready pod), with a promise that settles when it closes. The caller's loop body is one connection's life.
 */
async function* sessions(
    b: Broker,
    urls: () => string[],
    running: () => boolean,
): AsyncGenerator<{ conn: Conn; index: number; closed: Promise<void> }> {
    let from = 0;
    while (running()) {
        const c = await connectNext(b, urls, from, running);
        if (!c) {
            return;
        }
        from = c.index + 1;
        yield { ...c, closed: closedPromise(c.conn) };
    }
}

export class Publisher {
    readonly confirmed = new Set<string>();
    /** Published but neither confirmed nor nacked when the connection went: the broker may or may not have them. */
    readonly inDoubt = new Set<string>();
    readonly connections: number[] = [];
    private running = true;
    private seq = 0;
    private readonly done: Promise<void>;

    constructor(
        private readonly b: Broker,
        private readonly urls: () => string[],
        private readonly exchange: string,
        private readonly key: string,
        private readonly prefix: string,
        /** Pause between messages: a steady trickle keeps the 2-core test machine usable. */
        private readonly intervalMs = 4,
    ) {
        this.done = this.loop();
    }

    private async loop(): Promise<void> {
        for await (const c of sessions(this.b, this.urls, () => this.running)) {
            this.connections.push(c.index);
            let dead = false;
            void c.closed.then(() => {
                dead = true;
            });
            const pending = new Set<string>();
            try {
                const ch: amqp.ConfirmChannel = await c.conn.createConfirmChannel();
                ch.on("error", () => undefined);
                while (this.running && !dead) {
                    if (pending.size >= 50) {
                        await sleep(5);
                        continue;
                    }
                    const id = `${this.prefix}-${++this.seq}`;
                    pending.add(id);
                    ch.publish(
                        this.exchange,
                        this.key,
                        Buffer.from(id),
                        { persistent: true, messageId: id },
                        (err) => {
                            pending.delete(id);
                            (err ? this.inDoubt : this.confirmed).add(id);
                        },
                    );
                    await sleep(this.intervalMs);
                }
                if (!dead) {
                    await ch.waitForConfirms().catch(() => undefined);
                    await c.conn.close().catch(() => undefined);
                    return;
                }
            } catch {
                // The connection went while opening the channel: reconnect.
            }
            pending.forEach((id) => this.inDoubt.add(id));
        }
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.done;
    }
}

export class Consumer {
    /** Every delivery's message id, in order (a redelivery after a connection loss appears twice). */
    readonly received: string[] = [];
    readonly connections: number[] = [];
    private running = true;
    private current?: Conn;
    private readonly done: Promise<void>;

    constructor(
        private readonly b: Broker,
        private readonly urls: () => string[],
        private readonly queue: string,
        /** false: like a pod that is gone, do not come back after the connection is closed. */
        private readonly reconnect = true,
    ) {
        this.done = this.loop();
    }

    private async loop(): Promise<void> {
        for await (const c of sessions(this.b, this.urls, () => this.running)) {
            this.current = c.conn;
            this.connections.push(c.index);
            try {
                const ch = await c.conn.createChannel();
                ch.on("error", () => undefined);
                await ch.prefetch(50);
                await ch.consume(this.queue, (m) => {
                    if (m) {
                        this.received.push(String(m.properties.messageId));
                        try {
                            ch.ack(m);
                        } catch {
                            // The channel closed under us; the broker requeues the message and delivers it again.
                        }
                    }
                });
            } catch {
                // The connection went while subscribing: reconnect.
            }
            await c.closed;
            this.current = undefined;
            if (!this.reconnect) {
                return;
            }
        }
    }

    /** The local TCP port of the current connection (how the broker names it: "127.0.0.1:<port> -> …"). */
    localPort(): number | undefined {
        const stream = (this.current as unknown as { connection?: { stream?: { localPort?: number } } })
            ?.connection?.stream;
        return stream?.localPort;
    }

    get connected(): boolean {
        return this.current !== undefined;
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.current?.close().catch(() => undefined);
        await this.done;
    }
}

/** Waits until the consumers together have every confirmed message, or the time is up. */
export async function waitForDelivery(p: Publisher, consumers: Consumer[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        const got = new Set(consumers.flatMap((c) => c.received));
        if ([...p.confirmed].every((id) => got.has(id))) {
            return;
        }
        await sleep(200);
    }
}

export interface Loss {
    /** Confirmed by the broker but never delivered: lost. */
    missing: string[];
    /** Delivered but never published. */
    unknown: string[];
    redelivered: number;
}

export function loss(p: Publisher, consumers: Consumer[]): Loss {
    const all = consumers.flatMap((c) => c.received);
    const got = new Set(all);
    const published = (id: string): boolean => p.confirmed.has(id) || p.inDoubt.has(id);
    return {
        missing: [...p.confirmed].filter((id) => !got.has(id)),
        unknown: [...got].filter((id) => !published(id)),
        redelivered: all.length - got.size,
    };
}
