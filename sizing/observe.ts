/**
 * What a drop really used: the load balancer's metrics in, a report out.
 *
 * Inputs are DigitalOcean's monitoring series for the window (frontend_connections_current,
 * frontend_connections_limit, frontend_cpu_utilization): [unix seconds, value] samples.
 * Each sample stands for the time until the next one (the last one for the usual spacing).
 *
 *   peak            the most simultaneous connections, and when (the first time, on a tie)
 *   peak share      the highest connections ÷ the limit in force at that sample
 *   held            no sample at or over the limit; otherwise each stretch at or over it,
 *                   with when and for how long
 *   suggested       the demand, in the planned demand's own shape, whose peak covers the
 *                   observed one, and the size_unit it needs with the configured headroom
 *                   (exact, as every sizing); new connections/s are not measured, so a planned
 *                   figure is kept as it was
 *
 * Pure: no clock, no I/O, no Pulumi.
 */
import { size, SizingError, type Capacity, type Demand } from "./index";

/** [unix seconds, value] */
export type Sample = readonly [number, number];

export interface Series {
    connections: readonly Sample[];
    /** the load balancer's connection limit over time (it follows size_unit) */
    limit: readonly Sample[];
    /** average frontend CPU, percent */
    cpu: readonly Sample[];
}

export interface Planned {
    region: string;
    demand: Demand;
    capacity: Capacity;
    /** the size the plan gave the window (its largest, when the window spans several steps) */
    sizeUnit: number;
}

export interface Stretch {
    /** unix seconds */
    from: number;
    to: number;
    seconds: number;
    /** the most connections during it, and the limit then */
    peak: number;
    limit: number;
}

export interface Suggestion {
    demand: Demand;
    peakConnections: number;
    /** null when no allowed size fits (see `problem`) */
    sizeUnit: number | null;
    capacity: number | null;
    binding: string | null;
    problem?: string;
}

export interface Observation {
    /** unix seconds */
    window: { from: number; to: number };
    samples: number;
    /** seconds between samples, as observed (median) */
    step: number;
    peak: { connections: number; at: number; limit: number };
    peakShare: { share: number; at: number; connections: number; limit: number };
    cpu: { peak: number; at: number } | null;
    held: boolean;
    atLimit: Stretch[];
    /** where the limit came from: the metric, or the planned capacity where it had no sample */
    limitSource: "metrics" | "plan";
    planned: { demand: Demand; sizeUnit: number; capacity: number; peakConnections: number };
    suggested: Suggestion;
}

export class ObservationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ObservationError";
    }
}

function sorted(samples: readonly Sample[], window: { from: number; to: number }): Sample[] {
    return samples
        .filter(
            ([t, v]) =>
                Number.isFinite(t) && Number.isFinite(v) && t >= window.from && t <= window.to,
        )
        .slice()
        .sort((a, b) => a[0] - b[0]);
}

