/**
 * Notifications to a Discord or Slack incoming webhook: what happened to the load balancer, in
 * words an operator acts on.
 *
 *   notices        resize (from -> to, why, cost change), clamped at maxNodes, the load balancer at
 *                  90% of its limit or more, metrics unavailable, a failed tick, a late scale-up
 *   rendering      pure: `renderMessage` gives the exact text, `webhookBody` the JSON a webhook
 *                  takes (Discord {"content"} up to 2,000 characters, Slack {"text"})
 *   sending        `sendNotice`: one POST with one deadline (default 5 s) for the whole call, a
 *                  429 retried once only when its Retry-After fits before the deadline. It never
 *                  throws and never waits past the deadline: a notification never blocks or fails
 *                  a resize. A failure comes back as one line for the log.
 *
 * The webhook URL carries its secret in its path, so neither a message nor a failure line ever
 * contains it: every text goes through `redact` with the URL (and any other secret given, such
 * as the DigitalOcean token) before it is escaped and sent or returned.
 */
import { HOURS_PER_MONTH } from "../sizing";
import type { AutopilotDecision } from "../sizing/autopilot";
import type { LateScaleUp } from "../sizing/lateScaleUp";
import { count, money, plural, shortInstant, signedMoney, signedRate } from "../sizing/format";
import type { NotifyFormat } from "../config/notify";

export type { NotifyFormat } from "../config/notify";

/** Discord refuses a message whose content is longer (Execute Webhook: content, up to 2000 characters). */
export const DISCORD_CONTENT_LIMIT = 2000;
/** Slack truncates text past 40,000 characters and advises keeping it under 4,000. */
export const SLACK_TEXT_LIMIT = 4000;
/** The load balancer at this share of its connection limit or more is worth a message. */
export const NEAR_LIMIT_SHARE = 0.9;
export const DEFAULT_NOTIFY_TIMEOUT_MS = 5000;

export type Notice =
    | {
          kind: "resize";
          stack: string;
          from: number;
          to: number;
          why: string;
          pricePerNodeMonthly: number;
      }
    | {
          kind: "clamped";
          stack: string;
          sizeUnit: number;
          wanted: number;
          maxNodes: number;
          why: string;
      }
    | {
          kind: "nearLimit";
          stack: string;
          connections: number;
          limit: number;
          sizeUnit: number;
          at: number;
      }
    | { kind: "metricsUnavailable"; stack: string; sizeUnit: number; why: string }
    | { kind: "tickFailed"; stack: string; at: number; error: string }
    /** a controller took the stack's lease over from one that is gone or silent */
    | { kind: "leaseTakenOver"; stack: string; at: number; by: string; from: string; why: string }
    | {
          kind: "lateScaleUp";
          stack: string;
          drop: string;
          dueSince: number;
          minutesLate: number;
          dueSizeUnit: number;
          liveSizeUnit: number;
          seenBy: string;
      };

export type NoticeKind = Notice["kind"];

// ---------------------------------------------------------------------------
// Notices from what the program decided (pure)

/**
 * The notices a decision calls for: a resize when the size changes, a clamp when maxNodes (or
 * DigitalOcean's 200) held the size below the crowd's need, metrics unavailable when it held.
 */
export function decisionNotices(
    stack: string,
    decision: AutopilotDecision,
    pricePerNodeMonthly: number,
): Notice[] {
    const notices: Notice[] = [];
    if (decision.change !== "none") {
        notices.push({
            kind: "resize",
            stack,
            from: decision.liveSizeUnit,
            to: decision.sizeUnit,
            why: decision.why,
            pricePerNodeMonthly,
        });
    }
    for (const reason of decision.reasons) {
        if (reason.kind === "clamped")
            notices.push({
                kind: "clamped",
                stack,
                sizeUnit: reason.sizeUnit,
                wanted: reason.wanted,
                maxNodes: reason.maxNodes,
                why: reason.text,
            });
        if (reason.kind === "holding")
            notices.push({
                kind: "metricsUnavailable",
                stack,
                sizeUnit: reason.sizeUnit,
                why: reason.text,
            });
    }
    return notices;
}

