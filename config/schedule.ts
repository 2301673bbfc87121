// The validated drop calendar of a stack, and what it wants at a given time. Pure: the time
// is passed in (the program and the CLIs take it from the clock or PROXY_LB_NOW).
import type { Sizing } from "../sizing";
import {
    Calendar,
    dueAt,
    parseInstant,
    sizingProblems,
    SizingContext,
    Step,
} from "../sizing/calendar";
import { CRON_DEFAULTS, cronEntries, type CronEntry } from "../sizing/cron";
import { formatInstant } from "../sizing/format";
import { NAMESPACE, StackConfig } from "./schema";

export interface ActiveDrop {
    name: string;
    /** ISO times */
    scaleUpAt: string;
    start: string;
    end: string;
}

export interface ScheduleStep {
    at: string;
    sizeUnit: number;
    active: string[];
    why: string;
}

/** What the calendar wants now, and the next change. */
export interface Schedule {
    now: string;
    sizeUnit: number;
    /** the drops whose window (lead included) covers now; empty between drops */
    active: ActiveDrop[];
    why: string;
    /** when the current step began (null: before the first boundary) */
    since: string | null;
    /** when it ends: the next boundary (null: nothing more in the calendar) */
    until: string | null;
    /** the next boundary, with the size from then on */
    next: ScheduleStep | null;
    /** the next boundary where the size changes */
    nextResize: ScheduleStep | null;
}

export interface CalendarSettings {
    calendar: Calendar;
    context: SizingContext;
    sizing: Sizing;
    schedule: Schedule;
    /** things worth saying that do not stop the program, each naming the key */
    warnings: string[];
}

const label = (index: number, name: string) => `${NAMESPACE}:drops[${index}] ("${name}")`;

/** The calendar a validated config describes (the schema has checked every time). */
export function calendarOf(config: StackConfig): Calendar {
    return {
        baseline: config.demand,
        leadMinutes: config.leadMinutes,
        drops: config.drops.map((drop, index) => ({
            name: drop.name,
            start: parseInstant(drop.start)!,
            end: parseInstant(drop.end)!,
            demand: drop.demand,
            label: label(index, drop.name),
        })),
    };
}

const step = (s: Step | null): ScheduleStep | null =>
    s === null
        ? null
        : { at: formatInstant(s.from!), sizeUnit: s.sizing.sizeUnit, active: s.active, why: s.why };

/**
 * Sizes the stack for `now` from its calendar. Returns the sizing problems of every step not
 * over yet (a future drop the configuration cannot serve is refused today, not when it
 * starts) instead of the settings when there are any.
 */
export function calendarSettings(
    config: StackConfig,
    now: number,
): CalendarSettings | { problems: string[] } {
    const calendar = calendarOf(config);
    const context: SizingContext = { region: config.region, capacity: config.capacity };
    const problems = sizingProblems(calendar, context, now);
    if (problems.length > 0) return { problems };

    const due = dueAt(calendar, context, now);
    const active = calendar.drops
        .filter((d) => due.now.active.includes(d.name))
        .map((d) => ({
            name: d.name,
            scaleUpAt: formatInstant(d.start - calendar.leadMinutes * 60_000),
            start: formatInstant(d.start),
            end: formatInstant(d.end),
        }));
    const warnings = calendar.drops.flatMap((d) =>
        d.end <= now
            ? [
                  `${d.label} ended at ${formatInstant(d.end)}, before now (${formatInstant(now)}): it no longer changes the size; remove it from the calendar`,
              ]
            : [],
    );
    return {
        calendar,
        context,
        sizing: due.now.sizing,
        warnings,
        schedule: {
            now: formatInstant(now),
            sizeUnit: due.now.sizing.sizeUnit,
            active,
            why: due.now.why,
            since: due.now.from === null ? null : formatInstant(due.now.from),
            until: due.now.to === null ? null : formatInstant(due.now.to),
            next: step(due.next),
            nextResize: step(due.nextResize),
        },
    };
}

/**
 * The scheduled workflow's cron lines for a stack: every size change of its calendar, the
 * autopilot's polls when proxy-lb:autopilot.enabled, the daily run. From the stack file alone (no
 * clock), so schedule.yml's triggers change only when the calendar does.
 */
export function stackCronEntries(config: StackConfig): CronEntry[] {
    return cronEntries(
        calendarOf(config),
        { region: config.region, capacity: config.capacity },
        { ...CRON_DEFAULTS, now: null, autopilot: config.autopilot.enabled },
    );
}
