// One controller per stack: a lease the autopilot holds in the stack's state backend, next to the
// state, so two controllers (two hosts, or a second process on one) never resize the same load
// balancer from different ideas of it. Pulumi's own lock only covers one update; the lease covers
// the controller's whole life. A second controller reads who holds it and waits, retrying each
// tick; a lease whose holder is gone (its process on this host has exited) or has not renewed it
// for STALE_AFTER_TICKS of its own ticks is taken over, and said so. The lease also carries the
// controller's memory between ticks (the last resize, the conditions already notified), so a
// series of `--once` runs keeps DigitalOcean's one resize a minute and sends each alert once.
//
// Where: a file:// backend keeps it at <backend>/.pulumi/proxy-lb/autopilot/<project>/<stack>.json.
// Other backends (s3://, Pulumi Cloud) are refused with what to do: an object-store lease needs a
// client this project does not have (docs/autopilot.md).
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigError } from "../config";

/** A lease not renewed for this many of its holder's ticks is stale: its holder is taken to be gone. */
export const STALE_AFTER_TICKS = 3;
/** Renewals are written every tick; a crashed mutation's mutex directory older than this is cleared. */
const MUTEX_STALE_MS = 30_000;
const MUTEX_WAIT_MS = 5_000;

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
    /** the conditions already notified (ops/autopilot.ts conditionKey) */
    conditions: string[];
    /** an update failed since the last one that succeeded: refresh the load balancer's state before the next */
    updateFailed: boolean;
}

const recordSchema = z.object({
    holder: holderSchema.nullable(),
    since: z.number().nullable(),
    heartbeatAt: z.number().nullable(),
    intervalSeconds: z.number().positive(),
    lastResizeAt: z.number().nullable(),
    conditions: z.array(z.string()),
    updateFailed: z.boolean().default(false),
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
    /** Takes or renews the lease (a heartbeat), or says who holds it. */
    hold(now: number): Hold;
    /** Saves the memory with a heartbeat; false when the lease is no longer this controller's. */
    save(memory: LeaseMemory, now: number): boolean;
    /** A heartbeat alone (while an update runs); false when the lease is no longer this controller's. */
    renew(now: number): boolean;
    /** Gives the lease up, keeping the memory; a no-op when it is not this controller's. */
    release(now: number): void;
}

/** The lease's file for a file:// backend URL (as PULUMI_BACKEND_URL or `pulumi login` takes it), or a refusal naming the backend. */
export function leaseFile(
    backendUrl: string,
    project: string,
    stack: string,
    cwd = process.cwd(),
): string {
    const url = backendUrl.trim();
    if (!url.startsWith("file://")) {
        const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1] ?? url;
        throw new ConfigError([
            `the autopilot needs a file:// state backend for its lease (one controller per stack); the stack's backend is ${scheme === "https" ? "Pulumi Cloud (https://)" : `${scheme}://`}, which it does not support yet`,
            "  run the controller where the state is a file:// backend, or keep exactly one controller per stack yourself (docs/autopilot.md, One controller per stack)",
        ]);
    }
    const rest = url.slice("file://".length).replace(/\?.*$/, "");
    let dir: string;
    if (rest === "~" || rest.startsWith("~/")) dir = path.join(homedir(), rest.slice(1));
    else if (rest.startsWith("/")) dir = fileURLToPath(`file://${rest}`);
    else dir = path.resolve(cwd, rest);
    return path.join(dir, ".pulumi", "proxy-lb", "autopilot", project, `${stack}.json`);
}

/** This process as a lease holder. */
export function thisHolder(host: string, pid = process.pid): Holder {
    return { host, pid, id: randomBytes(8).toString("hex") };
}

function pidAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, another user's
    }
}

/**
 * The lease in a file. Every change happens under a mutex (an exclusive mkdir next to the file)
 * and is written whole (a temporary file renamed over it), so two controllers racing for a free
 * or stale lease end with exactly one holder.
 */
export function fileLease(
    file: string,
    me: Holder,
    intervalSeconds: number,
    alive: (pid: number) => boolean = pidAlive,
): Lease {
    const mutex = `${file}.mutex`;
    const read = (): LeaseRecord | null => {
        let text: string;
        try {
            text = readFileSync(file, "utf8");
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
            throw new ConfigError([
                `the autopilot's lease ${file} cannot be read: ${(err as Error).message}`,
            ]);
        }
        const parsed = recordSchema.safeParse(safeJson(text));
        if (!parsed.success)
            throw new ConfigError([
                `the autopilot's lease ${file} is not a lease (${parsed.error.issues[0].path.join(".")}: ${parsed.error.issues[0].message}); remove it once no controller runs`,
            ]);
        return parsed.data;
    };
    const write = (record: LeaseRecord) => {
        const tmp = `${file}.${me.id}.tmp`;
        writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
        renameSync(tmp, file);
    };
    const locked = <T>(body: () => T): T => {
        mkdirSync(path.dirname(file), { recursive: true });
        const deadline = Date.now() + MUTEX_WAIT_MS;
        for (;;) {
            try {
                mkdirSync(mutex);
                break;
            } catch (err) {
                if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
                try {
                    if (Date.now() - statSync(mutex).mtimeMs > MUTEX_STALE_MS) rmdirSync(mutex); // a controller died mid-change
                } catch {
                    // gone meanwhile: try again
                }
                if (Date.now() > deadline)
                    throw new ConfigError([
                        `the autopilot's lease ${file} stayed busy for ${MUTEX_WAIT_MS / 1000} s (${mutex} exists)`,
                    ]);
                Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
            }
        }
        try {
            return body();
        } finally {
            rmdirSync(mutex);
        }
    };
    const memoryOf = (record: LeaseRecord | null): LeaseMemory => ({
        lastResizeAt: record?.lastResizeAt ?? null,
        conditions: record?.conditions ?? [],
        updateFailed: record?.updateFailed ?? false,
    });

    return {
        where: file,
        hold(now) {
            return locked(() => {
                const record = read();
                const judged = judgeLease(record, me, now, alive);
                if (judged.state === "held")
                    return {
                        held: false,
                        holder: judged.holder,
                        since: judged.since,
                        heartbeatAt: judged.heartbeatAt,
                    };
                const since = judged.state === "mine" ? (record!.since ?? now) : now;
                write({
                    ...memoryOf(record),
                    holder: me,
                    since,
                    heartbeatAt: now,
                    intervalSeconds,
                });
                const tookOver =
                    judged.state === "stale"
                        ? {
                              from: judged.holder,
                              since: judged.since,
                              heartbeatAt: judged.heartbeatAt,
                              why: judged.why,
                          }
                        : null;
                return { held: true, memory: memoryOf(record), tookOver };
            });
        },
        save(memory, now) {
            return locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return false;
                write({ ...record!, ...memory, heartbeatAt: now });
                return true;
            });
        },
        renew(now) {
            return locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return false;
                write({ ...record!, heartbeatAt: now });
                return true;
            });
        },
        release(now) {
            locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return;
                write({ ...record!, holder: null, since: null, heartbeatAt: now });
            });
        },
    };
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}
