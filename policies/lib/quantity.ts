// Kubernetes resource quantities (memory), enough to compare a request with a limit.

const SUFFIXES: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
};

/** The number of bytes in a quantity such as "2Gi" or "2048Mi"; `undefined` if it is not one. */
export function parseQuantity(q: string | number | undefined): number | undefined {
    if (typeof q === "number") {
        return q;
    }
    const m = q === undefined ? null : /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(q.trim());
    if (m === null || !(m[2] in SUFFIXES)) {
        return undefined;
    }
    return Number(m[1]) * SUFFIXES[m[2]];
}
