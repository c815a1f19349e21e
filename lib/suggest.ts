/** "Did you mean" for names: the one valid name a typo most plausibly meant. */

/** The Levenshtein distance between two strings (insertions, deletions and substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The candidate `value` most plausibly meant: one equal to it ignoring case, else the closest within 2 edits (the
 * first of the closest, in `candidates` order). Undefined when none is that close, so the caller lists them all.
 */
export function nearest(value: string, candidates: readonly string[]): string | undefined {
    const lower = value.toLowerCase();
    const sameCase = candidates.find((c) => c.toLowerCase() === lower);
    if (sameCase !== undefined) {
        return sameCase;
    }
    let best: string | undefined;
    let bestDistance = 3;
    for (const c of candidates) {
        const d = editDistance(lower, c.toLowerCase());
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

/** A value as messages quote it: JSON, so strings are in double quotes and lists and objects read as written. */
export function quote(value: unknown): string {
    return value === undefined ? "nothing" : JSON.stringify(value);
}
