// One tick of the controller: read the load balancer and its metrics (no Pulumi run), decide the
// size, and only when it differs from the live size run the gate and a resize-only update. The
// clock and every I/O come in through TickDeps, so a tick is unit-tested as it runs.
//
//   lease      one controller per stack: a tick without it only says who holds it, and waits
//   pace       at most one resize a minute (DigitalOcean's limit), counted on the tick's moment
//   busy       DigitalOcean's 403 "... processes previous actions": logged, tried next tick
//   too often  DigitalOcean's refusal naming the next available resize: said once, kept in the
//              lease, no resize before that time; the first tick after it resizes
//   crowd      a scale-down closes the removed nodes' share of the live connections: above
//              autopilot.maxClosedConnections it is held for the crowd to thin, at most
//              maxScaleDownWaitMinutes, then done anyway, saying how many it closed
//   locked     another Pulumi run (a deploy) holds the stack's lock: tried next tick
//   fencing    the lease is checked (a conditional write) before the update starts and right
//              before the resize; a controller that lost it changes nothing
//   recovery   an update its controller never finished (killed mid-update): its Pulumi lock is
//              cleared and the load balancer's state refreshed before anything else
//   notices    a condition is sent when it starts, not every tick; sending never fails the tick
//   dry run    decides and says what it would do: no lease, no notice sent, no update
import type { Settings } from "../config";
import type { SizeNow } from "../infra/liveSize";
import { formatInstant, plural } from "../sizing/format";
import type { GateVerdict } from "../ops/gate";
import { decisionNotices, type Notice } from "../ops/notices";
import type { SendResult } from "../ops/notifySend";
import { currentConnections, scaleDownPace, type ScaleDownPace } from "../sizing/closedConnections";
import {
    freshNotices,
    isBusyError,
    isStackLocked,
    MIN_RESIZE_INTERVAL_MS,
    nearLimitFrom,
    nextAction,
    tooOftenRefusal,
} from "./decisions";
import type { Hold, Lease, LeaseMemory, Updating } from "./lease";

/** How often the lease is renewed while an update runs: a resize that takes minutes must not look like a dead controller. */
export const HEARTBEAT_DURING_UPDATE_MS = 15_000;

export interface UpResult {
    /** the load balancer's size_unit after the update, from the stack's outputs */
    sizeUnit: number | null;
    /** false when the update changed nothing (another run, a deploy, had resized it already) */
    changed?: boolean;
}

export interface TickDeps {
    stack: string;
    /** real time, epoch ms: heartbeats and durations */
    clock(): number;
    /** the tick's moment: PROXY_LB_NOW when set, else the clock (config nowFromEnvironment) */
    moment(): number;
    /** the stack's settings for that moment (the stack file read anew, its secrets as read at start) */
    settingsAt(at: number): Settings;
    /** infra/liveSize.ts sizeNow with the live read */
    sizeNow(settings: Settings, at: number): Promise<SizeNow>;
    lease: Lease;
    /** the gated preview of the resize-only update for that moment (ops/gatedPreview.ts), its live-load check on these settings and the load the tick read */
    gate(at: number, settings: Settings, size: SizeNow): GateVerdict | Promise<GateVerdict>;
    /** the resize-only `pulumi up` for that moment; throws with the engine's error */
    up(at: number): Promise<UpResult>;
    /**
     * `pulumi refresh` of the load balancer alone: after a failed update the state holds the inputs
     * it asked for, and the next preview cannot say what changes (the gate refuses such a step).
     */
    refresh(at: number): Promise<void>;
    /**
     * Removes the Pulumi lock(s) an unfinished update left (taken on `updating.host` at or after
     * `updating.since`, its process gone), and says which; never another run's lock.
     */
    clearDeadLock(updating: Updating): Promise<string[]>;
    /** sends the notices (bounded; never throws) */
    notify(notices: Notice[]): Promise<SendResult[]>;
    /** the late scale-up check (sizing/lateScaleUp.ts, the scheduled runs' too): each clock watches the other */
    lateScaleUp(settings: Settings, liveSizeUnit: number, at: number): Notice | null;
    /** progress lines (stderr); never the tick's result */
    log(line: string): void;
}

