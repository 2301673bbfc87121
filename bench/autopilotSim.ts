// npm run bench -- --autopilot [--json] [--resize-minutes <n>]   (or: npx tsx bench/autopilotSim.ts)
// The autopilot's simulation benchmark: pure and fast (no Pulumi, no emulator, no clock). Steps
// demand curves minute by minute through a model of DigitalOcean's resize delay and compares the
// policies (the runbook, the calendar, the calendar + autopilot) with the oracle, using the very
// decision the program uses (`decideSize`), so the figures are the program's, not a model's.
//
// The model of DigitalOcean:
//   - a resize asked for at minute t is in force from minute t + resizeMinutes (default 5). DigitalOcean
//     documents no figure for how long a resize takes (its scaling page documents only the one-minute
//     drain of removed nodes); 5 minutes is an assumption, the calendar's 30-minute lead is the margin
//     around it, and --resize-minutes shows the sensitivity;
//   - while a resize is processed another one is refused (HTTP 403 "Load Balancer can't be updated while
//     it processes previous actions"), and resizes are at most one a minute (Terraform provider #937);
//   - the limit is size in force × connectionsPerNode; the load balancer shows
//     frontend_connections_current = min(demand, limit): a saturated one shows its limit, never the
//     crowd it turns away. A minute is at the limit when demand ≥ limit (as `observe` counts it);
//   - the metrics of minute m are readable from minute m + 1 (a minute's lag); the controller ticks
//     every minute;
//   - billed: during a resize, the larger of the old and the new size.
import Table from "cli-table3";
import { parseArgs } from "node:util";
import { AUTOPILOT_DEFAULTS, decideSize, type AutopilotSettings } from "../sizing/autopilot";
import { observedLoad } from "../sizing/observedLoad";
import { stepAt, type Calendar, type DropWindow } from "../sizing/calendar";
import {
    CAPACITY_DEFAULTS,
    HOURS_PER_MONTH,
    nodesFor,
    type Capacity,
    type Demand,
} from "../sizing/index";
import type { Sample } from "../sizing/observe";

const MIN = 60_000;
const DAY_MINUTES = 24 * 60;
/** The simulated day starts here (any date: the calendar's drops are placed on it). */
export const DAY0 = Date.UTC(2027, 10, 26, 0, 0, 0);

export type PolicyName = "runbook" | "calendar" | "autopilot" | "peer" | "oracle";
export const POLICY_LABELS: Record<PolicyName, string> = {
    runbook: "runbook",
    calendar: "calendar",
    autopilot: "calendar+autopilot",
    peer: "doks-lb-scale",
    oracle: "oracle",
};

/**
 * The peer: the one DigitalOcean load balancer autoscaler we know of, doks-lb-scale. desired =
 * ceil(metric / target per node) within min/max nodes; no change while desired stays within a
 * 20% band around the current size; a scale-down only after desired has stayed below the band
 * for the delay. Its metric here is the connections the load balancer shows (capped at its limit,
 * as ours), its target per node the capacity with our headroom (8,000 of 10,000), no calendar.
 */
export const PEER = { hysteresis: 0.2, scaleDownDelayMinutes: 5 };

/** The peer's size at one tick, from the latest readable sample; `below` counts the minutes desired has stayed under the band. */
function peerSize(
    latest: number | undefined,
    live: number,
    below: number,
    o: SimOptions,
): { size: number; below: number } {
    if (latest === undefined) return { size: live, below: 0 };
    const perNode = o.capacity.connectionsPerNode / (1 + o.capacity.headroom);
    const desired = Math.min(
        o.autopilot.maxNodes,
        Math.max(o.capacity.minNodes, Math.ceil(latest / perNode)),
    );
    if (desired > live * (1 + PEER.hysteresis)) return { size: desired, below: 0 };
    if (desired < live * (1 - PEER.hysteresis))
        return below + 1 >= PEER.scaleDownDelayMinutes
            ? { size: desired, below: 0 }
            : { size: live, below: below + 1 };
    return { size: live, below: 0 };
}

export interface Scenario {
    name: string;
    description: string;
    /** what the calendar was told */
    calendar: Calendar;
    /** connections the crowd would open at minute m of the day (0..1439) */
    demand: (minute: number) => number;
    /** surges in the day, for the direction-change goal (at most 2 per surge) */
    surges: number;
}

export interface SimOptions {
    capacity: Capacity;
    region: string;
    resizeMinutes: number;
    metricsLagMinutes: number;
    autopilot: AutopilotSettings;
}

