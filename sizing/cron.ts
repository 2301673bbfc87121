/**
 * The scheduled workflow's cron lines, from the calendar: one list, each line with why, for the
 * workflow generator (schedule.yml's triggers) and the billing script alike.
 *
 *   scale-up       a boundary where the size grows fires `marginMinutes` early (default 10), with a
 *                  retry `retryMinutes` later (default 5): GitHub starts scheduled runs late, often
 *                  by minutes, sometimes by hours, so a punctual-as-possible run is asked for
 *                  before the boundary. The run's cheap check sizes for the largest size due in
 *                  [now, now + margin] (`scheduledMoment`), so an early start scales up early
 *                  (within the margin) rather than finding nothing due.
 *   scale-down     a boundary where the size shrinks fires `afterMinutes` after it (default 2),
 *                  with a retry: never before, so a drop's crowd never loses its nodes early.
 *   no change      a boundary where the size stays (one drop ends as another of the same size
 *                  starts) needs no run: no line.
 *   off the hour   no line fires at minute 0, GitHub's busiest (and most delayed) minute: a line
 *                  there moves a minute later (a scale-up line stays before its boundary, since
 *                  the margin is at least 3 minutes; a scale-down line is never early).
 *   poll           with the autopilot on, every 10 minutes (at :03, :13, … :53) through each drop
 *                  window (lead included), whole UTC hours, one line per day.
 *   daily          one safety run a day (default 05:17 UTC), whatever the calendar says.
 *
 * Cron has no year field: a line for 26 November fires every 26 November. The workflow file
 * takes every boundary of the calendar (`now: null`): it then depends on the stack file only, not
 * on the day it was generated, and the check that it is up to date fails only when the
 * calendar changes. A line past its date, or one for a drop more than a year ahead, fires on that
 * day and month every year: the cheap check reads the full date, finds nothing due, and the run
 * costs one billed minute (a past drop is a warning until it is removed from the calendar). Given
 * a `now`, only lines whose firing is still ahead and within `horizonDays` are kept (what is left
 * to fire). GitHub's cron: UTC, 5 fields, at most every 5 minutes (each line here fires at most
 * every 10).
 *
 * Pure: the moment is an argument; no clock, no I/O.
 */
import { boundaries, MINUTE_MS, stepAt, type Calendar, type SizingContext } from "./calendar";
import { shortInstant } from "./format";

const DAY_MS = 24 * 60 * MINUTE_MS;

export interface CronOptions {
    /** epoch ms: lines whose firing is not after this are left out; null: every boundary (the workflow file) */
    now: number | null;
    /** scale-ups fire this many minutes before their boundary */
    marginMinutes: number;
    /** each boundary's line is repeated this many minutes later */
    retryMinutes: number;
    /** scale-downs fire this many minutes after their boundary */
    afterMinutes: number;
    /** poll inside drop windows (the autopilot's fallback clock) */
    autopilot: boolean;
    /** the daily safety run, UTC */
    daily: { hour: number; minute: number };
    /** with a `now`: only lines firing within this many days of it */
    horizonDays: number;
}

export const CRON_DEFAULTS: Omit<CronOptions, "now" | "autopilot"> = {
    marginMinutes: 10,
    retryMinutes: 5,
    afterMinutes: 2,
    daily: { hour: 5, minute: 17 },
    horizonDays: 365,
};

/** Poll lines fire at these minutes: every 10, off the top of the hour. */
export const POLL_MINUTES = "3-59/10";

export type CronKind =
    "scaleUp" | "scaleUpRetry" | "scaleDown" | "scaleDownRetry" | "poll" | "daily";

export interface CronEntry {
    /** five fields, UTC */
    cron: string;
    /** the first kind, when several entries share a line */
    kind: CronKind;
    /** why this line, for the workflow file's comment */
    why: string;
    /** epoch ms of the one firing a date line stands for; null for poll and daily lines */
    firesAt: number | null;
    /** the calendar boundary it serves (epoch ms); null for poll and daily lines */
    boundary: number | null;
}

