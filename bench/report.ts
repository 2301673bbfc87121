// How the benchmark's measurements are summarised and shown: medians, ratios against the
// minimal program, API requests by kind. Pure (no Pulumi, no processes) so it is tested alone.
import Table from "cli-table3";
import type { Summary } from "../emulator/logTypes";

/** Requests of one operation, per kind (load_balancer, droplet, tag, action, ...). */
export type Counts = Record<string, number>;

/** One timed run of a preview/plan or an up/apply, with the API requests it made. */
export interface Sample {
    ms: number;
    reads: Counts;
    writes: Counts;
    /** Write attempts aimed at masking droplets (the emulator's dropletWrites): must stay 0. */
    dropletWrites: number;
}

/** Lowest and highest over the runs: equal unless the runs differed. */
export interface Spread {
    min: number;
    max: number;
}

export interface OpResult {
    command: string;
    runs: number;
    ms: number[];
    medianMs: number;
    requests: Spread;
    reads: Record<string, Spread>;
    writes: Record<string, Spread>;
    dropletWrites: Spread;
    /** This median over the minimal program's median for the same operation. */
    ratio: number | null;
}

export interface SubjectResult {
    id: string;
    label: string;
    tool: "pulumi" | "terraform";
    masking: { count: number; by: "id" | "tag" } | null;
    /** The first `up` (Pulumi) or `apply` with the import block (Terraform), run side by side with the other subjects': not in the ratios. */
    setupMs: number;
    preview: OpResult;
    up: OpResult;
    /** The resize as the autopilot and the schedule run it (targeted at the LB); its ratio is over the baseline's up. */
    resize?: OpResult;
}

export interface BenchReport {
    date: string;
    /** loadAverage: the 1-minute load average when the runs ended (the machine may be shared). */
    machine: { cores: number; cpu: string; platform: string; node: string; loadAverage: number };
    versions: Record<string, string>;
    baseline: string;
    subjects: SubjectResult[];
    terraform: { measured: true } | { measured: false; reason: string };
    /** What exactly each column compares. */
    notes: string[];
    totalSeconds: number;
}

