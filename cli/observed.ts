// What a drop really used, for people: the window to read (a drop of the calendar or --from/--to),
// the report as text with a terminal chart, as JSON and as markdown with a Mermaid chart, and
// the demand it suggests for the next drop (`plan --observed`). The analysis is
// sizing/observe.ts; the HTTP is cli/metrics.ts.
import { existsSync, readFileSync } from "node:fs";
import * as asciichart from "asciichart";
import Table from "cli-table3";
import { z } from "zod";
import { ConfigError, demandSchema, nowFromEnvironment, type Settings } from "../config";
import { size, type Demand } from "../sizing";
import { formatInstant, shortInstant, stepsBetween } from "../sizing/calendar";
import { bucketize, observe, ObservationError, type Observation, type Planned, type Series } from "../sizing/observe";
import { apiBase, fetchLbMetrics, tokenFrom } from "./metrics";
import { mermaidChart } from "./timeline";

const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
const MS = 1000;

export interface Target {
    drop?: string;
    from?: number;
    to?: number;
}

export interface ObservedWindow {
    /** epoch ms */
    from: number;
    to: number;
    drop: string | null;
    planned: Planned;
    /** other drops whose windows overlap this one: their crowds are in the metrics too */
    overlapping: string[];
}

/** The window to read and what the calendar planned for it. */
export function observedWindow(settings: Settings, target: Target, now: number): ObservedWindow {
    const { calendar, config } = settings;
    const context = { region: config.region, capacity: config.capacity };
    let from: number;
    let to: number;
    let own: Demand | undefined;
    if (target.drop !== undefined) {
        if (target.from !== undefined || target.to !== undefined) throw new ConfigError(["give either --drop or --from/--to, not both"]);
        const drop = calendar.drops.find((d) => d.name === target.drop);
        if (drop === undefined) {
            const names = calendar.drops.map((d) => d.name);
            throw new ConfigError([`--drop ${target.drop} is not in proxy-lb:drops${names.length ? ` (drops: ${names.join(", ")})` : " (the calendar is empty)"}`]);
        }
        from = drop.start - calendar.leadMinutes * 60_000;
        to = Math.min(drop.end, now);
        if (to <= from) throw new ConfigError([`drop ${drop.name} has not started yet (its scale-up is at ${formatInstant(from)}; now is ${formatInstant(now)})`]);
        own = drop.demand;
    } else {
        if (target.from === undefined || target.to === undefined) throw new ConfigError(["give --drop <name> or both --from and --to"]);
        from = target.from;
        to = target.to;
        if (to <= from) throw new ConfigError([`--to (${formatInstant(to)}) must be after --from (${formatInstant(from)})`]);
    }
    const steps = stepsBetween(calendar, context, from, to);
    const biggest = steps.reduce((a, b) => (b.sizing.sizeUnit > a.sizing.sizeUnit ? b : a));
    const overlapping = [...new Set(steps.flatMap((s) => s.active))].filter((name) => name !== target.drop);
    return {
        from,
        to,
        drop: target.drop ?? null,
        // A drop's own plan (its demand alone); a window's, the largest size the calendar gave it.
        planned: {
            region: config.region,
            capacity: config.capacity,
            demand: own ?? biggest.demand,
            sizeUnit: own ? size({ region: config.region, demand: own, capacity: config.capacity }).sizeUnit : biggest.sizing.sizeUnit,
        },
        overlapping: target.drop === undefined ? [] : overlapping,
    };
}

export interface ObservationReport {
    stack: string;
    lbId: string;
    window: ObservedWindow;
    observation: Observation;
    series: Series;
}

