// What a drop really used (sizing/observe.ts): table tests over several connection curves,
// one of which hits the limit, and properties of the suggested demand and size.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchLbMetrics, type MetricsRequest } from "../infra/monitoring";
import { dropCurvePoints } from "../emulator/metrics";
import { type Emulator, startEmulator } from "../emulator/server";
import { TEST_TOKEN } from "../emulator/testkit";
import { CAPACITY_DEFAULTS, nodesFor, type Demand } from "../sizing";
import {
    bucketize,
    observe,
    ObservationError,
    suggestDemand,
    valueAt,
    type Planned,
    type Sample,
    type Series,
} from "../sizing/observe";
import type { Command } from "../cli/run";
import { run as observeCommand } from "../cli/observe";
import { run as planCommand } from "../cli/plan";
import { runInProcess } from "./support/inProcess";

// Async: the emulator runs in this process and must keep answering while a CLI waits on it.

const T0 = 1_827_237_600; // 2027-11-26T13:00:00Z
const MIN = 60;
const planned: Planned = {
    region: "nyc3",
    demand: { users: 40, tasksPerUser: 2000, connectionsPerTask: 1 },
    capacity: { ...CAPACITY_DEFAULTS },
    sizeUnit: 10,
};
const window = { from: T0, to: T0 + 60 * MIN };

/** One sample a minute from T0, with these values. */
const minutes = (values: number[]): Sample[] => values.map((v, i) => [T0 + i * MIN, v]);
const flat = (value: number, n = 61): Sample[] => minutes(Array(n).fill(value));
const series = (
    connections: Sample[],
    limit: Sample[] = flat(100_000),
    cpu: Sample[] = [],
): Series => ({ connections, limit, cpu });

