/**
 * How numbers, money and times read, everywhere (plan, gate, rollback, observe, schedule, the
 * sandbox): one place, so the same figure never prints with different decimals.
 *
 *   counts       grouped, at most one decimal                        24,000   2,833.5
 *   percentages  at most one decimal                                 113.3%
 *   money        two decimals (monthly, window and period sums)       $36.00
 *   rates        two to four decimals (per hour: cents are too few)   $0.0536
 *   times        UTC, whole seconds, ":00" seconds left out           2027-11-26T14:00Z
 *
 * Pure: no clock, no I/O.
 */

const countFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const percentFormat = new Intl.NumberFormat("en-US", {
    style: "percent",
    maximumFractionDigits: 1,
});
const moneyFormat = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
});
const rateFormat = new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
});

export const count = (n: number): string => countFormat.format(n);
export const percent = (share: number): string => percentFormat.format(share);
export const money = (usd: number): string => moneyFormat.format(usd);
export const rate = (usd: number): string => rateFormat.format(usd);

/** "+", "−" (a minus sign, not a hyphen) or "±" before `text`, by the sign of `n`. */
export function signed(n: number, text: string): string {
    return `${n > 0 ? "+" : n < 0 ? "−" : "±"}${text}`;
}

export const signedMoney = (usd: number): string => signed(usd, money(Math.abs(usd)));
export const signedRate = (usd: number): string => signed(usd, rate(Math.abs(usd)));

/** "3 nodes", "1 node", "2,000 users"; `many` where a word does not just take an s ("entries"). */
export function plural(n: number, word: string, many = `${word}s`): string {
    return `${count(n)} ${Math.abs(n) === 1 ? word : many}`;
}

/** Hours with at most two decimals: "6.5 h". */
export const hours = (h: number): string => `${Number(h.toFixed(2))} h`;

/** A length of time in the unit that reads best: "90 s", "12.5 min", "2.25 h". */
export function duration(seconds: number): string {
    if (seconds < 120) return `${seconds} s`;
    if (seconds < 7200) return `${Number((seconds / 60).toFixed(1))} min`;
    return `${Number((seconds / 3600).toFixed(2))} h`;
}

/** 2027-11-26T14:00:00Z: UTC, whole seconds (a clock's milliseconds are cut off), stable for output and tests. */
export function formatInstant(ms: number): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/** 2027-11-26T14:00Z: seconds left out when zero; still a time the calendar accepts. */
export function shortInstant(ms: number): string {
    return formatInstant(ms).replace(/:00Z$/, "Z");
}

/** A chart axis's times: "11-26 14:00Z", the year left out when every time is in the same one. */
export function axisInstants(times: readonly number[]): string[] {
    const oneYear = new Set(times.map((t) => new Date(t).getUTCFullYear())).size <= 1;
    return times.map((t) =>
        (oneYear ? shortInstant(t).replace(/^\d{4}-/, "") : shortInstant(t)).replace("T", " "),
    );
}

/** Rounds to cents half away from zero, as the money format does. */
export function toCents(usd: number): number {
    return Math.sign(usd) * Math.round(Math.abs(usd) * 100 + 1e-9) + 0; // + 0: no −0
}

/**
 * `parts` rounded to cents so that the rounded parts add up to `total` rounded to cents (given
 * `total` is their sum): each part moves less than a cent from its value, and a line that shows
 * the parts and their sum never disagrees by a cent. Largest remainder, in USD.
 */
export function partsThatAddUp(parts: readonly number[], total: number): number[] {
    const cents = parts.map(toCents);
    let missing = toCents(total) - cents.reduce((a, b) => a + b, 0);
    while (missing !== 0) {
        const step = Math.sign(missing);
        // The part whose rounding went furthest against the direction still missing.
        let pick = -1;
        let worst = -Infinity;
        cents.forEach((c, i) => {
            const error = (parts[i] * 100 - c) * step;
            if (error > worst) [pick, worst] = [i, error];
        });
        if (pick < 0) break; // no parts: nothing to share out
        cents[pick] += step;
        missing -= step;
    }
    return cents.map((c) => c / 100 + 0);
}