function median(values: number[]): number {
    if (values.length === 0) return 0;
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The value in force at `t`: the last sample at or before it, else the first one after. */
export function valueAt(samples: readonly Sample[], t: number): number | undefined {
    let found: number | undefined;
    for (const [at, v] of samples) {
        if (at <= t) found = v;
        else return found ?? v;
    }
    return found;
}

function peakConnectionsOf(d: Demand): number {
    return d.users * d.tasksPerUser * d.connectionsPerTask;
}

/**
 * The demand, in `planned`'s shape (same users and connections per task), whose peak covers
 * `peak` connections: tasksPerUser rounded up. Where that rounding alone would cost a node, the
 * exact peak is given as one user holding every connection.
 */
export function suggestDemand(peak: number, planned: Planned): Suggestion {
    const need = Math.ceil(peak);
    const users = planned.demand.users > 0 ? planned.demand.users : 1;
    const perTask = planned.demand.connectionsPerTask;
    const keep =
        planned.demand.newConnectionsPerSecond === undefined
            ? {}
            : { newConnectionsPerSecond: planned.demand.newConnectionsPerSecond };
    const shaped: Demand = {
        users,
        tasksPerUser: Math.ceil(need / (users * perTask)),
        connectionsPerTask: perTask,
        ...keep,
    };
    const exact: Demand = { users: 1, tasksPerUser: need, connectionsPerTask: 1, ...keep };
    const sized = (demand: Demand): Suggestion => {
        try {
            const s = size({ region: planned.region, demand, capacity: planned.capacity });
            return {
                demand,
                peakConnections: peakConnectionsOf(demand),
                sizeUnit: s.sizeUnit,
                capacity: s.capacity.connections,
                binding: s.binding,
            };
        } catch (err) {
            if (!(err instanceof SizingError)) throw err;
            return {
                demand,
                peakConnections: peakConnectionsOf(demand),
                sizeUnit: null,
                capacity: null,
                binding: null,
                problem: err.message,
            };
        }
    };
    const a = sized(shaped);
    const b = sized(exact);
    // The users' shape rounds tasks up; where that costs a node (or passes the node limit the
    // peak itself fits in), the exact peak wins.
    if (b.sizeUnit !== null && (a.sizeUnit === null || a.sizeUnit > b.sizeUnit)) return b;
    return a;
}

/** Analyse the window's series against what was planned for it. */
export function observe(
    series: Series,
    window: { from: number; to: number },
    planned: Planned,
): Observation {
    if (!(window.to > window.from))
        throw new ObservationError(
            `the window must end after it starts (from ${window.from} to ${window.to})`,
        );
    const connections = sorted(series.connections, window);
    if (connections.length === 0) {
        throw new ObservationError(
            "no frontend_connections_current samples in the window: was the load balancer up then, and is the lb id right?",
        );
    }
    const limits = sorted(series.limit, window);
    const cpu = sorted(series.cpu, window);
    const plannedCapacity = planned.sizeUnit * planned.capacity.connectionsPerNode;
    const limitAt = (t: number) => valueAt(limits, t) ?? plannedCapacity;

    const gaps = connections.slice(1).map(([t], i) => t - connections[i][0]);
    const step = median(gaps) || 60;
    const until = (i: number) =>
        Math.min(
            connections[i + 1]?.[0] ?? connections[i][0] + step,
            Math.max(window.to, connections[i][0]),
        );

    let peak = { connections: -Infinity, at: 0, limit: 0 };
    let share = { share: -Infinity, at: 0, connections: 0, limit: 0 };
    const atLimit: Stretch[] = [];
    let open: Stretch | null = null;
    connections.forEach(([t, v], i) => {
        const limit = limitAt(t);
        if (v > peak.connections) peak = { connections: v, at: t, limit };
        const s = limit > 0 ? v / limit : Infinity;
        if (s > share.share) share = { share: s, at: t, connections: v, limit };
        if (v >= limit) {
            if (open === null) {
                open = { from: t, to: until(i), seconds: 0, peak: v, limit };
                atLimit.push(open);
            }
            open.to = until(i);
            open.seconds = open.to - open.from;
            if (v > open.peak) {
                open.peak = v;
                open.limit = limit;
            }
        } else {
            open = null;
        }
    });

    let cpuPeak: { peak: number; at: number } | null = null;
    for (const [t, v] of cpu)
        if (cpuPeak === null || v > cpuPeak.peak) cpuPeak = { peak: v, at: t };

    return {
        window,
        samples: connections.length,
        step,
        peak,
        peakShare: share,
        cpu: cpuPeak,
        held: atLimit.length === 0,
        atLimit,
        limitSource: limits.length > 0 ? "metrics" : "plan",
        planned: {
            demand: planned.demand,
            sizeUnit: planned.sizeUnit,
            capacity: plannedCapacity,
            peakConnections: peakConnectionsOf(planned.demand),
        },
        suggested: suggestDemand(peak.connections, planned),
    };
}

/**
 * `columns` buckets over the window: connections as each bucket's highest sample, the limit as
 * its lowest (so a stretch at the limit stays visible however coarse the chart); a bucket
 * without samples repeats the previous one.
 */
export function bucketize(
    series: Series,
    window: { from: number; to: number },
    columns: number,
): { at: number[]; connections: number[]; limit: number[] } {
    const width = (window.to - window.from) / columns;
    const at: number[] = [];
    const conn: number[] = [];
    const lim: number[] = [];
    const connections = sorted(series.connections, window);
    const limits = sorted(series.limit, window);
    for (let c = 0; c < columns; c++) {
        const a = window.from + c * width;
        const b = c === columns - 1 ? window.to + 1 : a + width;
        const inBucket = (s: Sample) => s[0] >= a && s[0] < b;
        const cs = connections.filter(inBucket).map((s) => s[1]);
        const ls = limits.filter(inBucket).map((s) => s[1]);
        at.push(Math.round(a));
        conn.push(cs.length > 0 ? Math.max(...cs) : (conn[c - 1] ?? 0));
        lim.push(ls.length > 0 ? Math.min(...ls) : (lim[c - 1] ?? valueAt(limits, a) ?? 0));
    }
    return { at, connections: conn, limit: lim };
}