function requireWhole(n: number, name: string, min: number, max: number): void {
    if (!Number.isSafeInteger(n) || n < min || n > max)
        throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${n}`);
}

function checkOptions(o: CronOptions): void {
    if (o.now !== null && !Number.isFinite(o.now))
        throw new Error(`now must be a finite epoch ms or null, got ${o.now}`);
    // At least 3: rounding up to the minute and off minute 0 still leave the line before its boundary.
    requireWhole(o.marginMinutes, "marginMinutes", 3, 24 * 60);
    requireWhole(o.retryMinutes, "retryMinutes", 1, 60);
    requireWhole(o.afterMinutes, "afterMinutes", 0, 60);
    requireWhole(o.daily.hour, "daily.hour", 0, 23);
    requireWhole(o.daily.minute, "daily.minute", 1, 59);
    requireWhole(o.horizonDays, "horizonDays", 1, 365);
}

const ceilMinute = (t: number) => Math.ceil(t / MINUTE_MS) * MINUTE_MS;

/** Off minute 0: a minute later (a scale-up line stays at least a minute before its boundary: marginMinutes ≥ 3). */
function offTheHour(t: number): number {
    return new Date(t).getUTCMinutes() === 0 ? t + MINUTE_MS : t;
}

/** The line that fires at exactly that minute (of that day and month). */
export function dateLine(t: number): string {
    const d = new Date(t);
    return `${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

const short = shortInstant;

/**
 * The cron lines for the calendar from `options.now` on: each size-changing boundary's two lines,
 * the poll lines when the autopilot is on, the daily run; lines shared by several reasons once.
 */
export function cronEntries(
    calendar: Calendar,
    context: SizingContext,
    options: CronOptions,
): CronEntry[] {
    checkOptions(options);
    const now = options.now ?? -Infinity;
    const until = options.now === null ? Infinity : options.now + options.horizonDays * DAY_MS;
    const ahead = (t: number) => t > now && t <= until;
    const entries: CronEntry[] = [];

    for (const b of boundaries(calendar)) {
        const before = stepAt(calendar, context, b - 1);
        const after = stepAt(calendar, context, b);
        const from = before.sizing.sizeUnit;
        const to = after.sizing.sizeUnit;
        if (from === to) continue;
        const what = `${from} -> ${to} nodes at ${short(b)} (${after.why})`;
        if (to > from) {
            // Rounded and moved later, never earlier than the margin: the run's lookahead (the margin) still reaches b.
            const first = offTheHour(ceilMinute(b - options.marginMinutes * MINUTE_MS));
            const retry = offTheHour(first + options.retryMinutes * MINUTE_MS);
            if (ahead(first))
                entries.push({
                    cron: dateLine(first),
                    kind: "scaleUp",
                    why: `scale-up ${what}, ${Math.round((b - first) / MINUTE_MS)} min early`,
                    firesAt: first,
                    boundary: b,
                });
            if (ahead(retry))
                entries.push({
                    cron: dateLine(retry),
                    kind: "scaleUpRetry",
                    why: `retry of the scale-up ${what}`,
                    firesAt: retry,
                    boundary: b,
                });
        } else {
            const first = offTheHour(ceilMinute(b + options.afterMinutes * MINUTE_MS));
            const retry = offTheHour(first + options.retryMinutes * MINUTE_MS);
            if (ahead(first))
                entries.push({
                    cron: dateLine(first),
                    kind: "scaleDown",
                    why: `scale-down ${what}, ${Math.round((first - b) / MINUTE_MS)} min after`,
                    firesAt: first,
                    boundary: b,
                });
            if (ahead(retry))
                entries.push({
                    cron: dateLine(retry),
                    kind: "scaleDownRetry",
                    why: `retry of the scale-down ${what}`,
                    firesAt: retry,
                    boundary: b,
                });
        }
    }

    if (options.autopilot) entries.push(...pollEntries(calendar, now, until));

    const { hour, minute } = options.daily;
    entries.push({
        cron: `${minute} ${hour} * * *`,
        kind: "daily",
        why: `daily safety run at ${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")} UTC`,
        firesAt: null,
        boundary: null,
    });
    return mergeSameLines(entries);
}

/** The drop windows (lead included) merged where they overlap or touch, sorted. */
function dropWindows(calendar: Calendar): { from: number; to: number; names: string[] }[] {
    const lead = calendar.leadMinutes * MINUTE_MS;
    const spans = calendar.drops
        .map((d) => ({ from: d.start - lead, to: d.end, names: [d.name] }))
        .sort((a, b) => a.from - b.from);
    const merged: typeof spans = [];
    for (const s of spans) {
        const last = merged[merged.length - 1];
        if (last !== undefined && s.from <= last.to) {
            last.to = Math.max(last.to, s.to);
            last.names.push(...s.names);
        } else merged.push({ ...s, names: [...s.names] });
    }
    return merged;
}

/** Every 10 minutes through each window's whole UTC hours: one line per day of a window. */
function pollEntries(calendar: Calendar, now: number, until: number): CronEntry[] {
    const out: CronEntry[] = [];
    for (const w of dropWindows(calendar)) {
        if (w.to <= now || w.from > until) continue;
        for (let day = Math.floor(w.from / DAY_MS) * DAY_MS; day < w.to; day += DAY_MS) {
            const from = Math.max(w.from, day);
            const last = Math.min(w.to, day + DAY_MS) - 1;
            if (last < from || last < now) continue;
            const h1 = new Date(from).getUTCHours();
            const h2 = new Date(last).getUTCHours();
            const d = new Date(day);
            out.push({
                cron: `${POLL_MINUTES} ${h1 === h2 ? h1 : `${h1}-${h2}`} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`,
                kind: "poll",
                why: `autopilot poll every 10 min through ${w.names.join(" + ")} (${short(w.from)} to ${short(w.to)})`,
                firesAt: null,
                boundary: null,
            });
        }
    }
    return out;
}

function mergeSameLines(entries: CronEntry[]): CronEntry[] {
    const byLine = new Map<string, CronEntry>();
    for (const e of entries) {
        const seen = byLine.get(e.cron);
        if (seen === undefined) byLine.set(e.cron, { ...e });
        else seen.why = `${seen.why}; ${e.why}`;
    }
    return [...byLine.values()];
}

// ---------------------------------------------------------------------------
// The cheap check's moment

/**
 * The moment a scheduled run starting at `now` sizes for: the first moment in [now, now + margin]
 * with the largest calendar size there (so a run that starts early scales up early, within the
 * margin), else `now` (a scale-down is never brought forward). The workflow pins PROXY_LB_NOW to
 * it, so the gate's preview and `pulumi up` size for the same moment.
 */
export function scheduledMoment(
    calendar: Calendar,
    context: SizingContext,
    now: number,
    marginMinutes: number,
): number {
    const end = now + marginMinutes * MINUTE_MS;
    let best = now;
    let bestSize = stepAt(calendar, context, now).sizing.sizeUnit;
    for (const b of boundaries(calendar)) {
        if (b <= now || b > end) continue;
        const s = stepAt(calendar, context, b).sizing.sizeUnit;
        if (s > bestSize) {
            best = b;
            bestSize = s;
        }
    }
    return best;
}

// ---------------------------------------------------------------------------
// Reading cron lines (for billing and tests)

export interface ParsedCron {
    minutes: ReadonlySet<number>;
    hours: ReadonlySet<number>;
    daysOfMonth: ReadonlySet<number>;
    months: ReadonlySet<number>;
    daysOfWeek: ReadonlySet<number>;
    /** whether day-of-month / day-of-week were `*` (cron ORs them when both are restricted) */
    anyDayOfMonth: boolean;
    anyDayOfWeek: boolean;
}

function field(text: string, min: number, max: number, name: string): Set<number> {
    const out = new Set<number>();
    for (const part of text.split(",")) {
        const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (m === null) throw new Error(`cron ${name} field: cannot read ${JSON.stringify(part)}`);
        const step = m[4] === undefined ? 1 : Number(m[4]);
        const lo = m[1] === "*" ? min : Number(m[2]);
        const hi =
            m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
        if (lo < min || hi > max || lo > hi || step < 1)
            throw new Error(`cron ${name} field: ${JSON.stringify(part)} is outside ${min}-${max}`);
        for (let v = lo; v <= hi; v += step) out.add(v);
    }
    return out;
}

/** A five-field cron line (numbers, *, ranges, steps, lists), as GitHub reads it; throws when it is not one. */
export function parseCron(line: string): ParsedCron {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 5)
        throw new Error(`a cron line has 5 fields, got ${parts.length}: ${JSON.stringify(line)}`);
    const dow = field(parts[4], 0, 7, "day-of-week");
    if (dow.has(7)) dow.add(0);
    return {
        minutes: field(parts[0], 0, 59, "minute"),
        hours: field(parts[1], 0, 23, "hour"),
        daysOfMonth: field(parts[2], 1, 31, "day-of-month"),
        months: field(parts[3], 1, 12, "month"),
        daysOfWeek: dow,
        anyDayOfMonth: parts[2] === "*",
        anyDayOfWeek: parts[4] === "*",
    };
}

/** Whether the line fires in the UTC minute holding `t`. */
export function firesAt(cron: ParsedCron, t: number): boolean {
    const d = new Date(t);
    if (
        !cron.minutes.has(d.getUTCMinutes()) ||
        !cron.hours.has(d.getUTCHours()) ||
        !cron.months.has(d.getUTCMonth() + 1)
    )
        return false;
    const dom = cron.daysOfMonth.has(d.getUTCDate());
    const dow = cron.daysOfWeek.has(d.getUTCDay());
    if (cron.anyDayOfMonth || cron.anyDayOfWeek) return dom && dow;
    return dom || dow;
}

/** The minutes (epoch ms) in [from, to) at which the line fires. */
export function firings(cron: ParsedCron, from: number, to: number): number[] {
    const out: number[] = [];
    for (let t = ceilMinute(from); t < to; t += MINUTE_MS) if (firesAt(cron, t)) out.push(t);
    return out;
}