describe("observe: table over curves", () => {
    it("a calm drop: the peak, when, its share of the limit, and the size held", () => {
        const curve = minutes([1000, 20_000, 55_000, 61_000, 58_000, 30_000]);
        const o = observe(series(curve, flat(100_000), minutes([10, 35.5, 20])), window, planned);
        expect(o.peak).toEqual({ connections: 61_000, at: T0 + 3 * MIN, limit: 100_000 });
        expect(o.peakShare.share).toBeCloseTo(0.61, 10);
        expect(o.held).toBe(true);
        expect(o.atLimit).toEqual([]);
        expect(o.cpu).toEqual({ peak: 35.5, at: T0 + MIN });
        expect(o.limitSource).toBe("metrics");
        // 61,000 × 1.25 = 76,250 → 8 nodes; in the plan's shape: 40 users × 1,525 tasks = 61,000
        expect(o.suggested).toMatchObject({
            demand: { users: 40, tasksPerUser: 1525, connectionsPerTask: 1 },
            sizeUnit: 8,
            peakConnections: 61_000,
        });
        expect(o.planned).toEqual({
            demand: planned.demand,
            sizeUnit: 10,
            capacity: 100_000,
            peakConnections: 80_000,
        });
    });

    it("a drop that hit the limit: each stretch at or over it, when and for how long", () => {
        // 3 nodes (30,000) while 40,000 connections were wanted: pinned at the limit 3 minutes,
        // then again for 1 minute.
        const curve = minutes([10_000, 25_000, 30_000, 30_000, 30_000, 29_000, 30_000, 12_000]);
        const o = observe(series(curve, flat(30_000)), window, { ...planned, sizeUnit: 3 });
        expect(o.held).toBe(false);
        expect(o.atLimit).toEqual([
            { from: T0 + 2 * MIN, to: T0 + 5 * MIN, seconds: 180, peak: 30_000, limit: 30_000 },
            { from: T0 + 6 * MIN, to: T0 + 7 * MIN, seconds: 60, peak: 30_000, limit: 30_000 },
        ]);
        expect(o.peakShare.share).toBe(1);
        expect(o.peak.at).toBe(T0 + 2 * MIN); // the first time, on a tie
        // The true demand is unknown past the limit: the suggestion covers what was seen.
        expect(o.suggested.sizeUnit).toBe(4);
    });

    it("a stretch reaching the last sample lasts one sample spacing, clipped to the window", () => {
        const curve = minutes([5_000, 30_000]);
        const o = observe(series(curve, flat(30_000)), { from: T0, to: T0 + MIN + 20 }, planned);
        expect(o.atLimit).toEqual([
            { from: T0 + MIN, to: T0 + MIN + 20, seconds: 20, peak: 30_000, limit: 30_000 },
        ]);
    });

    it("a resize during the window: each sample against the limit in force then", () => {
        const limit: Sample[] = [
            [T0, 30_000],
            [T0 + 3 * MIN, 100_000],
        ];
        const curve = minutes([20_000, 29_000, 29_500, 70_000, 40_000]);
        const o = observe(series(curve, limit), window, planned);
        expect(o.peak).toMatchObject({ connections: 70_000, limit: 100_000 });
        expect(o.peakShare).toEqual({
            share: 29_500 / 30_000,
            at: T0 + 2 * MIN,
            connections: 29_500,
            limit: 30_000,
        });
        expect(o.held).toBe(true);
    });

    it("without limit samples, the planned capacity stands in (and says so)", () => {
        const o = observe(series(minutes([50_000, 120_000]), []), window, planned);
        expect(o.limitSource).toBe("plan");
        expect(o.peak.limit).toBe(100_000);
        expect(o.held).toBe(false);
    });

    it("ignores samples outside the window and reads them in time order", () => {
        const curve: Sample[] = [
            [T0 + 2 * MIN, 9_000],
            [T0 - MIN, 99_000],
            [T0, 1_000],
            [T0 + 61 * MIN, 99_000],
            [T0 + MIN, 5_000],
        ];
        const o = observe(series(curve), window, planned);
        expect(o.samples).toBe(3);
        expect(o.peak.connections).toBe(9_000);
        expect(o.step).toBe(MIN);
    });

    it("refuses a window without connection samples", () => {
        expect(() => observe(series([]), window, planned)).toThrow(ObservationError);
        expect(() => observe(series(flat(1)), { from: T0, to: T0 }, planned)).toThrow(
            /must end after it starts/,
        );
    });

    it("a peak beyond any allowed size is a problem in the suggestion, not a silent cap", () => {
        const o = observe(series(minutes([3_000_000])), window, planned);
        expect(o.suggested.sizeUnit).toBeNull();
        expect(o.suggested.problem).toMatch(
            /demand needs 375 nodes .* proxy-lb:capacity.maxNodes is 200/,
        );
    });
});

