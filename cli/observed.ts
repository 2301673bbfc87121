// What a drop really used, for people: the report as text with a terminal chart, as JSON and
// as markdown with a Mermaid chart, and the demand it proposes for the next drop (`plan
// --observed`). Rendering only: the window, the analysis and the proposal are decided in sizing/,
// read in ops/.
import * as asciichart from "asciichart";
import Table from "cli-table3";
import type { Demand } from "../sizing";
import { count, duration, formatInstant, percent, plural, shortInstant } from "../sizing/format";
import { bucketize, type Observation } from "../sizing/observe";
import type { ObservationReport } from "../ops/observation";
import type { ObservedProposal } from "../ops/observedProposal";
import { mermaidChart } from "./timeline";

export type { ObservationReport };

const MS = 1000;

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

function heldLines(o: Observation): string[] {
    if (o.held)
        return [
            `the size held: no sample reached the limit (highest share ${percent(o.peakShare.share)} at ${shortInstant(o.peakShare.at * MS)})`,
        ];
    const total = o.atLimit.reduce((a, s) => a + s.seconds, 0);
    return [
        `THE LIMIT WAS REACHED: ${plural(o.atLimit.length, "stretch", "stretches")}, ${duration(total)} in all; connections beyond it were refused or queued, so the real demand was higher than seen:`,
        ...o.atLimit.map(
            (s) =>
                `  ${shortInstant(s.from * MS)} → ${shortInstant(s.to * MS)} (${duration(s.seconds)}): up to ${count(s.peak)} connections at a limit of ${count(s.limit)}`,
        ),
    ];
}

function sideBySide(o: Observation): string[][] {
    const p = o.planned;
    const s = o.suggested;
    return [
        ["users", count(p.demand.users), count(s.demand.users)],
        ["tasksPerUser", count(p.demand.tasksPerUser), count(s.demand.tasksPerUser)],
        [
            "connectionsPerTask",
            String(p.demand.connectionsPerTask),
            String(s.demand.connectionsPerTask),
        ],
        ["peak connections", count(p.peakConnections), count(s.peakConnections)],
        [
            "size_unit",
            String(p.sizeUnit),
            s.sizeUnit === null ? "none allowed" : String(s.sizeUnit),
        ],
        [
            "capacity (connections)",
            count(p.capacity),
            s.capacity === null ? "—" : count(s.capacity),
        ],
    ];
}

function summaryLines(r: ObservationReport): string[] {
    const o = r.observation;
    const what = r.window.drop === null ? "window" : `drop ${r.window.drop}`;
    const lines = [
        `stack ${r.stack}, load balancer ${r.lbId}, ${what}: ${shortInstant(o.window.from * MS)} → ${shortInstant(o.window.to * MS)} (${o.samples} samples, every ${duration(o.step)})`,
        `peak: ${count(o.peak.connections)} simultaneous connections at ${shortInstant(o.peak.at * MS)}, ${percent(o.peak.connections / o.peak.limit)} of the limit then (${count(o.peak.limit)}${o.limitSource === "plan" ? ", from the plan: the API gave no limit samples" : ""})`,
    ];
    if (o.cpu)
        lines.push(`frontend CPU: peak ${count(o.cpu.peak)}% at ${shortInstant(o.cpu.at * MS)}`);
    if (r.window.overlapping.length > 0)
        lines.push(
            `note: ${r.window.overlapping.join(", ")} overlapped this window; their crowds are in these numbers too`,
        );
    return [...lines, ...heldLines(o)];
}

