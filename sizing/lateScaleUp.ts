/**
 * A late scale-up: the calendar has wanted more nodes than the load balancer has, for a drop,
 * for longer than a resize takes. Each clock (the scheduled workflow, the autopilot controller)
 * asks this of the live size at its run, so each watches the other: a scale-up neither made is
 * never silent.
 *
 *   shortfall      the calendar's size at `at` is above the live size; a live size at or above
 *                  it (the autopilot may have added more) is never late
 *   since when     the start of the run of drop steps, back from `at`, whose calendar size is
 *                  above the live size: a load balancer still at the baseline at 19:00 is late
 *                  since the first drop's scale-up at 13:30, not since the second's at 18:30
 *   which drop     the drops whose scale-up is that boundary (those that became active there)
 *   the grace      a resize asked for at the boundary takes minutes to show: it is late from
 *                  `graceMinutes` after the boundary on (default LATE_AFTER_MINUTES), and the
 *                  minutes are counted from the boundary itself
 *
 * A baseline above the live size (outside drops) is no scale-up for a drop: the scheduled run
 * finds it due by the size alone. Pure: the moment is an argument; no clock, no I/O.
 */
import { boundaries, MINUTE_MS, stepAt, type Calendar, type SizingContext } from "./calendar";

/**
 * Minutes after a boundary before a missing scale-up counts as late: a resize asked for at the
 * boundary (the controller's tick, or a scheduled run that starts on time) is in force within
 * about 5 minutes (the assumption the autopilot simulation in bench/ makes too).
 */
export const LATE_AFTER_MINUTES = 5;

export interface LateScaleUp {
    /** the drops whose scale-up this is, in calendar order */
    drops: string[];
    /** epoch ms: the boundary since which the calendar's size has been above the live size */
    dueSince: number;
    /** whole minutes from dueSince to the moment asked about */
    minutesLate: number;
    /** the calendar's size at the moment asked about */
    dueSizeUnit: number;
    liveSizeUnit: number;
}

/** Whether the scale-up due at `at` is late given the live size, and by how many minutes; null when it is not. */
export function lateScaleUp(
    calendar: Calendar,
    context: SizingContext,
    liveSizeUnit: number,
    at: number,
    graceMinutes = LATE_AFTER_MINUTES,
): LateScaleUp | null {
    if (!Number.isFinite(at)) throw new Error(`at must be a finite epoch ms, got ${at}`);
    if (!Number.isSafeInteger(liveSizeUnit) || liveSizeUnit < 0)
        throw new Error(`the live size must be a whole number of nodes, got ${liveSizeUnit}`);
    if (!(graceMinutes >= 0)) throw new Error(`graceMinutes must be ≥ 0, got ${graceMinutes}`);
    const now = stepAt(calendar, context, at);
    if (now.active.length === 0 || now.sizing.sizeUnit <= liveSizeUnit || now.from === null)
        return null;

    // Back through the drop steps whose size is above the live size: the earliest one's start.
    const starts = boundaries(calendar)
        .filter((b) => b <= now.from!)
        .reverse();
    let since = now.from;
    for (const b of starts.slice(1)) {
        const step = stepAt(calendar, context, b);
        if (step.active.length === 0 || step.sizing.sizeUnit <= liveSizeUnit) break;
        since = b;
    }
    if (at - since < graceMinutes * MINUTE_MS) return null;

    const lead = calendar.leadMinutes * MINUTE_MS;
    const started = calendar.drops.filter((d) => d.start - lead === since).map((d) => d.name);
    return {
        drops: started.length > 0 ? started : stepAt(calendar, context, since).active,
        dueSince: since,
        minutesLate: Math.floor((at - since) / MINUTE_MS),
        dueSizeUnit: now.sizing.sizeUnit,
        liveSizeUnit,
    };
}
