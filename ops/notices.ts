// What the autopilot tells an operator: the notices (a resize, a clamp at maxNodes, the load
// balancer near its limit, metrics unavailable, a failed tick, a lease taken over, a late
// scale-up), when a decision calls for them, and their words, each dynamic part still raw (the
// webhook's format escapes it).
import { HOURS_PER_MONTH } from "../sizing";
import type { AutopilotDecision } from "../sizing/autopilot";
import type { LateScaleUp } from "../sizing/lateScaleUp";
import { count, money, plural, shortInstant, signedMoney, signedRate } from "../sizing/format";

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

/** The notice of a late scale-up, as each clock that sees it sends it. */
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

const nodes = (n: number) => plural(n, "node");
const minutes = (n: number) => plural(n, "minute");

/** The cost change of a resize, in the figures every command prints: monthly price × nodes, hourly = monthly ÷ 672. */
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
export interface Message {
    headline: string;
    lines: string[];
}

export function noticeMessage(notice: Notice): Message {
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
                    `${count(notice.connections)} of ${count(notice.limit)} connections on ${nodes(notice.sizeUnit)} at ${shortInstant(notice.at)}`,
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
                headline: `${who}: the autopilot's tick at ${shortInstant(notice.at)} failed`,
                lines: [
                    `error: ${notice.error}`,
                    "the size is unchanged; the next tick tries again",
                ],
            };
        case "leaseTakenOver":
            return {
                headline: `${who}: the autopilot moved to ${notice.by}`,
                lines: [
                    `took the lease over from ${notice.from} at ${shortInstant(notice.at)}: ${notice.why}`,
                ],
            };
        case "lateScaleUp":
            return {
                headline: `${who}: the scale-up for ${notice.drop} is ${minutes(notice.minutesLate)} late`,
                lines: [
                    `due since ${shortInstant(notice.dueSince)}: ${nodes(notice.dueSizeUnit)}; live: ${nodes(notice.liveSizeUnit)} (seen by ${notice.seenBy})`,
                ],
            };
    }
}
