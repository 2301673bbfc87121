/**
 * Billed GitHub Actions minutes for the scheduled workflow, from its cron lines and the time a
 * run takes.
 *
 *   runs           every firing of every line in the period (each line its own run, even when two
 *                  fire in the same minute: GitHub starts one run per matching schedule)
 *   a run's time   a date line that serves a boundary (the first of its pair) installs Pulumi and
 *                  resizes: `resizeSeconds`; every other run (the retry, a poll, the daily run)
 *                  ends at the cheap check: `cheapSeconds`
 *   rounding       GitHub rounds each job up to the whole minute (a 20-second job bills one
 *                  minute); the workflow has one job
 *
 * The figures are as good as the step times given (RUN_SECONDS): any run under 60 seconds bills
 * the same one minute, so the result holds as long as the cheap run stays under a minute, and a
 * resizing run between 61 and 120 seconds bills 2.
 *
 * Pure: no clock, no I/O.
 */
import { MINUTE_MS } from "./calendar";
import { firings, parseCron, type CronEntry, type CronKind } from "./cron";

export interface RunSeconds {
    /** a run that ends at the cheap check (nothing due) */
    cheapSeconds: number;
    /** a run that installs Pulumi, runs the gate and resizes */
    resizeSeconds: number;
}

/** Today's schedule.yml run (npm ci, Pulumi install, gate preview, `pulumi up`): about 90 s, measured (issue 15). */
export const TODAY_RUN_SECONDS = 90;

/**
 * The generated workflow's runs.
 *   cheap    30 s: `npm ci` 18 s and the check (`npm run schedule -- --due` against the emulator)
 *            2 s, both measured on this project's 2-core machine with npm's cache warm (as
 *            setup-node's cache restores it); the job's set-up, checkout and setup-node's cache
 *            restore, about 10 s, are an estimate
 *   resize   92 s: today's run, plus the check
 */
export const RUN_SECONDS: RunSeconds = { cheapSeconds: 30, resizeSeconds: TODAY_RUN_SECONDS + 2 };

/** Today's .github/workflows/schedule.yml: every 10 minutes, every run a full `pulumi up`. */
export const TODAY_SCHEDULE: readonly CronEntry[] = [
    {
        cron: "*/10 * * * *",
        kind: "poll",
        why: "today's schedule.yml: every 10 minutes",
        firesAt: null,
        boundary: null,
    },
];

/** Included minutes a month for private repositories (GitHub Free; Pro and Team include 3,000). */
export const FREE_MINUTES = 2000;

/** A job of `seconds` bills this many minutes: rounded up to the whole minute. */
export function billedJobMinutes(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0)
        throw new Error(`a job's time must be a finite number of seconds ≥ 0, got ${seconds}`);
    return Math.ceil(seconds / 60);
}

const RESIZING: ReadonlySet<CronKind> = new Set(["scaleUp", "scaleDown"]);

export interface LineBill {
    cron: string;
    why: string;
    runs: number;
    secondsPerRun: number;
    billedMinutes: number;
}

export interface Bill {
    /** epoch ms, [from, to) */
    from: number;
    to: number;
    runs: number;
    billedMinutes: number;
    lines: LineBill[];
}

export interface BillOptions {
    /** every run is a full one (today's workflow installs Pulumi and runs `up` every time) */
    everyRunResizes?: boolean;
}

/** The billed minutes of the lines' runs in [from, to). */
export function billFor(
    entries: readonly CronEntry[],
    times: RunSeconds,
    from: number,
    to: number,
    options: BillOptions = {},
): Bill {
    if (!(to > from)) throw new Error("the billing period must end after it starts");
    const lines = entries.map((e): LineBill => {
        const runs = firings(parseCron(e.cron), from, to).length;
        const secondsPerRun =
            options.everyRunResizes || RESIZING.has(e.kind)
                ? times.resizeSeconds
                : times.cheapSeconds;
        return {
            cron: e.cron,
            why: e.why,
            runs,
            secondsPerRun,
            billedMinutes: runs * billedJobMinutes(secondsPerRun),
        };
    });
    return {
        from,
        to,
        runs: lines.reduce((n, l) => n + l.runs, 0),
        billedMinutes: lines.reduce((n, l) => n + l.billedMinutes, 0),
        lines,
    };
}

/** 30 days from `from`: GitHub's "a month" for an estimate. */
export function monthFrom(from: number): { from: number; to: number } {
    return { from, to: from + 30 * 24 * 60 * MINUTE_MS };
}

/** A UTC calendar month, "2027-11", as [from, to): GitHub's included minutes are counted per calendar month. */
export function calendarMonth(text: string): { from: number; to: number } {
    const m = /^(\d{4})-(\d{2})$/.exec(text);
    const month = m === null ? NaN : Number(m[2]);
    if (m === null || month < 1 || month > 12)
        throw new Error(
            `a month is written YYYY-MM, such as 2027-11 (got ${JSON.stringify(text)})`,
        );
    return { from: Date.UTC(Number(m[1]), month - 1, 1), to: Date.UTC(Number(m[1]), month, 1) };
}

export interface BillComparison {
    /** today's workflow: every 10 minutes, every run a full one */
    before: Bill;
    /** the generated lines */
    after: Bill;
    /** before ÷ after (Infinity when after bills nothing) */
    ratio: number;
}

/** Today's workflow against the generated lines, over the same period. */
export function compareBills(
    after: readonly CronEntry[],
    times: RunSeconds,
    from: number,
    to: number,
): BillComparison {
    const before = billFor(
        TODAY_SCHEDULE,
        { cheapSeconds: TODAY_RUN_SECONDS, resizeSeconds: TODAY_RUN_SECONDS },
        from,
        to,
        { everyRunResizes: true },
    );
    const bill = billFor(after, times, from, to);
    return {
        before,
        after: bill,
        ratio: bill.billedMinutes === 0 ? Infinity : before.billedMinutes / bill.billedMinutes,
    };
}