/** asciichart over the window: the limit and the connections, `columns` wide. */
export function terminalChart(
    r: ObservationReport,
    opts: { columns?: number; color?: boolean } = {},
): string {
    const columns = opts.columns ?? 72;
    const o = r.observation;
    const b = bucketize(r.series, o.window, columns);
    const limit = r.series.limit.length > 0 ? b.limit : b.limit.map(() => o.planned.capacity);
    const labelWidth = 10;
    const chart = asciichart.plot([limit, b.connections], {
        height: 12,
        min: 0,
        format: (x: number) => count(Math.round(x)).padStart(labelWidth),
        ...(opts.color ? { colors: [asciichart.red, asciichart.blue] } : {}),
    });
    const start = shortInstant(o.window.from * MS);
    const end = shortInstant(o.window.to * MS);
    const axis =
        " ".repeat(labelWidth + 2) +
        start +
        end.padStart(Math.max(end.length + 1, columns - start.length));
    const legend = opts.color
        ? "red: the load balancer's connection limit; blue: simultaneous connections (highest in each column)"
        : "upper line: the load balancer's connection limit; lower line: simultaneous connections (highest in each column)";
    return [chart, axis, legend].join("\n");
}

export function observationText(r: ObservationReport, opts: { color?: boolean } = {}): string {
    const table = new Table({
        head: ["", "planned", "would have fit the peak"],
        colAligns: ["left", "right", "right"],
        style: { head: [], border: [] },
    });
    table.push(...sideBySide(r.observation));
    const s = r.observation.suggested;
    return [
        ...summaryLines(r),
        "",
        table.toString(),
        ...(s.problem ? [`no allowed size fits the observed peak: ${s.problem}`] : []),
        `(headroom ${percent(r.window.planned.capacity.headroom)}; new connections/s are not measured, so a planned figure is kept)`,
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

/** The demand a past drop really used, proposed for the next drop in the calendar: JSON or lines. */
export function proposalOutput(
    stack: string,
    { observed: source, proposed, next: upcoming }: ObservedProposal,
    opts: { json: boolean },
): string {
    const observed = {
        label: `${source.drop ? `drop ${source.drop}` : "the window"} ${source.window.from} → ${source.window.to}`,
        peak: source.peak,
        held: source.held,
    };
    const next = upcoming && {
        name: upcoming.name,
        key: `proxy-lb:drops[${upcoming.index}].demand`,
        start: formatInstant(upcoming.start),
        planned: upcoming.planned,
    };

    if (opts.json)
        return JSON.stringify(
            {
                stack,
                observed: { source: observed.label, peak: observed.peak, held: observed.held },
                proposed,
                next: next ?? null,
            },
            null,
            2,
        );
    const demandText = (d: Demand) =>
        `users ${count(d.users)}, tasksPerUser ${count(d.tasksPerUser)}, connectionsPerTask ${d.connectionsPerTask}${d.newConnectionsPerSecond === undefined ? "" : `, newConnectionsPerSecond ${count(d.newConnectionsPerSecond)}`}`;
    const yaml = [
        `users: ${proposed.demand.users}`,
        `tasksPerUser: ${proposed.demand.tasksPerUser}`,
        ...(proposed.demand.connectionsPerTask === 1
            ? []
            : [`connectionsPerTask: ${proposed.demand.connectionsPerTask}`]),
        ...(proposed.demand.newConnectionsPerSecond === undefined
            ? []
            : [`newConnectionsPerSecond: ${proposed.demand.newConnectionsPerSecond}`]),
    ];
    const lines = [
        `observed: ${observed.label}: peak ${count(observed.peak)} connections${observed.held ? "" : " (the limit was reached: the real demand was higher; add margin)"}`,
        `proposed demand: ${demandText(proposed.demand)} -> size_unit ${proposed.sizeUnit}`,
    ];
    if (next) {
        lines.push(
            `next drop: ${next.name} (starts ${next.start}), planned now: ${demandText(next.planned.demand)} -> size_unit ${next.planned.sizeUnit}`,
            `to use the proposal, set ${next.key} in Pulumi.${stack}.yaml to:`,
            ...yaml.map((l) => `  ${l}`),
        );
    } else {
        lines.push(
            `no upcoming drop in proxy-lb:drops: add one to Pulumi.${stack}.yaml with this demand:`,
            ...yaml.map((l) => `  ${l}`),
        );
    }
    return lines.join("\n");
}
