// One way to print numbers, money and times (sizing/format.ts): table tests of what each
// format gives, and properties of the rounding that makes a breakdown add up.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    axisInstants,
    count,
    duration,
    formatInstant,
    hours,
    money,
    partsThatAddUp,
    percent,
    plural,
    rate,
    shortInstant,
    signedMoney,
    signedRate,
    toCents,
} from "../sizing/format";
import { parseInstant } from "../sizing/calendar";

const at = (iso: string) => parseInstant(iso)!;

describe("formats", () => {
    it.each([
        ["count, grouped", count(24_000), "24,000"],
        ["count, one decimal at most", count(2833.46), "2,833.5"],
        ["percent, one decimal at most", percent(34_000 / 30_000), "113.3%"],
        ["money, cents", money(36), "$36.00"],
        ["money rounds to cents", money(1.0179), "$1.02"],
        ["rate keeps four decimals", rate(0.053571), "$0.0536"],
        ["rate keeps two at least", rate(0.5), "$0.50"],
        ["signed money: a minus sign", signedMoney(-84), "−$84.00"],
        ["signed money: zero", signedMoney(0), "±$0.00"],
        ["signed rate", signedRate(0.035714), "+$0.0357"],
        ["hours", hours(6.5), "6.5 h"],
        ["hours, two decimals at most", hours(1 / 3), "0.33 h"],
        ["duration in seconds", duration(90), "90 s"],
        ["duration in minutes", duration(750), "12.5 min"],
        ["duration in hours", duration(8100), "2.25 h"],
        ["plural: one", plural(1, "node"), "1 node"],
        ["plural: grouped count", plural(2000, "user"), "2,000 users"],
        ["plural: a word that does not just take an s", plural(2, "entry", "entries"), "2 entries"],
        ["plural: one of such a word", plural(1, "stretch", "stretches"), "1 stretch"],
    ])("%s", (_what, shown, expected) => {
        expect(shown).toBe(expected);
    });

    it.each([
        ["a whole minute", "2027-11-26T14:00:00Z", "2027-11-26T14:00:00Z", "2027-11-26T14:00Z"],
        ["seconds", "2027-11-26T14:00:31Z", "2027-11-26T14:00:31Z", "2027-11-26T14:00:31Z"],
        [
            "a clock's milliseconds are cut off",
            "2026-12-01T08:32:31.545Z",
            "2026-12-01T08:32:31Z",
            "2026-12-01T08:32:31Z",
        ],
    ])("times: %s", (_what, iso, full, short) => {
        expect(formatInstant(at(iso))).toBe(full);
        expect(shortInstant(at(iso))).toBe(short);
    });

    it("a chart's axis leaves the year out only when every time shares it", () => {
        expect(axisInstants([at("2027-11-26T13:30:00Z"), at("2027-11-26T22:00:00Z")])).toEqual([
            "11-26 13:30Z",
            "11-26 22:00Z",
        ]);
        expect(axisInstants([at("2026-12-01T08:32:31.545Z"), at("2027-11-26T22:00:00Z")])).toEqual([
            "2026-12-01 08:32:31Z",
            "2027-11-26 22:00Z",
        ]);
    });

    it("printed times never carry milliseconds and read back as the second they fall in (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
                expect(formatInstant(ms)).not.toMatch(/\.\d+Z$/);
                expect(parseInstant(formatInstant(ms))).toBe(Math.floor(ms / 1000) * 1000);
                expect(parseInstant(shortInstant(ms))).toBe(Math.floor(ms / 1000) * 1000);
            }),
        );
    });
});

describe("partsThatAddUp: a breakdown in cents that adds up to its total", () => {
    it.each([
        ["the example calendar's overlap", [0.625, 0.321429, 0.071429], [0.63, 0.32, 0.07]],
        ["three thirds of a dollar", [1 / 3, 1 / 3, 1 / 3], [0.34, 0.33, 0.33]],
        ["already cents", [0.1, 0.2], [0.1, 0.2]],
        ["a negative part (a drop smaller than the baseline)", [0.505, -0.205], [0.51, -0.21]],
        ["no parts", [], []],
    ])("%s", (_what, parts, expected) => {
        const shared = partsThatAddUp(
            parts,
            parts.reduce((a, b) => a + b, 0),
        );
        expect(shared).toEqual(expected);
    });

    it("property: the rounded parts add up to the rounded total, each within a cent of its value", () => {
        const part = fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true });
        fc.assert(
            fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
                const total = parts.reduce((a, b) => a + b, 0);
                const shared = partsThatAddUp(parts, total);
                expect(shared).toHaveLength(parts.length);
                expect(shared.reduce((a, b) => a + toCents(b), 0)).toBe(
                    parts.length === 0 ? 0 : toCents(total),
                );
                shared.forEach((s, i) =>
                    expect(Math.abs(s - parts[i])).toBeLessThanOrEqual(0.01 + 1e-9),
                );
            }),
        );
    });
});
