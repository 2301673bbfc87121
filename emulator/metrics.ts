// Load balancer monitoring metrics (GET /v2/monitoring/metrics/load_balancer/<metric>):
// series come from the seed (explicit points or a described drop curve), or are derived in a
// closed loop: the connection limit follows the LB's node history, and a seeded `demand` (what
// the crowd would open) shows as current connections capped at that limit. Pure: no HTTP, no store.

/** Every load_balancer metric path in openapi/do-openapi-lb-metrics.json, in its order. */
export const LB_METRICS = [
    "frontend_connections_current",
    "frontend_connections_limit",
    "frontend_cpu_utilization",
    "frontend_firewall_dropped_bytes",
    "frontend_firewall_dropped_packets",
    "frontend_http_responses",
    "frontend_http_requests_per_second",
    "frontend_network_throughput_http",
    "frontend_network_throughput_udp",
    "frontend_network_throughput_tcp",
    "frontend_nlb_tcp_network_throughput",
    "frontend_nlb_udp_network_throughput",
    "frontend_tls_connections_current",
    "frontend_tls_connections_limit",
    "frontend_tls_connections_exceeding_rate_limit",
    "droplets_http_session_duration_avg",
    "droplets_http_session_duration_50p",
    "droplets_http_session_duration_95p",
    "droplets_http_response_time_avg",
    "droplets_http_response_time_50p",
    "droplets_http_response_time_95p",
    "droplets_http_response_time_99p",
    "droplets_queue_size",
    "droplets_http_responses",
    "droplets_connections",
    "droplets_health_checks",
    "droplets_downtime",
] as const;

export type LbMetric = (typeof LB_METRICS)[number];

/** DigitalOcean's documented capacity: simultaneous connections one LB node holds. */
export const CONNECTIONS_PER_NODE = 10_000;

/** [unix seconds, value]. */
export type MetricPoint = [number, number];

/**
 * A drop seen on the LB: `baseline` outside the drop, rising smoothly (raised cosine) over
 * `rampMinutes` to `peak` at `peakAt`, and back down over the same time. Times are unix seconds.
 */
export interface DropCurve {
    start: number;
    end: number;
    stepSeconds: number;
    baseline: number;
    peak: number;
    peakAt: number;
    rampMinutes: number;
}

/** One series: explicit points or a curve; extra labels join `lb_id` (e.g. a status code). */
export interface SeriesSpec {
    points?: MetricPoint[];
    curve?: DropCurve;
    labels?: Record<string, string>;
}

/** Not a DigitalOcean metric: the connections the crowd would open, whatever the LB can hold. */
export const DEMAND = "demand";

export type LbMetricsSeed = Partial<Record<LbMetric, SeriesSpec | SeriesSpec[]>> & {
    [DEMAND]?: SeriesSpec;
};

/**
 * Default seconds between a resize request and the new node count showing in the limit.
 * DigitalOcean documents no duration; it allows one resize a minute and refuses other updates
 * while the LB "processes previous actions" (shared/reference/digitalocean.md), so a resize is
 * taken to be in force a minute after it was asked for.
 */
export const DEFAULT_RESIZE_DELAY_SECONDS = 60;

/**
 * Default seconds between two resizes of one LB: DigitalOcean allows one a minute (the
 * provider's changelog, PR #937; shared/reference/digitalocean.md). The seed's
 * resizeIntervalSeconds sets it.
 */
export const DEFAULT_RESIZE_INTERVAL_SECONDS = 60;

/** A scale-down gives each removed node one minute to drain, then closes its connections (DigitalOcean's scaling page). */
export const DRAIN_SECONDS = 60;

/** Seed section: metrics per load balancer id, and how long a resize takes to show. */
export interface SeedMetrics {
    loadBalancers: Record<string, LbMetricsSeed>;
    resizeDelaySeconds?: number;
}

/** [unix seconds from which it is in force, nodes], ascending: what the derived limit follows. */
export type SizeHistory = [number, number][];

export interface MetricWindow {
    lbId: string;
    start: number;
    end: number;
}

export interface MatrixResponse {
    status: "success";
    data: {
        resultType: "matrix";
        result: { metric: Record<string, string>; values: [number, string][] }[];
    };
}

const MAX_POINTS = 100_000;