export type TickStatus =
    | "steady"
    | "resized"
    | "dryRun"
    | "paced"
    | "busy"
    | "held"
    | "locked"
    | "refused"
    | "failed"
    | "waiting";

export interface TickReport {
    stack: string;
    /** the tick's moment, ISO */
    at: string;
    status: TickStatus;
    /** one line: what happened and why */
    summary: string;
    liveSizeUnit: number | null;
    targetSizeUnit: number | null;
    /** what set the size (sizing/autopilot.ts Bound) */
    bound: string | null;
    why: string | null;
    reasons: string[];
    resized: { from: number; to: number } | null;
    /** a scale-down: the live connections it closes (sizing/closedConnections.ts) and whether it went, was held or went after the bound */
    scaleDown: {
        closed: number;
        current: number;
        pace: ScaleDownPace["kind"];
        text: string;
    } | null;
    /** the next available resize DigitalOcean named (ISO), while the tick waits for it */
    nextResizeAt: string | null;
    /** the gate's reasons, when it refused */
    gate: string[];
    error: string | null;
    lease: {
        held: boolean;
        holder?: { host: string; pid: number; since: string; heartbeatAt: string };
        tookOver?: { host: string; pid: number; why: string };
    };
    notices: { kind: Notice["kind"]; sent: boolean; line?: string }[];
    durationMs: number;
}

const nodes = (n: number) => plural(n, "node");
const iso = (ms: number) => formatInstant(ms);

export function errorText(err: unknown): string {
    const problems = (err as { problems?: unknown }).problems;
    if (Array.isArray(problems)) return problems.join("; ");
    return (err as Error)?.message ?? String(err);
}

/** The engine's error, shortened to its lines that say something (the last few). */
function engineError(text: string): string {
    const lines = text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "" && !/^(stdout|stderr|code|err\?):?$/i.test(l));
    const telling = lines.filter((l) => /error|refus|fail|forbidden|denied/i.test(l));
    return (telling.length > 0 ? telling : lines).slice(-3).join(" | ").slice(0, 600);
}