export const DEFAULT_SIM: SimOptions = {
    capacity: { ...CAPACITY_DEFAULTS },
    region: "nyc3",
    resizeMinutes: 5,
    metricsLagMinutes: 1,
    autopilot: {
        enabled: true,
        scaleDownAfterMinutes: AUTOPILOT_DEFAULTS.scaleDownAfterMinutes,
        maxNodes: 200,
    },
};

export interface PolicyResult {
    policy: PolicyName;
    nodeHours: number;
    cost: number;
    /** minutes with demand ≥ the limit in force */
    minutesAtLimit: number;
    /** of those, the ones after the first lag + resize minutes of their stretch: what a timely resize avoids */
    avoidableMinutesAtLimit: number;
    resizes: number;
    directionChanges: number;
    /** the size in force each minute */
    sizes: number[];
}

export interface Goals {
    noAvoidableMinuteAtLimit: boolean;
    nodeHoursWithin: boolean;
    directionChangesWithin: boolean;
}

export interface ScenarioResult {
    scenario: string;
    surges: number;
    policies: PolicyResult[];
    /** per policy (not the oracle): node-hours over the oracle's, and the goals */
    ratios: Partial<Record<PolicyName, number>>;
    goals: Partial<Record<PolicyName, Goals>>;
}

/** Goal: node-hours at most this many times the oracle's. */
export const NODE_HOURS_GOAL = 1.3;
/** Goal: at most this many direction changes (up after down, or down after up) per surge. */
export const DIRECTION_CHANGES_PER_SURGE = 2;

// ---------------------------------------------------------------------------
// Scenarios (the figures of Pulumi.drop.yaml's example: a 24,000-connection baseline = 3 nodes,
// a 6-hour drop of 40 users × 2,000 tasks = 80,000 connections = 10 nodes)

const BASELINE: Demand = { users: 12, tasksPerUser: 2000, connectionsPerTask: 1 };
const BASE = 24_000;
const DROP_START = 14 * 60;
const DROP_END = 20 * 60;
const at = (minute: number) => DAY0 + minute * MIN;

function dropCalendar(users: number): Calendar {
    const drop: DropWindow = {
        name: "black-friday",
        start: at(DROP_START),
        end: at(DROP_END),
        demand: { users, tasksPerUser: 2000, connectionsPerTask: 1 },
    };
    return { baseline: BASELINE, drops: [drop], leadMinutes: 30 };
}

const quietDay: Calendar = { baseline: BASELINE, drops: [], leadMinutes: 30 };
const during = (m: number, from: number, to: number) => m >= from && m < to;

export const SCENARIOS: readonly Scenario[] = [
    {
        name: "drop as planned",
        description:
            "80,000 connections 14:00-20:00, as the calendar says (baseline 24,000 = 3 nodes, the drop 10)",
        calendar: dropCalendar(40),
        demand: (m) => (during(m, DROP_START, DROP_END) ? 80_000 : BASE),
        surges: 1,
    },
    {
        name: "drop 2× planned",
        description: "160,000 connections 14:00-20:00; the calendar planned 80,000",
        calendar: dropCalendar(40),
        demand: (m) => (during(m, DROP_START, DROP_END) ? 160_000 : BASE),
        surges: 1,
    },
    {
        name: "surprise surge",
        description: "80,000 connections 15:00-17:00 on a day without drops",
        calendar: quietDay,
        demand: (m) => (during(m, 15 * 60, 17 * 60) ? 80_000 : BASE),
        surges: 1,
    },
    {
        name: "slow ramp",
        description:
            "24,000 -> 120,000 connections over 10:00-14:00, 1 h at the top, down over 2 h; no drop planned",
        calendar: quietDay,
        demand: (m) => {
            const [up, top, down] = [10 * 60, 14 * 60, 15 * 60];
            if (m < up || m >= down + 120) return BASE;
            if (m < top) return Math.round(BASE + ((120_000 - BASE) * (m - up)) / (top - up));
            if (m < down) return 120_000;
            return Math.round(120_000 - ((120_000 - BASE) * (m - down)) / 120);
        },
        surges: 1,
    },
    {
        name: "short spike",
        description: "60,000 connections for 10 min at 12:00, shorter than the 30-min window",
        calendar: quietDay,
        demand: (m) => (during(m, 12 * 60, 12 * 60 + 10) ? 60_000 : BASE),
        surges: 1,
    },
    {
        name: "oscillation",
        description:
            "38,000 / 42,000 connections, switching every 10 min 10:00-16:00, around the 5/6-node boundary (40,000 × 1.25 = 50,000)",
        calendar: quietDay,
        // 40,000 × 1.25 = 50,000 = exactly 5 nodes: 38,000 needs 5, 42,000 needs 6.
        demand: (m) =>
            during(m, 10 * 60, 16 * 60)
                ? Math.floor((m - 600) / 10) % 2 === 0
                    ? 42_000
                    : 38_000
                : BASE,
        surges: 1,
    },
];

