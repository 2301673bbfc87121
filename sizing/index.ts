/**
 * Load balancer sizing: demand in, DigitalOcean `size_unit` (node count) out.
 *
 * The model. A DigitalOcean load balancer node handles roughly 10,000
 * simultaneous connections and 10,000 new connections per second (DigitalOcean's
 * load balancer docs, and the figures the operator runbook plans with). Every
 * task a user runs through the proxy holds one connection, so one user running
 * 2,000 tasks is about 2,000 simultaneous connections.
 *
 *   peak connections = users × tasksPerUser × connectionsPerTask
 *   planned          = peak × (1 + headroom)
 *   size_unit        = max(minNodes,
 *                          ceil(planned connections / connectionsPerNode),
 *                          ceil(planned new connections/s / newConnectionsPerSecondPerNode))
 *
 * The ceilings are computed exactly in BigInt rational arithmetic. In floats,
 * 100,000 × 1.1 is 110,000.00000000001, so a naive Math.ceil buys a 12th node
 * for a demand that fits exactly in 11 — and the same class of drift could just
 * as well round the other way and under-provision. Demand exactly at capacity
 * needs no extra node; one connection over gets one.
 *
 * This module is pure: no Pulumi, no I/O. The config schema applies defaults and
 * validates input; `size` re-checks defensively so it never returns NaN, and it
 * never caps silently — a demand it cannot serve is a SizingError.
 */
import { percent, plural } from "./format";

/** Per-node capacity and planning defaults (see the model above). */
export const CAPACITY_DEFAULTS = {
    connectionsPerNode: 10000,
    newConnectionsPerSecondPerNode: 10000,
    headroom: 0.25,
    minNodes: 1,
    maxNodes: 200,
    pricePerNodeMonthly: 12,
} as const;

export const DEMAND_DEFAULTS = {
    connectionsPerTask: 1,
} as const;

/** DigitalOcean bills hourly at the monthly price ÷ 672 (28 days × 24 h), capped at the monthly price. */
export const HOURS_PER_MONTH = 672;

/** Largest `size_unit` the DigitalOcean API accepts. */
export const MAX_SIZE_UNIT = 200;

/** Regions whose load balancers cannot scale past one node. */
export const LEGACY_SINGLE_NODE_REGIONS: readonly string[] = ["ams2", "nyc2", "sfo1"];

/** The current region to suggest instead of each legacy one. */
const LEGACY_REGION_SUCCESSORS: Readonly<Record<string, string>> = {
    ams2: "ams3",
    nyc2: "nyc3",
    sfo1: "sfo3",
};

export interface Demand {
    users: number;
    tasksPerUser: number;
    connectionsPerTask: number;
    /** Absent: every peak connection opens within the same second (= peak connections). */
    newConnectionsPerSecond?: number;
}

export interface Capacity {
    connectionsPerNode: number;
    newConnectionsPerSecondPerNode: number;
    headroom: number;
    minNodes: number;
    maxNodes: number;
    pricePerNodeMonthly: number;
}

export interface SizingInput {
    region: string;
    demand: Demand;
    capacity: Capacity;
}

export type Binding = "connections" | "newConnectionsPerSecond" | "minimum";

export interface Sizing {
    sizeUnit: number;
    binding: Binding;
    region: string;
    peak: { connections: number; newConnectionsPerSecond: number };
    /** peak × (1 + headroom); may be fractional, for display. */
    planned: { connections: number; newConnectionsPerSecond: number };
    /** What `sizeUnit` nodes can carry. */
    capacity: { connections: number; newConnectionsPerSecond: number };
    /** peak ÷ capacity, in 0..1; `peak` is the larger of the two. */
    utilization: { connections: number; newConnectionsPerSecond: number; peak: number };
    cost: { perNodeMonthly: number; hourly: number; monthly: number };
}

export type SizingErrorCode = "exceedsMaxNodes" | "legacyRegion";

