/** Polling helpers for broker state that settles asynchronously (failover, membership reconciliation). */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every 250 ms until it returns a value (errors count as "not yet"); fails after `ms`. */
export async function waitFor<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const v = await f().catch(() => undefined);
        if (v !== undefined) {
            return v;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        }
        await sleep(250);
    }
}
