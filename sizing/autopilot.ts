/**
 * The autopilot's decision: the size for a moment, from the calendar and what the load balancer
 * really carries.
 *
 *   observed need   the nodes that hold, with the configured headroom, the highest
 *                   frontend_connections_current over the last scaleDownAfterMinutes
 *                   (and the highest new connections/s, when that series is given):
 *                   a surge raises it at once, a fall lowers it only once the window has passed
 *   at the limit    a sample at or above AT_LIMIT_SHARE of the limit in force then shows only
 *                   what the load balancer let in: the real crowd is bigger, by how much nobody can
 *                   see. The need is then the nodes that hold AT_LIMIT_CROWD_FACTOR × that limit
 *                   with the headroom, and never less than the size at the limit plus half of it
 *                   (rounded up), for as long as the sample is in the window
 *   size            max(calendar size now, min(observed need, maxNodes, 200)): the autopilot only
 *                   ever adds to the calendar's plan; above maxNodes it clamps and says so
 *   holding         metrics missing (an error, no sample) or stale (none in the last
 *                   STALE_AFTER_MINUTES): never scale down on missing data, keep the live size
 *                   (or the calendar's, if larger)
 *
 * Same inputs, same answer: no clock (the moment is an argument), no I/O, no hidden state, so a
 * deploy, a scheduled run and the controller agree on the size for the same moment and metrics.
 * Node counts are exact (`nodesFor`): demand exactly at capacity needs no extra
 * node, one connection over gets one.
 */
import { MAX_SIZE_UNIT, nodesFor, type Capacity, type Sizing } from "./index";
import type { Step } from "./calendar";
import { count, percent, plural, shortInstant } from "./format";
import { valueAt, type Sample } from "./observe";
import { latestSample, within, type ObservedLoad, type ValidSeries } from "./observedLoad";

export const AUTOPILOT_DEFAULTS = {
    enabled: false,
    scaleDownAfterMinutes: 30,
} as const;

/** Metrics with no sample this recent are stale: the autopilot holds rather than act on them. */
export const STALE_AFTER_MINUTES = 5;

/**
 * A sample at or above this share of the limit counts as at the limit: a saturated load balancer
 * shows its limit (or just under it), never the crowd it turned away. With the default 25%
 * headroom a load balancer sized for its crowd runs at 80% at most, well below it.
 */
export const AT_LIMIT_SHARE = 0.95;

/**
 * At the limit, the crowd is taken to be this many times the limit. A saturated load balancer
 * cannot show how big the crowd is, a resize takes minutes and DigitalOcean accepts no other
 * update meanwhile, so each round that grows too little costs the whole crowd another resize time
 * at the limit; growing too much costs a few node-hours until the window passes. 3 (3.75 × the limit
 * with the default headroom) covers in one resize every curve of the simulation benchmark
 * (`npm run bench -- --autopilot`); 2 left a surprise surge on a quiet day (80,000 connections on 3 nodes)
 * at the limit for a second resize time.
 */
export const AT_LIMIT_CROWD_FACTOR = 3;

const MINUTE_MS = 60_000;

export interface AutopilotSettings {
    enabled: boolean;
    /** How long the highest sample keeps the size up after a fall (the stabilization window). */
    scaleDownAfterMinutes: number;
    /** The most nodes the autopilot may add up to; DigitalOcean's MAX_SIZE_UNIT bounds it as well. */
    maxNodes: number;
}

/** The calendar's size now: a size_unit, its Sizing, its Step, or a size with its why (a `why` is then quoted). */
export type CalendarNow = number | Sizing | Step | { sizeUnit: number; why: string };

export interface AutopilotInput {
    calendar: CalendarNow;
    /** the load balancer's size_unit as the API reports it now */
    liveSizeUnit: number;
    /** what it carries; its moment is the moment decided for */
    load: ObservedLoad;
    settings: AutopilotSettings;
    /** the stack's capacity settings: headroom and per-node figures */
    capacity: Capacity;
}

/** What set the size (with the autopilot off: the calendar, and a "disabled" reason says so). */
export type Bound =
    "calendar" | "observedPeak" | "newConnectionsPeak" | "atLimit" | "clamped" | "holding";