/** A demand this configuration cannot serve. Thrown instead of capping silently. */
export class SizingError extends Error {
    readonly code: SizingErrorCode;
    readonly nodesNeeded: number;
    readonly region?: string;

    constructor(code: SizingErrorCode, message: string, nodesNeeded: number, region?: string) {
        super(message);
        this.name = "SizingError";
        this.code = code;
        this.nodesNeeded = nodesNeeded;
        if (region !== undefined) this.region = region;
    }
}

// ---------------------------------------------------------------------------
// Exact arithmetic

/** A non-negative rational num/den with den > 0. */
interface Ratio {
    num: bigint;
    den: bigint;
}

/**
 * The exact decimal a JS number prints as. String(n) is the shortest decimal
 * that round-trips, so 0.1 becomes 1/10 (what the operator wrote), not the
 * binary double 0.1000000000000000055….
 */
function toRatio(n: number, field: string): Ratio {
    if (!Number.isFinite(n)) throw new Error(`${field} must be a finite number, got ${n}`);
    if (n < 0) throw new Error(`${field} must not be negative, got ${n}`);
    const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
    if (m === null) throw new Error(`${field}: cannot read ${String(n)} as a decimal`);
    const [, intPart, fracPart = "", expPart = "0"] = m;
    const exp = Number(expPart) - fracPart.length;
    const digits = BigInt(intPart + fracPart);
    return exp >= 0
        ? { num: digits * 10n ** BigInt(exp), den: 1n }
        : { num: digits, den: 10n ** BigInt(-exp) };
}

/** ceil(a / b) for a ≥ 0, b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
    return (a + b - 1n) / b;
}

/** Exact ceil(amount × (1 + headroom) / perNode), as a BigInt. */
function nodesForExact(amount: Ratio, headroom: Ratio, perNode: Ratio): bigint {
    // (an/ad) × ((hd+hn)/hd) ÷ (pn/pd)
    return ceilDiv(
        amount.num * (headroom.den + headroom.num) * perNode.den,
        amount.den * headroom.den * perNode.num,
    );
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A double close to a ratio, for display. Never NaN, even for parts beyond 1e308. */
function ratioToNumber(r: Ratio): number {
    // Both parts exact as doubles: a single, correctly rounded division.
    if (r.num <= SAFE && r.den <= SAFE) return Number(r.num) / Number(r.den);
    // Otherwise divide in BigInt keeping ~64 significant bits, then scale back.
    const shift = Math.max(0, 64 - (r.num.toString(2).length - r.den.toString(2).length));
    return Number((r.num << BigInt(shift)) / r.den) / 2 ** shift;
}

/**
 * Nodes needed to carry `amount` (connections or new connections/s) with
 * `headroom` on top, at `perNode` each: exact ceil(amount × (1 + headroom) / perNode).
 * All inputs are read as the decimals they print as (0.1 is exactly 1/10).
 */
export function nodesFor(amount: number, headroom: number, perNode: number): number {
    const per = toRatio(perNode, "perNode");
    if (per.num < per.den) throw new Error(`perNode must be at least 1, got ${perNode}`);
    return Number(nodesForExact(toRatio(amount, "amount"), toRatio(headroom, "headroom"), per));
}

// ---------------------------------------------------------------------------
// Input checks (defensive: the config schema is the real gate)

function requireCount(n: number, field: string, min = 0): void {
    if (!Number.isSafeInteger(n) || n < min) {
        throw new Error(`${field} must be a whole number of at least ${min}, got ${n}`);
    }
}

function requireAmount(n: number, field: string, min = 0, max = Number.MAX_VALUE): void {
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
        throw new Error(`${field} must be a finite number from ${min} to ${max}, got ${n}`);
    }
}

