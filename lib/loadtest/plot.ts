/** The load test's plot: message rate and end-to-end latency per second, one line per run, as a standalone SVG. */

export interface SecondSample {
    /** Seconds since the run started (end of the 1 s interval). */
    t: number;
    published: number;
    confirmed: number;
    consumed: number;
    /** Latency percentiles of the messages consumed in this second, ms (NaN when none). */
    p50: number;
    p99: number;
}

export interface PlotSeries {
    label: string;
    color: string;
    samples: SecondSample[];
}

const W = 900;
const PANEL_H = 260;
const M = { left: 70, right: 20, top: 40, bottom: 40 };

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `v`. */
export function niceMax(v: number): number {
    if (!(v > 0) || !Number.isFinite(v)) {
        return 1;
    }
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) {
        if (m * p >= v) {
            return m * p;
        }
    }
    return 10 * p;
}

function fmt(v: number): string {
    if (v >= 1000) {
        return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
    }
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

interface Line {
    series: PlotSeries;
    value: (s: SecondSample) => number;
    dash?: string;
    suffix: string;
}

function panel(top: number, title: string, unit: string, lines: Line[], tMax: number): string {
    const h = PANEL_H - M.top - M.bottom;
    const w = W - M.left - M.right;
    const values = lines.flatMap((l) => l.series.samples.map(l.value)).filter((v) => Number.isFinite(v));
    const yMax = niceMax(Math.max(0, ...values));
    const x = (t: number) => M.left + (t / tMax) * w;
    const y = (v: number) => top + M.top + h - (Math.min(v, yMax) / yMax) * h;
    const out: string[] = [
        `<text x="${M.left}" y="${top + 24}" font-size="15" font-weight="bold">${esc(title)}</text>`,
        `<rect x="${M.left}" y="${top + M.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    ];
    for (let i = 0; i <= 4; i++) {
        const v = (yMax * i) / 4;
        out.push(
            `<line x1="${M.left}" x2="${M.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
            `<text x="${M.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
        );
    }
    const tStep = niceMax(tMax / 8);
    for (let t = 0; t <= tMax + 1e-9; t += tStep) {
        out.push(
            `<text x="${x(t)}" y="${top + M.top + h + 16}" font-size="11" text-anchor="middle">${fmt(t)}</text>`,
        );
    }
    out.push(
        `<text x="${M.left + w / 2}" y="${top + PANEL_H - 6}" font-size="11" text-anchor="middle">seconds</text>`,
        `<text x="14" y="${top + M.top + h / 2}" font-size="11" transform="rotate(-90 14 ${top + M.top + h / 2})" text-anchor="middle">${esc(unit)}</text>`,
    );
    lines.forEach((l, i) => {
        const pts = l.series.samples
            .filter((s) => Number.isFinite(l.value(s)))
            .map((s) => `${x(s.t).toFixed(1)},${y(l.value(s)).toFixed(1)}`);
        if (pts.length > 0) {
            out.push(
                `<polyline fill="none" stroke="${l.series.color}" stroke-width="1.8"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""} points="${pts.join(" ")}"/>`,
            );
        }
        const lx = M.left + w - 260;
        const ly = top + M.top + 14 + i * 15;
        out.push(
            `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.series.color}" stroke-width="2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`,
            `<text x="${lx + 30}" y="${ly}" font-size="11">${esc(`${l.series.label} ${l.suffix}`)}</text>`,
        );
    });
    return out.join("\n");
}

/** Two panels: confirmed and consumed msg/s; latency p50 and p99. */
export function renderSvg(title: string, series: PlotSeries[]): string {
    const tMax = Math.max(1, ...series.flatMap((s) => s.samples.map((x) => x.t)));
    const rate = panel(
        30,
        "Throughput",
        "msg/s",
        series.flatMap((s) => [
            { series: s, value: (x: SecondSample) => x.confirmed, suffix: "confirmed/s" },
            { series: s, value: (x: SecondSample) => x.consumed, dash: "5,3", suffix: "consumed/s" },
        ]),
        tMax,
    );
    const latency = panel(
        30 + PANEL_H,
        "End-to-end latency (publish to consume)",
        "ms",
        series.flatMap((s) => [
            { series: s, value: (x: SecondSample) => x.p50, suffix: "p50" },
            { series: s, value: (x: SecondSample) => x.p99, dash: "5,3", suffix: "p99" },
        ]),
        tMax,
    );
    const h = 30 + 2 * PANEL_H + 10;
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif">`,
        `<rect width="${W}" height="${h}" fill="white"/>`,
        `<text x="${W / 2}" y="20" font-size="16" text-anchor="middle">${esc(title)}</text>`,
        rate,
        latency,
        `</svg>`,
        "",
    ].join("\n");
}
