// How the drop calendar is shown: the timeline table, its JSON, and the pull-request section with
// a Mermaid chart of nodes over time. Pure over settings: plan and schedule print through these.
import Table from "cli-table3";
import { ConfigError, type Settings } from "../config";
import { formatInstant, parseInstant, shortInstant, timeline, type Timeline } from "../sizing/calendar";

export const DEFAULT_DAYS = 7;
const DAY_MS = 24 * 3_600_000;

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 });
const hoursText = (h: number) => `${Number(h.toFixed(2))} h`;
const signedUsd = (n: number) => `${n > 0 ? "+" : n < 0 ? "−" : "±"}${usd.format(Math.abs(n))}`;

/** A flag holding a time: ISO-8601 with an offset or Z, as in the calendar. */
export function instantFlag(flag: string, text: string): number {
    const at = parseInstant(text);
    if (at === undefined) throw new ConfigError([`${flag} must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z (got ${JSON.stringify(text)})`]);
    return at;
}

/** The period to show: --from (default now) to --to (default 7 days after from). */
export function period(now: number, from?: string, to?: string): { from: number; to: number } {
    const start = from === undefined ? now : instantFlag("--from", from);
    const end = to === undefined ? start + DEFAULT_DAYS * DAY_MS : instantFlag("--to", to);
    if (!(end > start)) throw new ConfigError([`--to (${formatInstant(end)}) must be after --from (${formatInstant(start)})`]);
    return { from: start, to: end };
}

export function timelineOf(settings: Settings, from: number, to: number): Timeline {
    return timeline(settings.calendar, { region: settings.config.region, capacity: settings.config.capacity }, from, to);
}



export function timelineJson(t: Timeline) {
    return {
        from: formatInstant(t.from),
        to: formatInstant(t.to),
        steps: t.steps.map((s) => ({
            from: formatInstant(s.from!),
            to: formatInstant(s.to!),
            sizeUnit: s.sizing.sizeUnit,
            active: s.active,
            why: s.why,
        })),
        windows: t.windows.map((w) => ({ name: w.name, from: formatInstant(w.from), to: formatInstant(w.to), hours: w.hours, cost: w.cost, added: w.added })),
        cost: t.total,
    };
}

export function timelineText(t: Timeline): string {
    const table = new Table({ head: ["from (UTC)", "nodes", "why"], colAligns: ["left", "right", "left"], style: { head: [], border: [] } });
    for (const s of t.steps) table.push([shortInstant(s.from!), String(s.sizing.sizeUnit), s.why]);
    const lines = [`timeline ${shortInstant(t.from)} → ${shortInstant(t.to)}:`, table.toString()];
    for (const w of t.windows) {
        lines.push(`drop ${w.name}: ${shortInstant(w.from)} → ${shortInstant(w.to)} (${hoursText(w.hours)}, lead included) costs ${usd.format(w.cost)} (${signedUsd(w.added)} over the baseline size)`);
    }
    if (t.windows.length === 0) lines.push("no drop in this period: the baseline size throughout");
    lines.push(`period: ${hoursText(t.total.hours)} cost ${usd.format(t.total.cost)} (${usd.format(t.total.baseline)} at the baseline size, ${signedUsd(t.total.added)} for drops)`);
    return lines.join("\n");
}

// ---------------------------------------------------------------------------
// Pull request

type Drop = Settings["config"]["drops"][number];
const dropKey = (d: Drop) => JSON.stringify(d);

/** Whether a change touches the calendar (drops or leadMinutes); `before` null = a new stack file. */
export function calendarChanged(before: Settings | null, after: Settings): boolean {
    if (before === null) return after.config.drops.length > 0;
    if (before.config.leadMinutes !== after.config.leadMinutes) return true;
    const a = before.config.drops.map(dropKey).sort();
    const b = after.config.drops.map(dropKey).sort();
    return a.length !== b.length || a.some((k, i) => k !== b[i]);
}

/**
 * The period a pull request's summary shows: from now, for 7 days or until the last drop the
 * change adds, edits or removes has ended, whichever is later.
 */
