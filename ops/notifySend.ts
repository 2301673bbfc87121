// Sending a notice to a Discord or Slack incoming webhook: one POST with one deadline (default
// 5 s) for the whole call, a 429 retried once only when its Retry-After fits before the deadline.
// It never throws and never waits past the deadline, so a notification never blocks or fails a
// resize; a failure comes back as one line for the log, naming the webhook's host only.
import type { NotifyFormat } from "../config/notify";
import { hostOf, httpRequest, requestFailure } from "../infra/httpRequest";
import type { Notice } from "./notices";
import { renderMessage, webhookBody, type RenderOptions } from "./notifyFormat";
import { redact } from "./redact";

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5000;

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
            // A redirect is an answer, never followed: it would send the message elsewhere.
            const response = await httpRequest({
                url: target.webhookUrl,
                method: "POST",
                headers: { "content-type": "application/json" },
                body,
                signal,
            });
            if (response.ok) return { ok: true, status: response.status, attempts };
            const detail = response.text.replace(/\s+/g, " ").trim().slice(0, 200);
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
        return fail(requestFailure(err, timeoutMs));
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
