// A late scale-up (sizing/lateScaleUp.ts) and the scheduled run's cheap check (sizing/dueCheck.ts):
// each clock tells when the size the calendar has wanted for a drop is not in place, since when
// and for which drop; the cheap check goes on only when the program's size differs from the live one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideSize, type AutopilotSettings } from "../sizing/autopilot";
import { observedLoad } from "../sizing/observedLoad";
import { stepAt, type Calendar, type DropWindow } from "../sizing/calendar";
import { dueCheck } from "../sizing/dueCheck";
import { CAPACITY_DEFAULTS, type Demand } from "../sizing/index";
import { LATE_AFTER_MINUTES, lateScaleUp } from "../sizing/lateScaleUp";

const MIN = 60_000;
const context = { region: "nyc3", capacity: { ...CAPACITY_DEFAULTS } };
const users = (n: number): Demand => ({ users: n, tasksPerUser: 2000, connectionsPerTask: 1 });
const drop = (name: string, start: string, end: string, demand: Demand): DropWindow => ({
    name,
    start: Date.parse(start),
    end: Date.parse(end),
    demand,
});
const at = (iso: string) => Date.parse(iso);

// Pulumi.drop.yaml's example: 3 nodes between drops, 10 from 13:30 (black friday), 15 from 18:30
// (both), 5 from 20:00 (restock alone), 3 from 22:00.
const example: Calendar = {
    baseline: users(12),
    leadMinutes: 30,
    drops: [
        drop("black-friday", "2027-11-26T14:00:00Z", "2027-11-26T20:00:00Z", users(40)),
        drop("restock", "2027-11-26T19:00:00Z", "2027-11-26T22:00:00Z", users(20)),
    ],
};

describe("lateScaleUp: the example calendar", () => {
    it.each([
        // [what, live size, at, expected (null: not late)]
        ["before the first scale-up", 3, "2027-11-26T13:29:00Z", null],
        ["at the boundary: the resize may be in flight", 3, "2027-11-26T13:30:00Z", null],
        ["4 min after: still within the grace", 3, "2027-11-26T13:34:59Z", null],
        [
            "5 min after: late by 5",
            3,
            "2027-11-26T13:35:00Z",
            {
                drops: ["black-friday"],
                dueSince: at("2027-11-26T13:30:00Z"),
                minutesLate: 5,
                dueSizeUnit: 10,
                liveSizeUnit: 3,
            },
        ],
        ["in place", 10, "2027-11-26T14:00:00Z", null],
        ["more than the calendar (the autopilot added)", 12, "2027-11-26T15:00:00Z", null],
        [
            "still at the baseline in the overlap: late since the FIRST scale-up",
            3,
            "2027-11-26T19:00:00Z",
            {
                drops: ["black-friday"],
                dueSince: at("2027-11-26T13:30:00Z"),
                minutesLate: 330,
                dueSizeUnit: 15,
                liveSizeUnit: 3,
            },
        ],
        [
            "the first done, the second not: late since the second",
            10,
            "2027-11-26T19:00:00Z",
            {
                drops: ["restock"],
                dueSince: at("2027-11-26T18:30:00Z"),
                minutesLate: 30,
                dueSizeUnit: 15,
                liveSizeUnit: 10,
            },
        ],
        [
            "after the overlap, a live 3 is short of restock's 5, since 13:30",
            3,
            "2027-11-26T21:00:00Z",
            {
                drops: ["black-friday"],
                dueSince: at("2027-11-26T13:30:00Z"),
                minutesLate: 450,
                dueSizeUnit: 5,
                liveSizeUnit: 3,
            },
        ],
        [
            "after the overlap, a live 8 is enough for restock alone",
            8,
            "2027-11-26T21:00:00Z",
            null,
        ],
        ["after every drop: the baseline is no drop's scale-up", 2, "2027-11-26T23:00:00Z", null],
        [
            "seconds are cut, never rounded up",
            3,
            "2027-11-26T13:40:59Z",
            {
                drops: ["black-friday"],
                dueSince: at("2027-11-26T13:30:00Z"),
                minutesLate: 10,
                dueSizeUnit: 10,
                liveSizeUnit: 3,
            },
        ],
    ])("%s", (_what, live, when, expected) => {
        expect(lateScaleUp(example, context, live, at(when))).toEqual(expected);
    });

    it("the grace is a parameter (0: late from the boundary on)", () => {
        expect(lateScaleUp(example, context, 3, at("2027-11-26T13:30:00Z"), 0)).toMatchObject({
            minutesLate: 0,
        });
        expect(lateScaleUp(example, context, 3, at("2027-11-26T13:59:00Z"), 30)).toBeNull();
        expect(LATE_AFTER_MINUTES).toBe(5);
    });

    it("two drops scaled up at the same boundary are named together", () => {
        const both: Calendar = {
            ...example,
            drops: [
                drop("a", "2027-11-26T14:00:00Z", "2027-11-26T16:00:00Z", users(20)),
                drop("b", "2027-11-26T14:00:00Z", "2027-11-26T15:00:00Z", users(20)),
            ],
        };
        expect(lateScaleUp(both, context, 3, at("2027-11-26T14:10:00Z"))?.drops).toEqual([
            "a",
            "b",
        ]);
    });

    it.each([
        [
            3.5,
            at("2027-11-26T14:00:00Z"),
            5,
            "the live size must be a whole number of nodes, got 3.5",
        ],
        [3, Number.NaN, 5, "at must be a finite epoch ms, got NaN"],
        [3, at("2027-11-26T14:00:00Z"), -1, "graceMinutes must be ≥ 0, got -1"],
    ])("refuses live %s at %s grace %s", (live, when, grace, message) => {
        expect(() => lateScaleUp(example, context, live, when, grace)).toThrow(message);
    });
});