describe("suggestDemand", () => {
    it("keeps the planned shape, rounding tasks per user up", () => {
        expect(suggestDemand(24_001, planned).demand).toEqual({
            users: 40,
            tasksPerUser: 601,
            connectionsPerTask: 1,
        });
        const twoPerTask = {
            ...planned,
            demand: { users: 10, tasksPerUser: 100, connectionsPerTask: 2 },
        };
        expect(suggestDemand(3_000, twoPerTask).demand).toEqual({
            users: 10,
            tasksPerUser: 150,
            connectionsPerTask: 2,
        });
    });

    it("keeps a planned new connections/s figure (it is not measured)", () => {
        const withRate = {
            ...planned,
            demand: { ...planned.demand, newConnectionsPerSecond: 500 },
        };
        expect(suggestDemand(10_000, withRate).demand.newConnectionsPerSecond).toBe(500);
    });

    it("gives the exact peak when rounding tasks up would cost a node", () => {
        // 1,000 users, 39,999 seen: 40 tasks each = 40,000 × 1.25 = 50,000 → 5 nodes, the same as exact.
        const many = {
            ...planned,
            demand: { users: 1000, tasksPerUser: 10, connectionsPerTask: 1 },
        };
        expect(suggestDemand(39_999, many).sizeUnit).toBe(5);
        // 7 users × 1,143 = 8,001 ≥ 8,000 → 10,001.25 → 2 nodes; exact 8,000 × 1.25 = 10,000 → 1.
        const seven = { ...planned, demand: { users: 7, tasksPerUser: 1, connectionsPerTask: 1 } };
        expect(suggestDemand(8_000, seven)).toMatchObject({
            demand: { users: 1, tasksPerUser: 8_000, connectionsPerTask: 1 },
            sizeUnit: 1,
        });
    });

    it("gives the exact peak when rounding tasks up would pass the node limit the peak fits in (found by the property below)", () => {
        // 919 users × 66 tasks × 3 = 181,962 × 1.1 → 201 nodes, over maxNodes; the peak itself, 179,206 × 1.1 → 198.
        const capacity = {
            connectionsPerNode: 1000,
            newConnectionsPerSecondPerNode: 1000,
            headroom: 0.1,
            minNodes: 1,
            maxNodes: 200,
            pricePerNodeMonthly: 12,
        };
        const s = suggestDemand(179_206, {
            region: "nyc3",
            demand: { users: 919, tasksPerUser: 0, connectionsPerTask: 3 },
            capacity,
            sizeUnit: 1,
        });
        expect(s).toMatchObject({
            demand: { users: 1, tasksPerUser: 179_206, connectionsPerTask: 1 },
            sizeUnit: 198,
        });
        expect(s.problem).toBeUndefined();
    });

    const demandArb = fc.record({
        users: fc.integer({ min: 0, max: 2000 }),
        tasksPerUser: fc.integer({ min: 0, max: 5000 }),
        connectionsPerTask: fc.integer({ min: 1, max: 4 }),
        newConnectionsPerSecond: fc.option(fc.integer({ min: 0, max: 500_000 }), {
            nil: undefined,
        }),
    });
    const capacityArb = fc.record({
        connectionsPerNode: fc.integer({ min: 1000, max: 20_000 }),
        newConnectionsPerSecondPerNode: fc.integer({ min: 1000, max: 20_000 }),
        headroom: fc.constantFrom(0, 0.1, 0.25, 0.5, 1),
        minNodes: fc.integer({ min: 1, max: 3 }),
        maxNodes: fc.constant(200),
        pricePerNodeMonthly: fc.constant(12),
    });

    it("the suggested size_unit is the smallest that fits the observed peak with headroom (property)", () => {
        fc.assert(
            fc.property(
                demandArb,
                capacityArb,
                fc.integer({ min: 0, max: 1_500_000 }),
                (demand: Demand, capacity, peak) => {
                    const s = suggestDemand(peak, {
                        region: "nyc3",
                        demand,
                        capacity,
                        sizeUnit: 1,
                    });
                    expect(s.peakConnections).toBeGreaterThanOrEqual(peak);
                    const byConnections = nodesFor(
                        peak,
                        capacity.headroom,
                        capacity.connectionsPerNode,
                    );
                    const byRate = nodesFor(
                        demand.newConnectionsPerSecond ?? s.peakConnections,
                        capacity.headroom,
                        capacity.newConnectionsPerSecondPerNode,
                    );
                    const smallest = Math.max(
                        capacity.minNodes,
                        byConnections,
                        demand.newConnectionsPerSecond === undefined
                            ? nodesFor(
                                  peak,
                                  capacity.headroom,
                                  capacity.newConnectionsPerSecondPerNode,
                              )
                            : byRate,
                    );
                    if (smallest > 200) {
                        expect(s.sizeUnit).toBeNull();
                        expect(s.problem).toMatch(/maxNodes/);
                    } else {
                        expect(s.sizeUnit).toBe(smallest);
                    }
                },
            ),
        );
    });
});

