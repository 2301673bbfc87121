// Whether each stack's loop is alive, as /healthz answers it: healthy while a good tick (one that
// did its job, or knowingly waited for another controller's lease) ended within three intervals,
// or while an update runs; otherwise not, with the reason. Pure apart from what it is told.
import type { TickReport, TickStatus } from "./tick";

/** A stack is unhealthy once this many intervals pass without a good tick (the lease's stale bound too). */
export const UNHEALTHY_AFTER_TICKS = 3;

/** A tick that did its job: the gate's refusal and a failure are not. */
export function isGoodTick(status: TickStatus): boolean {
    return status !== "failed" && status !== "refused" && status !== "waiting";
}

interface StackHealth {
    lastOkAt: number | null;
    last: { status: TickStatus; summary: string; at: number } | null;
    updatingSince: number | null;
}

export interface StackVerdict {
    stack: string;
    ok: boolean;
    reason: string;
}

export interface Health {
    ok: boolean;
    stacks: StackVerdict[];
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** What the loops tell it (ticks, updates) and, at any time, each stack's verdict. */
export class HealthBoard {
    private readonly stacks = new Map<string, StackHealth>();

    constructor(
        stacks: readonly string[],
        private readonly intervalSeconds: number,
        private readonly startedAt: number,
    ) {
        for (const stack of stacks)
            this.stacks.set(stack, { lastOkAt: null, last: null, updatingSince: null });
    }

    private of(stack: string): StackHealth {
        const state = this.stacks.get(stack);
        if (state === undefined) throw new Error(`health: unknown stack ${stack}`);
        return state;
    }

    ticked(report: TickReport, at: number): void {
        const state = this.of(report.stack);
        state.last = { status: report.status, summary: report.summary, at };
        if (isGoodTick(report.status) || report.status === "waiting") state.lastOkAt = at;
    }

    updating(stack: string, running: boolean, at: number): void {
        this.of(stack).updatingSince = running ? at : null;
    }

    judge(now: number): Health {
        const bound = UNHEALTHY_AFTER_TICKS * this.intervalSeconds * 1000;
        const stacks = [...this.stacks].map(([stack, s]): StackVerdict => {
            if (s.updatingSince !== null)
                return {
                    stack,
                    ok: true,
                    reason: `an update runs (since ${seconds(now - s.updatingSince)} ago)`,
                };
            const last =
                s.last === null ? "" : `; the last tick (${s.last.status}): ${s.last.summary}`;
            // Until the first good tick, the start is the reference: the first tick runs at once.
            const age = now - (s.lastOkAt ?? this.startedAt);
            if (age > bound)
                return {
                    stack,
                    ok: false,
                    reason: `no good tick ${s.lastOkAt === null ? "in the" : "for"} ${seconds(age)}${s.lastOkAt === null ? " since the start" : ""} (more than ${UNHEALTHY_AFTER_TICKS} ticks of ${this.intervalSeconds} s)${last}`,
                };
            if (s.lastOkAt === null)
                return { stack, ok: true, reason: `starting: no good tick yet${last}` };
            const waiting = s.last?.status === "waiting";
            return {
                stack,
                ok: true,
                reason: waiting
                    ? `waiting for another controller's lease (checked ${seconds(age)} ago)`
                    : `the last good tick ended ${seconds(age)} ago${last}`,
            };
        });
        return { ok: stacks.every((s) => s.ok), stacks };
    }
}

/** /healthz's body: "ok" or "unhealthy", then a line per stack. */
export function renderHealth(health: Health): string {
    return [
        health.ok ? "ok" : "unhealthy",
        ...health.stacks.map((s) => `${s.stack}: ${s.ok ? "ok" : "UNHEALTHY"}: ${s.reason}`),
    ].join("\n");
}
