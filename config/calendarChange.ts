// What a pull request changes in the drop calendar, for its summary (plan --base): whether the
// calendar changed, which period the summary must show, and the timelines to compare. Pure: `now` is passed in.
import { parseInstant, timeline, type Timeline } from "../sizing/calendar";
import type { Settings } from "./index";

/** A timeline shows this many days from its start unless told otherwise. */
export const DEFAULT_PERIOD_DAYS = 7;
const DAY_MS = 24 * 3_600_000;

/** The stack's calendar timeline over [from, to). */
export function timelineOf(settings: Settings, from: number, to: number): Timeline {
    return timeline(
        settings.calendar,
        { region: settings.config.region, capacity: settings.config.capacity },
        from,
        to,
    );
}

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
export function changePeriod(
    before: Settings | null,
    after: Settings,
    now: number,
): { from: number; to: number } {
    const beforeKeys = new Set(before?.config.drops.map(dropKey) ?? []);
    const afterKeys = new Set(after.config.drops.map(dropKey));
    const changed = [
        ...after.config.drops.filter((d) => !beforeKeys.has(dropKey(d))),
        ...(before?.config.drops.filter((d) => !afterKeys.has(dropKey(d))) ?? []),
    ];
    const ends = changed.map((d) => parseInstant(d.end)!).filter((end) => end > now);
    const leadChanged = before !== null && before.config.leadMinutes !== after.config.leadMinutes;
    const allEnds = leadChanged
        ? after.config.drops.map((d) => parseInstant(d.end)!).filter((end) => end > now)
        : [];
    return { from: now, to: Math.max(now + DEFAULT_PERIOD_DAYS * DAY_MS, ...ends, ...allEnds) };
}
