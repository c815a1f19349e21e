/**
 * Pacing for loops that declare many resources. The Pulumi SDK keeps each declared resource's bookkeeping (about
 * 160 promises and 370 closures, some 60 KB) until its registration completes, and no registration completes while
 * the program runs synchronously. A loop that declares 1,000 queues with their bindings, policies and users in one
 * go therefore held all 7,000 resources at once: 400-500 MB of live heap (BENCHMARKS.md, "Scale").
 */

/**
 * How many entries a loop declares between two turns of the event loop. An entry is one iteration: a queue with its
 * policy, a binding, a user with its password and grants, an app Secret (1 to 4 resources).
 */
export const ENTRIES_PER_TURN = 25;

/**
 * A function to `await` after each declaration: every `every`-th call it resolves only after one turn of the event
 * loop, so that the SDK can register (and release) what was declared so far; otherwise it resolves at once.
 */
export function pacer(every: number = ENTRIES_PER_TURN): () => Promise<void> {
    if (!Number.isInteger(every) || every < 1) {
        throw new RangeError(`pacer: every must be a positive integer, got ${every}`);
    }
    let calls = 0;
    return () => {
        calls++;
        return calls % every === 0 ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve();
    };
}