function validate(input: SizingInput): void {
    if (typeof input !== "object" || input === null)
        throw new Error("sizing input must be an object");
    const { region, demand: d, capacity: c } = input;
    if (typeof d !== "object" || d === null) throw new Error("demand must be an object");
    if (typeof c !== "object" || c === null) throw new Error("capacity must be an object");
    if (typeof region !== "string" || region.trim() === "") {
        throw new Error(`region must be a non-empty region slug, got ${JSON.stringify(region)}`);
    }
    requireCount(d.users, "demand.users");
    requireCount(d.tasksPerUser, "demand.tasksPerUser");
    requireCount(d.connectionsPerTask, "demand.connectionsPerTask");
    if (d.newConnectionsPerSecond !== undefined) {
        requireAmount(d.newConnectionsPerSecond, "demand.newConnectionsPerSecond");
    }
    requireCount(c.connectionsPerNode, "capacity.connectionsPerNode", 1);
    // Bounded so sizeUnit × perNode (the reported capacity) stays finite.
    requireAmount(
        c.newConnectionsPerSecondPerNode,
        "capacity.newConnectionsPerSecondPerNode",
        1,
        Number.MAX_SAFE_INTEGER,
    );
    requireAmount(c.headroom, "capacity.headroom");
    // size_unit 0 is not a load balancer; DigitalOcean's minimum is 1.
    requireCount(c.minNodes, "capacity.minNodes", 1);
    requireCount(c.maxNodes, "capacity.maxNodes", 1);
    if (c.maxNodes > MAX_SIZE_UNIT) {
        throw new Error(
            `capacity.maxNodes is ${c.maxNodes} but DigitalOcean allows at most ${MAX_SIZE_UNIT} nodes`,
        );
    }
    if (c.minNodes > c.maxNodes) {
        throw new Error(
            `capacity.minNodes (${c.minNodes}) is greater than capacity.maxNodes (${c.maxNodes})`,
        );
    }
    requireAmount(c.pricePerNodeMonthly, "capacity.pricePerNodeMonthly");
}

// ---------------------------------------------------------------------------
// Messages

