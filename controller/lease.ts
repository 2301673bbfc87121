// One controller per stack: a lease, so two controllers (two hosts, or a second process on one)
// never resize the same load balancer from different ideas of it. Pulumi's own lock covers one
// update; the lease covers the controller's whole life. A second controller reads who holds it
// and waits; a lease whose holder is gone (its process on this host has exited) or has not
// renewed it for STALE_AFTER_TICKS of its own ticks is taken over, and said so. The lease also
// carries the controller's memory between ticks (the last resize, the conditions already
// notified), so a series of `--once` runs keeps DigitalOcean's pace and sends each alert once.
// This file holds what every backend shares: the record, who holds it, and the interface.
import { randomBytes } from "node:crypto";
import { z } from "zod";

/** A lease not renewed for this many of its holder's ticks is stale: its holder is taken to be gone. */
export const STALE_AFTER_TICKS = 3;
export interface Holder {
    host: string;
    pid: number;
    /** random, per controller process: two processes with one pid (containers) still differ */
    id: string;
}

const holderSchema = z.object({ host: z.string(), pid: z.number().int(), id: z.string() });

/** The controller's memory between ticks (kept in the lease, so a takeover inherits it). */
export interface LeaseMemory {
    /** epoch ms (the tick's moment) of the last resize asked for */
    lastResizeAt: number | null;
    /** the conditions already notified (their condition keys) */
    conditions: string[];
    /** an update failed since the last one that succeeded: refresh the load balancer's state before the next */
    updateFailed: boolean;
    /** epoch ms: the next available resize DigitalOcean named when it refused one as too often */
    nextResizeAt?: number | null;
    /** epoch ms: the first tick that held a scale-down for the live crowd (autopilot.maxClosedConnections) */
    scaleDownHeldSince?: number | null;
    /**
     * An update not yet known to have ended: its start (epoch ms, real time) and the host it
     * runs on; written (a fenced save) before the update, cleared after it. Still set when a
     * tick starts, its controller died during it: the next holder clears that update's Pulumi
     * lock and refreshes the load balancer's state (which drops its pending operation).
     */
    updating: Updating | null;
}

export interface Updating {
    since: number;
    host: string;
}

const recordSchema = z.object({
    holder: holderSchema.nullable(),
    since: z.number().nullable(),
    heartbeatAt: z.number().nullable(),
    intervalSeconds: z.number().positive(),
    lastResizeAt: z.number().nullable(),
    conditions: z.array(z.string()),
    updateFailed: z.boolean().default(false),
    nextResizeAt: z.number().nullable().optional(),
    scaleDownHeldSince: z.number().nullable().optional(),
    updating: z.object({ since: z.number(), host: z.string() }).nullable().default(null),
});

/** The lease as stored: a released one keeps its memory with no holder. Times are epoch ms, real time. */
export type LeaseRecord = z.infer<typeof recordSchema>;

export type LeaseJudgement =
    | { state: "free" }
    | { state: "mine" }
    | { state: "held"; holder: Holder; since: number; heartbeatAt: number }
    | { state: "stale"; holder: Holder; since: number; heartbeatAt: number; why: string };

/**
 * Whose the lease is at `now` for `me`. Pure: `alive` says whether a pid runs on this host.
 * Stale: the holder's process on this host is gone, or no renewal for STALE_AFTER_TICKS ticks.
 */
export function judgeLease(
    record: LeaseRecord | null,
    me: Holder,
    now: number,
    alive: (pid: number) => boolean,
): LeaseJudgement {
    if (record === null || record.holder === null) return { state: "free" };
    const { holder } = record;
    if (holder.id === me.id) return { state: "mine" };
    const since = record.since ?? 0;
    const heartbeatAt = record.heartbeatAt ?? 0;
    if (holder.host === me.host && !alive(holder.pid)) {
        return {
            state: "stale",
            holder,
            since,
            heartbeatAt,
            why: `its process (pid ${holder.pid} on ${holder.host}) is gone`,
        };
    }
    const staleMs = STALE_AFTER_TICKS * record.intervalSeconds * 1000;
    if (now - heartbeatAt > staleMs) {
        return {
            state: "stale",
            holder,
            since,
            heartbeatAt,
            why: `no heartbeat for ${Math.floor((now - heartbeatAt) / 1000)} s (more than ${STALE_AFTER_TICKS} ticks of ${record.intervalSeconds} s)`,
        };
    }
    return { state: "held", holder, since, heartbeatAt };
}