/** One reason behind the size, machine-readable, with its words in `text`. Times are epoch ms. */
export type Reason =
    | { kind: "disabled"; text: string }
    | { kind: "calendar"; sizeUnit: number; why: string | null; text: string }
    | {
          kind: "observedPeak";
          sizeUnit: number;
          connections: number;
          at: number;
          headroom: number;
          connectionsPerNode: number;
          text: string;
      }
    | {
          kind: "newConnectionsPeak";
          sizeUnit: number;
          newConnectionsPerSecond: number;
          at: number;
          headroom: number;
          newConnectionsPerSecondPerNode: number;
          text: string;
      }
    | {
          kind: "atLimit";
          sizeUnit: number;
          connections: number;
          limit: number;
          at: number;
          nodesAtLimit: number;
          text: string;
      }
    | {
          kind: "clamped";
          sizeUnit: number;
          wanted: number;
          maxNodes: number;
          by: "maxNodes" | "digitalocean";
          text: string;
      }
    | {
          kind: "holding";
          sizeUnit: number;
          cause: "error" | "noSamples" | "stale";
          liveSizeUnit: number;
          lastSampleAt: number | null;
          error: string | null;
          text: string;
      };

/** The highest sample of the window, and the nodes it needs. */
export interface PeakNeed {
    value: number;
    /** epoch ms */
    at: number;
    sizeUnit: number;
}

/** The sample at the limit that asks for the most growth. */
export interface AtLimitNeed {
    connections: number;
    limit: number;
    /** epoch ms */
    at: number;
    /** the nodes whose limit that was: ceil(limit / connectionsPerNode) */
    nodesAtLimit: number;
    /** what that crowd asks for (atLimitNeed) */
    sizeUnit: number;
}

export interface ObservedNeed {
    /** epoch ms; samples with from ≤ t ≤ to count */
    window: { from: number; to: number };
    samples: number;
    lastSampleAt: number;
    connections: PeakNeed;
    newConnectionsPerSecond: PeakNeed | null;
    atLimit: AtLimitNeed | null;
    /** the largest of the three */
    sizeUnit: number;
    bound: "observedPeak" | "newConnectionsPeak" | "atLimit";
}

export type Unreadable = {
    cause: "error" | "noSamples" | "stale";
    lastSampleAt: number | null;
    error: string | null;
    text: string;
};

export interface AutopilotDecision {
    sizeUnit: number;
    /** the reason that set the size */
    bound: Bound;
    /** every reason, the binding one first (for a clamp, the clamp and then what it clamped) */
    reasons: Reason[];
    /** one line: why this size */
    why: string;
    calendarSizeUnit: number;
    liveSizeUnit: number;
    change: "up" | "down" | "none";
    /** null when the autopilot is off or the metrics could not be used */
    observed: ObservedNeed | null;
}

// ---------------------------------------------------------------------------
// Checks (defensive: the config schema is the real gate and names the keys)

function requireWhole(n: number, field: string, min: number): void {
    if (!Number.isSafeInteger(n) || n < min)
        throw new Error(`${field} must be a whole number of at least ${min}, got ${n}`);
}

function calendarSize(calendar: CalendarNow): { sizeUnit: number; why: string | null } {
    if (typeof calendar === "number") return { sizeUnit: calendar, why: null };
    if ("sizing" in calendar) return { sizeUnit: calendar.sizing.sizeUnit, why: calendar.why };
    return { sizeUnit: calendar.sizeUnit, why: "why" in calendar ? calendar.why : null };
}

// ---------------------------------------------------------------------------
// Words

const nodes = (n: number) => plural(n, "node"); // at most 200: never grouped
const when = (ms: number) => shortInstant(Math.floor(ms / 1000) * 1000);

// ---------------------------------------------------------------------------
// The observed window

/** The highest sample (the first one, on a tie) and the nodes that carry it with headroom. */
function peakNeed(samples: readonly Sample[], headroom: number, perNode: number): PeakNeed | null {
    let peak: Sample | null = null;
    for (const s of samples) if (peak === null || s[1] > peak[1]) peak = s;
    if (peak === null) return null;
    return { value: peak[1], at: peak[0] * 1000, sizeUnit: nodesFor(peak[1], headroom, perNode) };
}

