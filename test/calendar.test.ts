// The drop calendar (sizing/calendar.ts): which size at which time, what overlapping drops
// add up to, what each window costs. Pure: times are epoch ms.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPACITY_DEFAULTS, size, SizingError, type Demand } from "../sizing";
import {
    activeDrops,
    allSteps,
    boundaries,
    Calendar,
    combineDemands,
    costOver,
    dueAt,
    parseInstant,
    sizingProblems,
    stepAt,
    stepsBetween,
    timeline,
    type DropWindow,
} from "../sizing/calendar";
import { formatInstant } from "../sizing/format";

const context = { region: "nyc3", capacity: { ...CAPACITY_DEFAULTS } };
const at = (iso: string) => {
    const t = parseInstant(iso);
    if (t === undefined) throw new Error(`bad time in test: ${iso}`);
    return t;
};
const users = (n: number, tasksPerUser = 2000): Demand => ({
    users: n,
    tasksPerUser,
    connectionsPerTask: 1,
});
const drop = (name: string, start: string, end: string, demand: Demand): DropWindow => ({
    name,
    start: at(start),
    end: at(end),
    demand,
});
const HOUR = 3_600_000;

// Baseline 12 users (24,000 connections → 3 nodes); black-friday 40 users (10 nodes)
// 14:00–20:00; restock 20 users (5 nodes) 19:00–22:00, overlapping black-friday for an hour.
const calendar: Calendar = {
    baseline: users(12),
    leadMinutes: 30,
    drops: [
        drop("black-friday", "2027-11-26T14:00:00Z", "2027-11-26T20:00:00Z", users(40)),
        drop("restock", "2027-11-26T19:00:00Z", "2027-11-26T22:00:00Z", users(20)),
    ],
};

describe("parseInstant", () => {
    it.each([
        ["2027-11-26T14:00:00Z", "2027-11-26T14:00:00Z"],
        ["2027-11-26T14:00Z", "2027-11-26T14:00:00Z"],
        ["2027-11-26T09:00:00-05:00", "2027-11-26T14:00:00Z"],
        ["2027-11-26T15:30:00+01:30", "2027-11-26T14:00:00Z"],
        ["2027-11-26T15:30:00+0130", "2027-11-26T14:00:00Z"],
        ["2027-11-26T14:00:00.250Z", "2027-11-26T14:00:00.250Z"],
        ["2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z"],
        // How Pulumi hands a program an unquoted YAML timestamp from a stack file (Go's time.Time.String()).
        ["2027-11-26 14:00:00 +0000 UTC", "2027-11-26T14:00:00Z"],
        ["2027-11-26 09:00:00 -0500 EST", "2027-11-26T14:00:00Z"],
        ["2027-11-26 14:00:00.25 +0000 UTC", "2027-11-26T14:00:00.250Z"],
    ])("reads %s as %s", (text, utc) => {
        expect(new Date(parseInstant(text)!).toISOString().replace(".000Z", "Z")).toBe(utc);
    });

    it.each([
        ["no offset (local time of which machine?)", "2027-11-26T14:00:00"],
        ["date only", "2027-11-26"],
        ["a space instead of T", "2027-11-26 14:00:00Z"],
        ["February 30", "2027-02-30T10:00:00Z"],
        ["February 29 of a common year", "2027-02-29T10:00:00Z"],
        ["hour 24", "2027-11-26T24:00:00Z"],
        ["minute 60", "2027-11-26T14:60:00Z"],
        ["month 13", "2027-13-01T00:00:00Z"],
        ["a word", "tomorrow"],
        ["epoch seconds", "1795701600"],
        ["Go's form without its zone name", "2027-11-26 14:00:00 +0000"],
        ["Go's form with a bad hour", "2027-11-26 25:00:00 +0000 UTC"],
    ])("refuses %s", (_what, text) => {
        expect(parseInstant(text)).toBeUndefined();
    });

    it("agrees with Date for every valid UTC time (property)", () => {
        fc.assert(
            fc.property(
                fc.date({
                    min: new Date("1970-01-01T00:00:00Z"),
                    max: new Date("9999-12-31T23:59:59Z"),
                    noInvalidDate: true,
                }),
                (d) => {
                    expect(parseInstant(d.toISOString())).toBe(d.getTime());
                    // Printed times are whole seconds: they read back as the second they fall in.
                    expect(parseInstant(formatInstant(d.getTime()))).toBe(
                        Math.floor(d.getTime() / 1000) * 1000,
                    );
                },
            ),
        );
    });
});