describe("observe: properties over random curves", () => {
    const curveArb = fc.array(
        fc.tuple(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 0, max: 60_000 })),
        { minLength: 1, maxLength: 80 },
    );
    const limitArb = fc.array(
        fc.tuple(fc.integer({ min: 0, max: 3600 }), fc.constantFrom(10_000, 30_000, 50_000)),
        { maxLength: 5 },
    );

    it("held exactly when no sample reaches the limit in force; the peak is the highest sample; stretches fit in the window", () => {
        fc.assert(
            fc.property(curveArb, limitArb, (raw, rawLimit) => {
                const connections: Sample[] = raw.map(([dt, v]) => [T0 + dt, v]);
                const limit: Sample[] = rawLimit.map(([dt, v]) => [T0 + dt, v]);
                const o = observe({ connections, limit, cpu: [] }, window, planned);
                const sortedLimit = [...limit].sort((a, b) => a[0] - b[0]);
                const limitAt = (t: number) => valueAt(sortedLimit, t) ?? 100_000;
                const reached = connections.some(([t, v]) => v >= limitAt(t));
                expect(o.held).toBe(!reached);
                expect(o.peak.connections).toBe(Math.max(...connections.map(([, v]) => v)));
                let total = 0;
                for (const s of o.atLimit) {
                    expect(s.to).toBeGreaterThanOrEqual(s.from);
                    expect(s.from).toBeGreaterThanOrEqual(window.from);
                    expect(s.to).toBeLessThanOrEqual(window.to);
                    expect(s.peak).toBeGreaterThanOrEqual(s.limit);
                    total += s.seconds;
                }
                expect(total).toBeLessThanOrEqual(window.to - window.from);
            }),
        );
    });

    it("bucketize keeps the peak and the lowest limit visible at any width", () => {
        fc.assert(
            fc.property(curveArb, fc.integer({ min: 1, max: 100 }), (raw, columns) => {
                const connections: Sample[] = raw.map(([dt, v]) => [T0 + dt, v]);
                const limit: Sample[] = [
                    [T0, 50_000],
                    [T0 + 1800, 20_000],
                ];
                const b = bucketize({ connections, limit, cpu: [] }, window, columns);
                expect(b.connections).toHaveLength(columns);
                expect(Math.max(...b.connections)).toBe(Math.max(...connections.map(([, v]) => v)));
                expect(Math.min(...b.limit)).toBe(20_000);
            }),
        );
    });
});

// ---------------------------------------------------------------------------
// The thin HTTP read, and the CLIs, against the project's DigitalOcean API emulator.