/**
 * At or near the limit: connections ≥ AT_LIMIT_SHARE × limit, compared as 20 × c ≥ 19 × limit,
 * exact for the whole connection counts the API reports.
 */
function atLimit(connections: number, limit: number): boolean {
    return limit > 0 && connections * 20 >= limit * 19;
}

/** The least growth at the limit: by half, n + ceil(n / 2). */
export function grownFrom(nodesAtLimit: number): number {
    return nodesAtLimit + Math.ceil(nodesAtLimit / 2);
}

/**
 * The nodes a crowd at `limit` connections asks for: AT_LIMIT_CROWD_FACTOR × the limit with the
 * headroom, and at least the nodes at the limit grown by half.
 */
export function atLimitNeed(
    limit: number,
    capacity: Capacity,
): { nodesAtLimit: number; sizeUnit: number } {
    const nodesAtLimit = nodesFor(limit, 0, capacity.connectionsPerNode);
    // limit × 3 is exact for the whole connection counts the API reports.
    const crowd = nodesFor(
        limit * AT_LIMIT_CROWD_FACTOR,
        capacity.headroom,
        capacity.connectionsPerNode,
    );
    return { nodesAtLimit, sizeUnit: Math.max(grownFrom(nodesAtLimit), crowd) };
}

/** Usable metrics: their series, and the latest connections sample at or before the moment. */
interface Readable {
    connections: ValidSeries;
    limit?: ValidSeries;
    newConnectionsPerSecond?: ValidSeries;
    latest: Sample;
}

/**
 * The load's metrics when they can be used at its moment, or why not: not read, an error, no
 * sample at all, or none in the last STALE_AFTER_MINUTES.
 */
function readable(load: ObservedLoad): Readable | Unreadable {
    const { metrics, at } = load;
    if (metrics === null)
        return {
            cause: "error",
            lastSampleAt: null,
            error: "not read",
            text: "the metrics were not read",
        };
    if (!metrics.ok)
        return {
            cause: "error",
            lastSampleAt: null,
            error: metrics.error,
            text: `the metrics could not be read (${metrics.error})`,
        };
    const latest = latestSample(metrics.connections, at);
    if (latest === null)
        return {
            cause: "noSamples",
            lastSampleAt: null,
            error: null,
            text: "the metrics have no frontend_connections_current sample",
        };
    const last = latest[0] * 1000;
    if (last < at - STALE_AFTER_MINUTES * MINUTE_MS) {
        return {
            cause: "stale",
            lastSampleAt: last,
            error: null,
            text: `the metrics are stale: the last frontend_connections_current sample is from ${when(last)}, more than ${STALE_AFTER_MINUTES} minutes before ${when(at)}`,
        };
    }
    return { ...metrics, latest };
}

const isUnreadable = (r: Readable | Unreadable): r is Unreadable => "cause" in r;

/** What the observed need is computed with: the window and the per-node figures. */
export interface NeedSettings {
    scaleDownAfterMinutes: number;
    capacity: Capacity;
}

/**
 * What the window's metrics ask for: the observed peak (connections, and new connections/s when
 * given) with headroom, and the growth a sample at the limit asks for (the limit in force then,
 * else `liveSizeUnit` × connectionsPerNode). Null when the metrics cannot be used (see `readable`).
 */
export function observedNeed(
    load: ObservedLoad,
    liveSizeUnit: number,
    need: NeedSettings,
): ObservedNeed | null {
    requireWhole(need.scaleDownAfterMinutes, "autopilot.scaleDownAfterMinutes", 1);
    requireWhole(liveSizeUnit, "the live size_unit", 1);
    const r = readable(load);
    return isUnreadable(r) ? null : needOf(r, load.at, liveSizeUnit, need);
}