/** Reads the metrics for the window and analyses them. */
export async function observeStack(opts: {
    stack: string;
    settings: Settings;
    stackEntries: Record<string, unknown>;
    target: Target;
    lbId?: string;
    now: number;
    env?: Record<string, string | undefined>;
}): Promise<ObservationReport> {
    const env = opts.env ?? process.env;
    const lbId = opts.lbId ?? opts.settings.config.loadBalancer.id;
    if (lbId === undefined) throw new ConfigError([`the load balancer id is unknown: set proxy-lb:loadBalancer.id in Pulumi.${opts.stack}.yaml or give --lb-id`]);
    const window = observedWindow(opts.settings, opts.target, opts.now);
    const series = await fetchLbMetrics({
        api: apiBase(env, opts.stackEntries),
        token: tokenFrom(env),
        lbId,
        start: window.from / MS,
        end: window.to / MS,
    });
    try {
        return { stack: opts.stack, lbId, window, observation: observe(series, { from: window.from / MS, to: window.to / MS }, window.planned), series };
    } catch (err) {
        if (err instanceof ObservationError) throw new ConfigError([`load balancer ${lbId}, ${formatInstant(window.from)} → ${formatInstant(window.to)}: ${err.message}`]);
        throw err;
    }
}

const iso = (unixSeconds: number) => formatInstant(unixSeconds * MS);

export function observationJson(r: ObservationReport) {
    const o = r.observation;
    return {
        stack: r.stack,
        lbId: r.lbId,
        drop: r.window.drop,
        overlapping: r.window.overlapping,
        window: { from: iso(o.window.from), to: iso(o.window.to) },
        samples: o.samples,
        stepSeconds: o.step,
        peak: { ...o.peak, at: iso(o.peak.at) },
        peakShare: { ...o.peakShare, at: iso(o.peakShare.at) },
        cpu: o.cpu && { ...o.cpu, at: iso(o.cpu.at) },
        held: o.held,
        atLimit: o.atLimit.map((s) => ({ ...s, from: iso(s.from), to: iso(s.to) })),
        limitSource: o.limitSource,
        planned: o.planned,
        suggested: o.suggested,
    };
}