/** One tick: never throws (a failure is the report's `failed` with its error, and a tickFailed notice). */
export async function runTick(
    deps: TickDeps,
    options: { dryRun: boolean; heartbeatMs?: number },
): Promise<TickReport> {
    const started = deps.clock();
    const report: TickReport = {
        stack: deps.stack,
        at: "",
        status: "failed",
        summary: "",
        liveSizeUnit: null,
        targetSizeUnit: null,
        bound: null,
        why: null,
        reasons: [],
        resized: null,
        scaleDown: null,
        nextResizeAt: null,
        gate: [],
        error: null,
        lease: { held: false },
        notices: [],
        durationMs: 0,
    };
    let at = started;
    let hold: Hold | null = null;
    let updateFailed = false;
    let nextResizeAt: number | null = null;
    let scaleDownHeldSince: number | null = null;
    let updating: Updating | null = null;
    /** the lease was found taken over mid-tick: nothing more is saved or sent */
    let lost = false;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const notices: Notice[] = [];
    const done = async (status: TickStatus, summary: string): Promise<TickReport> => {
        clearInterval(heartbeat);
        report.status = status;
        report.summary = summary;
        if (options.dryRun) {
            report.notices = notices.map((notice) => ({
                kind: notice.kind,
                sent: false,
                line: "not sent (--dry-run)",
            }));
        } else if (hold?.held && !lost) {
            const { send, conditions } = freshNotices(notices, hold.memory.conditions);
            const results = send.length > 0 ? await deps.notify(send) : [];
            report.notices = send.map((notice, i) => {
                const result = results[i];
                return result === undefined || result.ok
                    ? { kind: notice.kind, sent: result !== undefined }
                    : { kind: notice.kind, sent: false, line: result.line };
            });
            const memory: LeaseMemory = {
                lastResizeAt: report.resized !== null ? at : hold.memory.lastResizeAt,
                conditions,
                updateFailed,
                nextResizeAt,
                scaleDownHeldSince,
                updating,
            };
            try {
                if (!(await deps.lease.save(memory, deps.clock())))
                    deps.log(
                        `autopilot: stack ${deps.stack}: the lease was taken over during this tick; the next tick waits for it`,
                    );
            } catch (err) {
                deps.log(
                    `autopilot: stack ${deps.stack}: the lease could not be saved: ${errorText(err)}`,
                );
            }
        }
        report.durationMs = deps.clock() - started;
        return report;
    };

    try {
        at = deps.moment();
        report.at = iso(at);
        // A dry run changes nothing, so it needs no lease (and keeps no memory): it may run beside the controller.
        hold = options.dryRun
            ? {
                  held: true,
                  memory: {
                      lastResizeAt: null,
                      conditions: [],
                      updateFailed: false,
                      updating: null,
                  },
                  tookOver: null,
              }
            : await deps.lease.hold(deps.clock());
        if (!hold.held) {
            report.lease = {
                held: false,
                holder: {
                    host: hold.holder.host,
                    pid: hold.holder.pid,
                    since: iso(hold.since),
                    heartbeatAt: iso(hold.heartbeatAt),
                },
            };
            return await done(
                "waiting",
                `another controller holds the lease of stack ${deps.stack}: ${hold.holder.host} pid ${hold.holder.pid}, since ${iso(hold.since)} (last heartbeat ${iso(hold.heartbeatAt)}); waiting, trying again next tick`,
            );
        }
        report.lease = { held: true };
        updateFailed = hold.memory.updateFailed;
        nextResizeAt = hold.memory.nextResizeAt ?? null;
        scaleDownHeldSince = hold.memory.scaleDownHeldSince ?? null;
        updating = hold.memory.updating;
        if (hold.tookOver) {
            const { from, why } = hold.tookOver;
            report.lease.tookOver = { host: from.host, pid: from.pid, why };
            deps.log(
                `autopilot: TOOK OVER the lease of stack ${deps.stack} from ${from.host} pid ${from.pid} (holder since ${iso(hold.tookOver.since)}): ${why}`,
            );
            notices.push({
                kind: "leaseTakenOver",
                stack: deps.stack,
                at,
                by: `${deps.lease.me.host} pid ${deps.lease.me.pid}`,
                from: `${from.host} pid ${from.pid}`,
                why,
            });
        }
        if (updating !== null && !options.dryRun) {
            // Its controller died during that update: it holds Pulumi's lock and left a pending
            // operation. Holding the lease, this controller knows no other controller runs it.
            deps.log(
                `autopilot: stack ${deps.stack}: an update started on ${updating.host} at ${iso(updating.since)} never finished; clearing its Pulumi lock and refreshing the load balancer's state`,
            );
            for (const line of await deps.clearDeadLock(updating))
                deps.log(`autopilot: stack ${deps.stack}: removed ${line}`);
            await deps.refresh(at);
            updating = null;
            updateFailed = false;
        }

        const settings = deps.settingsAt(at);
        const size = await deps.sizeNow(settings, at);
        const { decision } = size;
        report.targetSizeUnit = decision.sizeUnit;
        report.bound = decision.bound;
        report.why = decision.why;
        report.reasons = decision.reasons.map((r) => r.text);
        if (size.live === null) {
            throw new Error(
                `no load balancer named "${settings.config.loadBalancer.name}" exists yet: deploy the stack first (the first \`pulumi up\` creates or adopts it)`,
            );
        }
        const live = size.live.sizeUnit;
        report.liveSizeUnit = live;

        const price = settings.config.capacity.pricePerNodeMonthly;
        notices.push(
            ...decisionNotices(deps.stack, decision, price).filter((n) => n.kind !== "resize"),
        );
        const near = nearLimitFrom(deps.stack, size, settings.config.capacity.connectionsPerNode);
        if (near) notices.push(near);
        const late = deps.lateScaleUp(settings, live, at);
        if (late) notices.push(late);

        const action = nextAction({
            liveSizeUnit: live,
            targetSizeUnit: decision.sizeUnit,
            at,
            lastResizeAt: hold.memory.lastResizeAt,
            nextResizeAt,
            dryRun: options.dryRun,
        });
        // Past the time DigitalOcean named, its refusal is spent.
        if (nextResizeAt !== null && at >= nextResizeAt) nextResizeAt = null;
        // A scale-down closes the removed nodes' share of the live crowd; with the autopilot on it
        // waits for the crowd to thin (bounded). The gate still checks it against the need.
        const now = currentConnections(size);
        const pace =
            action.kind === "steady" || now === null || !settings.autopilot.enabled
                ? null
                : scaleDownPace({
                      from: live,
                      to: decision.sizeUnit,
                      current: now.connections,
                      maxClosedConnections: settings.config.autopilot.maxClosedConnections,
                      maxScaleDownWaitMinutes: settings.config.autopilot.maxScaleDownWaitMinutes,
                      heldSince: options.dryRun ? null : scaleDownHeldSince,
                      at,
                  });
        if (pace === null) scaleDownHeldSince = null;
        else
            report.scaleDown = {
                closed: pace.cost.closed,
                current: pace.cost.current,
                pace: pace.kind,
                text: pace.text,
            };
        const closing = pace === null ? "" : `; ${pace.text}`;
        switch (action.kind) {
            case "steady":
                return await done("steady", `steady at ${nodes(live)}: ${decision.why}`);
            case "dryRun":
                return await done(
                    "dryRun",
                    `would resize ${live} → ${nodes(action.to)} (--dry-run: nothing changed): ${decision.why}${closing}`,
                );
            case "refusedUntil":
                report.nextResizeAt = iso(action.nextAt);
                return await done(
                    "paced",
                    `resize ${live} → ${nodes(action.to)} waits until ${iso(action.nextAt)}, the next available resize DigitalOcean named when it refused the last one as too often`,
                );
            case "paced":
                return await done(
                    "paced",
                    `resize ${live} → ${nodes(action.to)} waits until ${iso(action.nextAt)}: DigitalOcean takes one resize a minute (the last was asked for at ${iso(action.lastResizeAt)})`,
                );
            case "resize":
                break;
        }
        if (pace?.kind === "hold") {
            scaleDownHeldSince = pace.heldSince;
            return await done(
                "held",
                `scale-down ${live} → ${nodes(action.to)} held: it ${pace.text}`,
            );
        }

        // Fenced, and written before any Pulumi run: a controller that dies from here on leaves
        // this mark, and the next holder clears what the run left.
        updating = { since: deps.clock(), host: deps.lease.me.host };
        if (!(await fenced(updating))) return await lostLease(live, action.to);
        heartbeat = setInterval(() => {
            deps.lease.renew(deps.clock()).then(
                (ok) => {
                    if (!ok)
                        deps.log(
                            `autopilot: stack ${deps.stack}: the lease was taken over during the update`,
                        );
                },
                (err: unknown) =>
                    deps.log(
                        `autopilot: stack ${deps.stack}: the lease could not be renewed during the update: ${errorText(err)}`,
                    ),
            );
        }, options.heartbeatMs ?? HEARTBEAT_DURING_UPDATE_MS);
        if (updateFailed) {
            deps.log(
                `autopilot: stack ${deps.stack}: the last update failed; refreshing the load balancer's state before the gate`,
            );
            await deps.refresh(at);
            updateFailed = false;
        }
        const verdict = await deps.gate(at, settings, size);
        if (!verdict.ok) {
            report.gate = verdict.reasons;
            const error = `the gate refused the resize ${live} → ${action.to}: ${verdict.reasons.join("; ")}`;
            report.error = error;
            notices.push({ kind: "tickFailed", stack: deps.stack, at, error });
            return await done("refused", error);
        }
        deps.log(
            `autopilot: stack ${deps.stack}: resizing ${live} → ${nodes(action.to)} (gate passed): ${decision.why}`,
        );
        // The fencing check right before the resize: the gate's preview took seconds.
        if (!(await deps.lease.renew(deps.clock()))) return await lostLease(live, action.to);
        let up: UpResult;
        try {
            up = await deps.up(at);
            updating = null;
        } catch (err) {
            updating = null;
            const text = errorText(err);
            if (isStackLocked(text)) return await lockedBy(text, live, action.to);
            updateFailed = true;
            const often = tooOftenRefusal(text);
            if (often !== null) {
                // Said once: the time is kept in the lease and the ticks before it wait without asking.
                nextResizeAt = often.nextAt ?? at + MIN_RESIZE_INTERVAL_MS;
                report.nextResizeAt = iso(nextResizeAt);
                report.error = engineError(text);
                return await done(
                    "paced",
                    `DigitalOcean refused the resize ${live} → ${action.to} as too soon after the last; the next available resize is at ${iso(nextResizeAt)}${often.nextAt === null ? " (DigitalOcean named none: a minute from now)" : ""}, and the first tick after it resizes`,
                );
            }
            if (isBusyError(text)) {
                report.error = engineError(text);
                return await done(
                    "busy",
                    `DigitalOcean is still processing the load balancer's previous actions; the resize ${live} → ${action.to} is tried again next tick`,
                );
            }
            throw new Error(`pulumi up failed: ${engineError(text)}`, { cause: err });
        }
        const to = up.sizeUnit ?? action.to;
        if (up.changed === false)
            return await done(
                "steady",
                `steady at ${nodes(to)}: another Pulumi run had resized it already (the update changed nothing): ${decision.why}`,
            );
        report.resized = { from: live, to };
        nextResizeAt = null;
        scaleDownHeldSince = null;
        notices.unshift({
            kind: "resize",
            stack: deps.stack,
            from: live,
            to,
            why: `${decision.why}${closing}`,
            pricePerNodeMonthly: price,
        });
        const moved =
            to === action.to
                ? ""
                : ` (the update's own read decided ${to}, not ${action.to}: the metrics moved between the reads)`;
        return await done(
            "resized",
            `resized ${live} → ${nodes(to)}${moved}: ${decision.why}${closing}`,
        );
    } catch (err) {
        const error = errorText(err);
        if (isStackLocked(error)) return await lockedBy(error, report.liveSizeUnit, null);
        report.error = error;
        notices.push({ kind: "tickFailed", stack: deps.stack, at, error });
        return await done("failed", `tick failed: ${error}`);
    }

    /** Saves the memory with `updating` set; false when the lease is no longer this controller's. */
    async function fenced(mark: Updating): Promise<boolean> {
        const memory: LeaseMemory = {
            lastResizeAt: hold!.held ? hold!.memory.lastResizeAt : null,
            conditions: hold!.held ? hold!.memory.conditions : [],
            updateFailed,
            updating: mark,
        };
        return deps.lease.save(memory, deps.clock());
    }

    async function lostLease(live: number, to: number): Promise<TickReport> {
        lost = true;
        updating = null;
        report.lease = { held: false };
        return done(
            "waiting",
            `the lease of stack ${deps.stack} was taken over before the resize ${live} → ${to}: this controller changed nothing and waits`,
        );
    }

    async function lockedBy(
        text: string,
        live: number | null,
        to: number | null,
    ): Promise<TickReport> {
        report.error = engineError(text);
        const what = live !== null && to !== null ? `the resize ${live} → ${to}` : "the tick";
        return done(
            "locked",
            `another Pulumi run holds the stack's lock (a deploy or an operator's \`pulumi up\`); ${what} is tried again next tick`,
        );
    }
}