describe("reading the metrics from DigitalOcean's monitoring API (the emulator)", () => {
    const LB_ID = "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40";
    const SCALE_UP = 1_827_235_800; // 2027-11-26T13:30:00Z: "first" drop's start − 30 min lead
    const END = 1_827_259_200; // 2027-11-26T20:00:00Z
    // 3 nodes (a 30,000 limit) while the crowd peaked at 34,000 around 17:10.
    const curve = {
        start: SCALE_UP,
        end: END,
        stepSeconds: 60,
        baseline: 5_000,
        peak: 34_000,
        peakAt: 1_827_249_000,
        rampMinutes: 60,
    };
    let emulator: Emulator;
    let dir: string;

    beforeAll(async () => {
        emulator = await startEmulator({
            port: 0,
            seed: {
                droplets: [],
                loadBalancers: [
                    {
                        id: LB_ID,
                        name: "proxy-lb",
                        region: "nyc3",
                        size_unit: 3,
                        forwarding_rules: [
                            {
                                entry_protocol: "tcp",
                                entry_port: 8080,
                                target_protocol: "tcp",
                                target_port: 8080,
                            },
                        ],
                    },
                ],
                metrics: {
                    loadBalancers: {
                        [LB_ID]: {
                            frontend_connections_current: { curve },
                            frontend_cpu_utilization: {
                                points: [
                                    [SCALE_UP, 12],
                                    [1_827_249_000, 71.5],
                                    [END, 20],
                                ],
                            },
                        },
                    },
                },
            },
        });
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-observe-"));
        writeFileSync(
            path.join(dir, "Pulumi.drop.yaml"),
            [
                "config:",
                `  digitalocean:apiEndpoint: ${emulator.url}`,
                "  proxy-lb:region: nyc3",
                `  proxy-lb:loadBalancer: {name: proxy-lb, id: ${LB_ID}, forwarding: [{port: 8080}], healthCheck: {port: 8080}}`,
                "  proxy-lb:maskingServers: {ids: [501000101]}",
                "  proxy-lb:demand: {users: 4, tasksPerUser: 2000}",
                "  proxy-lb:drops:",
                '    - {name: first, start: "2027-11-26T14:00:00Z", end: "2027-11-26T20:00:00Z", demand: {users: 12, tasksPerUser: 2000}}',
                '    - {name: second, start: "2027-12-10T14:00:00Z", end: "2027-12-10T20:00:00Z", demand: {users: 12, tasksPerUser: 2000}}',
                "",
            ].join("\n"),
        );
    });
    afterAll(async () => {
        await emulator?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const request = (overrides: Partial<MetricsRequest> = {}): MetricsRequest => ({
        api: emulator.url,
        token: TEST_TOKEN,
        lbId: LB_ID,
        start: SCALE_UP,
        end: END,
        ...overrides,
    });

    it("reads the three series as the API serves them and finds the stretch at the limit", async () => {
        const series = await fetchLbMetrics(request());
        expect(series.connections).toEqual(dropCurvePoints(curve));
        expect(new Set(series.limit.map(([, v]) => v))).toEqual(new Set([30_000]));
        expect(series.cpu).toEqual([
            [SCALE_UP, 12],
            [1_827_249_000, 71.5],
            [END, 20],
        ]);

        const o = observe(
            series,
            { from: SCALE_UP, to: END },
            {
                ...planned,
                demand: { users: 12, tasksPerUser: 2000, connectionsPerTask: 1 },
                sizeUnit: 3,
            },
        );
        expect(o.peak).toEqual({ connections: 34_000, at: 1_827_249_000, limit: 30_000 });
        expect(o.held).toBe(false);
        expect(o.atLimit).toHaveLength(1);
        const [stretch] = o.atLimit;
        expect(stretch.from).toBeLessThan(1_827_249_000);
        expect(stretch.to).toBeGreaterThan(1_827_249_000);
        // Every sample inside the stretch is at or over 30,000, and the ones just outside are under.
        const value = (t: number) => series.connections.find(([at]) => at === t)![1];
        expect(value(stretch.from)).toBeGreaterThanOrEqual(30_000);
        expect(value(stretch.from - 60)).toBeLessThan(30_000);
        expect(value(stretch.to)).toBeLessThan(30_000);
        expect(o.cpu).toEqual({ peak: 71.5, at: 1_827_249_000 });
        expect(o.suggested).toMatchObject({
            demand: { users: 12, tasksPerUser: 2834 },
            sizeUnit: 5,
        });
    });

    it("says what the API answered when it refuses", async () => {
        await expect(
            fetchLbMetrics(request({ lbId: "00000000-0000-4000-8000-000000000000" })),
        ).rejects.toThrow(/frontend_connections_current answered 404/);
        await expect(fetchLbMetrics(request({ token: "" }))).rejects.toThrow(
            /^DigitalOcean refused the API token \(401 Unable to authenticate you\): export DIGITALOCEAN_TOKEN/,
        );
    });

    const COMMANDS: Record<string, Command> = {
        "cli/observe.ts": observeCommand,
        "cli/plan.ts": planCommand,
    };
    const run = (script: string, args: string[], env: Record<string, string>) =>
        runInProcess(COMMANDS[script], args, {
            cwd: dir,
            env: {
                ...process.env,
                DIGITALOCEAN_API_URL: "",
                DIGITALOCEAN_TOKEN: TEST_TOKEN,
                PROXY_LB_NOW: "2027-11-27T00:00:00Z",
                ...env,
            },
        });

    it("npm run observe --drop reads the stack's LB through digitalocean:apiEndpoint and reports it (--json, text, --markdown)", async () => {
        const json = await run(
            "cli/observe.ts",
            ["--stack", "drop", "--drop", "first", "--json"],
            {},
        );
        expect(json.status).toBe(0);
        const out = JSON.parse(json.stdout);
        expect(out).toMatchObject({
            lbId: LB_ID,
            drop: "first",
            window: { from: "2027-11-26T13:30:00Z", to: "2027-11-26T20:00:00Z" },
            peak: { connections: 34_000, at: "2027-11-26T17:10:00Z", limit: 30_000 },
            held: false,
            planned: { sizeUnit: 3, peakConnections: 24_000 },
            suggested: { sizeUnit: 5 },
        });
        writeFileSync(path.join(dir, "first.json"), json.stdout);

        const text = await run("cli/observe.ts", ["--stack", "drop", "--drop", "first"], {});
        expect(text.status).toBe(0);
        expect(text.stdout).toContain(
            "peak: 34,000 simultaneous connections at 2027-11-26T17:10Z, 113.3% of the limit then (30,000)",
        );
        expect(text.stdout).toContain("THE LIMIT WAS REACHED: 1 stretch");
        // The chart: its top label is the peak, and the window's ends are under it.
        expect(text.stdout).toMatch(/34,000 [┤┼]/);
        expect(text.stdout).toMatch(/2027-11-26T13:30Z +2027-11-26T20:00Z/);

        const markdown = await run(
            "cli/observe.ts",
            [
                "--stack",
                "drop",
                "--from",
                "2027-11-26T13:30:00Z",
                "--to",
                "2027-11-26T20:00:00Z",
                "--markdown",
            ],
            {},
        );
        expect(markdown.status).toBe(0);
        expect(markdown.stdout).toContain("xychart-beta");
        expect(markdown.stdout).toContain("| size_unit | 3 | 5 |");
    });

    it("plan --observed proposes the observed demand for the next drop, from the JSON file or the drop's name", async () => {
        const env = { PROXY_LB_NOW: "2027-11-27T00:00:00Z" };
        const fromFile = await run(
            "cli/plan.ts",
            ["--stack", "drop", "--observed", path.join(dir, "first.json"), "--json"],
            env,
        );
        expect(fromFile.status).toBe(0);
        expect(JSON.parse(fromFile.stdout)).toMatchObject({
            observed: { peak: 34_000, held: false },
            proposed: { demand: { users: 12, tasksPerUser: 2834 }, sizeUnit: 5 },
            next: { name: "second", key: "proxy-lb:drops[1].demand", planned: { sizeUnit: 3 } },
        });
        const byName = await run("cli/plan.ts", ["--stack", "drop", "--observed", "first"], env);
        expect(byName.status).toBe(0);
        expect(byName.stdout).toContain(
            "set proxy-lb:drops[1].demand in Pulumi.drop.yaml to:\n  users: 12\n  tasksPerUser: 2834",
        );
    });

    it("refuses a drop that has not started, and a missing token, naming what is wrong", async () => {
        const early = await run("cli/observe.ts", ["--stack", "drop", "--drop", "second"], {});
        expect(early.status).toBe(1);
        expect(early.stderr).toContain("drop second has not started yet");
        const noToken = await run("cli/observe.ts", ["--stack", "drop", "--drop", "first"], {
            DIGITALOCEAN_TOKEN: "",
        });
        expect(noToken.status).toBe(1);
        expect(noToken.stderr).toContain("DIGITALOCEAN_TOKEN is not set");
        // The same words as plan's for a period that ends before it starts; a drop and a period at once is bad usage.
        const backwards = await run(
            "cli/observe.ts",
            ["--stack", "drop", "--from", "2027-11-26T18:00:00Z", "--to", "2027-11-26T17:00:00Z"],
            {},
        );
        expect(backwards.status).toBe(1);
        expect(backwards.stderr).toBe(
            "--to (2027-11-26T17:00:00Z) must be after --from (2027-11-26T18:00:00Z)\n",
        );
        const both = await run(
            "cli/observe.ts",
            ["--stack", "drop", "--drop", "first", "--from", "2027-11-26T18:00:00Z"],
            {},
        );
        expect(both.status).toBe(2);
        expect(both.stderr).toContain("give either --drop or --from/--to, not both");
    });
});