// ---------------------------------------------------------------------------
// The simulation

function oracleSize(demand: number, o: SimOptions): number {
    return Math.max(
        o.capacity.minNodes,
        nodesFor(demand, o.capacity.headroom, o.capacity.connectionsPerNode),
    );
}

function calendarSize(s: Scenario, minute: number, o: SimOptions): number {
    return stepAt(s.calendar, { region: o.region, capacity: o.capacity }, at(minute)).sizing
        .sizeUnit;
}

function countDirectionChanges(resizes: number[]): number {
    let changes = 0;
    for (let i = 2; i < resizes.length; i++) {
        if (Math.sign(resizes[i] - resizes[i - 1]) !== Math.sign(resizes[i - 1] - resizes[i - 2]))
            changes++;
    }
    return changes;
}

function summarize(
    policy: PolicyName,
    sizes: number[],
    billed: number[],
    resized: number[],
    s: Scenario,
    o: SimOptions,
): PolicyResult {
    const reaction = o.metricsLagMinutes + o.resizeMinutes;
    let minutesAtLimit = 0;
    let avoidable = 0;
    let stretch = 0;
    sizes.forEach((n, m) => {
        if (s.demand(m) >= n * o.capacity.connectionsPerNode) {
            minutesAtLimit++;
            stretch++;
            // No reactive resize can be in force sooner than the metrics' lag plus the resize time.
            if (stretch > reaction) avoidable++;
        } else stretch = 0;
    });
    const nodeHours = billed.reduce((a, b) => a + b, 0) / 60;
    return {
        policy,
        nodeHours,
        cost: (nodeHours * o.capacity.pricePerNodeMonthly) / HOURS_PER_MONTH,
        minutesAtLimit,
        avoidableMinutesAtLimit: avoidable,
        resizes: resized.length - 1,
        directionChanges: countDirectionChanges(resized),
        sizes,
    };
}

/** Runs one policy through the resize model over the day. */
function runPolicy(
    policy: Exclude<PolicyName, "oracle">,
    s: Scenario,
    o: SimOptions,
): PolicyResult {
    const perNode = o.capacity.connectionsPerNode;
    const runbook = Math.max(
        ...Array.from({ length: DAY_MINUTES }, (_, m) => calendarSize(s, m, o)),
    );
    let inForce = policy === "runbook" ? runbook : calendarSize(s, 0, o);
    let pending = null as { size: number; from: number } | null;
    let lastRequest = -Infinity;
    const connections: Sample[] = [];
    const limits: Sample[] = [];
    const sizes: number[] = [];
    const billed: number[] = [];
    const resized = [inForce];
    const keep = o.autopilot.scaleDownAfterMinutes + o.metricsLagMinutes + 10;
    let peerBelow = 0;

    for (let m = 0; m < DAY_MINUTES; m++) {
        if (pending !== null && m >= pending.from) {
            inForce = pending.size;
            pending = null;
        }
        const live: number = pending?.size ?? inForce;
        let target: number;
        if (policy === "runbook") target = runbook;
        else if (policy === "calendar") target = calendarSize(s, m, o);
        else if (policy === "peer") {
            const readable = connections.filter(([t]) => t * 1000 <= at(m - o.metricsLagMinutes));
            const peer = peerSize(readable.at(-1)?.[1], live, peerBelow, o);
            peerBelow = peer.below;
            target = peer.size;
        } else {
            // What the controller can read at minute m: the samples up to m − lag (only the window's, for speed).
            const readable = (xs: Sample[]) =>
                xs.filter(
                    ([t]) => t * 1000 <= at(m - o.metricsLagMinutes) && t * 1000 > at(m - keep),
                );
            target = decideSize({
                calendar: calendarSize(s, m, o),
                liveSizeUnit: live,
                load: observedLoad(at(m), null, {
                    ok: true,
                    connections: readable(connections),
                    limit: readable(limits),
                }),
                settings: o.autopilot,
                capacity: o.capacity,
            }).sizeUnit;
        }
        // DigitalOcean refuses an update while one is processed, and more than one a minute.
        if (target !== live && pending === null && m - lastRequest >= 1) {
            pending = { size: target, from: m + o.resizeMinutes };
            lastRequest = m;
            resized.push(target);
            if (o.resizeMinutes === 0) {
                inForce = target;
                pending = null;
            }
        }
        const limit = inForce * perNode;
        connections.push([at(m) / 1000, Math.min(s.demand(m), limit)]);
        limits.push([at(m) / 1000, limit]);
        sizes.push(inForce);
        billed.push(Math.max(inForce, pending?.size ?? 0));
    }
    return summarize(policy, sizes, billed, resized, s, o);
}

