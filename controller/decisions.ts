// What the controller decides on its own, with no I/O: whether a tick resizes, waits for
// DigitalOcean's pace or only says what it would do; which notices are new; the near-limit alert.
// The size itself is the one decision every path shares (sizing/autopilot.ts).
import type { SizeNow } from "../infra/liveSize";
import { valueAt } from "../sizing/observe";
import { latestSample } from "../sizing/observedLoad";
import { nearLimitNotice, type Notice } from "../ops/notices";

/** DigitalOcean accepts one resize of a load balancer a minute. */
export const MIN_RESIZE_INTERVAL_MS = 60_000;
export const DEFAULT_INTERVAL_SECONDS = 60;

export type Action =
    | { kind: "steady"; sizeUnit: number }
    | { kind: "resize"; from: number; to: number }
    | { kind: "dryRun"; from: number; to: number }
    | { kind: "paced"; from: number; to: number; lastResizeAt: number; nextAt: number }
    | { kind: "refusedUntil"; from: number; to: number; nextAt: number };

/**
 * What the tick does with the decided size: nothing when it is the live size; with --dry-run only
 * say so; else resize, unless DigitalOcean named a later time for the next resize when it refused
 * one as too often, or the last resize was asked for less than a minute before (either way: a
 * clock set back does not unlock it early).
 */
export function nextAction(input: {
    liveSizeUnit: number;
    targetSizeUnit: number;
    at: number;
    lastResizeAt: number | null;
    /** the next available resize DigitalOcean named in its last "too often" refusal (epoch ms) */
    nextResizeAt?: number | null;
    dryRun: boolean;
}): Action {
    const { liveSizeUnit: from, targetSizeUnit: to, at, lastResizeAt, dryRun } = input;
    const nextResizeAt = input.nextResizeAt ?? null;
    if (from === to) return { kind: "steady", sizeUnit: from };
    if (dryRun) return { kind: "dryRun", from, to };
    if (nextResizeAt !== null && at < nextResizeAt)
        return { kind: "refusedUntil", from, to, nextAt: nextResizeAt };
    if (lastResizeAt !== null && Math.abs(at - lastResizeAt) < MIN_RESIZE_INTERVAL_MS) {
        return {
            kind: "paced",
            from,
            to,
            lastResizeAt,
            nextAt: lastResizeAt + MIN_RESIZE_INTERVAL_MS,
        };
    }
    return { kind: "resize", from, to };
}

export { isBusyError, tooOftenRefusal } from "../ops/resizeErrors";

/**
 * The condition a notice reports, for sending it once while it lasts; null for events (a resize),
 * sent every time. A clamp or the near-limit alert at another size is a new condition.
 */
export function conditionKey(notice: Notice): string | null {
    switch (notice.kind) {
        case "resize":
            return null;
        case "clamped":
            return `clamped:${notice.sizeUnit}`;
        case "nearLimit":
            return `nearLimit:${notice.sizeUnit}`;
        case "metricsUnavailable":
            return "metricsUnavailable";
        case "tickFailed":
            return `tickFailed:${notice.error}`;
        case "leaseTakenOver":
            return null;
        case "lateScaleUp":
            return `lateScaleUp:${notice.drop}`;
    }
}

/** The notices to send now: every event, and each condition not already notified; `conditions` is what to remember. */
export function freshNotices(
    notices: readonly Notice[],
    notified: readonly string[],
): { send: Notice[]; conditions: string[] } {
    const before = new Set(notified);
    const conditions: string[] = [];
    const send: Notice[] = [];
    for (const notice of notices) {
        const key = conditionKey(notice);
        if (key === null) {
            send.push(notice);
            continue;
        }
        if (conditions.includes(key)) continue;
        conditions.push(key);
        if (!before.has(key)) send.push(notice);
    }
    return { send, conditions };
}

/** The latest connections sample the decision saw, with the limit in force then (or the live size's). */
export function latestLoad(
    size: SizeNow,
    connectionsPerNode: number,
): { connections: number; limit: number; at: number } | null {
    if (size.live === null || size.metrics === null || !size.metrics.ok) return null;
    const latest = latestSample(size.metrics.connections, size.at);
    if (latest === null) return null;
    const [t, connections] = latest;
    const limit = valueAt(size.metrics.limit ?? [], t) ?? size.live.sizeUnit * connectionsPerNode;
    return { connections, limit, at: t * 1000 };
}

export function nearLimitFrom(
    stack: string,
    size: SizeNow,
    connectionsPerNode: number,
): Notice | null {
    const load = latestLoad(size, connectionsPerNode);
    if (load === null) return null;
    return nearLimitNotice(stack, {
        ...load,
        sizeUnit: Math.ceil(load.limit / connectionsPerNode),
    });
}

/**
 * Pulumi's lock refused the run: another `pulumi up` (a deploy, an operator) holds the stack
 * (DIY backends: "the stack is currently locked"; Pulumi Cloud: 409 "Another update is
 * currently in progress"). Nothing was changed; the next tick tries again.
 */
export function isStackLocked(text: string): boolean {
    return /the stack is currently locked by|another update is currently in progress/i.test(text);
}
