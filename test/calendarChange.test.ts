// What a pull request changes in the calendar (config/calendarChange.ts): whether its summary
// gets a calendar section, and which period it shows. Table tests and properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSettings, type Settings } from "../config";
import { calendarChanged, changePeriod, DEFAULT_PERIOD_DAYS } from "../config/calendarChange";
import { parseInstant } from "../sizing/calendar";
import { MINIMAL_ENTRIES } from "./support/stackEntries";

const at = (iso: string) => parseInstant(iso)!;
const NOW = at("2027-11-01T00:00:00Z");
const WEEK = DEFAULT_PERIOD_DAYS * 24 * 3_600_000;
type Drop = {
    name: string;
    start: string;
    end: string;
    demand: { users: number; tasksPerUser: number };
};
const drop = (name: string, day: number, users = 40): Drop => ({
    name,
    start: `2027-11-${String(day).padStart(2, "0")}T14:00:00Z`,
    end: `2027-11-${String(day).padStart(2, "0")}T20:00:00Z`,
    demand: { users, tasksPerUser: 2000 },
});
const settings = (drops: Drop[], leadMinutes?: number): Settings =>
    loadSettings(
        {
            ...MINIMAL_ENTRIES,
            ...(drops.length ? { "proxy-lb:drops": drops } : {}),
            ...(leadMinutes === undefined ? {} : { "proxy-lb:leadMinutes": leadMinutes }),
        },
        { now: NOW },
    );

describe("calendarChanged and changePeriod", () => {
    const a = drop("a", 3);
    const far = drop("far", 28);
    // [case, before, after, changed, the period's end]
    const cases: [string, Settings | null, Settings, boolean, number][] = [
        ["nothing changes", settings([a]), settings([a]), false, NOW + WEEK],
        ["a drop added inside the week", settings([]), settings([a]), true, NOW + WEEK],
        [
            "a drop added after the week: until it ends",
            settings([a]),
            settings([a, far]),
            true,
            at("2027-11-28T20:00:00Z"),
        ],
        [
            "a drop removed after the week: until it would have ended",
            settings([a, far]),
            settings([a]),
            true,
            at("2027-11-28T20:00:00Z"),
        ],
        [
            "a drop's demand edited",
            settings([far]),
            settings([{ ...far, demand: { users: 50, tasksPerUser: 2000 } }]),
            true,
            at("2027-11-28T20:00:00Z"),
        ],
        [
            "the lead changed: every drop's end counts",
            settings([far]),
            settings([far], 60),
            true,
            at("2027-11-28T20:00:00Z"),
        ],
        ["a new stack file with drops", null, settings([far]), true, at("2027-11-28T20:00:00Z")],
        ["a new stack file without drops", null, settings([]), false, NOW + WEEK],
        ["the drops reordered", settings([a, far]), settings([far, a]), false, NOW + WEEK],
    ];
    it.each(cases)("%s", (_what, before, after, changed, end) => {
        expect(calendarChanged(before, after)).toBe(changed);
        expect(changePeriod(before, after, NOW)).toEqual({ from: NOW, to: end });
    });

    it("property: the period starts now, lasts at least the default, and covers every drop the change touches", () => {
        const dropArb = fc.record({
            day: fc.integer({ min: 2, max: 30 }),
            users: fc.integer({ min: 1, max: 60 }),
        });
        fc.assert(
            fc.property(
                fc.array(dropArb, { maxLength: 4 }),
                fc.array(dropArb, { maxLength: 4 }),
                (x, y) => {
                    const named = (ds: { day: number; users: number }[]) =>
                        ds.map((d, i) => drop(`d${i}`, d.day, d.users));
                    const [before, after] = [settings(named(x)), settings(named(y))];
                    const span = changePeriod(before, after, NOW);
                    expect(span.from).toBe(NOW);
                    expect(span.to).toBeGreaterThanOrEqual(NOW + WEEK);
                    const keys = (s: Settings) =>
                        new Set(s.config.drops.map((d) => JSON.stringify(d)));
                    const touched = [
                        ...after.config.drops.filter((d) => !keys(before).has(JSON.stringify(d))),
                        ...before.config.drops.filter((d) => !keys(after).has(JSON.stringify(d))),
                    ];
                    for (const d of touched) expect(span.to).toBeGreaterThanOrEqual(at(d.end));
                    expect(calendarChanged(before, after)).toBe(touched.length > 0);
                },
            ),
        );
    });
});