export function changePeriod(before: Settings | null, after: Settings, now: number): { from: number; to: number } {
    const beforeKeys = new Set(before?.config.drops.map(dropKey) ?? []);
    const afterKeys = new Set(after.config.drops.map(dropKey));
    const changed = [
        ...after.config.drops.filter((d) => !beforeKeys.has(dropKey(d))),
        ...(before?.config.drops.filter((d) => !afterKeys.has(dropKey(d))) ?? []),
    ];
    const ends = changed.map((d) => parseInstant(d.end)!).filter((end) => end > now);
    const leadChanged = before !== null && before.config.leadMinutes !== after.config.leadMinutes;
    const allEnds = leadChanged ? after.config.drops.map((d) => parseInstant(d.end)!).filter((end) => end > now) : [];
    return { from: now, to: Math.max(now + DEFAULT_DAYS * DAY_MS, ...ends, ...allEnds) };
}

/** Every time either timeline changes size, with the nodes before and after from then on. */
function mergedSteps(before: Timeline | null, after: Timeline) {
    const cuts = [...new Set([...(before?.steps ?? []), ...after.steps].map((s) => s.from!))].sort((a, b) => a - b);
    const at = (t: Timeline | null, time: number) => t?.steps.find((s) => s.from! <= time && time < s.to!);
    return cuts.map((time) => ({ time, before: at(before, time), after: at(after, time)! }));
}

/**
 * A Mermaid xychart-beta line chart GitHub renders: one line per series over categorical x
 * labels. Each point holds until the next label.
 */
export function mermaidChart(opts: { title: string; labels: string[]; yTitle: string; series: number[][]; colors: string[] }): string {
    const max = Math.max(1, ...opts.series.flat());
    const quote = (s: string) => `"${s.replace(/"/g, "'")}"`;
    return [
        "```mermaid",
        `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${opts.colors.join(", ")}"}}}}%%`,
        "xychart-beta",
        `    title ${quote(opts.title)}`,
        `    x-axis [${opts.labels.map(quote).join(", ")}]`,
        `    y-axis ${quote(opts.yTitle)} 0 --> ${Math.ceil(max * 1.1)}`,
        ...opts.series.map((values) => `    line [${values.join(", ")}]`),
        "```",
    ].join("\n");
}

/** The pull-request section for a calendar change: steps before and after, a chart, the added cost. */
export function calendarMarkdown(before: Timeline | null, after: Timeline): string {
    const rows = mergedSteps(before, after);
    const added = Number((after.total.cost - (before?.total.cost ?? 0)).toFixed(4));
    const labelTime = (t: number) => shortInstant(t).replace(/^\d{4}-/, "").replace("T", " ");
    // A last point at the period's end, so the final step shows as a stretch, not a dot.
    const labels = [...rows.map((r) => labelTime(r.time)), labelTime(after.to)];
    const line = (pick: (r: (typeof rows)[number]) => number) => {
        const values = rows.map(pick);
        return [...values, values[values.length - 1]];
    };
    const series = before ? [line((r) => r.before?.sizing.sizeUnit ?? 0), line((r) => r.after.sizing.sizeUnit)] : [line((r) => r.after.sizing.sizeUnit)];
    const lines = [
        `#### Drop calendar, ${shortInstant(after.from)} → ${shortInstant(after.to)}`,
        "",
        `**This change ${added === 0 ? "does not change the cost of this period" : `costs ${signedUsd(added)} over this period`}** ` +
            `(${before ? `${usd.format(before.total.cost)} → ` : ""}${usd.format(after.total.cost)}; ${usd.format(after.total.baseline)} at the baseline size throughout).`,
        "",
        mermaidChart({
            title: "load balancer nodes (size_unit)",
            labels,
            yTitle: "nodes",
            series,
            colors: before ? ["#9e9e9e", "#d62728"] : ["#d62728"],
        }),
        "",
        before ? "_Grey: before this change; red: after. Each point holds until the next time on the axis._" : "_Each point holds until the next time on the axis._",
        "",
        "| from (UTC) | nodes before | nodes after | why (after) |",
        "|---|---:|---:|---|",
        ...rows.map((r) => `| ${shortInstant(r.time)} | ${r.before ? r.before.sizing.sizeUnit : "—"} | ${r.after.sizing.sizeUnit} | ${r.after.why} |`),
        "",
    ];
    if (after.windows.length > 0) {
        lines.push("| drop (after) | window, lead included | hours | cost | over the baseline size |", "|---|---|---:|---:|---:|");
        for (const w of after.windows) lines.push(`| ${w.name} | ${shortInstant(w.from)} → ${shortInstant(w.to)} | ${Number(w.hours.toFixed(2))} | ${usd.format(w.cost)} | ${signedUsd(w.added)} |`);
        lines.push("");
    }
    lines.push("_The scheduled workflow resizes at each boundary: one in-place resize per change of nodes, none in between._");
    return lines.join("\n");
}