const duration = (seconds: number) => (seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Number((seconds / 60).toFixed(1))} min` : `${Number((seconds / 3600).toFixed(2))} h`);

function heldLines(o: Observation): string[] {
    if (o.held) return [`the size held: no sample reached the limit (highest share ${percent.format(o.peakShare.share)} at ${shortInstant(o.peakShare.at * MS)})`];
    const total = o.atLimit.reduce((a, s) => a + s.seconds, 0);
    return [
        `THE LIMIT WAS REACHED: ${o.atLimit.length} stretch${o.atLimit.length === 1 ? "" : "es"}, ${duration(total)} in all; connections beyond it were refused or queued, so the real demand was higher than seen:`,
        ...o.atLimit.map((s) => `  ${shortInstant(s.from * MS)} → ${shortInstant(s.to * MS)} (${duration(s.seconds)}): up to ${count.format(s.peak)} connections at a limit of ${count.format(s.limit)}`),
    ];
}

function sideBySide(o: Observation): string[][] {
    const p = o.planned;
    const s = o.suggested;
    return [
        ["users", count.format(p.demand.users), count.format(s.demand.users)],
        ["tasksPerUser", count.format(p.demand.tasksPerUser), count.format(s.demand.tasksPerUser)],
        ["connectionsPerTask", String(p.demand.connectionsPerTask), String(s.demand.connectionsPerTask)],
        ["peak connections", count.format(p.peakConnections), count.format(s.peakConnections)],
        ["size_unit", String(p.sizeUnit), s.sizeUnit === null ? "none allowed" : String(s.sizeUnit)],
        ["capacity (connections)", count.format(p.capacity), s.capacity === null ? "—" : count.format(s.capacity)],
    ];
}

function summaryLines(r: ObservationReport): string[] {
    const o = r.observation;
    const what = r.window.drop === null ? "window" : `drop ${r.window.drop}`;
    const lines = [
        `stack ${r.stack}, load balancer ${r.lbId}, ${what}: ${shortInstant(o.window.from * MS)} → ${shortInstant(o.window.to * MS)} (${o.samples} samples, every ${duration(o.step)})`,
        `peak: ${count.format(o.peak.connections)} simultaneous connections at ${shortInstant(o.peak.at * MS)}, ${percent.format(o.peak.connections / o.peak.limit)} of the limit then (${count.format(o.peak.limit)}${o.limitSource === "plan" ? ", from the plan: the API gave no limit samples" : ""})`,
    ];
    if (o.cpu) lines.push(`frontend CPU: peak ${count.format(o.cpu.peak)}% at ${shortInstant(o.cpu.at * MS)}`);
    if (r.window.overlapping.length > 0) lines.push(`note: ${r.window.overlapping.join(", ")} overlapped this window; their crowds are in these numbers too`);
    return [...lines, ...heldLines(o)];
}

/** asciichart over the window: the limit and the connections, `columns` wide. */
export function terminalChart(r: ObservationReport, opts: { columns?: number; color?: boolean } = {}): string {
    const columns = opts.columns ?? 72;
    const o = r.observation;
    const b = bucketize(r.series, o.window, columns);
    const limit = r.series.limit.length > 0 ? b.limit : b.limit.map(() => o.planned.capacity);
    const labelWidth = 10;
    const chart = asciichart.plot([limit, b.connections], {
        height: 12,
        min: 0,
        format: (x: number) => count.format(Math.round(x)).padStart(labelWidth),
        ...(opts.color ? { colors: [asciichart.red, asciichart.blue] } : {}),
    });
    const start = shortInstant(o.window.from * MS);
    const end = shortInstant(o.window.to * MS);
    const axis = " ".repeat(labelWidth + 2) + start + end.padStart(Math.max(end.length + 1, columns - start.length));
    const legend = opts.color ? "red: the load balancer's connection limit; blue: simultaneous connections (highest in each column)" : "upper line: the load balancer's connection limit; lower line: simultaneous connections (highest in each column)";
    return [chart, axis, legend].join("\n");
}

export function observationText(r: ObservationReport, opts: { color?: boolean } = {}): string {
    const table = new Table({ head: ["", "planned", "would have fit the peak"], colAligns: ["left", "right", "right"], style: { head: [], border: [] } });
    table.push(...sideBySide(r.observation));
    const s = r.observation.suggested;
    return [
        ...summaryLines(r),
        "",
        table.toString(),
        ...(s.problem ? [`no allowed size fits the observed peak: ${s.problem}`] : []),
        `(headroom ${percent.format(r.window.planned.capacity.headroom)}; new connections/s are not measured, so a planned figure is kept)`,
        "",
        terminalChart(r, opts),
    ].join("\n");
}

export function observationMarkdown(r: ObservationReport): string {
    const o = r.observation;
    const b = bucketize(r.series, o.window, 24);
    const limit = r.series.limit.length > 0 ? b.limit : b.limit.map(() => o.planned.capacity);
    const label = (unix: number) => shortInstant(unix * MS).replace(/^\d{4}-\d{2}-\d{2}T/, "");
    return [
        `### proxy-lb: what ${r.window.drop === null ? "the window" : `drop \`${r.window.drop}\``} used`,
        "",
        ...summaryLines(r).map((l) => (l.startsWith("  ") ? `- ${l.trim()}` : `${l}  `)),
        "",
        "| | planned | would have fit the peak |",
        "|---|---:|---:|",
        ...sideBySide(o).map(([k, a, c]) => `| ${k} | ${a} | ${c} |`),
        "",
        mermaidChart({
            title: "simultaneous connections and the limit (UTC)",
            labels: b.at.map(label),
            yTitle: "connections",
            series: [limit.map(Math.round), b.connections.map(Math.round)],
            colors: ["#d62728", "#1f77b4"],
        }),
        "",
        "_Red: the load balancer's connection limit; blue: simultaneous connections (highest in each interval)._",
    ].join("\n");
}

// ---------------------------------------------------------------------------
// plan --observed

const observedFileSchema = z.object({
    drop: z.string().nullable().optional(),
    window: z.object({ from: z.string(), to: z.string() }),
    peak: z.object({ connections: z.number(), at: z.string() }),
    held: z.boolean(),
    suggested: z.object({ demand: demandSchema }),
});

interface ObservedSource {
    label: string;
    peak: number;
    held: boolean;
    demand: Demand;
}