// ---------------------------------------------------------------------------
// Properties, against a minute-by-minute walk back (every boundary here is on a whole minute)

const START = at("2027-06-01T00:00:00Z");
const calendarArb = fc
    .record({
        lead: fc.integer({ min: 0, max: 120 }),
        // unbiased: fast-check's leaning to small values would leave most drops a node or two
        drops: fc.array(
            fc.noBias(
                fc.record({
                    startMinute: fc.integer({ min: 0, max: 3 * 24 * 60 }),
                    minutes: fc.integer({ min: 1, max: 12 * 60 }),
                    users: fc.integer({ min: 0, max: 150 }),
                }),
            ),
            { minLength: 1, maxLength: 4 },
        ),
        baseline: fc.integer({ min: 0, max: 60 }),
    })
    .map(({ lead, drops, baseline }): Calendar => ({
        baseline: users(baseline),
        leadMinutes: lead,
        drops: drops.map((d, i) => ({
            name: `d${i}`,
            start: START + d.startMinute * MIN,
            end: START + (d.startMinute + d.minutes) * MIN,
            demand: users(d.users),
        })),
    }));
/** A whole minute around one of the calendar's drop windows (10 minutes either side), where lateness is decided. */
// thousandths, unbiased (fc.double spreads over the representable doubles, most of them near 0)
const pickArb = fc.noBias(
    fc.record({ index: fc.nat(), share: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000) }),
);
function momentIn(calendar: Calendar, pick: { index: number; share: number }): number {
    const d = calendar.drops[pick.index % calendar.drops.length];
    const from = d.start - (calendar.leadMinutes + 10) * MIN;
    return from + Math.round((pick.share * (d.end + 10 * MIN - from)) / MIN) * MIN;
}
const liveArb = fc.noBias(fc.integer({ min: 0, max: 25 }));
const graceArb = fc.integer({ min: 0, max: 15 });

/** The start of the shortfall, walking back a minute at a time while a drop step's size is above the live size. */
function walkBack(calendar: Calendar, live: number, when: number): number | null {
    const short = (t: number) => {
        const step = stepAt(calendar, context, t);
        return step.active.length > 0 && step.sizing.sizeUnit > live;
    };
    if (!short(when)) return null;
    let t = Math.floor(when / MIN) * MIN;
    while (short(t - MIN)) t -= MIN;
    return t;
}