describe("combineDemands: overlapping crowds add", () => {
    it("adds peak connections and new connections/s, each drop defaulting to its own peak", () => {
        const a: Demand = { users: 10, tasksPerUser: 1000, connectionsPerTask: 2 }; // 20,000 conns, 20,000/s
        const b: Demand = {
            users: 5,
            tasksPerUser: 1000,
            connectionsPerTask: 1,
            newConnectionsPerSecond: 500,
        };
        const sum = combineDemands([a, b]);
        const sized = size({ region: "nyc3", demand: sum, capacity: context.capacity });
        expect(sized.peak).toEqual({ connections: 25_000, newConnectionsPerSecond: 20_500 });
    });

    it("gives no explicit new connections/s when no part has one (the default, the summed peak, is the same)", () => {
        const sum = combineDemands([users(10), users(5)]);
        expect(sum).toEqual({ users: 1, tasksPerUser: 30_000, connectionsPerTask: 1 });
    });

    it("returns a single demand unchanged", () => {
        const a = users(3);
        expect(combineDemands([a])).toBe(a);
    });

    it("sizes the sum, with headroom once (property: never below either part, never above their sizes added)", () => {
        const demand = fc.record({
            users: fc.integer({ min: 0, max: 500 }),
            tasksPerUser: fc.integer({ min: 0, max: 5000 }),
            connectionsPerTask: fc.integer({ min: 1, max: 4 }),
            newConnectionsPerSecond: fc.option(fc.integer({ min: 0, max: 2_000_000 }), {
                nil: undefined,
            }),
        });
        const capacity = { ...context.capacity, maxNodes: 200, minNodes: 1 };
        const nodes = (d: Demand) => {
            try {
                return size({ region: "nyc3", demand: d, capacity }).sizeUnit;
            } catch (err) {
                if (err instanceof SizingError) return Infinity;
                throw err;
            }
        };
        fc.assert(
            fc.property(demand, demand, (a, b) => {
                const both = nodes(combineDemands([a, b]));
                expect(both).toBeGreaterThanOrEqual(Math.max(nodes(a), nodes(b)));
                // Past maxNodes (Infinity here) the parts must have needed more than 200 between them.
                if (both === Infinity) expect(nodes(a) + nodes(b)).toBeGreaterThan(200);
                else expect(both).toBeLessThanOrEqual(nodes(a) + nodes(b));
            }),
        );
    });
});