/** The notice of a late scale-up (sizing/lateScaleUp.ts), as each clock that sees it sends it. */
export function lateScaleUpNotice(stack: string, late: LateScaleUp, seenBy: string): Notice {
    return {
        kind: "lateScaleUp",
        stack,
        drop: late.drops.join(" + "),
        dueSince: late.dueSince,
        minutesLate: late.minutesLate,
        dueSizeUnit: late.dueSizeUnit,
        liveSizeUnit: late.liveSizeUnit,
        seenBy,
    };
}

/** A near-limit notice when `connections` is at least 90% of `limit` (exact for whole counts), else null. */
export function nearLimitNotice(
    stack: string,
    sample: { connections: number; limit: number; sizeUnit: number; at: number },
): Notice | null {
    const { connections, limit } = sample;
    if (!(limit > 0) || connections * 10 < limit * 9) return null;
    return { kind: "nearLimit", stack, ...sample };
}

// ---------------------------------------------------------------------------
// Words (pure)

const nodes = (n: number) => plural(n, "node").replace(/^\d+/, count(n));
const minutes = (n: number) => plural(n, "minute");
const when = (ms: number) => shortInstant(Math.floor(ms / 1000) * 1000);

/** The cost change of a resize, with sizing/'s figures (printed with sizing/format.ts): monthly price × nodes, hourly = monthly ÷ 672. */
export function costChange(
    from: number,
    to: number,
    pricePerNodeMonthly: number,
): { monthlyFrom: number; monthlyTo: number; monthlyChange: number; hourlyChange: number } {
    const monthlyFrom = from * pricePerNodeMonthly;
    const monthlyTo = to * pricePerNodeMonthly;
    return {
        monthlyFrom,
        monthlyTo,
        monthlyChange: monthlyTo - monthlyFrom,
        hourlyChange: (monthlyTo - monthlyFrom) / HOURS_PER_MONTH,
    };
}

/** A message: a headline and its detail lines, each dynamic part still raw (escaped per format later). */
interface Message {
    headline: string;
    lines: string[];
}

function message(notice: Notice): Message {
    const who = `proxy-lb ${notice.stack}`;
    switch (notice.kind) {
        case "resize": {
            const c = costChange(notice.from, notice.to, notice.pricePerNodeMonthly);
            const verb =
                notice.to > notice.from
                    ? "scaled up"
                    : notice.to < notice.from
                      ? "scaled down"
                      : "kept";
            return {
                headline: `${who}: ${verb} ${count(notice.from)} → ${nodes(notice.to)}`,
                lines: [
                    `why: ${notice.why}`,
                    `cost: ${signedMoney(c.monthlyChange)} a month at this size (${signedRate(c.hourlyChange)} an hour): ${money(c.monthlyFrom)} → ${money(c.monthlyTo)} a month`,
                ],
            };
        }
        case "clamped":
            return {
                headline: `${who}: CLAMPED at ${nodes(notice.sizeUnit)}: the crowd needs ${nodes(notice.wanted)} (limit ${count(notice.maxNodes)})`,
                lines: [`why: ${notice.why}`],
            };
        case "nearLimit": {
            // Floored, so the share is never overstated.
            const percent = Math.floor((notice.connections * 100) / notice.limit);
            return {
                headline: `${who}: the load balancer is at ${percent}% of its limit`,
                lines: [
                    `${count(notice.connections)} of ${count(notice.limit)} connections on ${nodes(notice.sizeUnit)} at ${when(notice.at)}`,
                ],
            };
        }
        case "metricsUnavailable":
            return {
                headline: `${who}: metrics unavailable, holding ${nodes(notice.sizeUnit)}`,
                lines: [`why: ${notice.why}`],
            };
        case "tickFailed":
            return {
                headline: `${who}: the autopilot's tick at ${when(notice.at)} failed`,
                lines: [
                    `error: ${notice.error}`,
                    "the size is unchanged; the next tick tries again",
                ],
            };
        case "leaseTakenOver":
            return {
                headline: `${who}: the autopilot moved to ${notice.by}`,
                lines: [
                    `took the lease over from ${notice.from} at ${when(notice.at)}: ${notice.why}`,
                ],
            };
        case "lateScaleUp":
            return {
                headline: `${who}: the scale-up for ${notice.drop} is ${minutes(notice.minutesLate)} late`,
                lines: [
                    `due since ${when(notice.dueSince)}: ${nodes(notice.dueSizeUnit)}; live: ${nodes(notice.liveSizeUnit)} (seen by ${notice.seenBy})`,
                ],
            };
    }
}

