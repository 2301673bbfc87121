// The scheduled workflow's cron lines (sizing/cron.ts) and what they bill (sizing/billing.ts):
// every size change of the calendar has a line on time, no line at minute 0 or for a past date,
// and the example calendar of Pulumi.drop.yaml bills at most 150 minutes a month.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { parseStackFile } from "../config/stackFile";
import { withCalendar } from "../scripts/docCommands/sessions";
import {
    billedJobMinutes,
    billFor,
    calendarMonth,
    compareBills,
    FREE_MINUTES,
    RUN_SECONDS,
    TODAY_SCHEDULE,
    type RunSeconds,
} from "../sizing/billing";
import { boundaries, stepAt, type Calendar, type DropWindow } from "../sizing/calendar";
import {
    CRON_DEFAULTS,
    cronEntries,
    firesAt,
    firings,
    parseCron,
    scheduledMoment,
    type CronEntry,
    type CronOptions,
} from "../sizing/cron";
import { CAPACITY_DEFAULTS, type Demand } from "../sizing/index";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const context = { region: "nyc3", capacity: { ...CAPACITY_DEFAULTS } };
const users = (n: number): Demand => ({ users: n, tasksPerUser: 2000, connectionsPerTask: 1 });
const drop = (name: string, start: string, end: string, demand: Demand): DropWindow => ({
    name,
    start: Date.parse(start),
    end: Date.parse(end),
    demand,
});
const options = (now: string, extra: Partial<CronOptions> = {}): CronOptions => ({
    ...CRON_DEFAULTS,
    now: Date.parse(now),
    autopilot: false,
    ...extra,
});
const lines = (entries: CronEntry[]) => entries.map((e) => [e.cron, e.kind]);

/** Pulumi.drop.yaml's commented example calendar, switched on as the docs do. */
function exampleCalendar() {
    const text = withCalendar(readFileSync(path.join(__dirname, "..", "Pulumi.drop.yaml"), "utf8"));
    const settings = loadSettings(parseStackFile(text, "Pulumi.drop.yaml"), {
        now: Date.parse("2027-10-25T12:00:00Z"),
    });
    return {
        calendar: settings.calendar,
        context: { region: settings.config.region, capacity: settings.config.capacity },
    };
}

