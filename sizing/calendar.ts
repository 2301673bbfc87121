/**
 * The drop calendar: which demand the load balancer must carry at a given time.
 *
 *   outside every window      the baseline demand (proxy-lb:demand)
 *   inside one window         that drop's demand, from `lead` before its start to its end
 *   inside several windows    their demands added (both crowds connect at once):
 *                             peak connections = Σ users × tasksPerUser × connectionsPerTask
 *                             new connections/s = Σ each drop's new connections/s (each one
 *                             defaulting to its own peak connections, as for a single drop)
 *
 * Headroom is applied once, to the sum, by `size`: the sizing stays exact and
 * its errors (more than maxNodes, a legacy region) are raised for every step, never capped.
 *
 * Pure: times are epoch milliseconds, no clock, no I/O, no Pulumi.
 */
import { formatInstant, shortInstant } from "./format";
import { HOURS_PER_MONTH, size, Sizing, SizingError, type Capacity, type Demand } from "./index";

/** A drop window may last at most this long (a longer one is almost surely a typo in a date). */
export const MAX_DROP_HOURS = 7 * 24;
/** Scale up this long before a drop starts: a DigitalOcean load balancer resize takes minutes. */
export const DEFAULT_LEAD_MINUTES = 30;
export const MAX_LEAD_MINUTES = 24 * 60;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface DropWindow {
    name: string;
    /** epoch ms */
    start: number;
    /** epoch ms, after start */
    end: number;
    demand: Demand;
    /** How messages name this drop, e.g. `proxy-lb:drops[0] ("black-friday")`; defaults to the name. */
    label?: string;
}

export interface Calendar {
    /** The between-drops demand. */
    baseline: Demand;
    drops: readonly DropWindow[];
    leadMinutes: number;
}

export interface SizingContext {
    region: string;
    capacity: Capacity;
}

/** A stretch of time with one set of active drops, hence one size. */
export interface Step {
    /** epoch ms; null = since forever */
    from: number | null;
    /** epoch ms, exclusive; null = for ever after */
    to: number | null;
    /** Names of the drops whose window (lead included) covers this step, in calendar order. */
    active: string[];
    /** Of those, the ones still in their lead time (scaled up, not started yet). */
    leading: string[];
    demand: Demand;
    sizing: Sizing;
    /** One line: why this size. */
    why: string;
}

// ---------------------------------------------------------------------------
// Times

/**
 * Pulumi reads an unquoted YAML timestamp in a stack file (`start: 2027-03-01T10:00:00Z`) as a
 * time and hands it to the program in Go's time.Time.String() form, "2027-03-01 10:00:00 +0000
 * UTC": the same instant, so it is accepted as such (the zone's name is only a label).
 */
const GO_TIME =
    /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) ([+-]\d{2})(\d{2}) [A-Za-z0-9+-]+$/;
const INSTANT =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

/**
 * An ISO-8601 time that carries its offset (`Z` or `±hh:mm`) as epoch ms, or undefined when
 * the text is not one (no offset, or a date that does not exist such as February 30).
 * A time without an offset is refused rather than read in some machine's local zone.
 */
export function parseInstant(text: string): number | undefined {
    const go = GO_TIME.exec(text);
    if (go) text = `${go[1]}T${go[2]}${go[3]}:${go[4]}`;
    const m = INSTANT.exec(text);
    if (m === null) return undefined;
    const [, y, mo, d, h, mi, s = "0", frac = "", zone, sign, oh = "0", om = "0"] = m;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (
        month < 1 ||
        month > 12 ||
        day < 1 ||
        day > daysInMonth ||
        hour > 23 ||
        minute > 59 ||
        second > 59
    )
        return undefined;
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    const local = Date.UTC(
        year,
        month - 1,
        day,
        hour,
        minute,
        second,
        Number(frac.padEnd(3, "0").slice(0, 3)),
    );
    // Date.UTC maps years 0–99 to 1900–1999; such dates are never a drop anyway.
    if (year < 1970) return undefined;
    const offset =
        zone === "Z" ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * MINUTE_MS;
    return local - offset;
}

// ---------------------------------------------------------------------------
// Demand

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function peakConnections(d: Demand): bigint {
    return BigInt(d.users) * BigInt(d.tasksPerUser) * BigInt(d.connectionsPerTask);
}