describe("the steps of a calendar", () => {
    it("scales up lead minutes before a start, adds overlapping drops, returns to the baseline at the end", () => {
        const steps = stepsBetween(
            calendar,
            context,
            at("2027-11-26T00:00:00Z"),
            at("2027-11-27T00:00:00Z"),
        );
        expect(
            steps.map((s) => [
                formatInstant(s.from!),
                formatInstant(s.to!),
                s.sizing.sizeUnit,
                s.active.join("+"),
            ]),
        ).toEqual([
            ["2027-11-26T00:00:00Z", "2027-11-26T13:30:00Z", 3, ""],
            ["2027-11-26T13:30:00Z", "2027-11-26T18:30:00Z", 10, "black-friday"],
            // 40 + 20 users = 120,000 connections × 1.25 = 150,000 → 15 nodes
            ["2027-11-26T18:30:00Z", "2027-11-26T20:00:00Z", 15, "black-friday+restock"],
            ["2027-11-26T20:00:00Z", "2027-11-26T22:00:00Z", 5, "restock"],
            ["2027-11-26T22:00:00Z", "2027-11-27T00:00:00Z", 3, ""],
        ]);
        expect(steps[1].leading).toEqual(["black-friday"]);
        expect(steps[1].why).toBe(
            "black-friday: scaled up 30 min before its start at 2027-11-26T14:00Z",
        );
        expect(steps[2].why).toBe("overlap, demands add: black-friday + restock");
        expect(steps[3].why).toBe("restock until 2027-11-26T22:00Z");
        expect(steps[0].why).toBe("baseline (proxy-lb:demand)");
    });

    it.each([
        ["a second before the scale-up", "2027-11-26T13:29:59Z", 3],
        ["exactly at the scale-up (start − lead)", "2027-11-26T13:30:00Z", 10],
        ["at the drop's start", "2027-11-26T14:00:00Z", 10],
        ["a second before the last end", "2027-11-26T21:59:59Z", 5],
        ["exactly at the last end", "2027-11-26T22:00:00Z", 3],
    ])("%s: %s → %i nodes", (_what, time, nodes) => {
        expect(stepAt(calendar, context, at(time)).sizing.sizeUnit).toBe(nodes);
    });

    it("with leadMinutes 0 scales up exactly at the start", () => {
        const noLead = { ...calendar, leadMinutes: 0 };
        expect(stepAt(noLead, context, at("2027-11-26T13:59:59Z")).sizing.sizeUnit).toBe(3);
        expect(stepAt(noLead, context, at("2027-11-26T14:00:00Z")).sizing.sizeUnit).toBe(10);
    });

    it("a drop smaller than the baseline replaces it during its window (the baseline is not added)", () => {
        const quiet = {
            ...calendar,
            drops: [drop("maintenance", "2027-12-01T02:00:00Z", "2027-12-01T04:00:00Z", users(1))],
        };
        expect(stepAt(quiet, context, at("2027-12-01T03:00:00Z")).sizing.sizeUnit).toBe(1);
    });

    it("says what is due now and next", () => {
        const due = dueAt(calendar, context, at("2027-11-26T12:00:00Z"));
        expect(due.now.sizing.sizeUnit).toBe(3);
        expect(due.now.to).toBe(at("2027-11-26T13:30:00Z"));
        expect(due.next?.sizing.sizeUnit).toBe(10);
        expect(due.nextResize?.from).toBe(at("2027-11-26T13:30:00Z"));
        const after = dueAt(calendar, context, at("2027-11-27T00:00:00Z"));
        expect(after.next).toBeNull();
        expect(after.now.to).toBeNull();
    });

    it("an empty calendar is one baseline step for ever", () => {
        const empty = { ...calendar, drops: [] };
        expect(boundaries(empty)).toEqual([]);
        expect(allSteps(empty, context)).toHaveLength(1);
        expect(dueAt(empty, context, 0)).toMatchObject({
            next: null,
            nextResize: null,
            now: { from: null, to: null },
        });
    });
});