describe("cronEntries: the example calendar (Pulumi.drop.yaml)", () => {
    const example = exampleCalendar();

    it("two lines per size change (scale-ups 10 min early, scale-downs 2 min after), one daily run", () => {
        const entries = cronEntries(
            example.calendar,
            example.context,
            options("2027-10-25T12:00:00Z"),
        );
        expect(lines(entries)).toEqual([
            ["20 13 26 11 *", "scaleUp"],
            ["25 13 26 11 *", "scaleUpRetry"],
            ["20 18 26 11 *", "scaleUp"],
            ["25 18 26 11 *", "scaleUpRetry"],
            ["2 20 26 11 *", "scaleDown"],
            ["7 20 26 11 *", "scaleDownRetry"],
            ["2 22 26 11 *", "scaleDown"],
            ["7 22 26 11 *", "scaleDownRetry"],
            ["17 5 * * *", "daily"],
        ]);
        expect(entries[0].why).toBe(
            "scale-up 3 -> 10 nodes at 2027-11-26T13:30Z (black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z), 10 min early",
        );
        expect(entries[4].why).toBe(
            "scale-down 15 -> 5 nodes at 2027-11-26T20:00Z (restock-2027 until 2027-11-26T22:00Z), 2 min after",
        );
        expect(entries[8].why).toBe("daily safety run at 05:17 UTC");
    });

    it("with the autopilot: a poll every 10 minutes through the merged window's hours", () => {
        const entries = cronEntries(
            example.calendar,
            example.context,
            options("2027-10-25T12:00:00Z", { autopilot: true }),
        );
        expect(entries.filter((e) => e.kind === "poll")).toEqual([
            {
                cron: "3-59/10 13-21 26 11 *",
                kind: "poll",
                why: "autopilot poll every 10 min through black-friday-2027 + restock-2027 (2027-11-26T13:30Z to 2027-11-26T22:00Z)",
                firesAt: null,
                boundary: null,
            },
        ]);
    });

    it("without a clock (the workflow file): every boundary's lines, the same before, during and after the drops", () => {
        const all = cronEntries(
            example.calendar,
            example.context,
            options("2027-10-25T12:00:00Z", { now: null }),
        );
        expect(all).toEqual(
            cronEntries(example.calendar, example.context, options("2027-10-25T12:00:00Z")),
        );
        const polled = cronEntries(
            example.calendar,
            example.context,
            options("2027-10-25T12:00:00Z", { now: null, autopilot: true }),
        );
        expect(polled).toEqual(
            cronEntries(
                example.calendar,
                example.context,
                options("2027-10-25T12:00:00Z", { autopilot: true }),
            ),
        );
    });

    it("after the drops: only the daily run is left (a past date's line would fire again next year)", () => {
        expect(
            lines(
                cronEntries(
                    example.calendar,
                    example.context,
                    options("2027-11-26T22:30:00Z", { autopilot: true }),
                ),
            ),
        ).toEqual([["17 5 * * *", "daily"]]);
    });

    it("during the first drop: only the lines still ahead", () => {
        expect(
            lines(
                cronEntries(example.calendar, example.context, options("2027-11-26T18:22:00Z")),
            ).map(([c]) => c),
        ).toEqual([
            "25 18 26 11 *",
            "2 20 26 11 *",
            "7 20 26 11 *",
            "2 22 26 11 *",
            "7 22 26 11 *",
            "17 5 * * *",
        ]);
    });

    it("billing: today's workflow 8,640 billed minutes in November; the generated one at most 150 (42, or 96 with the autopilot)", () => {
        const { from, to } = calendarMonth("2027-11");
        const off = compareBills(
            cronEntries(
                example.calendar,
                example.context,
                options("2027-10-25T12:00:00Z", { now: null }),
            ),
            RUN_SECONDS,
            from,
            to,
        );
        const on = compareBills(
            cronEntries(
                example.calendar,
                example.context,
                options("2027-10-25T12:00:00Z", { now: null, autopilot: true }),
            ),
            RUN_SECONDS,
            from,
            to,
        );
        expect({ runs: off.before.runs, billed: off.before.billedMinutes }).toEqual({
            runs: 4320,
            billed: 8640,
        });
        expect(off.before.billedMinutes).toBeGreaterThan(4 * FREE_MINUTES);
        // 30 daily runs × 1 + 4 boundaries × (2 for the resize + 1 for the retry); the poll adds 9 hours × 6 runs × 1.
        expect({ runs: off.after.runs, billed: off.after.billedMinutes }).toEqual({
            runs: 38,
            billed: 42,
        });
        expect({ runs: on.after.runs, billed: on.after.billedMinutes }).toEqual({
            runs: 92,
            billed: 96,
        });
        expect(on.after.billedMinutes).toBeLessThanOrEqual(150);
        expect(off.ratio).toBeCloseTo(8640 / 42, 6);
        const today = billFor(TODAY_SCHEDULE, RUN_SECONDS, from, to, { everyRunResizes: true });
        expect(today.billedMinutes).toBe(8640);
        expect(on.after.lines.find((l) => l.cron === "3-59/10 13-21 26 11 *")).toMatchObject({
            runs: 54,
            secondsPerRun: RUN_SECONDS.cheapSeconds,
            billedMinutes: 54,
        });
    });
});

