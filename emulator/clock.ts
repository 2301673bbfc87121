// The emulator's notion of now: real time until a test sets it (PUT /_emulator/clock), then
// frozen where it was set, so a test steps it together with the program's PROXY_LB_NOW.
// Pure: no HTTP.

/** ISO-8601 with an offset or Z, as the program takes PROXY_LB_NOW, so one string sets both. */
const INSTANT =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** Unix milliseconds of `text`, or undefined when it is not such a time (a zone is required: a local time would be ambiguous). */
export function parseInstant(text: string): number | undefined {
    const m = INSTANT.exec(text);
    if (!m) return undefined;
    const [, y, mo, d, h, mi, s = "0", oh = "0", om = "0"] = m;
    const [year, month, day] = [y, mo, d].map(Number);
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(oh) > 23 || Number(om) > 59)
        return undefined;
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : at;
}

/** The time a PUT /_emulator/clock body sets, or the message a 400 gives (it names the field). */
export function clockFromBody(body: unknown): number | string {
    if (!body || typeof body !== "object" || Array.isArray(body))
        return 'body must be a JSON object {"now": "<ISO-8601 time with an offset or Z>"}';
    const extra = Object.keys(body).filter((k) => k !== "now");
    if (extra.length)
        return `unknown field ${extra.map((k) => JSON.stringify(k)).join(", ")} (only "now" is accepted)`;
    const now = (body as { now?: unknown }).now;
    if (now === undefined)
        return 'now is required: an ISO-8601 time with an offset or Z, such as "2027-11-26T14:00:00Z"';
    const at = typeof now === "string" ? parseInstant(now.trim()) : undefined;
    if (at === undefined)
        return `now must be an ISO-8601 time with an offset or Z, such as "2027-11-26T14:00:00Z" (got ${JSON.stringify(now)})`;
    return at;
}

export class EmulatorClock {
    /** Unix ms the tests set; undefined: real time. */
    private fixed?: number;

    constructor(fixedMs?: number) {
        this.fixed = fixedMs;
    }

    /** Unix milliseconds. */
    nowMs(): number {
        return this.fixed ?? Date.now();
    }

    /** Unix seconds (the metrics' unit). */
    nowSeconds(): number {
        return Math.floor(this.nowMs() / 1000);
    }

    now(): Date {
        return new Date(this.nowMs());
    }

    /** Freezes the clock at `ms`; undefined: back to real time. */
    set(ms: number | undefined): void {
        this.fixed = ms;
    }

    /** The time set by a test, if any (what a state file keeps). */
    get fixedMs(): number | undefined {
        return this.fixed;
    }
}
