// Which metrics say what a drop used, and what they propose for the next drop
// (sizing/observedWindow.ts): table tests on the example calendar, properties over random ones.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPACITY_DEFAULTS, size, type Demand } from "../sizing";
import { parseInstant, stepsBetween, type Calendar } from "../sizing/calendar";
import { ObservationError } from "../sizing/observe";
import { observedWindow, proposeDemand } from "../sizing/observedWindow";

const at = (iso: string) => parseInstant(iso)!;
const context = { region: "nyc3", capacity: { ...CAPACITY_DEFAULTS } };
const users = (n: number): Demand => ({ users: n, tasksPerUser: 2000, connectionsPerTask: 1 });
const MIN = 60_000;

// Baseline 3 nodes; black-friday 10 nodes 14:00–20:00, restock 5 nodes 19:00–22:00, 30 min lead.
const calendar: Calendar = {
    baseline: users(12),
    leadMinutes: 30,
    drops: [
        {
            name: "black-friday",
            start: at("2027-11-26T14:00:00Z"),
            end: at("2027-11-26T20:00:00Z"),
            demand: users(40),
        },
        {
            name: "restock",
            start: at("2027-11-26T19:00:00Z"),
            end: at("2027-11-26T22:00:00Z"),
            demand: users(20),
        },
        {
            name: "spring",
            start: at("2028-03-01T10:00:00Z"),
            end: at("2028-03-01T12:00:00Z"),
            demand: users(30),
        },
    ],
};
const AFTER = at("2027-11-27T00:00:00Z");

describe("observedWindow", () => {
    it.each([
        [
            "a drop that is over: its scale-up to its end, its own plan, the drop it overlapped",
            { drop: "black-friday" },
            AFTER,
            {
                from: at("2027-11-26T13:30:00Z"),
                to: at("2027-11-26T20:00:00Z"),
                drop: "black-friday",
                sizeUnit: 10,
                overlapping: ["restock"],
            },
        ],
        [
            "a drop still running: until now",
            { drop: "restock" },
            at("2027-11-26T21:00:00Z"),
            {
                from: at("2027-11-26T18:30:00Z"),
                to: at("2027-11-26T21:00:00Z"),
                drop: "restock",
                sizeUnit: 5,
                overlapping: ["black-friday"],
            },
        ],
        [
            "a period: the largest size the calendar gave it, no drop named",
            { from: at("2027-11-26T18:00:00Z"), to: at("2027-11-26T21:00:00Z") },
            AFTER,
            {
                from: at("2027-11-26T18:00:00Z"),
                to: at("2027-11-26T21:00:00Z"),
                drop: null,
                sizeUnit: 15,
                overlapping: [],
            },
        ],
        [
            "a period between drops: the baseline",
            { from: at("2027-12-01T00:00:00Z"), to: at("2027-12-02T00:00:00Z") },
            AFTER,
            {
                from: at("2027-12-01T00:00:00Z"),
                to: at("2027-12-02T00:00:00Z"),
                drop: null,
                sizeUnit: 3,
                overlapping: [],
            },
        ],
    ] as const)("%s", (_what, target, now, expected) => {
        const w = observedWindow(calendar, context, target, now);
        expect({
            from: w.from,
            to: w.to,
            drop: w.drop,
            sizeUnit: w.planned.sizeUnit,
            overlapping: w.overlapping,
        }).toEqual(expected);
        expect(w.planned).toMatchObject({ region: "nyc3", capacity: context.capacity });
    });

    it.each([
        [
            "a drop not in the calendar",
            { drop: "cyber-monday" },
            AFTER,
            "drop cyber-monday is not in proxy-lb:drops (drops: black-friday, restock, spring)",
        ],
        [
            "a drop that has not started",
            { drop: "spring" },
            AFTER,
            "drop spring has not started yet (its scale-up is at 2028-03-01T09:30:00Z; now is 2027-11-27T00:00:00Z)",
        ],
        [
            "a period that ends before it starts",
            { from: at("2027-11-26T18:00:00Z"), to: at("2027-11-26T17:00:00Z") },
            AFTER,
            "the window must end after it starts (2027-11-26T18:00:00Z → 2027-11-26T17:00:00Z)",
        ],
    ] as const)("refuses %s", (_what, target, now, message) => {
        expect(() => observedWindow(calendar, context, target, now)).toThrow(ObservationError);
        expect(() => observedWindow(calendar, context, target, now)).toThrow(message);
    });

    it("names an empty calendar as such", () => {
        expect(() =>
            observedWindow({ ...calendar, drops: [] }, context, { drop: "x" }, AFTER),
        ).toThrow("drop x is not in proxy-lb:drops (the calendar is empty)");
    });

    it("property: a period's plan is the largest step in it; a drop's window lies within its own, lead included", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: -48 * 60, max: 48 * 60 }),
                fc.integer({ min: 1, max: 24 * 60 }),
                fc.integer({ min: 0, max: 2 }),
                (startMin, minutes, index) => {
                    const from = at("2027-11-26T00:00:00Z") + startMin * MIN;
                    const to = from + minutes * MIN;
                    const w = observedWindow(calendar, context, { from, to }, AFTER);
                    expect(w.planned.sizeUnit).toBe(
                        Math.max(
                            ...stepsBetween(calendar, context, from, to).map(
                                (s) => s.sizing.sizeUnit,
                            ),
                        ),
                    );
                    const drop = calendar.drops[index];
                    const now = drop.start + minutes * MIN;
                    const d = observedWindow(calendar, context, { drop: drop.name }, now);
                    expect(d.from).toBe(drop.start - calendar.leadMinutes * MIN);
                    expect(d.to).toBe(Math.min(drop.end, now));
                    expect(d.planned.sizeUnit).toBe(
                        size({ region: "nyc3", demand: drop.demand, capacity: context.capacity })
                            .sizeUnit,
                    );
                    expect(d.overlapping).not.toContain(drop.name);
                },
            ),
        );
    });
});