describe("cronEntries: the rules", () => {
    const one = (start: string, end: string, leadMinutes = 30): Calendar => ({
        baseline: users(12),
        leadMinutes,
        drops: [drop("d", start, end, users(40))],
    });

    it.each([
        // scale-up at 14:10 - 10 min = 14:00: moved to 14:01 (still 9 min early)
        [
            "a scale-up line on minute 0 moves a minute later",
            one("2027-11-26T14:40:00Z", "2027-11-26T16:30:00Z"),
            ["1 14 26 11 *", "6 14 26 11 *", "32 16 26 11 *", "37 16 26 11 *"],
        ],
        // scale-down at 13:58 + 2 = 14:00: moved to 14:01
        [
            "a scale-down line on minute 0 moves a minute later",
            one("2027-11-26T12:00:00Z", "2027-11-26T13:58:00Z"),
            ["20 11 26 11 *", "25 11 26 11 *", "1 14 26 11 *", "6 14 26 11 *"],
        ],
        // a boundary with seconds: the scale-up rounds up (still within the margin), the scale-down rounds up (never early)
        [
            "seconds round to the later minute",
            one("2027-11-26T14:50:30Z", "2027-11-26T16:30:30Z"),
            ["11 14 26 11 *", "16 14 26 11 *", "33 16 26 11 *", "38 16 26 11 *"],
        ],
        // over midnight and the year: 2028-01-01T00:05Z with no lead fires 2027-12-31T23:55Z
        [
            "across the new year",
            one("2028-01-01T00:05:00Z", "2028-01-01T02:00:00Z", 0),
            ["55 23 31 12 *", "1 0 1 1 *", "2 2 1 1 *", "7 2 1 1 *"],
        ],
    ])("%s", (_what, calendar, expected) => {
        const entries = cronEntries(calendar, context, options("2027-10-01T00:00:00Z"));
        expect(entries.filter((e) => e.kind !== "daily").map((e) => e.cron)).toEqual(expected);
    });

    it("a boundary where the size does not change has no line", () => {
        // b ends as c starts, both 10 nodes
        const calendar: Calendar = {
            baseline: users(12),
            leadMinutes: 0,
            drops: [
                drop("b", "2027-11-26T14:00:00Z", "2027-11-26T16:00:00Z", users(40)),
                drop("c", "2027-11-26T16:00:00Z", "2027-11-26T18:00:00Z", users(40)),
            ],
        };
        expect(
            cronEntries(calendar, context, options("2027-10-01T00:00:00Z")).map((e) => e.cron),
        ).toEqual(["50 13 26 11 *", "55 13 26 11 *", "2 18 26 11 *", "7 18 26 11 *", "17 5 * * *"]);
    });

    it("boundaries beyond the horizon are left out (their line would also fire this year)", () => {
        const calendar = one("2028-11-26T14:00:00Z", "2028-11-26T16:00:00Z");
        expect(
            cronEntries(calendar, context, options("2027-10-01T00:00:00Z")).map((e) => e.kind),
        ).toEqual(["daily"]);
        expect(
            cronEntries(
                calendar,
                context,
                options("2027-10-01T00:00:00Z", { horizonDays: 30 }),
            ).map((e) => e.kind),
        ).toEqual(["daily"]);
        expect(
            cronEntries(
                calendar,
                context,
                options("2028-11-01T00:00:00Z", { horizonDays: 30 }),
            ).map((e) => e.kind),
        ).toEqual(["scaleUp", "scaleUpRetry", "scaleDown", "scaleDownRetry", "daily"]);
    });

    it("a window over midnight polls on each day", () => {
        const calendar = one("2027-11-26T22:40:00Z", "2027-11-27T01:10:00Z");
        expect(
            cronEntries(calendar, context, options("2027-10-01T00:00:00Z", { autopilot: true }))
                .filter((e) => e.kind === "poll")
                .map((e) => e.cron),
        ).toEqual(["3-59/10 22-23 26 11 *", "3-59/10 0-1 27 11 *"]);
    });

    it.each([
        [{ marginMinutes: 2 }, "marginMinutes must be a whole number from 3 to 1440, got 2"],
        [{ retryMinutes: 0 }, "retryMinutes must be a whole number from 1 to 60, got 0"],
        [
            { daily: { hour: 5, minute: 0 } },
            "daily.minute must be a whole number from 1 to 59, got 0",
        ],
        [{ horizonDays: 400 }, "horizonDays must be a whole number from 1 to 365, got 400"],
    ])("refuses %j", (extra, message) => {
        expect(() =>
            cronEntries(
                one("2027-11-26T14:00:00Z", "2027-11-26T16:00:00Z"),
                context,
                options("2027-10-01T00:00:00Z", extra as Partial<CronOptions>),
            ),
        ).toThrow(message);
    });
});

describe("scheduledMoment: what a run sizes for", () => {
    const calendar: Calendar = {
        baseline: users(12),
        leadMinutes: 30,
        drops: [drop("d", "2027-11-26T14:00:00Z", "2027-11-26T16:00:00Z", users(40))],
    };
    it.each([
        ["10 min before a scale-up: the scale-up", "2027-11-26T13:20:00Z", "2027-11-26T13:30:00Z"],
        ["11 min before: not yet", "2027-11-26T13:19:00Z", "2027-11-26T13:19:00Z"],
        ["after it: now", "2027-11-26T13:45:00Z", "2027-11-26T13:45:00Z"],
        [
            "just before a scale-down: never brought forward",
            "2027-11-26T15:55:00Z",
            "2027-11-26T15:55:00Z",
        ],
    ])("%s", (_what, now, moment) => {
        expect(scheduledMoment(calendar, context, Date.parse(now), 10)).toBe(Date.parse(moment));
    });
});