function needOf(
    metrics: Readable,
    at: number,
    liveSizeUnit: number,
    need: NeedSettings,
): ObservedNeed {
    const { scaleDownAfterMinutes, capacity: c } = need;
    const from = at - scaleDownAfterMinutes * MINUTE_MS;
    const connections = within(metrics.connections, from, at);
    // The window may be shorter than the staleness limit, and then hold no sample: the latest one
    // (recent enough, or readable() would have said so) is then what the load balancer carries.
    const inWindow = connections.length > 0 ? connections : [metrics.latest];
    const byConnections = peakNeed(inWindow, c.headroom, c.connectionsPerNode)!;
    const rates = within(metrics.newConnectionsPerSecond, from, at);
    const byRate = peakNeed(rates, c.headroom, c.newConnectionsPerSecondPerNode);

    const limits = metrics.limit ?? [];
    let growth: AtLimitNeed | null = null;
    for (const [t, v] of inWindow) {
        const limit = valueAt(limits, t) ?? liveSizeUnit * c.connectionsPerNode;
        if (!atLimit(v, limit)) continue;
        const { nodesAtLimit, sizeUnit } = atLimitNeed(limit, c);
        if (growth === null || sizeUnit > growth.sizeUnit)
            growth = { connections: v, limit, at: t * 1000, nodesAtLimit, sizeUnit };
    }

    let sizeUnit = byConnections.sizeUnit;
    let bound: ObservedNeed["bound"] = "observedPeak";
    if (byRate !== null && byRate.sizeUnit > sizeUnit) {
        sizeUnit = byRate.sizeUnit;
        bound = "newConnectionsPeak";
    }
    // On a tie the limit is named: it says the crowd may be bigger than the peak shows.
    if (growth !== null && growth.sizeUnit >= sizeUnit) {
        sizeUnit = growth.sizeUnit;
        bound = "atLimit";
    }
    return {
        window: { from, to: at },
        samples: connections.length,
        lastSampleAt: metrics.latest[0] * 1000,
        connections: byConnections,
        newConnectionsPerSecond: byRate,
        atLimit: growth,
        sizeUnit,
        bound,
    };
}

function peakText(need: PeakNeed, c: Capacity, minutes: number): string {
    return `observed peak ${count(need.value)} connections at ${when(need.at)} (highest of the last ${minutes} min) needs ${nodes(need.sizeUnit)} with ${percent(c.headroom)} headroom at ${count(c.connectionsPerNode)} per node`;
}

function rateText(need: PeakNeed, c: Capacity, minutes: number): string {
    return `observed peak ${count(need.value)} new connections/s at ${when(need.at)} (highest of the last ${minutes} min) needs ${nodes(need.sizeUnit)} with ${percent(c.headroom)} headroom at ${count(c.newConnectionsPerSecondPerNode)} per node`;
}

function atLimitText(g: AtLimitNeed, c: Capacity): string {
    return (
        `at the limit: ${count(g.connections)} of ${count(g.limit)} connections at ${when(g.at)}, so the real crowd is bigger than it shows; ` +
        `${nodes(g.sizeUnit)} hold ${AT_LIMIT_CROWD_FACTOR} × that limit with ${percent(c.headroom)} headroom (at least ${nodes(g.nodesAtLimit)} grown by half)`
    );
}

function observedReasons(o: ObservedNeed, c: Capacity, minutes: number): Reason[] {
    const reasons: Reason[] = [];
    const peak: Reason = {
        kind: "observedPeak",
        sizeUnit: o.connections.sizeUnit,
        connections: o.connections.value,
        at: o.connections.at,
        headroom: c.headroom,
        connectionsPerNode: c.connectionsPerNode,
        text: peakText(o.connections, c, minutes),
    };
    const rate: Reason | null =
        o.newConnectionsPerSecond === null
            ? null
            : {
                  kind: "newConnectionsPeak",
                  sizeUnit: o.newConnectionsPerSecond.sizeUnit,
                  newConnectionsPerSecond: o.newConnectionsPerSecond.value,
                  at: o.newConnectionsPerSecond.at,
                  headroom: c.headroom,
                  newConnectionsPerSecondPerNode: c.newConnectionsPerSecondPerNode,
                  text: rateText(o.newConnectionsPerSecond, c, minutes),
              };
    const limit: Reason | null =
        o.atLimit === null
            ? null
            : {
                  kind: "atLimit",
                  sizeUnit: o.atLimit.sizeUnit,
                  connections: o.atLimit.connections,
                  limit: o.atLimit.limit,
                  at: o.atLimit.at,
                  nodesAtLimit: o.atLimit.nodesAtLimit,
                  text: atLimitText(o.atLimit, c),
              };
    // The binding one first, then the others largest first.
    for (const r of [limit, rate, peak]) if (r !== null) reasons.push(r);
    return reasons.sort((a, b) => (b.kind === o.bound ? 1 : 0) - (a.kind === o.bound ? 1 : 0));
}