/** The emulator's per-kind, per-id counters, summed per kind. */
export function countsByKind(perKind: Summary["reads"]): Counts {
    const counts: Counts = {};
    for (const [kind, ids] of Object.entries(perKind)) {
        const sum = Object.values(ids ?? {}).reduce((a, b) => a + b, 0);
        if (sum > 0) counts[kind] = sum;
    }
    return counts;
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
    if (values.length === 0) throw new Error("median of no values");
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** a / b rounded to two decimals; null when there is no baseline to divide by. */
export function ratio(a: number, b: number | undefined): number | null {
    if (b === undefined || !(b > 0)) return null;
    return Math.round((a / b) * 100) / 100;
}

export function spread(values: number[]): Spread {
    return { min: Math.min(...values), max: Math.max(...values) };
}

/** Per kind, the lowest and highest count over the runs (a kind missing from a run counts 0). */
export function spreadByKind(runs: Counts[]): Record<string, Spread> {
    const kinds = [...new Set(runs.flatMap((run) => Object.keys(run)))].sort();
    return Object.fromEntries(
        kinds.map((kind) => [kind, spread(runs.map((run) => run[kind] ?? 0))]),
    );
}

const total = (counts: Counts) => Object.values(counts).reduce((a, b) => a + b, 0);

export function summarizeOp(command: string, samples: Sample[]): OpResult {
    return {
        command,
        runs: samples.length,
        ms: samples.map((s) => Math.round(s.ms)),
        medianMs: Math.round(median(samples.map((s) => s.ms))),
        requests: spread(samples.map((s) => total(s.reads) + total(s.writes))),
        reads: spreadByKind(samples.map((s) => s.reads)),
        writes: spreadByKind(samples.map((s) => s.writes)),
        dropletWrites: spread(samples.map((s) => s.dropletWrites)),
        ratio: null,
    };
}

/**
 * Sets each subject's preview and up ratio against the baseline subject's medians; a targeted
 * resize is an up, so its ratio is over the baseline's up.
 */
export function withRatios(subjects: SubjectResult[], baselineId: string): SubjectResult[] {
    const baseline = subjects.find((s) => s.id === baselineId);
    return subjects.map((s) => ({
        ...s,
        preview: { ...s.preview, ratio: ratio(s.preview.medianMs, baseline?.preview.medianMs) },
        up: { ...s.up, ratio: ratio(s.up.medianMs, baseline?.up.medianMs) },
        ...(s.resize
            ? { resize: { ...s.resize, ratio: ratio(s.resize.medianMs, baseline?.up.medianMs) } }
            : {}),
    }));
}

/**
 * Milliseconds each further masking server adds to an operation: the least-squares slope of
 * (servers, median ms) over the given subjects; null with fewer than two distinct counts.
 */
export function msPerServer(points: { servers: number; ms: number }[]): number | null {
    const xs = new Set(points.map((p) => p.servers));
    if (xs.size < 2) return null;
    const mx = points.reduce((a, p) => a + p.servers, 0) / points.length;
    const my = points.reduce((a, p) => a + p.ms, 0) / points.length;
    const sxy = points.reduce((a, p) => a + (p.servers - mx) * (p.ms - my), 0);
    const sxx = points.reduce((a, p) => a + (p.servers - mx) ** 2, 0);
    return Math.round((sxy / sxx) * 10) / 10;
}

export function formatSpread({ min, max }: Spread): string {
    return min === max ? String(min) : `${min}–${max}`;
}

export const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const formatRatio = (r: number | null): string => (r === null ? "—" : `${r.toFixed(2)}×`);

const KIND_SHORT: Record<string, string> = { load_balancer: "lb", certificate: "cert" };

/** "21 (droplet 20, lb 1)": the total, then each kind, most first. */
export function formatRequests(
    reads: Record<string, Spread>,
    writes: Record<string, Spread>,
): string {
    const kinds = [...new Set([...Object.keys(reads), ...Object.keys(writes)])];
    const byKind = kinds.map((kind) => {
        const r = reads[kind] ?? { min: 0, max: 0 };
        const w = writes[kind] ?? { min: 0, max: 0 };
        return { kind: KIND_SHORT[kind] ?? kind, n: { min: r.min + w.min, max: r.max + w.max } };
    });
    byKind.sort((a, b) => b.n.max - a.n.max || a.kind.localeCompare(b.kind));
    const sum = byKind.reduce((acc, { n }) => ({ min: acc.min + n.min, max: acc.max + n.max }), {
        min: 0,
        max: 0,
    });
    return byKind.length
        ? `${formatSpread(sum)} (${byKind.map(({ kind, n }) => `${kind} ${formatSpread(n)}`).join(", ")})`
        : "0";
}

/** Writes of one resize: the load balancer's and the masking droplets' (the latter must be 0), over the up and the targeted resize runs. */
export function formatWrites(up: OpResult, resize?: OpResult): string {
    const ops = resize ? [up, resize] : [up];
    // Over both operations; a kind one of them did not write counts 0 there.
    const over = (pick: (op: OpResult) => Spread | undefined): Spread => {
        const spreads = ops.map((op) => pick(op) ?? { min: 0, max: 0 });
        return {
            min: Math.min(...spreads.map((s) => s.min)),
            max: Math.max(...spreads.map((s) => s.max)),
        };
    };
    const kinds = [...new Set(ops.flatMap((op) => Object.keys(op.writes)))].filter(
        (kind) => kind !== "load_balancer",
    );
    const extra = kinds
        .map(
            (kind) =>
                `, ${KIND_SHORT[kind] ?? kind} ${formatSpread(over((op) => op.writes[kind]))}`,
        )
        .join("");
    return `lb ${formatSpread(over((op) => op.writes.load_balancer))}${extra}; droplets ${formatSpread(over((op) => op.dropletWrites))}`;
}

export function benchTable(report: BenchReport): string {
    const table = new Table({
        head: [
            "",
            "runs",
            "preview/plan",
            "× minimal",
            "up/apply",
            "× minimal",
            "resize up (targeted)",
            "× minimal up",
            "API requests per preview/plan",
            "per up/apply",
            "writes per resize",
        ],
        colAligns: [
            "left",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
            "right",
            "left",
            "left",
            "left",
        ],
        style: { head: [], border: [] },
    });
    for (const s of report.subjects) {
        const runs =
            s.preview.runs === s.up.runs
                ? String(s.preview.runs)
                : `${s.preview.runs}/${s.up.runs}`;
        table.push([
            s.label,
            runs,
            formatSeconds(s.preview.medianMs),
            formatRatio(s.preview.ratio),
            formatSeconds(s.up.medianMs),
            formatRatio(s.up.ratio),
            s.resize ? formatSeconds(s.resize.medianMs) : "—",
            s.resize ? formatRatio(s.resize.ratio) : "—",
            formatRequests(s.preview.reads, s.preview.writes),
            formatRequests(s.up.reads, s.up.writes),
            formatWrites(s.up, s.resize),
        ]);
    }
    const byTag = report.subjects.filter((s) => s.tool === "pulumi" && s.masking?.by === "tag");
    const slope = (op: (s: SubjectResult) => OpResult | undefined) =>
        msPerServer(
            byTag.flatMap((s) =>
                op(s) ? [{ servers: s.masking!.count, ms: op(s)!.medianMs }] : [],
            ),
        );
    const slopes = (["preview", "up", "resize"] as const)
        .map((name) => [name, slope((s) => s[name])] as const)
        .filter(([, ms]) => ms !== null);
    const { machine } = report;
    return [
        `proxy-lb benchmark, ${report.date}: ${machine.cores} cores (${machine.cpu}, load average ${machine.loadAverage.toFixed(1)}), ${machine.platform}, Node ${machine.node}; ${Object.entries(
            report.versions,
        )
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}`,
        "wall time: median of the runs; × minimal: over the minimal Pulumi program's median for the same operation",
        table.toString(),
        ...(slopes.length
            ? [
                  `each further masking server by tag adds (least squares over the by-tag rows): ${slopes.map(([name, ms]) => `${name} ${ms} ms`).join(", ")}`,
              ]
            : []),
        ...(report.terraform.measured
            ? []
            : [`Terraform peer not measured: ${report.terraform.reason}`]),
        ...report.notes.map((note) => `- ${note}`),
        `total ${Math.round(report.totalSeconds)} s`,
    ].join("\n");
}