describe("parseCron", () => {
    it.each([
        ["*/10 * * * *", 6, 24],
        ["3-59/10 13-21 26 11 *", 6, 9],
        ["17 5 * * *", 1, 1],
        ["1,31 0-23/12 1 1 0", 2, 2],
    ])("%s: %d minutes, %d hours", (line, minutes, hours) => {
        const c = parseCron(line);
        expect([c.minutes.size, c.hours.size]).toEqual([minutes, hours]);
    });

    it.each([
        ["* * * *"],
        ["60 * * * *"],
        ["0 24 * * *"],
        ["0 0 0 1 *"],
        ["0 0 1 13 *"],
        ["5-1 * * * *"],
        ["a * * * *"],
        ["*/0 * * * *"],
    ])("refuses %j", (line) => {
        expect(() => parseCron(line)).toThrow();
    });

    it("a date line fires once in its year; today's line 144 times a day", () => {
        const year = [
            Date.parse("2027-01-01T00:00:00Z"),
            Date.parse("2028-01-01T00:00:00Z"),
        ] as const;
        expect(firings(parseCron("20 13 26 11 *"), ...year)).toEqual([
            Date.parse("2027-11-26T13:20:00Z"),
        ]);
        expect(
            firings(
                parseCron("*/10 * * * *"),
                Date.parse("2027-11-26T00:00:00Z"),
                Date.parse("2027-11-27T00:00:00Z"),
            ),
        ).toHaveLength(144);
    });
});

// ---------------------------------------------------------------------------
// Properties over random calendars

const START = Date.parse("2027-06-01T00:00:00Z");
const dropArb = fc.record({
    startMinute: fc.integer({ min: 0, max: 60 * 24 * 90 }),
    seconds: fc.constantFrom(0, 0, 0, 30),
    minutes: fc.integer({ min: 1, max: 60 * 24 * 3 }),
    // at most 4 × 200 users: 200 nodes even when all overlap (a calendar it cannot serve is refused before, by the config)
    users: fc.integer({ min: 0, max: 200 }),
});
const calendarArb = fc
    .record({
        lead: fc.integer({ min: 0, max: 120 }),
        drops: fc.array(dropArb, { minLength: 1, maxLength: 4 }),
    })
    .map(({ lead, drops }): Calendar => ({
        baseline: users(12),
        leadMinutes: lead,
        drops: drops.map((d, i) => {
            const start = START + d.startMinute * MIN + d.seconds * 1000;
            return { name: `d${i}`, start, end: start + d.minutes * MIN, demand: users(d.users) };
        }),
    }));
const optionsArb = fc.record({
    nowMinute: fc.integer({ min: -60 * 24 * 10, max: 60 * 24 * 60 }),
    marginMinutes: fc.integer({ min: 3, max: 60 }),
    retryMinutes: fc.integer({ min: 1, max: 15 }),
    afterMinutes: fc.integer({ min: 0, max: 10 }),
    autopilot: fc.boolean(),
});
const toOptions = (o: {
    nowMinute: number;
    marginMinutes: number;
    retryMinutes: number;
    afterMinutes: number;
    autopilot: boolean;
}): CronOptions & { now: number } => ({
    ...CRON_DEFAULTS,
    now: START + o.nowMinute * MIN,
    marginMinutes: o.marginMinutes,
    retryMinutes: o.retryMinutes,
    afterMinutes: o.afterMinutes,
    autopilot: o.autopilot,
});

