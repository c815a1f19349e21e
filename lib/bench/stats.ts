/** Small statistics helpers for the benchmarks and the load test (pure, no I/O). */

/** The median of the values (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
    if (values.length === 0) {
        return NaN;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The p-th percentile (0 < p <= 100) by the nearest-rank method on sorted values: the smallest value such that at
 * least p% of the values are less than or equal to it. NaN when empty.
 */
export function percentileSorted(sorted: readonly number[], p: number): number {
    if (sorted.length === 0) {
        return NaN;
    }
    if (!(p > 0 && p <= 100)) {
        throw new RangeError(`percentile must be in (0, 100], got ${p}`);
    }
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function percentile(values: readonly number[], p: number): number {
    return percentileSorted(
        [...values].sort((a, b) => a - b),
        p,
    );
}

/**
 * Latencies in a fixed-size log-linear histogram (1 µs .. ~1 h, 1% relative error), so a long load test keeps
 * every sample's contribution without storing millions of numbers.
 */
export class LatencyHistogram {
    private static readonly GROWTH = 1.01;
    private static readonly MIN = 0.001; // ms
    private readonly counts: number[];
    count = 0;
    max = 0;

    constructor() {
        this.counts = new Array<number>(LatencyHistogram.bucketOf(3_600_000) + 1).fill(0);
    }

    private static bucketOf(ms: number): number {
        if (ms <= LatencyHistogram.MIN) {
            return 0;
        }
        return Math.ceil(Math.log(ms / LatencyHistogram.MIN) / Math.log(LatencyHistogram.GROWTH));
    }

    /** Upper bound of a bucket, in ms. */
    private static upper(bucket: number): number {
        return LatencyHistogram.MIN * Math.pow(LatencyHistogram.GROWTH, bucket);
    }

    record(ms: number): void {
        const b = Math.min(this.counts.length - 1, LatencyHistogram.bucketOf(Math.max(0, ms)));
        this.counts[b]++;
        this.count++;
        this.max = Math.max(this.max, ms);
    }

    merge(other: LatencyHistogram): void {
        other.counts.forEach((c, i) => (this.counts[i] += c));
        this.count += other.count;
        this.max = Math.max(this.max, other.max);
    }

    /** Nearest-rank percentile, reported as the bucket's upper bound (never above the largest sample). */
    percentile(p: number): number {
        if (this.count === 0) {
            return NaN;
        }
        const rank = Math.max(1, Math.ceil((p / 100) * this.count));
        let seen = 0;
        for (let b = 0; b < this.counts.length; b++) {
            seen += this.counts[b];
            if (seen >= rank) {
                return Math.min(LatencyHistogram.upper(b), this.max);
            }
        }
        return this.max;
    }
}

/** `a / b` as "1.23x". */
export function ratio(a: number, b: number): string {
    return `${(a / b).toFixed(2)}x`;
}
