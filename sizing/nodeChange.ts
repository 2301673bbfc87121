/**
 * What a change of size does: nodes and cost before → after, for plan, gate, rollback and the
 * sandbox (and the autopilot's notifications). Pure.
 *
 *   nodes    = after.sizeUnit − before.sizeUnit      (before = none: every node is new)
 *   hourly   = after − before hourly cost, to 6 decimals
 *   monthly  = after − before monthly cost, to cents
 *   window   = hourly × hours, to cents (what an N-hour drop window adds)
 *
 * An adoption (a load balancer imported as it is) changes nothing: `adopted` says so, before
 * and after are the same size, and every difference is zero.
 */
import type { Sizing } from "./index";

export interface NodeChange {
    before: Sizing | null;
    after: Sizing;
    nodes: number;
    hourly: number;
    monthly: number;
    window?: { hours: number; cost: number };
    /** the load balancer is adopted as it is (an import): no node and no cost changes */
    adopted?: true;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits)) + 0; // + 0: no −0

export function nodeChange(before: Sizing | null, after: Sizing, hours?: number): NodeChange {
    const hourly = round(after.cost.hourly - (before?.cost.hourly ?? 0), 6);
    return {
        before,
        after,
        nodes: after.sizeUnit - (before?.sizeUnit ?? 0),
        hourly,
        monthly: round(after.cost.monthly - (before?.cost.monthly ?? 0), 2),
        ...(hours === undefined ? {} : { window: { hours, cost: round(hourly * hours, 2) } }),
    };
}

/** The change of adopting a load balancer that runs at `sizing` already: none. */
export function adoption(sizing: Sizing): NodeChange {
    return { ...nodeChange(sizing, sizing), adopted: true };
}