describe("properties", () => {
    it("every line is valid 5-field cron, never at minute 0, at most every 5 minutes; date lines fire once a year, in the future", () => {
        fc.assert(
            fc.property(calendarArb, optionsArb, (calendar, o) => {
                const opts = toOptions(o);
                for (const e of cronEntries(calendar, context, opts)) {
                    expect(e.cron.split(" ")).toHaveLength(5);
                    const c = parseCron(e.cron);
                    expect(c.minutes.has(0)).toBe(false);
                    const ms = [...c.minutes].sort((a, b) => a - b);
                    ms.forEach((m, i) =>
                        expect(
                            (i + 1 < ms.length ? ms[i + 1] : ms[0] + 60) - m,
                        ).toBeGreaterThanOrEqual(5),
                    );
                    if (e.firesAt !== null) {
                        expect([
                            c.minutes.size,
                            c.hours.size,
                            c.daysOfMonth.size,
                            c.months.size,
                        ]).toEqual([1, 1, 1, 1]);
                        expect(firesAt(c, e.firesAt)).toBe(true);
                        expect(e.firesAt).toBeGreaterThan(opts.now);
                        expect(e.firesAt).toBeLessThanOrEqual(opts.now + opts.horizonDays * DAY);
                    }
                }
            }),
            { numRuns: 300 },
        );
    });

    it("every size change ahead is covered: a scale-up by a line at or before it (within the margin, so that run sizes for it), a scale-down by one at or after it", () => {
        fc.assert(
            fc.property(calendarArb, optionsArb, (calendar, o) => {
                const opts = toOptions(o);
                const entries = cronEntries(calendar, context, opts);
                for (const b of boundaries(calendar)) {
                    const before = stepAt(calendar, context, b - 1).sizing.sizeUnit;
                    const after = stepAt(calendar, context, b).sizing.sizeUnit;
                    if (before === after) continue;
                    if (after > before) {
                        if (b - opts.marginMinutes * MIN <= opts.now) continue; // its early line's time has passed
                        const covering = entries.filter(
                            (e) =>
                                e.firesAt !== null &&
                                e.firesAt <= b &&
                                e.firesAt + opts.marginMinutes * MIN >= b,
                        );
                        expect(covering.length).toBeGreaterThan(0);
                        for (const e of covering)
                            expect(
                                stepAt(
                                    calendar,
                                    context,
                                    scheduledMoment(
                                        calendar,
                                        context,
                                        e.firesAt!,
                                        opts.marginMinutes,
                                    ),
                                ).sizing.sizeUnit,
                            ).toBeGreaterThanOrEqual(after);
                    } else {
                        if (b <= opts.now) continue;
                        const covering = entries.filter(
                            (e) =>
                                e.firesAt !== null &&
                                e.firesAt >= b &&
                                e.firesAt <= b + (opts.afterMinutes + 2) * MIN,
                        );
                        expect(covering.length).toBeGreaterThan(0);
                        // that run never sizes for before the boundary: the crowd keeps its nodes to the end
                        for (const e of covering)
                            expect(
                                scheduledMoment(calendar, context, e.firesAt!, opts.marginMinutes),
                            ).toBeGreaterThanOrEqual(b);
                    }
                }
            }),
            { numRuns: 300 },
        );
    });

    it("without a clock, the lines are those of any moment before the calendar's first line (the file does not depend on the day it is made)", () => {
        fc.assert(
            fc.property(calendarArb, optionsArb, (calendar, o) => {
                const opts = toOptions(o);
                // every drop starts within 93 days of START; its lead (≤ 2 h) and margin (≤ 1 h) fit in a day before
                const before = { ...opts, now: START - DAY, horizonDays: 365 };
                expect(cronEntries(calendar, context, { ...opts, now: null })).toEqual(
                    cronEntries(calendar, context, before),
                );
            }),
            { numRuns: 200 },
        );
    });

    it("with the autopilot, every 10-minute stretch ahead inside a drop window holds a poll", () => {
        fc.assert(
            fc.property(
                calendarArb,
                optionsArb,
                fc.noBias(fc.integer({ min: 0, max: 1000 })).map((n) => n / 1000),
                (calendar, o, share) => {
                    const opts = { ...toOptions(o), autopilot: true };
                    const polls = cronEntries(calendar, context, opts)
                        .filter((e) => e.kind === "poll")
                        .map((e) => parseCron(e.cron));
                    for (const d of calendar.drops) {
                        const from = d.start - calendar.leadMinutes * MIN;
                        const t = Math.ceil((from + share * (d.end - from - 10 * MIN)) / MIN) * MIN;
                        if (t <= opts.now || t + 10 * MIN > d.end) continue;
                        expect(polls.some((p) => firings(p, t, t + 10 * MIN).length > 0)).toBe(
                            true,
                        );
                    }
                },
            ),
            { numRuns: 200 },
        );
    });
});

