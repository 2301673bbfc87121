// How the drop calendar is shown: the timeline table, its JSON, and the pull-request section with
// a Mermaid chart of nodes over time. Rendering only: the caller decides which period a change
// shows.
import Table from "cli-table3";
import type { Timeline } from "../sizing/calendar";
import {
    axisInstants,
    formatInstant,
    hours,
    money,
    partsThatAddUp,
    shortInstant,
    signedMoney,
} from "../sizing/format";

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
        windows: t.windows.map((w) => ({
            name: w.name,
            from: formatInstant(w.from),
            to: formatInstant(w.to),
            hours: w.hours,
            cost: w.cost,
            added: w.added,
        })),
        // The period's extra cost by the drops running together, each hour once: adds up to cost.added.
        shares: t.shares,
        cost: t.total,
    };
}

export function timelineText(t: Timeline): string {
    const table = new Table({
        head: ["from (UTC)", "nodes", "why"],
        colAligns: ["left", "right", "left"],
        style: { head: [], border: [] },
    });
    for (const s of t.steps) table.push([shortInstant(s.from!), String(s.sizing.sizeUnit), s.why]);
    const lines = [`timeline ${shortInstant(t.from)} → ${shortInstant(t.to)}:`, table.toString()];
    for (const w of t.windows) {
        lines.push(
            `drop ${w.name}: ${shortInstant(w.from)} → ${shortInstant(w.to)} (${hours(w.hours)}, lead included) costs ${money(w.cost)} (${signedMoney(w.added)} over the baseline size)`,
        );
    }
    if (t.windows.length === 0) lines.push("no drop in this period: the baseline size throughout");
    lines.push(
        `period: ${hours(t.total.hours)} cost ${money(t.total.cost)} (${money(t.total.baseline)} at the baseline size, ${signedMoney(t.total.added)} for drops)`,
    );
    const shares = sharedOut(t);
    if (shares.length > 0) {
        lines.push(
            `  the ${signedMoney(t.total.added)} counts each hour once: ${shares.map((s) => `${signedMoney(s.added)} ${s.label} (${hours(s.hours)})`).join(", ")}`,
            `  (${SHARED_NOTE})`,
        );
    }
    return lines.join("\n");
}

const SHARED_NOTE =
    "a drop's own cost counts every hour of its window, including those it shares with another drop and those outside this period";

/**
 * The period's extra cost by which drops ran, in cents that add up to the period's: only when
 * the drops' own costs do not (windows overlap, or one reaches outside the period).
 */
function sharedOut(t: Timeline): { label: string; hours: number; added: number }[] {
    const overlap = t.shares.some((s) => s.drops.length > 1);
    const clipped = t.windows.some((w) => w.from < t.from || w.to > t.to);
    if (!overlap && !clipped) return [];
    const cents = partsThatAddUp(
        t.shares.map((s) => s.added),
        t.total.added,
    );
    return t.shares.map((s, i) => ({
        label: s.drops.length === 1 ? `${s.drops[0]} alone` : `${s.drops.join(" + ")} together`,
        hours: s.hours,
        added: cents[i],
    }));
}

// ---------------------------------------------------------------------------
// Pull request

/**
 * Every time either timeline changes size, with the nodes before and after from then on; then
 * the period's end with what holds from there, as a row of its own when a size changes right
 * there (a period that ends with a drop steps back to the baseline at its end).
 */
function mergedSteps(before: Timeline | null, after: Timeline) {
    const cuts = [...new Set([...(before?.steps ?? []), ...after.steps].map((s) => s.from!))].sort(
        (a, b) => a - b,
    );
    const at = (t: Timeline | null, time: number) =>
        t?.steps.find((s) => s.from! <= time && time < s.to!);
    const rows = cuts.map((time) => ({ time, before: at(before, time), after: at(after, time)! }));
    const end = { time: after.to, before: before?.end, after: after.end };
    const changesAtEnd =
        after.end.from === after.to || (before !== null && before.end.from === before.to);
    return { rows: changesAtEnd ? [...rows, end] : rows, end };
}

/**
 * A Mermaid xychart-beta line chart GitHub renders: one line per series over categorical x
 * labels. Each point holds until the next label.
 */
export function mermaidChart(opts: {
    title: string;
    labels: string[];
    yTitle: string;
    series: number[][];
    colors: string[];
}): string {
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
    const { rows, end } = mergedSteps(before, after);
    const added = Number((after.total.cost - (before?.total.cost ?? 0)).toFixed(4));
    // A last point at the period's end with what holds from there, so the final step shows as a
    // stretch, not a dot, and a drop that ends with the period steps back down.
    const points = rows.at(-1)!.time === end.time ? rows : [...rows, end];
    const labels = axisInstants(points.map((r) => r.time));
    const line = (pick: (r: (typeof rows)[number]) => number) => points.map(pick);
    const series = before
        ? [line((r) => r.before?.sizing.sizeUnit ?? 0), line((r) => r.after.sizing.sizeUnit)]
        : [line((r) => r.after.sizing.sizeUnit)];
    const lines = [
        `#### Drop calendar, ${shortInstant(after.from)} → ${shortInstant(after.to)}`,
        "",
        `**This change ${added === 0 ? "does not change the cost of this period" : `costs ${signedMoney(added)} over this period`}** ` +
            `(${before ? `${money(before.total.cost)} → ` : ""}${money(after.total.cost)}; ${money(after.total.baseline)} at the baseline size throughout).`,
        "",
        mermaidChart({
            title: "load balancer nodes (size_unit)",
            labels,
            yTitle: "nodes",
            series,
            colors: before ? ["#9e9e9e", "#d62728"] : ["#d62728"],
        }),
        "",
        before
            ? "_Grey: before this change; red: after. Each point holds until the next time on the axis._"
            : "_Each point holds until the next time on the axis._",
        "",
        "| from (UTC) | nodes before | nodes after | why (after) |",
        "|---|---:|---:|---|",
        ...rows.map(
            (r) =>
                `| ${shortInstant(r.time)} | ${r.before ? r.before.sizing.sizeUnit : "—"} | ${r.after.sizing.sizeUnit} | ${r.after.why} |`,
        ),
        "",
    ];
    if (after.windows.length > 0) {
        lines.push(
            "| drop (after) | window, lead included | hours | cost | over the baseline size |",
            "|---|---|---:|---:|---:|",
        );
        for (const w of after.windows)
            lines.push(
                `| ${w.name} | ${shortInstant(w.from)} → ${shortInstant(w.to)} | ${Number(w.hours.toFixed(2))} | ${money(w.cost)} | ${signedMoney(w.added)} |`,
            );
        lines.push("");
        const shares = sharedOut(after);
        if (shares.length > 0) {
            lines.push(
                "| the period's extra cost, each hour counted once | hours | over the baseline size |",
                "|---|---:|---:|",
                ...shares.map(
                    (s) =>
                        `| ${s.label} | ${Number(s.hours.toFixed(2))} | ${signedMoney(s.added)} |`,
                ),
                `| **this period** | ${Number(after.shares.reduce((a, s) => a + s.hours, 0).toFixed(2))} | **${signedMoney(after.total.added)}** |`,
                "",
                `_The drops' rows do not add up to the period: ${SHARED_NOTE}._`,
                "",
            );
        }
    }
    lines.push(
        "_The scheduled workflow resizes at each boundary: one in-place resize per change of nodes, none in between._",
    );
    return lines.join("\n");
}