describe("proposeDemand", () => {
    const observed: Demand = { users: 12, tasksPerUser: 2834, connectionsPerTask: 1 };

    it.each([
        [
            "after black friday: the next drop is spring (drops[2])",
            AFTER,
            {
                name: "spring",
                index: 2,
                start: at("2028-03-01T10:00:00Z"),
                planned: { demand: users(30), sizeUnit: 8 },
            },
        ],
        [
            "before every drop: the first to start",
            at("2027-11-01T00:00:00Z"),
            {
                name: "black-friday",
                index: 0,
                start: at("2027-11-26T14:00:00Z"),
                planned: { demand: users(40), sizeUnit: 10 },
            },
        ],
        [
            "a drop that has started is not next",
            at("2027-11-26T19:30:00Z"),
            {
                name: "spring",
                index: 2,
                start: at("2028-03-01T10:00:00Z"),
                planned: { demand: users(30), sizeUnit: 8 },
            },
        ],
        ["after the last drop: none", at("2028-04-01T00:00:00Z"), null],
    ] as const)("%s", (_what, now, next) => {
        const p = proposeDemand(calendar, context, observed, now);
        expect(p.proposed).toEqual({ demand: observed, sizeUnit: 5 }); // 34,008 + 25% → 5 nodes
        expect(p.next).toEqual(next);
    });

    it("property: the next drop is the earliest that starts after now, and the proposal is sized like any demand", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 200 }),
                fc.integer({ min: 0, max: 5000 }),
                fc.integer({ min: -30, max: 200 }),
                (u, tasks, day) => {
                    const now = at("2027-11-26T00:00:00Z") + day * 24 * 60 * MIN;
                    const demand = { users: u, tasksPerUser: tasks, connectionsPerTask: 1 };
                    const p = proposeDemand(calendar, context, demand, now);
                    expect(p.proposed.sizeUnit).toBe(
                        size({ region: "nyc3", demand, capacity: context.capacity }).sizeUnit,
                    );
                    const later = calendar.drops.filter((d) => d.start > now);
                    if (later.length === 0) expect(p.next).toBeNull();
                    else expect(p.next!.start).toBe(Math.min(...later.map((d) => d.start)));
                },
            ),
        );
    });
});