describe("lateScaleUp: properties", () => {
    it("late exactly when a drop's size has been above the live size for the grace or more; since when, by how much, for the drops scaled up then", () => {
        const seen = { late: 0, onTime: 0 };
        fc.assert(
            fc.property(calendarArb, liveArb, pickArb, graceArb, (calendar, live, pick, grace) => {
                const when = momentIn(calendar, pick);
                const late = lateScaleUp(calendar, context, live, when, grace);
                const since = walkBack(calendar, live, when);
                if (since === null || when - since < grace * MIN) {
                    expect(late).toBeNull();
                    seen.onTime++;
                    return;
                }
                seen.late++;
                expect(late).not.toBeNull();
                expect(late!.dueSince).toBe(since);
                expect(late!.minutesLate).toBe(Math.floor((when - since) / MIN));
                expect(late!.minutesLate).toBeGreaterThanOrEqual(grace);
                expect(late!.dueSizeUnit).toBe(stepAt(calendar, context, when).sizing.sizeUnit);
                expect(late!.dueSizeUnit).toBeGreaterThan(live);
                for (const name of late!.drops) {
                    const d = calendar.drops.find((x) => x.name === name)!;
                    expect(d.start - calendar.leadMinutes * MIN).toBe(since);
                }
            }),
            { numRuns: 150 },
        );
        // both answers were exercised
        expect(Math.min(seen.late, seen.onTime)).toBeGreaterThan(20);
    });

    it("a live size at or above the calendar's is never late; a larger live size is never later", () => {
        fc.assert(
            fc.property(
                calendarArb,
                liveArb,
                pickArb,
                fc.integer({ min: 1, max: 10 }),
                (calendar, live, pick, more) => {
                    const when = momentIn(calendar, pick);
                    const due = stepAt(calendar, context, when).sizing.sizeUnit;
                    expect(lateScaleUp(calendar, context, Math.max(live, due), when)).toBeNull();
                    const late = lateScaleUp(calendar, context, live, when);
                    const bigger = lateScaleUp(calendar, context, live + more, when);
                    if (bigger !== null) {
                        expect(late).not.toBeNull();
                        expect(bigger.minutesLate).toBeLessThanOrEqual(late!.minutesLate);
                    }
                },
            ),
            { numRuns: 150 },
        );
    });
});

// ---------------------------------------------------------------------------
// The cheap check

const autopilotOff: AutopilotSettings = {
    enabled: false,
    scaleDownAfterMinutes: 30,
    maxNodes: 200,
};
const lb = (sizeUnit: number) => ({
    id: "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40",
    name: "proxy-lb",
    sizeUnit,
});
const decision = (calendarSize: number, live: number) =>
    decideSize({
        calendar: calendarSize,
        liveSizeUnit: live,
        load: observedLoad(at("2027-11-26T13:30:00Z"), null, {
            ok: false,
            error: "the autopilot is off",
        }),
        settings: autopilotOff,
        capacity: context.capacity,
    });

describe("dueCheck", () => {
    const moment = at("2027-11-26T13:30:00Z");
    it.each([
        ["the same size: nothing due", 3, lb(3), false, false],
        ["a scale-up due", 10, lb(3), false, true],
        ["a scale-down due", 3, lb(10), false, true],
        ["no load balancer: due (the gate says what the update would do)", 3, null, false, true],
    ])("%s", (_what, size, live, _late, due) => {
        const check = dueCheck(decision(size, live?.sizeUnit ?? size), live, null, moment);
        expect(check.due).toBe(due);
        expect(check.sizeUnit).toBe(size);
        expect(check.liveSizeUnit).toBe(live?.sizeUnit ?? null);
    });

    it("says why in one line: the change and the program's reason, or what the load balancer has", () => {
        expect(dueCheck(decision(10, 3), lb(3), null, moment).why).toBe(
            "size_unit 3 -> 10 at 2027-11-26T13:30:00Z: the calendar gives 10 nodes",
        );
        expect(dueCheck(decision(3, 3), lb(3), null, moment).why).toBe(
            "load balancer proxy-lb has size_unit 3, the size the program chooses at 2027-11-26T13:30:00Z (the calendar gives 3 nodes)",
        );
        const late = {
            drops: ["black-friday"],
            dueSince: moment,
            minutesLate: 20,
            dueSizeUnit: 10,
            liveSizeUnit: 3,
        };
        expect(dueCheck(decision(10, 3), lb(3), late, moment).why).toBe(
            "size_unit 3 -> 10 at 2027-11-26T13:30:00Z: the calendar gives 10 nodes; the scale-up for black-friday is 20 min late",
        );
    });

    it("is due whenever the sizes differ or a scale-up is late, and only then (property)", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 200 }),
                fc.option(fc.integer({ min: 1, max: 200 })),
                fc.boolean(),
                (size, live, isLate) => {
                    const liveLb = live === null ? null : lb(live);
                    const late =
                        isLate && live !== null
                            ? {
                                  drops: ["d"],
                                  dueSince: moment,
                                  minutesLate: 5,
                                  dueSizeUnit: size,
                                  liveSizeUnit: live,
                              }
                            : null;
                    expect(dueCheck(decision(size, live ?? size), liveLb, late, moment).due).toBe(
                        live === null || live !== size || late !== null,
                    );
                },
            ),
        );
    });
});
