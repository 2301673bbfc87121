/**
 * Which stretch of metrics says what a drop really used, and what it proposes for the next one.
 * The calendar decides both; the metrics themselves are analysed by `observe`:
 *
 *   a drop          from its scale-up (start − lead) to its end, or to now while it runs;
 *                   planned: its own demand and size; other drops whose windows overlap it
 *                   are named, since their crowds are in the same metrics
 *   a period        as given; planned: the largest size the calendar gave it, and that demand
 *   the proposal    the observed demand, sized, for the first drop that starts after now
 *
 * Pure: epoch ms, no clock, no I/O. A window that cannot be read is an ObservationError.
 */
import { formatInstant } from "./format";
import { size, type Demand } from "./index";
import { stepsBetween, type Calendar, type SizingContext } from "./calendar";
import { ObservationError, type Planned } from "./observe";

export type ObservationTarget = { drop: string } | { from: number; to: number };

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
export function observedWindow(
    calendar: Calendar,
    context: SizingContext,
    target: ObservationTarget,
    now: number,
): ObservedWindow {
    let from: number;
    let to: number;
    let own: Demand | undefined;
    if ("drop" in target) {
        const drop = calendar.drops.find((d) => d.name === target.drop);
        if (drop === undefined) {
            const names = calendar.drops.map((d) => d.name);
            throw new ObservationError(
                `drop ${target.drop} is not in proxy-lb:drops${names.length ? ` (drops: ${names.join(", ")})` : " (the calendar is empty)"}`,
            );
        }
        from = drop.start - calendar.leadMinutes * 60_000;
        to = Math.min(drop.end, now);
        if (to <= from)
            throw new ObservationError(
                `drop ${drop.name} has not started yet (its scale-up is at ${formatInstant(from)}; now is ${formatInstant(now)})`,
            );
        own = drop.demand;
    } else {
        ({ from, to } = target);
        if (!(to > from))
            throw new ObservationError(
                `the window must end after it starts (${formatInstant(from)} → ${formatInstant(to)})`,
            );
    }
    const steps = stepsBetween(calendar, context, from, to);
    const biggest = steps.reduce((a, b) => (b.sizing.sizeUnit > a.sizing.sizeUnit ? b : a));
    const drop = "drop" in target ? target.drop : null;
    return {
        from,
        to,
        drop,
        // A drop's own plan (its demand alone); a window's, the largest size the calendar gave it.
        planned: {
            region: context.region,
            capacity: context.capacity,
            demand: own ?? biggest.demand,
            sizeUnit: own
                ? size({ region: context.region, demand: own, capacity: context.capacity }).sizeUnit
                : biggest.sizing.sizeUnit,
        },
        overlapping:
            drop === null
                ? []
                : [...new Set(steps.flatMap((s) => s.active))].filter((name) => name !== drop),
    };
}

export interface SizedDemand {
    demand: Demand;
    sizeUnit: number;
}

export interface DemandProposal {
    proposed: SizedDemand;
    /** the first drop that starts after now, with what it plans today; null when there is none */
    next: {
        name: string;
        /** its index in proxy-lb:drops */ index: number;
        start: number;
        planned: SizedDemand;
    } | null;
}

/** The observed demand, sized, proposed for the next drop of the calendar. */
export function proposeDemand(
    calendar: Calendar,
    context: SizingContext,
    observed: Demand,
    now: number,
): DemandProposal {
    const sized = (demand: Demand): SizedDemand => ({
        demand,
        sizeUnit: size({ region: context.region, demand, capacity: context.capacity }).sizeUnit,
    });
    const upcoming = calendar.drops
        .map((drop, index) => ({ drop, index }))
        .filter(({ drop }) => drop.start > now)
        .sort((a, b) => a.drop.start - b.drop.start || a.index - b.index)[0];
    return {
        proposed: sized(observed),
        next: upcoming
            ? {
                  name: upcoming.drop.name,
                  index: upcoming.index,
                  start: upcoming.drop.start,
                  planned: sized(upcoming.drop.demand),
              }
            : null,
    };
}