/** 2150000 -> "2,150,000"; locale-independent so messages are stable everywhere. */
function group(n: number): string {
    const [int, frac] = String(n).split(".");
    const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** Why `needed` nodes: the term that set it, with the numbers behind it. */
function reason(binding: Binding, peakConnections: number, peakNew: number, c: Capacity): string {
    const h = percent(c.headroom);
    switch (binding) {
        case "connections":
            return `peak ${group(peakConnections)} connections with ${h} headroom at ${group(c.connectionsPerNode)} per node`;
        case "newConnectionsPerSecond":
            return `peak ${group(peakNew)} new connections/s with ${h} headroom at ${group(c.newConnectionsPerSecondPerNode)} per node`;
        case "minimum":
            return `proxy-lb:capacity.minNodes is ${c.minNodes}`;
    }
}

// ---------------------------------------------------------------------------

function round(n: number, decimals: number): number {
    const f = 10 ** decimals;
    return Math.round(n * f) / f;
}

/**
 * Size the load balancer for `input`. Throws SizingError when the demand needs
 * more nodes than allowed (never caps), and a plain Error for nonsense input.
 */
export function size(input: SizingInput): Sizing {
    validate(input);
    const { region, demand: d, capacity: c } = input;

    const headroom = toRatio(c.headroom, "capacity.headroom");
    // The product can pass 2^53 for absurd demands; keep it exact.
    const peakConnExact: Ratio = {
        num: BigInt(d.users) * BigInt(d.tasksPerUser) * BigInt(d.connectionsPerTask),
        den: 1n,
    };
    const peakNewExact =
        d.newConnectionsPerSecond === undefined
            ? peakConnExact
            : toRatio(d.newConnectionsPerSecond, "demand.newConnectionsPerSecond");

    const byConnections = nodesForExact(
        peakConnExact,
        headroom,
        toRatio(c.connectionsPerNode, "capacity.connectionsPerNode"),
    );
    const byNew = nodesForExact(
        peakNewExact,
        headroom,
        toRatio(c.newConnectionsPerSecondPerNode, "capacity.newConnectionsPerSecondPerNode"),
    );
    const minNodes = BigInt(c.minNodes);

    let binding: Binding;
    let needed: bigint;
    if (minNodes > byConnections && minNodes > byNew) {
        binding = "minimum";
        needed = minNodes;
    } else if (byConnections >= byNew) {
        binding = "connections";
        needed = byConnections;
    } else {
        binding = "newConnectionsPerSecond";
        needed = byNew;
    }

    const peakConnections = ratioToNumber(peakConnExact);
    const peakNew = ratioToNumber(peakNewExact);
    const nodesNeeded = Number(needed);

    // Legacy first: moving region is a prerequisite to any multi-node fix.
    const legacy = region.trim().toLowerCase();
    if (LEGACY_SINGLE_NODE_REGIONS.includes(legacy) && needed > 1n) {
        throw new SizingError(
            "legacyRegion",
            `region ${region} is a legacy region whose load balancers cannot scale past 1 node, ` +
                `but this demand needs ${group(nodesNeeded)} (${reason(binding, peakConnections, peakNew, c)}); ` +
                `move the load balancer to a current region (for example ${LEGACY_REGION_SUCCESSORS[legacy]})`,
            nodesNeeded,
            region,
        );
    }
    if (needed > BigInt(c.maxNodes)) {
        const fix =
            c.maxNodes < MAX_SIZE_UNIT
                ? `raise it (DigitalOcean allows up to ${MAX_SIZE_UNIT}) or split the drop across load balancers`
                : `${MAX_SIZE_UNIT} is DigitalOcean's limit, so split the drop across load balancers`;
        throw new SizingError(
            "exceedsMaxNodes",
            `demand needs ${plural(nodesNeeded, "node")} (${reason(binding, peakConnections, peakNew, c)}) ` +
                `but proxy-lb:capacity.maxNodes is ${c.maxNodes}; ${fix}`,
            nodesNeeded,
        );
    }

    const sizeUnit = nodesNeeded;
    const plannedScale = (r: Ratio): Ratio => ({
        num: r.num * (headroom.den + headroom.num),
        den: r.den * headroom.den,
    });
    const { capacity, cost } = carriedBy(sizeUnit, c);
    const capConnections = capacity.connections;
    const capNew = capacity.newConnectionsPerSecond;
    // Exactly, peak ≤ planned ≤ capacity; the clamp only guards against rounding
    // of display values beyond 2^53.
    const utilConnections = Math.min(1, peakConnections / capConnections);
    const utilNew = Math.min(1, peakNew / capNew);

    return {
        sizeUnit,
        binding,
        region,
        peak: { connections: peakConnections, newConnectionsPerSecond: peakNew },
        planned: {
            connections: ratioToNumber(plannedScale(peakConnExact)),
            newConnectionsPerSecond: ratioToNumber(plannedScale(peakNewExact)),
        },
        capacity,
        utilization: {
            connections: utilConnections,
            newConnectionsPerSecond: utilNew,
            peak: Math.max(utilConnections, utilNew),
        },
        cost,
    };
}

/** What `sizeUnit` nodes carry and cost: the calendar's size and the autopilot's alike. */
export function carriedBy(sizeUnit: number, c: Capacity): Pick<Sizing, "capacity" | "cost"> {
    const monthly = sizeUnit * c.pricePerNodeMonthly;
    return {
        capacity: {
            connections: sizeUnit * c.connectionsPerNode,
            newConnectionsPerSecond: sizeUnit * c.newConnectionsPerSecondPerNode,
        },
        cost: {
            perNodeMonthly: c.pricePerNodeMonthly,
            hourly: round(monthly / HOURS_PER_MONTH, 6),
            monthly: round(monthly, 2),
        },
    };
}