export function dropCurvePoints(c: DropCurve): MetricPoint[] {
    const ramp = c.rampMinutes * 60;
    const round = Number.isInteger(c.baseline) && Number.isInteger(c.peak);
    const points: MetricPoint[] = [];
    for (let t = c.start; t <= c.end; t += c.stepSeconds) {
        const d = Math.abs(t - c.peakAt);
        const weight = d < ramp ? 0.5 * (1 + Math.cos((Math.PI * d) / ramp)) : 0;
        const v = c.baseline + (c.peak - c.baseline) * weight;
        points.push([t, round ? Math.round(v) : v]);
    }
    return points;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const got = (v: unknown): string => `(got ${JSON.stringify(v)})`;

function checkCurve(where: string, c: unknown): DropCurve {
    if (!c || typeof c !== "object") throw new Error(`${where} must be an object`);
    const k = c as Record<string, unknown>;
    for (const key of ["start", "end", "peakAt"])
        if (!isInt(k[key])) throw new Error(`${where}.${key} must be unix seconds ${got(k[key])}`);
    if (!isInt(k.stepSeconds) || (k.stepSeconds as number) < 1)
        throw new Error(`${where}.stepSeconds must be a positive integer ${got(k.stepSeconds)}`);
    for (const key of ["baseline", "peak"])
        if (!isNum(k[key]) || (k[key] as number) < 0)
            throw new Error(`${where}.${key} must be a number ≥ 0 ${got(k[key])}`);
    if (!isNum(k.rampMinutes) || (k.rampMinutes as number) <= 0)
        throw new Error(`${where}.rampMinutes must be a number > 0 ${got(k.rampMinutes)}`);
    if ((k.end as number) < (k.start as number))
        throw new Error(`${where}.end must not be before start ${got(k.end)}`);
    if (((k.end as number) - (k.start as number)) / (k.stepSeconds as number) > MAX_POINTS) {
        throw new Error(
            `${where} would make more than ${MAX_POINTS} points; use a larger stepSeconds ${got(k.stepSeconds)}`,
        );
    }
    return k as unknown as DropCurve;
}

function checkSeries(where: string, s: unknown): SeriesSpec {
    if (!s || typeof s !== "object" || Array.isArray(s))
        throw new Error(`${where} must be {points} or {curve}`);
    const spec = s as SeriesSpec;
    if ((spec.points === undefined) === (spec.curve === undefined))
        throw new Error(`${where} needs exactly one of points or curve`);
    if (spec.points !== undefined) {
        if (!Array.isArray(spec.points))
            throw new Error(
                `${where}.points must be an array of [unix seconds, value] ${got(spec.points)}`,
            );
        spec.points.forEach((p, i) => {
            if (!Array.isArray(p) || p.length !== 2 || !isInt(p[0]) || !isNum(p[1])) {
                throw new Error(`${where}.points[${i}] must be [unix seconds, number] ${got(p)}`);
            }
        });
    }
    if (spec.curve !== undefined) checkCurve(`${where}.curve`, spec.curve);
    if (spec.labels !== undefined) {
        if (
            !spec.labels ||
            typeof spec.labels !== "object" ||
            !Object.values(spec.labels).every((v) => typeof v === "string")
        ) {
            throw new Error(`${where}.labels must map names to strings ${got(spec.labels)}`);
        }
        if ("lb_id" in spec.labels)
            throw new Error(`${where}.labels cannot set lb_id (it is the load balancer's id)`);
    }
    return spec;
}

/** Validates one LB's metrics (seed or control endpoint); errors name the key and value. */
export function checkLbMetrics(where: string, raw: unknown): LbMetricsSeed {
    if (!raw || typeof raw !== "object" || Array.isArray(raw))
        throw new Error(`${where} must map metric names to series`);
    for (const [name, spec] of Object.entries(raw)) {
        if (name === DEMAND) {
            if (Array.isArray(spec))
                throw new Error(
                    `${where}.${DEMAND} must be one series {points} or {curve}, not a list`,
                );
            if (checkSeries(`${where}.${DEMAND}`, spec).labels !== undefined)
                throw new Error(
                    `${where}.${DEMAND}.labels: demand is not served, it has no labels`,
                );
            continue;
        }
        if (!(LB_METRICS as readonly string[]).includes(name)) {
            throw new Error(
                `${where}.${name} is not a load_balancer metric (known: ${LB_METRICS.join(", ")}; or ${DEMAND}, the crowd's connections)`,
            );
        }
        const list = Array.isArray(spec) ? spec : [spec];
        list.forEach((s, i) =>
            checkSeries(Array.isArray(spec) ? `${where}.${name}[${i}]` : `${where}.${name}`, s),
        );
    }
    return raw as LbMetricsSeed;
}

export function checkSeedMetrics(raw: unknown): SeedMetrics {
    if (!raw || typeof raw !== "object")
        throw new Error("seed: metrics must be {loadBalancers: {<lb id>: {<metric>: series}}}");
    const lbs = (raw as Record<string, unknown>).loadBalancers ?? {};
    if (!lbs || typeof lbs !== "object" || Array.isArray(lbs))
        throw new Error("seed: metrics.loadBalancers must map load balancer ids to metrics");
    for (const [id, m] of Object.entries(lbs))
        checkLbMetrics(`seed: metrics.loadBalancers.${id}`, m);
    const delay = (raw as Record<string, unknown>).resizeDelaySeconds;
    if (delay !== undefined) checkResizeDelay("seed: metrics.resizeDelaySeconds", delay);
    return {
        loadBalancers: lbs as Record<string, LbMetricsSeed>,
        ...(delay !== undefined ? { resizeDelaySeconds: delay as number } : {}),
    };
}

/** A day at most: a longer "resize" is a mistake in the seed, not a model of DigitalOcean. */
const MAX_RESIZE_DELAY_SECONDS = 86_400;

export function checkResizeDelay(where: string, v: unknown): number {
    if (!isInt(v) || v < 0 || v > MAX_RESIZE_DELAY_SECONDS)
        throw new Error(`${where} must be whole seconds 0..${MAX_RESIZE_DELAY_SECONDS} ${got(v)}`);
    return v;
}

/** A copy of `seed` whose LB `lbId` shows `curve` on `metric` (default: current connections; `"demand"`: the crowd's, capped by the limit). */
export function withDropCurve<S extends { metrics?: SeedMetrics }>(
    seed: S,
    lbId: string,
    curve: DropCurve,
    metric: LbMetric | typeof DEMAND = "frontend_connections_current",
): S {
    checkCurve(`drop curve for ${lbId}`, curve);
    const loadBalancers = { ...(seed.metrics?.loadBalancers ?? {}) };
    loadBalancers[lbId] = { ...(loadBalancers[lbId] ?? {}), [metric]: { curve } };
    return { ...seed, metrics: { ...seed.metrics, loadBalancers } };
}

/** Parses lb_id/start/end; an error message names the parameter and its value. */
export function parseWindow(query: Record<string, string | undefined>): MetricWindow | string {
    const { lb_id: lbId, start, end } = query;
    if (!lbId) return "lb_id is required";
    for (const [k, v] of [
        ["start", start],
        ["end", end],
    ] as const) {
        if (v === undefined || v === "") return `${k} is required (unix seconds)`;
        if (!/^\d+$/.test(v)) return `${k} must be unix seconds (got ${JSON.stringify(v)})`;
    }
    if (Number(end) < Number(start)) return `end (${end}) must not be before start (${start})`;
    return { lbId, start: Number(start), end: Number(end) };
}

function seriesPoints(s: SeriesSpec): MetricPoint[] {
    return s.curve ? dropCurvePoints(s.curve) : [...(s.points ?? [])].sort((a, b) => a[0] - b[0]);
}

/** Node count in force at `t`: the latest entry in force by then; before the first, the first value. */
function nodesAt(history: SizeHistory, t: number): number {
    let best: [number, number] | undefined;
    for (const entry of history) if (entry[0] <= t && (!best || entry[0] >= best[0])) best = entry;
    return (best ?? history[0])?.[1] ?? 1;
}

/** The value of a step series at `t`: its latest point at or before `t`; before the first, the first. */
function stepValueAt(points: MetricPoint[], t: number): number | undefined {
    let v = points[0]?.[1];
    for (const [at, x] of points) if (at <= t) v = x;
    return v;
}

const firstSeries = (spec: SeriesSpec | SeriesSpec[] | undefined): SeriesSpec | undefined =>
    Array.isArray(spec) ? spec[0] : spec;

function timestampsIn(spec: SeriesSpec | SeriesSpec[], from: number, to: number): number[] {
    const ts = new Set<number>();
    for (const s of Array.isArray(spec) ? spec : [spec])
        for (const [t] of seriesPoints(s)) if (t >= from && t <= to) ts.add(t);
    return [...ts].sort((a, b) => a - b);
}

/** What the LB's account looks like to the metrics: its node history and the emulator's now. */
export interface MetricsContext {
    sizeHistory: SizeHistory;
    /** Unix seconds: derived samples exist up to now only (nothing measured the future). */
    now: number;
    /** Scale-downs: [when the removed nodes' connections close, nodes before, nodes after]. */
    drains?: [number, number, number][];
}

/**
 * The demand-derived current connections with each scale-down's cut: at the first sample at or
 * after a drain ends, the removed nodes' share of the connections (spread evenly over the nodes
 * before) is closed; the crowd reconnects by the next sample (it still wants them).
 */
function withDrainCuts(
    points: MetricPoint[],
    drains: [number, number, number][],
    cappedAt: (t: number, v: number) => number,
): MetricPoint[] {
    const out = points.map(([t, v]): MetricPoint => [t, cappedAt(t, v)]);
    for (const [closesAt, before, after] of drains) {
        const i = out.findIndex(([t]) => t >= closesAt);
        if (i < 0) continue;
        const [t, v] = out[i];
        const held = Math.min(points[i][1], before * CONNECTIONS_PER_NODE);
        out[i] = [t, Math.min(v, Math.floor((held * after) / before))];
    }
    return out;
}

/**
 * Timestamps for the derived limit: those of an explicitly seeded current series (as
 * seeded), else those of the demand up to now, else a regular grid up to now.
 */
function limitTimestamps(
    seeded: LbMetricsSeed | undefined,
    w: MetricWindow,
    now: number,
): number[] {
    const current = seeded?.frontend_connections_current;
    if (current) {
        const ts = timestampsIn(current, w.start, w.end);
        if (ts.length) return ts;
    }
    const end = Math.min(w.end, now);
    if (seeded?.demand) return timestampsIn(seeded.demand, w.start, end);
    const step = Math.max(60, Math.ceil((w.end - w.start) / 1000 / 60) * 60);
    const out: number[] = [];
    for (let t = w.start; t <= end; t += step) out.push(t);
    return out;
}

const formatValue = (v: number): string =>
    Number.isInteger(v) ? String(v) : String(Number(v.toFixed(6)));

/**
 * The Prometheus-style matrix DigitalOcean answers with. A seeded series is served as
 * seeded. Unseeded, frontend_connections_limit is nodes × 10,000 (the node count in force
 * at each point), and frontend_connections_current is min(demand, limit) when a demand is
 * seeded (capped by an explicitly seeded limit if there is one), else 0 on the limit's
 * timestamps: a real load balancer reports its connections, 0 when idle. (A load balancer
 * with no sample at all is seeded explicitly: `frontend_connections_current: {points: []}`.)
 * Every other metric has no series.
 */
export function metricMatrix(
    metric: LbMetric,
    seeded: LbMetricsSeed | undefined,
    ctx: MetricsContext,
    w: MetricWindow,
): MatrixResponse {
    const spec = seeded?.[metric];
    const derivedLimit = (t: number): number => nodesAt(ctx.sizeHistory, t) * CONNECTIONS_PER_NODE;
    let series: { labels?: Record<string, string>; points: MetricPoint[] }[];
    const derived = !spec;
    if (spec)
        series = (Array.isArray(spec) ? spec : [spec]).map((s) => ({
            labels: s.labels,
            points: seriesPoints(s),
        }));
    else if (metric === "frontend_connections_limit") {
        series = [
            {
                points: limitTimestamps(seeded, w, ctx.now).map((t): MetricPoint => [
                    t,
                    derivedLimit(t),
                ]),
            },
        ];
    } else if (metric === "frontend_connections_current" && seeded?.demand) {
        const explicitLimit = firstSeries(seeded.frontend_connections_limit);
        const limitPoints = explicitLimit ? seriesPoints(explicitLimit) : undefined;
        const limitAt = (t: number): number =>
            limitPoints ? (stepValueAt(limitPoints, t) ?? derivedLimit(t)) : derivedLimit(t);
        const end = Math.min(w.end, ctx.now);
        series = [
            {
                points: withDrainCuts(
                    seriesPoints(seeded.demand).filter(([t]) => t <= end),
                    ctx.drains ?? [],
                    (t, v) => Math.min(v, limitAt(t)),
                ),
            },
        ];
    } else if (metric === "frontend_connections_current") {
        series = [{ points: limitTimestamps(seeded, w, ctx.now).map((t): MetricPoint => [t, 0]) }];
    } else series = [];
    return {
        status: "success",
        data: {
            resultType: "matrix",
            result: series
                .map((s) => ({
                    metric: { ...(s.labels ?? {}), lb_id: w.lbId },
                    values: s.points
                        .filter(([t]) => t >= w.start && t <= w.end)
                        .map(([t, v]): [number, string] => [t, formatValue(v)]),
                }))
                // A derived series with no sample in the window (e.g. all after now) is absent, as in Prometheus.
                .filter((s) => !derived || s.values.length > 0),
        },
    };
}