// ---------------------------------------------------------------------------
// The decision

/** The size for the moment `input.at`. Never throws for what the metrics say; throws only for nonsense settings. */
export function decideSize(input: AutopilotInput): AutopilotDecision {
    const { liveSizeUnit, load, settings, capacity } = input;
    const at = load.at;
    const cal = calendarSize(input.calendar);
    requireWhole(cal.sizeUnit, "the calendar's size_unit", 1);
    requireWhole(liveSizeUnit, "the live size_unit", 1);
    requireWhole(settings.maxNodes, "autopilot.maxNodes", 1);
    requireWhole(settings.scaleDownAfterMinutes, "autopilot.scaleDownAfterMinutes", 1);
    if (!Number.isFinite(at)) throw new Error(`the moment must be a finite epoch ms, got ${at}`);

    const calendarReason: Reason = {
        kind: "calendar",
        sizeUnit: cal.sizeUnit,
        why: cal.why,
        text: `the calendar gives ${nodes(cal.sizeUnit)}${cal.why === null ? "" : ` (${cal.why})`}`,
    };
    const decided = (
        sizeUnit: number,
        bound: Bound,
        reasons: Reason[],
        observed: ObservedNeed | null,
    ): AutopilotDecision => ({
        sizeUnit,
        bound,
        reasons,
        // A clamp says what it clamped: the crowd behind it.
        why:
            reasons[0].text +
            (bound === "clamped" && reasons[1] !== undefined ? `; ${reasons[1].text}` : ""),
        calendarSizeUnit: cal.sizeUnit,
        liveSizeUnit,
        change: sizeUnit > liveSizeUnit ? "up" : sizeUnit < liveSizeUnit ? "down" : "none",
        observed,
    });

    if (!settings.enabled) {
        return decided(
            cal.sizeUnit,
            "calendar",
            [
                calendarReason,
                { kind: "disabled", text: "the autopilot is off (proxy-lb:autopilot.enabled)" },
            ],
            null,
        );
    }

    const metrics = readable(load);
    if (isUnreadable(metrics)) {
        const missing = metrics;
        // Never scale down on missing data: the live size stays, or the calendar's if it is larger.
        const held = Math.max(liveSizeUnit, cal.sizeUnit);
        const holding: Reason = {
            kind: "holding",
            sizeUnit: held,
            cause: missing.cause,
            liveSizeUnit,
            lastSampleAt: missing.lastSampleAt,
            error: missing.error,
            text: `holding ${nodes(liveSizeUnit)} (the live size): ${missing.text}, and the autopilot never scales down on missing data`,
        };
        return cal.sizeUnit > liveSizeUnit
            ? decided(held, "calendar", [calendarReason, holding], null)
            : decided(held, "holding", [holding, calendarReason], null);
    }

    const observed = needOf(metrics, at, liveSizeUnit, {
        scaleDownAfterMinutes: settings.scaleDownAfterMinutes,
        capacity,
    });
    const ceiling = Math.min(settings.maxNodes, MAX_SIZE_UNIT);
    const fromObserved = observedReasons(observed, capacity, settings.scaleDownAfterMinutes);
    if (cal.sizeUnit >= observed.sizeUnit)
        return decided(cal.sizeUnit, "calendar", [calendarReason, ...fromObserved], observed);
    if (observed.sizeUnit <= ceiling)
        return decided(
            observed.sizeUnit,
            observed.bound,
            [...fromObserved, calendarReason],
            observed,
        );

    // Above the bound: clamp, say so, never refuse (a refusal here would block the deploy that helps most).
    const by = settings.maxNodes <= MAX_SIZE_UNIT ? "maxNodes" : "digitalocean";
    const size = Math.max(ceiling, cal.sizeUnit);
    const limitWords =
        by === "maxNodes"
            ? `proxy-lb:autopilot.maxNodes (${ceiling})`
            : `DigitalOcean's limit of ${nodes(MAX_SIZE_UNIT)} per load balancer`;
    const fix =
        by === "maxNodes"
            ? ceiling < MAX_SIZE_UNIT
                ? `raise autopilot.maxNodes, up to DigitalOcean's ${MAX_SIZE_UNIT}`
                : "split the crowd across load balancers"
            : "split the crowd across load balancers";
    const clamped: Reason = {
        kind: "clamped",
        sizeUnit: size,
        wanted: observed.sizeUnit,
        maxNodes: ceiling,
        by,
        text:
            cal.sizeUnit >= ceiling
                ? `CLAMPED: the crowd needs ${nodes(observed.sizeUnit)}, above ${limitWords}; the calendar's ${nodes(cal.sizeUnit)} stay (${fix})`
                : `CLAMPED at ${nodes(ceiling)} by ${limitWords}: the crowd needs ${nodes(observed.sizeUnit)} (${fix})`,
    };
    if (cal.sizeUnit >= ceiling)
        return decided(size, "calendar", [calendarReason, clamped, ...fromObserved], observed);
    return decided(size, "clamped", [clamped, ...fromObserved, calendarReason], observed);
}