describe("what it costs", () => {
    it("costs each window (lead included) and the period, with what the baseline would have cost", () => {
        const t = timeline(
            calendar,
            context,
            at("2027-11-26T00:00:00Z"),
            at("2027-11-27T00:00:00Z"),
        );
        const cost = (nodes: number, hours: number) => (nodes * 12 * hours) / 672;
        const whole = cost(3, 13.5) + cost(10, 5) + cost(15, 1.5) + cost(5, 2) + cost(3, 2);
        expect(t.total.cost).toBeCloseTo(whole, 4);
        expect(t.total.baseline).toBeCloseTo(cost(3, 24), 4);
        expect(t.total.added).toBeCloseTo(whole - cost(3, 24), 4);
        expect(t.windows).toEqual([
            expect.objectContaining({ name: "black-friday", hours: 6.5 }),
            expect.objectContaining({ name: "restock", hours: 3.5 }),
        ]);
        expect(t.windows[0].cost).toBeCloseTo(cost(10, 5) + cost(15, 1.5), 4);
        expect(t.windows[1].added).toBeCloseTo(cost(15 - 3, 1.5) + cost(5 - 3, 2), 4);
    });

    it("shares the period's extra cost by the drops running together: the overlap once, not in both drops", () => {
        const t = timeline(
            calendar,
            context,
            at("2027-11-26T00:00:00Z"),
            at("2027-11-27T00:00:00Z"),
        );
        const cost = (nodes: number, hours: number) => (nodes * 12 * hours) / 672;
        expect(t.shares).toEqual([
            { drops: ["black-friday"], hours: 5, added: expect.closeTo(cost(10 - 3, 5), 4) },
            {
                drops: ["black-friday", "restock"],
                hours: 1.5,
                added: expect.closeTo(cost(15 - 3, 1.5), 4),
            },
            { drops: ["restock"], hours: 2, added: expect.closeTo(cost(5 - 3, 2), 4) },
        ]);
        // The windows count the overlap twice; the shares and the period once.
        expect(t.windows[0].added + t.windows[1].added - t.shares[1].added).toBeCloseTo(
            t.total.added,
            3,
        );
        // A period cut inside a window shares out only its own hours.
        const cut = timeline(
            calendar,
            context,
            at("2027-11-26T19:00:00Z"),
            at("2027-11-26T21:00:00Z"),
        );
        expect(cut.shares.map((s) => [s.drops, s.hours])).toEqual([
            [["black-friday", "restock"], 1],
            [["restock"], 1],
        ]);
        expect(cut.end.sizing.sizeUnit).toBe(5);
    });

    it("prices a node at monthly ÷ 672 per hour", () => {
        expect(costOver(1, 12, 672 * HOUR)).toBeCloseTo(12, 10);
        expect(costOver(7, 12, 6 * HOUR)).toBeCloseTo(0.75, 10);
    });
});

