/**
 * What a scale-down costs the live crowd, and whether the autopilot goes ahead with it now. Pure.
 *
 *   closed      DigitalOcean gives each removed node one minute to drain, then closes its
 *               connections: the removed nodes' share of the crowd now, the latest
 *               frontend_connections_current × removed / live nodes, rounded up (an upper
 *               figure: connections that end during the drain minute are not cut)
 *   go          closed ≤ autopilot.maxClosedConnections
 *   hold        above it: wait for the crowd to thin, since the first tick that held it
 *   forced      held maxScaleDownWaitMinutes already: scale down anyway, saying what it closes
 *
 * The same inputs give the same answer (the moment and the hold's start are arguments), so the
 * controller's tick and the gate show the same figure.
 */
import { latestSample, type ObservedLoad } from "./observedLoad";
import { count, shortInstant } from "./format";

export const CLOSED_CONNECTIONS_DEFAULTS = {
    /**
     * About one in a hundred of a node's 10,000 connections: a handful of tasks reconnecting,
     * the "brief disruption" DigitalOcean's scaling page speaks of. A crowd larger than that is
     * one to wait for; waiting costs little (a node is $12 a month, $0.0003 a minute).
     */
    maxClosedConnections: 100,
    /**
     * Waiting is bounded: a baseline crowd that never thins below the figure still gets its
     * scale-down, an hour after it was first held (9 extra nodes for that hour: $0.16).
     */
    maxScaleDownWaitMinutes: 60,
} as const;

const MINUTE_MS = 60_000;

/** The connections a scale-down from `from` to `to` nodes closes, for `current` live connections spread over `from` nodes. */
export function closedConnections(current: number, from: number, to: number): number {
    if (to >= from || current <= 0) return 0;
    // Whole numbers below 2^53 (at most 200 nodes): the product and the ceiling are exact.
    return Math.ceil((current * (from - to)) / from);
}

/** The latest frontend_connections_current sample at or before the load's moment (epoch ms), or null. */
export function currentConnections(load: ObservedLoad): { connections: number; at: number } | null {
    if (load.metrics === null || !load.metrics.ok) return null;
    const latest = latestSample(load.metrics.connections, load.at);
    return latest === null ? null : { connections: latest[1], at: latest[0] * 1000 };
}

export interface ScaleDownCost {
    from: number;
    to: number;
    /** the live connections the figure is the share of */
    current: number;
    closed: number;
    /** one line: "closes about N of the M live connections (the K removed nodes' share)" */
    text: string;
}

/** What the scale-down closes, in words; null when it is not a scale-down. */
export function scaleDownCost(current: number, from: number, to: number): ScaleDownCost | null {
    if (to >= from) return null;
    const closed = closedConnections(current, from, to);
    const removed = from - to;
    return {
        from,
        to,
        current,
        closed,
        text: `closes ${count(closed)} of the ${count(current)} live connections (${removed === 1 ? "the removed node's" : `the ${removed} removed nodes'`} share, after DigitalOcean's one-minute drain)`,
    };
}

export type ScaleDownPace =
    | { kind: "go"; cost: ScaleDownCost; text: string }
    | { kind: "hold"; cost: ScaleDownCost; heldSince: number; until: number; text: string }
    | { kind: "forced"; cost: ScaleDownCost; heldSince: number; text: string };

export interface PaceInput {
    from: number;
    to: number;
    /** live connections now (the latest sample) */
    current: number;
    maxClosedConnections: number;
    maxScaleDownWaitMinutes: number;
    /** epoch ms: the first tick that held this scale-down, or null (none held yet) */
    heldSince: number | null;
    /** epoch ms: the moment decided for */
    at: number;
}

/** Whether a scale-down goes now, waits for the crowd to thin, or goes anyway after the bound. */
export function scaleDownPace(input: PaceInput): ScaleDownPace | null {
    const cost = scaleDownCost(input.current, input.from, input.to);
    if (cost === null) return null;
    const limit = `proxy-lb:autopilot.maxClosedConnections (${count(input.maxClosedConnections)})`;
    if (cost.closed <= input.maxClosedConnections)
        return { kind: "go", cost, text: `${cost.text}: within ${limit}` };
    const since = Math.min(input.heldSince ?? input.at, input.at);
    const until = since + input.maxScaleDownWaitMinutes * MINUTE_MS;
    if (input.at >= until) {
        return {
            kind: "forced",
            cost,
            heldSince: since,
            text: `${cost.text}: above ${limit}, but the crowd has not thinned in ${input.maxScaleDownWaitMinutes} min (held since ${shortInstant(since)}; proxy-lb:autopilot.maxScaleDownWaitMinutes), so it scales down anyway`,
        };
    }
    return {
        kind: "hold",
        cost,
        heldSince: since,
        until,
        text: `${cost.text}: above ${limit}; waiting for the crowd to thin (held since ${shortInstant(since)}), at the latest until ${shortInstant(until)} (proxy-lb:autopilot.maxScaleDownWaitMinutes)`,
    };
}