function runOracle(s: Scenario, o: SimOptions): PolicyResult {
    const sizes = Array.from({ length: DAY_MINUTES }, (_, m) => oracleSize(s.demand(m), o));
    const resized = sizes.filter((n, m) => m === 0 || n !== sizes[m - 1]);
    return summarize("oracle", sizes, sizes, resized, s, o);
}

export function simulate(s: Scenario, o: SimOptions = DEFAULT_SIM): ScenarioResult {
    const oracle = runOracle(s, o);
    const others = (["runbook", "calendar", "autopilot", "peer"] as const).map((p) =>
        runPolicy(p, s, o),
    );
    const ratios: ScenarioResult["ratios"] = {};
    const goals: ScenarioResult["goals"] = {};
    for (const r of others) {
        ratios[r.policy] = r.nodeHours / oracle.nodeHours;
        goals[r.policy] = {
            noAvoidableMinuteAtLimit: r.avoidableMinutesAtLimit === 0,
            nodeHoursWithin: r.nodeHours <= NODE_HOURS_GOAL * oracle.nodeHours,
            directionChangesWithin: r.directionChanges <= DIRECTION_CHANGES_PER_SURGE * s.surges,
        };
    }
    return { scenario: s.name, surges: s.surges, policies: [...others, oracle], ratios, goals };
}

export function simulateAll(
    o: SimOptions = DEFAULT_SIM,
    scenarios: readonly Scenario[] = SCENARIOS,
): ScenarioResult[] {
    return scenarios.map((s) => simulate(s, o));
}

// ---------------------------------------------------------------------------
// The report

const mark = (ok: boolean) => (ok ? "pass" : "FAIL");

export function simTable(results: readonly ScenarioResult[], o: SimOptions = DEFAULT_SIM): string {
    const table = new Table({
        head: [
            "scenario",
            "policy",
            "node-h",
            "× oracle",
            "cost $",
            "min at limit (avoidable)",
            "resizes",
            "dir. changes",
            "goals",
        ],
        colAligns: ["left", "left", "right", "right", "right", "right", "right", "right", "left"],
        style: { head: [], border: [] },
        // No line between the rows: the table stays short enough to read in a terminal and the README.
        chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    });
    for (const r of results) {
        r.policies.forEach((p, i) => {
            const g = r.goals[p.policy];
            const ratio = r.ratios[p.policy];
            table.push([
                i === 0 ? r.scenario : "",
                POLICY_LABELS[p.policy],
                p.nodeHours.toFixed(1),
                ratio === undefined ? "1.00×" : `${ratio.toFixed(2)}×`,
                p.cost.toFixed(2),
                `${p.minutesAtLimit} (${p.avoidableMinutesAtLimit})`,
                String(p.resizes),
                String(p.directionChanges),
                g === undefined
                    ? ""
                    : `${mark(g.noAvoidableMinuteAtLimit)} ${mark(g.nodeHoursWithin)} ${mark(g.directionChangesWithin)}`,
            ]);
        });
    }
    const autopilotOk = results.every((r) => Object.values(r.goals.autopilot ?? {}).every(Boolean));
    return [
        `autopilot simulation: one day per scenario, minute by minute; a resize is in force ${o.resizeMinutes} min after it is asked for (an assumption: DigitalOcean documents no figure), metrics readable ${o.metricsLagMinutes} min late, one resize at a time; ` +
            `${o.capacity.connectionsPerNode} connections per node, ${o.capacity.headroom * 100}% headroom, scaleDownAfterMinutes ${o.autopilot.scaleDownAfterMinutes}, $${o.capacity.pricePerNodeMonthly}/node/month`,
        table.toString(),
        ...results.map(
            (r) =>
                `- ${r.scenario}: ${SCENARIOS.find((s) => s.name === r.scenario)?.description ?? ""}`,
        ),
        "- runbook: one size all day, the calendar's largest of the day; calendar: the calendar's size each minute (30 min lead); calendar+autopilot: decideSize each minute",
        `- doks-lb-scale (the peer): ceil(connections shown / ${o.capacity.connectionsPerNode / (1 + o.capacity.headroom)} per node) within min/max, no change inside a ${PEER.hysteresis * 100}% band around the live size, a scale-down after ${PEER.scaleDownDelayMinutes} min below it; no calendar`,
        `- min at limit: minutes with demand ≥ the limit in force; avoidable: those after the first ${o.metricsLagMinutes + o.resizeMinutes} of their stretch (lag + resize time), which no reactive resize can shorten`,
        "- oracle: the exact size for each minute's demand with the headroom, in force at once (no delay); × oracle: node-hours over the oracle's",
        `- goals, each pass/FAIL: no avoidable minute at the limit; node-hours at most ${NODE_HOURS_GOAL}× the oracle's; at most ${DIRECTION_CHANGES_PER_SURGE} direction changes (up after down or down after up) per surge`,
        `calendar + autopilot: ${autopilotOk ? "every goal met" : "a goal is missed (see FAIL above)"}`,
    ].join("\n");
}

