// The lease in a file:// state backend, at <backend>/.pulumi/proxy-lb/autopilot/<project>/<stack>.json.
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../config";
import {
    claimLease,
    judgeLease,
    parseLeaseRecord,
    savesNothing,
    type Holder,
    type Lease,
    type LeaseRecord,
} from "./lease";

/** Renewals are written every tick; a crashed mutation's mutex directory older than this is cleared. */
const MUTEX_STALE_MS = 30_000;
const MUTEX_WAIT_MS = 5_000;
/** The directory of a file:// backend URL (as PULUMI_BACKEND_URL or `pulumi login` takes it). */
export function fileBackendDir(backendUrl: string, cwd = process.cwd()): string {
    const rest = backendUrl.trim().slice("file://".length).replace(/\?.*$/, "");
    if (rest === "~" || rest.startsWith("~/")) return path.join(homedir(), rest.slice(1));
    if (rest.startsWith("/")) return fileURLToPath(`file://${rest}`);
    return path.resolve(cwd, rest);
}

/** The lease's file for a file:// backend URL. */
export function leaseFile(
    backendUrl: string,
    project: string,
    stack: string,
    cwd = process.cwd(),
): string {
    return path.join(
        fileBackendDir(backendUrl, cwd),
        ".pulumi",
        "proxy-lb",
        "autopilot",
        project,
        `${stack}.json`,
    );
}
export function pidAlive(pid: number): boolean {
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
        const parsed = parseLeaseRecord(text);
        if (!parsed.ok)
            throw new ConfigError([
                `the autopilot's lease ${file} is not a lease (${parsed.problem}); remove it once no controller runs`,
            ]);
        return parsed.record;
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
    return {
        where: file,
        me,
        hold: async (now) =>
            locked(() => {
                const claim = claimLease(read(), me, now, intervalSeconds, alive);
                if ("held" in claim) return claim.held;
                write(claim.write);
                return claim.hold;
            }),
        save: async (memory, now) => {
            // A steady tick changes nothing but the heartbeat its hold() wrote: read, not written
            // (on a disk the rename is a tick's costliest step). A whole file is always read.
            const seen = read();
            if (judgeLease(seen, me, now, alive).state !== "mine") return false;
            if (savesNothing(seen!, memory, now)) return true;
            return locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return false;
                write({ ...record!, ...memory, heartbeatAt: now });
                return true;
            });
        },
        renew: async (now) =>
            locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return false;
                write({ ...record!, heartbeatAt: now });
                return true;
            }),
        release: async (now) => {
            locked(() => {
                const record = read();
                if (judgeLease(record, me, now, alive).state !== "mine") return;
                write({ ...record!, holder: null, since: null, heartbeatAt: now });
            });
        },
    };
}
