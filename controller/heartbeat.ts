// The heartbeat: after each good tick the controller pings a push monitor's URL
// (proxy-lb:autopilot.heartbeatUrl: Healthchecks.io, an Uptime Kuma push monitor…), which alerts
// when the pings stop: a dead controller, a dead host, or a tick that keeps failing are all
// noticed by something that does not run beside it. A ping never fails the tick.
import { hostOf, httpRequest, requestFailure } from "../infra/httpRequest";
import { redact } from "../ops/redact";

/** A ping waits at most this long: a slow monitor never holds up the next tick. */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

export type PingResult = { ok: true; status: number } | { ok: false; line: string };

/**
 * GETs `url` (Healthchecks.io and Uptime Kuma push monitors both take a GET; a redirect is not
 * followed but reported, as any answer other than 2xx). Never throws, never takes longer than
 * `timeoutMs`: a failure is one line naming the monitor's host only, never the URL (its path is
 * the secret).
 */
export async function pingHeartbeat(
    url: string,
    options: { timeoutMs?: number; secrets?: readonly string[] } = {},
): Promise<PingResult> {
    const timeoutMs = options.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    const fail = (why: string): PingResult => ({
        ok: false,
        line: redact(
            `heartbeat: the push monitor at ${hostOf(url)} did not take the ping: ${why}`,
            [url, ...(options.secrets ?? [])],
        ),
    });
    try {
        const response = await httpRequest({ url, timeoutMs });
        if (response.ok) return { ok: true, status: response.status };
        return fail(
            `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
        );
    } catch (err) {
        return fail(requestFailure(err, timeoutMs));
    }
}