/**
 * The demand of several crowds at once: peak connections add, and so do new connections/s
 * (each drop's own figure, or its peak connections when it gives none). One demand is
 * returned unchanged. The sum is expressed as one user holding every connection, which
 * `size` reads exactly.
 */
export function combineDemands(demands: readonly Demand[], what = "the overlapping drops"): Demand {
    if (demands.length === 0) throw new Error("combineDemands needs at least one demand");
    if (demands.length === 1) return demands[0];
    let connections = 0n;
    let newPerSecond = 0n;
    for (const d of demands) {
        const peak = peakConnections(d);
        connections += peak;
        newPerSecond +=
            d.newConnectionsPerSecond === undefined ? peak : BigInt(d.newConnectionsPerSecond);
    }
    if (connections > SAFE || newPerSecond > SAFE) {
        throw new SizingError(
            "exceedsMaxNodes",
            `${what} add up to more than ${Number.MAX_SAFE_INTEGER} connections, far beyond any load balancer`,
            Infinity,
        );
    }
    // Without any explicit figure the sum of the defaults is the summed peak, which is the default
    // again: leave it out, so the sum reads (and is observed against) like a single drop.
    const explicit = demands.some((d) => d.newConnectionsPerSecond !== undefined);
    return {
        users: 1,
        tasksPerUser: Number(connections),
        connectionsPerTask: 1,
        ...(explicit ? { newConnectionsPerSecond: Number(newPerSecond) } : {}),
    };
}

// ---------------------------------------------------------------------------
// Steps

const leadMs = (calendar: Calendar) => calendar.leadMinutes * MINUTE_MS;
const scaleUpAt = (calendar: Calendar, drop: DropWindow) => drop.start - leadMs(calendar);

/** Every time the set of active drops can change, sorted, without repeats. */
export function boundaries(calendar: Calendar): number[] {
    const times = new Set<number>();
    for (const drop of calendar.drops) {
        times.add(scaleUpAt(calendar, drop));
        times.add(drop.end);
    }
    return [...times].sort((a, b) => a - b);
}

/** The drops whose window, lead included, covers `at`: scaleUpAt ≤ at < end. */
export function activeDrops(calendar: Calendar, at: number): DropWindow[] {
    return calendar.drops.filter((drop) => scaleUpAt(calendar, drop) <= at && at < drop.end);
}

function labelOf(drop: DropWindow): string {
    return drop.label ?? `drop "${drop.name}"`;
}

/** The step that holds `at`: its active drops, demand, exact size and why. */
export function stepAt(calendar: Calendar, context: SizingContext, at: number): Step {
    const times = boundaries(calendar);
    const from = times.filter((t) => t <= at).pop() ?? null;
    const to = times.find((t) => t > at) ?? null;
    return makeStep(calendar, context, activeDrops(calendar, at), from, to, at);
}

/** The steps covering [from, to): the first starts at `from`, the last ends at `to`. */
export function stepsBetween(
    calendar: Calendar,
    context: SizingContext,
    from: number,
    to: number,
): Step[] {
    if (!(to > from))
        throw new Error(
            `the period must end after it starts (from ${formatInstant(from)} to ${formatInstant(to)})`,
        );
    const cuts = [from, ...boundaries(calendar).filter((t) => t > from && t < to), to];
    const steps: Step[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
        steps.push(
            makeStep(
                calendar,
                context,
                activeDrops(calendar, cuts[i]),
                cuts[i],
                cuts[i + 1],
                cuts[i],
            ),
        );
    }
    return steps;
}

/**
 * Every distinct step of the calendar that is not over by `notBefore`, sized: a demand this
 * configuration cannot serve throws here (a SizingError naming the drops), long before the drop.
 */
export function allSteps(
    calendar: Calendar,
    context: SizingContext,
    notBefore = -Infinity,
): Step[] {
    const times = boundaries(calendar);
    const starts = [null, ...times];
    return starts
        .map((from, i) => ({ from, to: times[i] ?? null }))
        .filter(({ to }) => to === null || to > notBefore)
        .map(({ from, to }) => {
            const probe = from ?? (to ?? 0) - 1;
            return makeStep(calendar, context, activeDrops(calendar, probe), from, to, probe);
        });
}

