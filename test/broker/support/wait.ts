/** Polling helpers for broker state that settles asynchronously (failover, membership reconciliation). */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `f` every 250 ms until it returns a value (errors count as "not yet"); fails after `ms`, with the last
 * error in the message.
 */
export async function waitFor<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
        try {
            const v = await f();
            if (v !== undefined) {
                return v;
            }
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        }
        await sleep(250);
    }
}