/**
 * The README's short form: per scenario, the avoidable minutes at the limit and the node-hours over
 * the oracle's for the runbook, the calendar and calendar + autopilot, and the autopilot's goals.
 */
export function simSummary(
    results: readonly ScenarioResult[],
    o: SimOptions = DEFAULT_SIM,
): string {
    const of = (r: ScenarioResult, policy: PolicyName) =>
        r.policies.find((p) => p.policy === policy)!;
    const three = ["runbook", "calendar", "autopilot"] as const;
    const rows = results.map((r) => {
        const g = r.goals.autopilot!;
        return [
            r.scenario,
            three.map((p) => String(of(r, p).avoidableMinutesAtLimit)).join(" / "),
            three.map((p) => r.ratios[p]!.toFixed(2)).join(" / "),
            String(of(r, "autopilot").resizes),
            Object.values(g).every(Boolean)
                ? "met"
                : `MISSED: ${[!g.noAvoidableMinuteAtLimit && "minutes at the limit", !g.nodeHoursWithin && "node-hours", !g.directionChangesWithin && "direction changes"].filter(Boolean).join(", ")}`,
        ];
    });
    // Plain ASCII columns: as short in the README as in a terminal.
    const head = [
        "scenario",
        "avoidable min at limit",
        "node-h × oracle",
        "autopilot resizes",
        "autopilot goals",
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) =>
                i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]),
            )
            .join("  ")
            .trimEnd();
    return [
        `runbook / calendar / calendar+autopilot; a resize in force ${o.resizeMinutes} min after it is asked (an assumption), metrics ${o.metricsLagMinutes} min late`,
        line(head),
        ...rows.map(line),
    ].join("\n");
}

const USAGE = "usage: npm run bench -- --autopilot [--json | --summary] [--resize-minutes <n>]";

export function main(argv: string[]): number {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                json: { type: "boolean", default: false },
                summary: { type: "boolean", default: false },
                "resize-minutes": { type: "string", default: String(DEFAULT_SIM.resizeMinutes) },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
        }));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(
            `${USAGE}\n\nSimulates the autopilot against the runbook, the calendar and the oracle over six demand curves (pure, under a second).\n\n  --json                print the results as JSON\n  --summary             the short table: avoidable minutes at the limit and node-hours per policy\n  --resize-minutes <n>  minutes a resize takes to be in force (default ${DEFAULT_SIM.resizeMinutes}; 0 to 60)\n`,
        );
        return 0;
    }
    const resizeMinutes = Number(values["resize-minutes"]);
    if (!Number.isInteger(resizeMinutes) || resizeMinutes < 0 || resizeMinutes > 60) {
        process.stderr.write(
            `--resize-minutes must be a whole number from 0 to 60 (got ${values["resize-minutes"]})\n${USAGE}\n`,
        );
        return 2;
    }
    const options = { ...DEFAULT_SIM, resizeMinutes };
    const results = simulateAll(options);
    const strip = results.map((r) => ({
        ...r,
        policies: r.policies.map(({ sizes: _sizes, ...p }) => p),
    }));
    process.stdout.write(
        `${values.json ? JSON.stringify({ options, results: strip }, null, 2) : values.summary ? simSummary(results, options) : simTable(results, options)}\n`,
    );
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