// ---------------------------------------------------------------------------
// The gate's check (never scale down into a live crowd)

export interface ScaleDownCheck {
    /** ok: not a scale-down, or one the observed need allows; underLoad: refuse; unreadable: the metrics cannot say */
    status: "ok" | "underLoad" | "unreadable";
    /** the observed need, when the metrics could be read */
    need: number | null;
    /** the reason line */
    text: string;
}

/**
 * Whether resizing `from` the size that carries the crowd now `to` fewer nodes scales down below
 * the observed need over the window (the same need the autopilot sizes for): the gate refuses
 * that, whichever path asks for it.
 */
export function checkScaleDown(
    load: ObservedLoad,
    change: { from: number; to: number },
    need: NeedSettings,
): ScaleDownCheck {
    const { from, to } = change;
    const c = need.capacity;
    requireWhole(to, "the proposed size_unit", 1);
    requireWhole(from, "the live size_unit", 1);
    if (to >= from)
        return {
            status: "ok",
            need: null,
            text: `${nodes(from)} -> ${nodes(to)} is not a scale-down`,
        };
    const metrics = readable(load);
    if (isUnreadable(metrics)) {
        return {
            status: "unreadable",
            need: null,
            text: `cannot check the scale-down from ${nodes(from)} to ${nodes(to)} against the live crowd: ${metrics.text}`,
        };
    }
    requireWhole(need.scaleDownAfterMinutes, "autopilot.scaleDownAfterMinutes", 1);
    const o = needOf(metrics, load.at, from, need);
    const why =
        o.bound === "atLimit" && o.atLimit !== null
            ? atLimitText(o.atLimit, c)
            : o.bound === "newConnectionsPeak" && o.newConnectionsPerSecond !== null
              ? rateText(o.newConnectionsPerSecond, c, need.scaleDownAfterMinutes)
              : peakText(o.connections, c, need.scaleDownAfterMinutes);
    if (to < o.sizeUnit) {
        return {
            status: "underLoad",
            need: o.sizeUnit,
            text: `scale-down from ${nodes(from)} to ${nodes(to)} (${count(to * c.connectionsPerNode)} connections) is below the observed need of ${nodes(o.sizeUnit)}: ${why}`,
        };
    }
    return {
        status: "ok",
        need: o.sizeUnit,
        text: `scale-down from ${nodes(from)} to ${nodes(to)} still covers the observed need of ${nodes(o.sizeUnit)}: ${why}`,
    };
}