describe("billing", () => {
    it.each([
        [0, 0],
        [1, 1],
        [20, 1],
        [59, 1],
        [60, 1],
        [61, 2],
        [90, 2],
        [121, 3],
    ])("a %d-second job bills %d minutes", (seconds, minutes) => {
        expect(billedJobMinutes(seconds)).toBe(minutes);
    });

    it.each([
        ["2027-11", "2027-11-01T00:00:00Z", "2027-12-01T00:00:00Z"],
        ["2027-12", "2027-12-01T00:00:00Z", "2028-01-01T00:00:00Z"],
        ["2028-02", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"],
    ])("the month %s is [%s, %s)", (text, from, to) => {
        expect(calendarMonth(text)).toEqual({ from: Date.parse(from), to: Date.parse(to) });
    });

    it.each([["2027-13"], ["2027-00"], ["2027-1"], ["November"], [""]])(
        "refuses the month %j",
        (text) => {
            expect(() => calendarMonth(text)).toThrow(
                `a month is written YYYY-MM, such as 2027-11 (got ${JSON.stringify(text)})`,
            );
        },
    );

    const entryArb = fc.oneof(
        fc
            .record({
                m: fc.integer({ min: 1, max: 59 }),
                h: fc.integer({ min: 0, max: 23 }),
                d: fc.integer({ min: 1, max: 28 }),
                kind: fc.constantFrom(
                    "scaleUp",
                    "scaleUpRetry",
                    "scaleDown",
                    "scaleDownRetry",
                ) as fc.Arbitrary<CronEntry["kind"]>,
            })
            .map((x): CronEntry => ({
                cron: `${x.m} ${x.h} ${x.d} 11 *`,
                kind: x.kind,
                why: "",
                firesAt: null,
                boundary: null,
            })),
        fc
            .record({ m: fc.integer({ min: 1, max: 59 }), h: fc.integer({ min: 0, max: 23 }) })
            .map((x): CronEntry => ({
                cron: `${x.m} ${x.h} * * *`,
                kind: "daily",
                why: "",
                firesAt: null,
                boundary: null,
            })),
        fc
            .record({
                h1: fc.integer({ min: 0, max: 23 }),
                span: fc.integer({ min: 0, max: 5 }),
                d: fc.integer({ min: 1, max: 28 }),
            })
            .map((x): CronEntry => ({
                cron: `3-59/10 ${x.h1}-${Math.min(23, x.h1 + x.span)} ${x.d} 11 *`,
                kind: "poll",
                why: "",
                firesAt: null,
                boundary: null,
            })),
    );
    const timesArb = fc.record({
        cheapSeconds: fc.integer({ min: 1, max: 300 }),
        resizeSeconds: fc.integer({ min: 1, max: 900 }),
    });
    const NOV = [Date.parse("2027-11-01T00:00:00Z"), Date.parse("2027-12-01T00:00:00Z")] as const;

    it("more runs never bill less (property)", () => {
        fc.assert(
            fc.property(
                fc.array(entryArb, { maxLength: 6 }),
                entryArb,
                timesArb,
                (entries, extra, times) => {
                    expect(
                        billFor([...entries, extra], times, ...NOV).billedMinutes,
                    ).toBeGreaterThanOrEqual(billFor(entries, times, ...NOV).billedMinutes);
                },
            ),
            { numRuns: 60 },
        );
    });

    it("longer steps never bill less, and the bill is runs × rounded minutes (property)", () => {
        fc.assert(
            fc.property(
                fc.array(entryArb, { maxLength: 6 }),
                timesArb,
                fc.integer({ min: 0, max: 120 }),
                fc.integer({ min: 0, max: 120 }),
                (entries, times, moreCheap, moreResize) => {
                    const longer: RunSeconds = {
                        cheapSeconds: times.cheapSeconds + moreCheap,
                        resizeSeconds: times.resizeSeconds + moreResize,
                    };
                    const bill = billFor(entries, times, ...NOV);
                    expect(billFor(entries, longer, ...NOV).billedMinutes).toBeGreaterThanOrEqual(
                        bill.billedMinutes,
                    );
                    expect(bill.billedMinutes).toBe(
                        bill.lines.reduce(
                            (n, l) => n + l.runs * billedJobMinutes(l.secondsPerRun),
                            0,
                        ),
                    );
                    expect(bill.runs).toBeLessThanOrEqual(bill.billedMinutes);
                },
            ),
            { numRuns: 60 },
        );
    });
});