/**
 * Every sizing problem of the steps not over by `notBefore`, one message each (the baseline's
 * as `size` words it; a drop's prefixed with its label): empty when every step can be served.
 */
export function sizingProblems(
    calendar: Calendar,
    context: SizingContext,
    notBefore = -Infinity,
): string[] {
    const times = boundaries(calendar);
    const problems: string[] = [];
    [null, ...times].forEach((from, i) => {
        const to = times[i] ?? null;
        if (to !== null && to <= notBefore) return;
        const probe = from ?? (to ?? 0) - 1;
        try {
            makeStep(calendar, context, activeDrops(calendar, probe), from, to, probe);
        } catch (err) {
            if (!(err instanceof SizingError)) throw err;
            if (!problems.includes(err.message)) problems.push(err.message);
        }
    });
    return problems;
}

function makeStep(
    calendar: Calendar,
    context: SizingContext,
    active: DropWindow[],
    from: number | null,
    to: number | null,
    at: number,
): Step {
    const what =
        active.length === 0
            ? "proxy-lb:demand (between drops)"
            : active.length === 1
              ? labelOf(active[0])
              : `${active.map(labelOf).join(" + ")} overlapping${from === null ? "" : ` from ${formatInstant(from)}`}${to === null ? "" : ` to ${formatInstant(to)}`}`;
    const demand =
        active.length === 0
            ? calendar.baseline
            : combineDemands(
                  active.map((d) => d.demand),
                  what,
              );
    let sizing: Sizing;
    try {
        sizing = size({ region: context.region, demand, capacity: context.capacity });
    } catch (err) {
        if (err instanceof SizingError && active.length > 0) {
            throw new SizingError(err.code, `${what}: ${err.message}`, err.nodesNeeded, err.region);
        }
        throw err;
    }
    const leading = active.filter((d) => at < d.start).map((d) => d.name);
    return {
        from,
        to,
        active: active.map((d) => d.name),
        leading,
        demand,
        sizing,
        why: whyText(calendar, active, at),
    };
}

function whyText(calendar: Calendar, active: DropWindow[], at: number): string {
    if (active.length === 0) return "baseline (proxy-lb:demand)";
    if (active.length > 1) return `overlap, demands add: ${active.map((d) => d.name).join(" + ")}`;
    const [d] = active;
    return at < d.start
        ? `${d.name}: scaled up ${calendar.leadMinutes} min before its start at ${shortInstant(d.start)}`
        : `${d.name} until ${shortInstant(d.end)}`;
}

// ---------------------------------------------------------------------------
// Cost

/** What `sizeUnit` nodes cost over `ms` milliseconds (DigitalOcean bills monthly ÷ 672 per hour). */
export function costOver(sizeUnit: number, pricePerNodeMonthly: number, ms: number): number {
    return (sizeUnit * pricePerNodeMonthly * (ms / HOUR_MS)) / HOURS_PER_MONTH;
}

const cents4 = (n: number) => Math.round(n * 10_000) / 10_000;

export interface WindowCost {
    name: string;
    /** when the scale-up starts (start − lead) */
    from: number;
    to: number;
    hours: number;
    /** the load balancer's cost over the window, at the sizes the calendar gives it */
    cost: number;
    /** the part of that above what the baseline size would have cost */
    added: number;
}

export interface PeriodCost {
    hours: number;
    cost: number;
    /** what the period would cost at the baseline size throughout */
    baseline: number;
    added: number;
}

/** Cost of steps clipped to [from, to), and what the baseline size would have cost. */
function costBetween(
    steps: readonly Step[],
    baseline: Sizing,
    from: number,
    to: number,
): PeriodCost {
    let cost = 0;
    for (const step of steps) {
        const a = Math.max(step.from ?? -Infinity, from);
        const b = Math.min(step.to ?? Infinity, to);
        if (b > a) cost += costOver(step.sizing.sizeUnit, step.sizing.cost.perNodeMonthly, b - a);
    }
    const base = costOver(baseline.sizeUnit, baseline.cost.perNodeMonthly, to - from);
    return {
        hours: (to - from) / HOUR_MS,
        cost: cents4(cost),
        baseline: cents4(base),
        added: cents4(cost - base),
    };
}

