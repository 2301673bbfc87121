// Flags that hold times, read one way for every command (plan, observe, schedule).
import { ConfigError } from "../config";
import { DEFAULT_PERIOD_DAYS } from "../config/calendarChange";
import { parseInstant } from "../sizing/calendar";
import { formatInstant } from "../sizing/format";

const DAY_MS = 24 * 3_600_000;

/** A flag holding a time: ISO-8601 with an offset or Z, as in the calendar. */
export function instantFlag(flag: string, text: string): number {
    const at = parseInstant(text);
    if (at === undefined)
        throw new ConfigError([
            `${flag} must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z (got ${JSON.stringify(text)})`,
        ]);
    return at;
}

/** --from and --to as a period that ends after it starts. */
export function periodFlags(from: string, to: string): { from: number; to: number } {
    return checkedPeriod(instantFlag("--from", from), instantFlag("--to", to));
}

/** The period to show: --from (default now) to --to (default 7 days after from). */
export function period(now: number, from?: string, to?: string): { from: number; to: number } {
    const start = from === undefined ? now : instantFlag("--from", from);
    return checkedPeriod(
        start,
        to === undefined ? start + DEFAULT_PERIOD_DAYS * DAY_MS : instantFlag("--to", to),
    );
}

function checkedPeriod(from: number, to: number): { from: number; to: number } {
    if (!(to > from))
        throw new ConfigError([
            `--to (${formatInstant(to)}) must be after --from (${formatInstant(from)})`,
        ]);
    return { from, to };
}