describe("demand the configuration cannot serve", () => {
    it("names both drops and when they overlap, never capping", () => {
        const big = {
            ...calendar,
            drops: [
                {
                    ...drop("a", "2027-11-26T14:00:00Z", "2027-11-26T20:00:00Z", users(500)),
                    label: 'proxy-lb:drops[0] ("a")',
                },
                {
                    ...drop("b", "2027-11-26T19:00:00Z", "2027-11-26T22:00:00Z", users(500)),
                    label: 'proxy-lb:drops[1] ("b")',
                },
            ],
        };
        // Each alone: 1,000,000 × 1.25 / 10,000 = 125 nodes (fits); together 250 (does not).
        expect(sizingProblems(big, context)).toEqual([
            'proxy-lb:drops[0] ("a") + proxy-lb:drops[1] ("b") overlapping from 2027-11-26T18:30:00Z to 2027-11-26T20:00:00Z: ' +
                "demand needs 250 nodes (peak 2,000,000 connections with 25% headroom at 10,000 per node) but proxy-lb:capacity.maxNodes is 200; " +
                "200 is DigitalOcean's limit, so split the drop across load balancers",
        ]);
        expect(() => stepAt(big, context, at("2027-11-26T19:00:00Z"))).toThrow(SizingError);
        expect(stepAt(big, context, at("2027-11-26T15:00:00Z")).sizing.sizeUnit).toBe(125);
    });

    it("ignores steps that are over by notBefore", () => {
        const past = {
            ...calendar,
            drops: [drop("old", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z", users(5000))],
        };
        expect(sizingProblems(past, context)).toHaveLength(1);
        expect(sizingProblems(past, context, at("2021-01-01T00:00:00Z"))).toEqual([]);
    });
});

describe("properties over random calendars", () => {
    const T0 = at("2027-01-01T00:00:00Z");
    const dropArb = fc
        .record({
            startMinute: fc.integer({ min: 0, max: 20 * 24 * 60 }),
            minutes: fc.integer({ min: 1, max: 7 * 24 * 60 }),
            users: fc.integer({ min: 0, max: 60 }),
            tasksPerUser: fc.integer({ min: 0, max: 3000 }),
        })
        .map((r) => ({
            start: T0 + r.startMinute * 60_000,
            end: T0 + (r.startMinute + r.minutes) * 60_000,
            demand: users(r.users, r.tasksPerUser),
        }));
    const calendarArb = fc
        .record({
            drops: fc.array(dropArb, { maxLength: 6 }),
            leadMinutes: fc.integer({ min: 0, max: 120 }),
            baseline: fc.integer({ min: 0, max: 30 }),
        })
        .map(({ drops, leadMinutes, baseline }): Calendar => ({
            baseline: users(baseline),
            leadMinutes,
            drops: drops.map((d, i) => ({ ...d, name: `d${i}` })),
        }));
    const timeArb = fc
        .integer({ min: -2 * 24 * 60, max: 30 * 24 * 60 })
        .map((m) => T0 + m * 60_000);

    it("the size at any time is that of the active drops' summed demand, or the baseline's outside every window", () => {
        fc.assert(
            fc.property(calendarArb, timeArb, (cal, t) => {
                const active = activeDrops(cal, t);
                const expected =
                    active.length === 0
                        ? cal.baseline
                        : combineDemands(active.map((d) => d.demand));
                expect(stepAt(cal, context, t).sizing.sizeUnit).toBe(
                    size({ region: "nyc3", demand: expected, capacity: context.capacity }).sizeUnit,
                );
                for (const d of active)
                    expect(t).toBeGreaterThanOrEqual(d.start - cal.leadMinutes * 60_000);
            }),
        );
    });

    it("steps tile the period exactly, and the period's cost is the sum of its steps'", () => {
        fc.assert(
            fc.property(
                calendarArb,
                timeArb,
                fc.integer({ min: 1, max: 14 * 24 * 60 }),
                (cal, from, minutes) => {
                    const to = from + minutes * 60_000;
                    const t = timeline(cal, context, from, to);
                    expect(t.steps[0].from).toBe(from);
                    expect(t.steps.at(-1)!.to).toBe(to);
                    t.steps.forEach((s, i) => {
                        if (i > 0) expect(s.from).toBe(t.steps[i - 1].to);
                        expect(s.to!).toBeGreaterThan(s.from!);
                    });
                    const sum = t.steps.reduce(
                        (acc, s) => acc + costOver(s.sizing.sizeUnit, 12, s.to! - s.from!),
                        0,
                    );
                    expect(t.total.cost).toBeCloseTo(sum, 3);
                    expect(t.total.added).toBeCloseTo(t.total.cost - t.total.baseline, 3);
                },
            ),
        );
    });

    it("the period's extra cost, shared out by the drops running together, adds up, each hour once; the period ends where the calendar goes on", () => {
        fc.assert(
            fc.property(
                calendarArb,
                timeArb,
                fc.integer({ min: 1, max: 14 * 24 * 60 }),
                (cal, from, minutes) => {
                    const to = from + minutes * 60_000;
                    const t = timeline(cal, context, from, to);
                    expect(t.shares.reduce((a, s) => a + s.added, 0)).toBeCloseTo(t.total.added, 3);
                    const droppedHours = t.steps
                        .filter((s) => s.active.length > 0)
                        .reduce((a, s) => a + (s.to! - s.from!) / HOUR, 0);
                    expect(t.shares.reduce((a, s) => a + s.hours, 0)).toBeCloseTo(droppedHours, 6);
                    expect(new Set(t.shares.map((s) => s.drops.join("+"))).size).toBe(
                        t.shares.length,
                    );
                    expect(t.end).toEqual(stepAt(cal, context, to));
                },
            ),
        );
    });

    it("adding a drop over a time that already has one never lowers the size there; drop order never matters", () => {
        fc.assert(
            fc.property(calendarArb, dropArb, timeArb, (cal, extra, t) => {
                const withExtra = { ...cal, drops: [...cal.drops, { ...extra, name: "extra" }] };
                const before = stepAt(cal, context, t);
                const after = stepAt(withExtra, context, t);
                if (before.active.length > 0)
                    expect(after.sizing.sizeUnit).toBeGreaterThanOrEqual(before.sizing.sizeUnit);
                const reversed = { ...withExtra, drops: [...withExtra.drops].reverse() };
                expect(stepAt(reversed, context, t).sizing.sizeUnit).toBe(after.sizing.sizeUnit);
            }),
        );
    });
});