/** The cost of a period as the timeline runs it. */
export function periodCost(
    calendar: Calendar,
    context: SizingContext,
    from: number,
    to: number,
): PeriodCost {
    const steps = stepsBetween(calendar, context, from, to);
    const baseline = size({
        region: context.region,
        demand: calendar.baseline,
        capacity: context.capacity,
    });
    return costBetween(steps, baseline, from, to);
}

/** Each drop's whole window (lead included) and what it costs, for the drops that touch [from, to). */
export function windowCosts(
    calendar: Calendar,
    context: SizingContext,
    from: number,
    to: number,
): WindowCost[] {
    return calendar.drops
        .filter((drop) => scaleUpAt(calendar, drop) < to && drop.end > from)
        .map((drop) => {
            const start = scaleUpAt(calendar, drop);
            const cost = periodCost(calendar, context, start, drop.end);
            return {
                name: drop.name,
                from: start,
                to: drop.end,
                hours: cost.hours,
                cost: cost.cost,
                added: cost.added,
            };
        });
}

/**
 * The period's extra cost over the baseline, shared out by which drops were running: one share
 * per set of drops (a drop alone, or several overlapping), each hour counted once. The shares
 * add up to the period's `added`, where each drop's window cost (WindowCost) counts an overlap
 * in every drop it belongs to, and the whole window even where it lies outside the period.
 */
export interface CostShare {
    /** the drops running together in these hours, in calendar order */
    drops: string[];
    hours: number;
    added: number;
}

/** One share per set of active drops, in the order they first run; baseline steps add nothing. */
function costShares(
    steps: readonly Step[],
    baseline: Sizing,
    from: number,
    to: number,
): CostShare[] {
    const shares = new Map<string, { drops: string[]; ms: number; added: number }>();
    for (const step of steps) {
        if (step.active.length === 0) continue;
        const ms = Math.min(step.to ?? Infinity, to) - Math.max(step.from ?? -Infinity, from);
        if (!(ms > 0)) continue;
        const key = JSON.stringify(step.active);
        const share = shares.get(key) ?? { drops: step.active, ms: 0, added: 0 };
        share.ms += ms;
        share.added +=
            costOver(step.sizing.sizeUnit, step.sizing.cost.perNodeMonthly, ms) -
            costOver(baseline.sizeUnit, baseline.cost.perNodeMonthly, ms);
        shares.set(key, share);
    }
    return [...shares.values()].map((s) => ({
        drops: s.drops,
        hours: s.ms / HOUR_MS,
        added: cents4(s.added),
    }));
}

export interface Timeline {
    from: number;
    to: number;
    steps: Step[];
    /** the step in force from `to` on: where the period leaves the load balancer */
    end: Step;
    windows: WindowCost[];
    shares: CostShare[];
    total: PeriodCost;
}

export function timeline(
    calendar: Calendar,
    context: SizingContext,
    from: number,
    to: number,
): Timeline {
    const steps = stepsBetween(calendar, context, from, to);
    const baseline = size({
        region: context.region,
        demand: calendar.baseline,
        capacity: context.capacity,
    });
    return {
        from,
        to,
        steps,
        end: stepAt(calendar, context, to),
        windows: windowCosts(calendar, context, from, to),
        shares: costShares(steps, baseline, from, to),
        total: costBetween(steps, baseline, from, to),
    };
}

export interface Due {
    at: number;
    /** the step holding `at` */
    now: Step;
    /** the first later step, if the calendar has one */
    next: Step | null;
    /** the first later step whose size differs from now's, if any */
    nextResize: Step | null;
}

/** What the calendar wants at `at`, and what comes next. */
export function dueAt(calendar: Calendar, context: SizingContext, at: number): Due {
    const now = stepAt(calendar, context, at);
    const later = allSteps(calendar, context, at).filter((s) => s.from !== null && s.from > at);
    return {
        at,
        now,
        next: later[0] ?? null,
        nextResize: later.find((s) => s.sizing.sizeUnit !== now.sizing.sizeUnit) ?? null,
    };
}

export { HOUR_MS, MINUTE_MS };