function readObservedFile(file: string): ObservedSource {
    let data: unknown;
    try {
        data = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
        throw new ConfigError([`--observed ${file} is not JSON (${(err as Error).message}); give the output of npm run observe -- --json`]);
    }
    const parsed = observedFileSchema.safeParse(data);
    if (!parsed.success) {
        const where = parsed.error.issues.map((i) => i.path.join(".") || "(top)").slice(0, 3).join(", ");
        throw new ConfigError([`--observed ${file} is not the output of npm run observe -- --json (wrong or missing: ${where})`]);
    }
    const d = parsed.data;
    return { label: `${d.drop ? `drop ${d.drop}` : "the window"} ${d.window.from} → ${d.window.to}`, peak: d.peak.connections, held: d.held, demand: d.suggested.demand };
}

/**
 * The demand a past drop really used, proposed for the next drop in the calendar: from the JSON
 * of `observe --json`, or, given a drop's name, from its metrics read now.
 */
export async function proposeFromObservation(stack: string, settings: Settings, source: string, opts: { json: boolean; stackEntries?: Record<string, unknown> }): Promise<string> {
    const now = nowFromEnvironment();
    let observed: ObservedSource;
    if (existsSync(source)) {
        observed = readObservedFile(source);
    } else if (settings.config.drops.some((d) => d.name === source)) {
        const report = await observeStack({ stack, settings, stackEntries: opts.stackEntries ?? {}, target: { drop: source }, now });
        const o = report.observation;
        observed = { label: `drop ${source} ${iso(o.window.from)} → ${iso(o.window.to)}`, peak: o.peak.connections, held: o.held, demand: o.suggested.demand };
    } else {
        throw new ConfigError([`--observed ${source} is neither a file nor a drop in proxy-lb:drops`]);
    }

    const { config } = settings;
    const sized = (demand: Demand) => size({ region: config.region, demand, capacity: config.capacity });
    const upcoming = config.drops
        .map((d, index) => ({ ...d, index, startMs: settings.calendar.drops[index].start }))
        .filter((d) => d.startMs > now)
        .sort((a, b) => a.startMs - b.startMs)[0];
    const proposed = { demand: observed.demand, sizeUnit: sized(observed.demand).sizeUnit };
    const next = upcoming && { name: upcoming.name, key: `proxy-lb:drops[${upcoming.index}].demand`, start: upcoming.start, planned: { demand: upcoming.demand, sizeUnit: sized(upcoming.demand).sizeUnit } };

    if (opts.json) return JSON.stringify({ stack, observed: { source: observed.label, peak: observed.peak, held: observed.held }, proposed, next: next ?? null }, null, 2);
    const demandText = (d: Demand) => `users ${count.format(d.users)}, tasksPerUser ${count.format(d.tasksPerUser)}, connectionsPerTask ${d.connectionsPerTask}${d.newConnectionsPerSecond === undefined ? "" : `, newConnectionsPerSecond ${count.format(d.newConnectionsPerSecond)}`}`;
    const yaml = [`users: ${proposed.demand.users}`, `tasksPerUser: ${proposed.demand.tasksPerUser}`, ...(proposed.demand.connectionsPerTask === 1 ? [] : [`connectionsPerTask: ${proposed.demand.connectionsPerTask}`]), ...(proposed.demand.newConnectionsPerSecond === undefined ? [] : [`newConnectionsPerSecond: ${proposed.demand.newConnectionsPerSecond}`])];
    const lines = [
        `observed: ${observed.label}: peak ${count.format(observed.peak)} connections${observed.held ? "" : " (the limit was reached: the real demand was higher; add margin)"}`,
        `proposed demand: ${demandText(proposed.demand)} -> size_unit ${proposed.sizeUnit}`,
    ];
    if (next) {
        lines.push(
            `next drop: ${next.name} (starts ${next.start}), planned now: ${demandText(next.planned.demand)} -> size_unit ${next.planned.sizeUnit}`,
            `to use the proposal, set ${next.key} in Pulumi.${stack}.yaml to:`,
            ...yaml.map((l) => `  ${l}`),
        );
    } else {
        lines.push(`no upcoming drop in proxy-lb:drops: add one to Pulumi.${stack}.yaml with this demand:`, ...yaml.map((l) => `  ${l}`));
    }
    return lines.join("\n");
}