// ---------------------------------------------------------------------------
// Secrets (pure)

/**
 * Path segments that are the same in every webhook or push-monitor URL, hence no secret
 * (Healthchecks.io's /ping/<uuid>, Uptime Kuma's /api/push/<token>).
 */
const PUBLIC_SEGMENTS = new Set([
    "api",
    "webhooks",
    "services",
    "hooks",
    "slack",
    "github",
    "ping",
    "push",
]);

/**
 * The strings that must never be shown, longest first: each secret as given and, for a URL, the
 * URL without its scheme, its path (with the query) and each path segment that may be secret.
 */
export function secretForms(secrets: readonly string[]): string[] {
    const forms = new Set<string>();
    for (const secret of secrets) {
        if (secret === "") continue;
        forms.add(secret);
        let url: URL | undefined;
        try {
            url = new URL(secret);
        } catch {
            url = undefined;
        }
        if (url === undefined || url.pathname === "/") continue;
        forms.add(url.href);
        forms.add(url.href.replace(/^[a-z]+:\/\//i, ""));
        forms.add(url.pathname + url.search);
        for (const part of [...url.pathname.split("/"), ...url.search.slice(1).split("&")]) {
            if (part.length >= 4 && !PUBLIC_SEGMENTS.has(part.toLowerCase())) {
                forms.add(part);
                try {
                    forms.add(decodeURIComponent(part));
                } catch {
                    // not valid percent-encoding: the raw form is enough
                }
            }
        }
    }
    return [...forms].filter((f) => f !== "").sort((a, b) => b.length - a.length);
}

export const REDACTED = "[redacted]";

/** `text` with every form of every secret replaced by [redacted], until none is left. */
export function redact(text: string, secrets: readonly string[]): string {
    const forms = secretForms(secrets);
    let out = text;
    for (let round = 0; round < 10; round++) {
        let next = out;
        for (const form of forms) next = next.split(form).join(REDACTED);
        if (next === out) return out;
        out = next;
    }
    return out;
}

// ---------------------------------------------------------------------------
// Formats (pure)

/**
 * Discord markdown: a backslash before each character that would format text. Every line starts
 * with fixed words, so the line-start marks (> quote, # heading, - list) need no escape.
 */
function escapeDiscord(text: string): string {
    return text.replace(/[\\*_~`|]/g, (c) => `\\${c}`);
}

/** Slack mrkdwn: only &, < and > are control characters, written as entities. */
function escapeSlack(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** At most `limit` UTF-16 units ending in "…", never cutting a surrogate pair, an escape or an entity. */
function truncate(text: string, limit: number, format: NotifyFormat): string {
    if (text.length <= limit) return text;
    let cut = text.slice(0, limit - 1);
    if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
    if (format === "slack") cut = cut.replace(/&[a-z]*$/, "");
    else if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
    return `${cut}…`;
}

export interface RenderOptions {
    /** strings never to show: the webhook URL, the DigitalOcean token */
    secrets?: readonly string[];
}

/** The exact text of a notice in a webhook's format: the headline in bold, then one line each. */
export function renderMessage(
    notice: Notice,
    format: NotifyFormat,
    options: RenderOptions = {},
): string {
    const secrets = options.secrets ?? [];
    const m = message(notice);
    // One line each (a multi-line error would otherwise start a line with a quote or a heading).
    const clean = (s: string) =>
        (format === "discord" ? escapeDiscord : escapeSlack)(
            redact(s, secrets).replace(/\s*[\r\n]+\s*/g, " "),
        );
    const bold = format === "discord" ? (s: string) => `**${s}**` : (s: string) => `*${s}*`;
    const text = [bold(clean(m.headline)), ...m.lines.map(clean)].join("\n");
    return truncate(text, format === "discord" ? DISCORD_CONTENT_LIMIT : SLACK_TEXT_LIMIT, format);
}

/** The JSON body a webhook takes for `text`. Discord's mentions are switched off: a drop name or an error never pings anyone. */
export function webhookBody(format: NotifyFormat, text: string): Record<string, unknown> {
    return format === "discord" ? { content: text, allowed_mentions: { parse: [] } } : { text };
}

// ---------------------------------------------------------------------------
// Sending (I/O)

export interface NotifyTarget {
    /** a secret: never printed */
    webhookUrl: string;
    format: NotifyFormat;
}

export type SendResult =
    { ok: true; status: number; attempts: number } | { ok: false; line: string; attempts: number };

export interface SendOptions extends RenderOptions {
    /** the whole call's bound, retries and waits included; default 5 s */
    timeoutMs?: number;
    /** where a failure line goes as well as into the result */
    log?: (line: string) => void;
}

/** Retry-After in ms (seconds, or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
    if (header === null || header.trim() === "") return undefined;
    const seconds = Number(header.trim());
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(header);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return "an unreadable URL";
    }
}

/** Why a fetch threw, in a few words: the timeout, or the network error and its cause's code. */
function describeError(err: unknown, timeoutMs: number): string {
    const e = err as {
        name?: string;
        message?: string;
        cause?: { code?: string; message?: string };
    };
    if (e?.name === "TimeoutError" || e?.name === "AbortError")
        return `no answer within ${timeoutMs} ms`;
    const cause = e?.cause?.code ?? e?.cause?.message;
    return `${e?.message ?? String(err)}${cause === undefined ? "" : ` (${cause})`}`;
}

/**
 * Posts `notice` to the webhook. Never throws, never takes longer than `timeoutMs` (plus the
 * event loop's slack): a failure is returned (and logged) as one line that names the webhook's
 * host only, never its URL, path or any other secret given.
 */
export async function sendNotice(
    target: NotifyTarget,
    notice: Notice,
    options: SendOptions = {},
): Promise<SendResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    const secrets = [target.webhookUrl, ...(options.secrets ?? [])];
    let attempts = 0;
    const fail = (why: string): SendResult => {
        const line = redact(
            `notify: the ${target.format} webhook at ${hostOf(target.webhookUrl)} did not take the "${notice.kind}" message: ${why}`,
            secrets,
        );
        try {
            options.log?.(line);
        } catch {
            // a broken logger must not fail the caller either
        }
        return { ok: false, line, attempts };
    };
    try {
        const deadline = Date.now() + timeoutMs;
        const signal = AbortSignal.timeout(timeoutMs);
        const body = JSON.stringify(
            webhookBody(target.format, renderMessage(notice, target.format, { secrets })),
        );
        for (;;) {
            attempts++;
            const response = await fetch(target.webhookUrl, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body,
                signal,
                // A webhook does not redirect; following one would send the message elsewhere.
                redirect: "manual",
            });
            if (response.ok) {
                await response.body?.cancel().catch(() => undefined);
                return { ok: true, status: response.status, attempts };
            }
            const detail = await response.text().then(
                (t) => t.replace(/\s+/g, " ").trim().slice(0, 200),
                () => "",
            );
            if (response.status === 429) {
                const wait = retryAfterMs(response.headers.get("retry-after"), Date.now());
                // Retried once, and only when the wait and a new answer fit before the deadline.
                if (attempts === 1 && wait !== undefined && Date.now() + wait < deadline) {
                    await new Promise<void>((resolve, reject) => {
                        const timer = setTimeout(resolve, wait);
                        signal.addEventListener(
                            "abort",
                            () => (clearTimeout(timer), reject(signal.reason)),
                            { once: true },
                        );
                    });
                    continue;
                }
                const after =
                    wait === undefined
                        ? "no Retry-After"
                        : `Retry-After ${Math.ceil(wait / 1000)} s`;
                return fail(
                    `rate-limited (HTTP 429, ${after}); not retried past the ${timeoutMs} ms bound`,
                );
            }
            return fail(
                `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${detail ? `: ${detail}` : ""}`,
            );
        }
    } catch (err) {
        return fail(describeError(err, timeoutMs));
    }
}

/** Sends each notice in turn (each with its own bound); never throws. */
export async function sendNotices(
    target: NotifyTarget,
    notices: readonly Notice[],
    options: SendOptions = {},
): Promise<SendResult[]> {
    const results: SendResult[] = [];
    for (const notice of notices) results.push(await sendNotice(target, notice, options));
    return results;
}