export type Hold =
    | {
          held: true;
          memory: LeaseMemory;
          tookOver: { from: Holder; since: number; heartbeatAt: number; why: string } | null;
      }
    | { held: false; holder: Holder; since: number; heartbeatAt: number };

export interface Lease {
    /** where the lease is, for messages */
    where: string;
    /** this controller */
    me: Holder;
    /** Takes or renews the lease (a heartbeat), or says who holds it. */
    hold(now: number): Promise<Hold>;
    /**
     * Saves the memory with a heartbeat; false when the lease is no longer this controller's.
     * Atomic with that check (the fencing condition): true means no one else took it meanwhile.
     */
    save(memory: LeaseMemory, now: number): Promise<boolean>;
    /** A heartbeat alone, with the same fencing condition as save. */
    renew(now: number): Promise<boolean>;
    /** Gives the lease up, keeping the memory; a no-op when it is not this controller's. */
    release(now: number): Promise<void>;
}
/** This process as a lease holder. */
export function thisHolder(host: string, pid = process.pid): Holder {
    return { host, pid, id: randomBytes(8).toString("hex") };
}

/** A stored lease record, or what makes the text not one. */
export function parseLeaseRecord(
    text: string,
): { ok: true; record: LeaseRecord } | { ok: false; problem: string } {
    const parsed = recordSchema.safeParse(safeJson(text));
    if (parsed.success) return { ok: true, record: parsed.data };
    const [issue] = parsed.error.issues;
    return { ok: false, problem: `${issue.path.join(".")}: ${issue.message}` };
}

/** The memory a record carries (none yet: a fresh controller's). */
export function leaseMemoryOf(record: LeaseRecord | null): LeaseMemory {
    return {
        lastResizeAt: record?.lastResizeAt ?? null,
        conditions: record?.conditions ?? [],
        updateFailed: record?.updateFailed ?? false,
        // Only when set: a record from before these fields reads as it did.
        ...(typeof record?.nextResizeAt === "number" ? { nextResizeAt: record.nextResizeAt } : {}),
        ...(typeof record?.scaleDownHeldSince === "number"
            ? { scaleDownHeldSince: record.scaleDownHeldSince }
            : {}),
        updating: record?.updating ?? null,
    };
}

/**
 * True when saving `memory` at `now` would only move the heartbeat of a record renewed within the
 * last interval (hold() renews it at each tick's start): the write can be skipped, the lease
 * staying far within its stale bound of STALE_AFTER_TICKS intervals.
 */
export function savesNothing(record: LeaseRecord, memory: LeaseMemory, now: number): boolean {
    const fresh =
        record.heartbeatAt !== null && now - record.heartbeatAt < record.intervalSeconds * 1000;
    const same = (a: unknown, b: unknown) =>
        JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    return (
        fresh &&
        same(record.lastResizeAt, memory.lastResizeAt) &&
        same(record.conditions, memory.conditions) &&
        record.updateFailed === memory.updateFailed &&
        same(record.nextResizeAt, memory.nextResizeAt) &&
        same(record.scaleDownHeldSince, memory.scaleDownHeldSince) &&
        same(record.updating, memory.updating)
    );
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/**
 * What `me` taking the lease at `now` means, for every backend: who holds it (when not free,
 * stale or already mine), or the record to write and the hold it gives once written.
 */
export function claimLease(
    record: LeaseRecord | null,
    me: Holder,
    now: number,
    intervalSeconds: number,
    alive: (pid: number) => boolean,
): { held: Hold & { held: false } } | { write: LeaseRecord; hold: Hold & { held: true } } {
    const judged = judgeLease(record, me, now, alive);
    if (judged.state === "held")
        return {
            held: {
                held: false,
                holder: judged.holder,
                since: judged.since,
                heartbeatAt: judged.heartbeatAt,
            },
        };
    const since = judged.state === "mine" ? (record!.since ?? now) : now;
    return {
        write: { ...leaseMemoryOf(record), holder: me, since, heartbeatAt: now, intervalSeconds },
        hold: {
            held: true,
            memory: leaseMemoryOf(record),
            tookOver:
                judged.state === "stale"
                    ? {
                          from: judged.holder,
                          since: judged.since,
                          heartbeatAt: judged.heartbeatAt,
                          why: judged.why,
                      }
                    : null,
        },
    };
}
