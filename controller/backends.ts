// Where the lease lives for each state backend, and how a dead controller's Pulumi lock is found
// there. file:// and s3:// (Spaces): beside the state, at .pulumi/proxy-lb/autopilot/<project>/
// <stack>.json, and Pulumi's locks are the backend's own files (.pulumi/locks/organization/
// <project>/<stack>/<id>.json: pid, hostname, timestamp). Pulumi Cloud keeps no files of ours,
// so the lease goes where PROXY_LB_LEASE_URL names (an s3:// bucket, e.g. the team's Space).
import { readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config";
import { fileBackendDir, fileLease, leaseFile, pidAlive } from "./fileLease";
import type { Holder, Lease, Updating } from "./lease";
import { probeConditionalWrites, s3Lease } from "./s3Lease";
import { parseS3Url, s3Store, type S3Store } from "./s3Store";

/** The environment variable naming the lease's bucket when the state is on Pulumi Cloud. */
export const LEASE_URL_ENV = "PROXY_LB_LEASE_URL";

export interface LeaseBackend {
    lease: Lease;
    /** see TickDeps.clearDeadLock */
    clearDeadLock(updating: Updating): Promise<string[]>;
}

interface LockContent {
    pid?: number;
    hostname?: string;
    timestamp?: string;
}

/** Whether a Pulumi lock is the one the unfinished update took (its host, after its start, its process gone). */
export function isDeadUpdatesLock(
    lock: LockContent,
    updating: Updating,
    here: string,
    alive: (pid: number) => boolean,
): boolean {
    if (lock.hostname !== updating.host) return false;
    const taken = Date.parse(lock.timestamp ?? "");
    // The lock is written after the lease's mark, on the same host's clock (a second's slack).
    if (!(taken >= updating.since - 1000)) return false;
    return updating.host !== here || lock.pid === undefined || !alive(lock.pid);
}

const leaseKey = (project: string, stack: string) =>
    `.pulumi/proxy-lb/autopilot/${project}/${stack}.json`;
const lockDir = (project: string, stack: string) =>
    `.pulumi/locks/organization/${project}/${stack}`;

const describe = (where: string, lock: LockContent) =>
    `the Pulumi lock ${where} (created by ${lock.hostname} pid ${lock.pid} at ${lock.timestamp})`;

async function s3Backend(
    store: S3Store,
    key: string,
    locks: string | null,
    me: Holder,
    intervalSeconds: number,
): Promise<LeaseBackend> {
    await probeConditionalWrites(store, key);
    return {
        lease: s3Lease(store, key, me, intervalSeconds),
        async clearDeadLock(updating) {
            if (locks === null) return [];
            const removed: string[] = [];
            for (const name of await store.list(locks)) {
                const object = await store.get(name);
                if (object === null) continue;
                const lock = safeLock(object.text);
                if (!isDeadUpdatesLock(lock, updating, me.host, pidAlive)) continue;
                await store.delete(name);
                removed.push(describe(`${store.where}${name}`, lock));
            }
            return removed;
        },
    };
}

/** The lease and the lock cleaner for a stack on `backendUrl` (as PULUMI_BACKEND_URL or `pulumi login` gives it). */
export async function leaseBackend(options: {
    backendUrl: string;
    project: string;
    stack: string;
    env: Record<string, string | undefined>;
    cwd: string;
    me: Holder;
    intervalSeconds: number;
}): Promise<LeaseBackend> {
    const { project, stack, env, me, intervalSeconds } = options;
    const url = options.backendUrl.trim();
    const leaseUrl = env[LEASE_URL_ENV]?.trim() || undefined;
    if (url.startsWith("file://") || url.startsWith("s3://")) {
        if (leaseUrl !== undefined)
            throw new ConfigError([
                `${LEASE_URL_ENV} is set, but the stack's state is ${url.slice(0, url.indexOf("://") + 3)}: the lease lives beside that state; unset ${LEASE_URL_ENV} (it is for Pulumi Cloud state)`,
            ]);
    }
    if (url.startsWith("file://")) {
        const dir = fileBackendDir(url, options.cwd);
        const locks = path.join(dir, ...lockDir(project, stack).split("/"));
        return {
            lease: fileLease(leaseFile(url, project, stack, options.cwd), me, intervalSeconds),
            clearDeadLock: async (updating) => {
                let names: string[];
                try {
                    names = readdirSync(locks);
                } catch {
                    return [];
                }
                const removed: string[] = [];
                // gocloud's fileblob keeps a <key>.attrs file beside each object: not a lock of its own.
                for (const name of names.filter((n) => !n.endsWith(".attrs"))) {
                    const where = path.join(locks, name);
                    let lock: LockContent;
                    try {
                        lock = safeLock(readFileSync(where, "utf8"));
                    } catch {
                        continue; // gone meanwhile
                    }
                    if (!isDeadUpdatesLock(lock, updating, hostname(), pidAlive)) continue;
                    unlinkSync(where);
                    rmSync(`${where}.attrs`, { force: true });
                    removed.push(describe(where, lock));
                }
                return removed;
            },
        };
    }
    if (url.startsWith("s3://")) {
        const location = parseS3Url(url, env);
        return s3Backend(
            s3Store(location, env),
            leaseKey(project, stack),
            lockDir(project, stack),
            me,
            intervalSeconds,
        );
    }
    if (/^https?:\/\//.test(url)) {
        if (leaseUrl === undefined || !leaseUrl.startsWith("s3://"))
            throw new ConfigError([
                `the stack's state is on Pulumi Cloud (${new URL(url).host}), which keeps no file for the autopilot's lease: set ${LEASE_URL_ENV} to an s3:// bucket every controller of the stack shares (a DigitalOcean Space: s3://<space>?endpoint=https://<region>.digitaloceanspaces.com&region=us-east-1), with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
            ]);
        // Pulumi Cloud's own lock is the service's: nothing of it is in the bucket to clear.
        return s3Backend(
            s3Store(parseS3Url(leaseUrl, env), env),
            `proxy-lb/autopilot/${project}/${stack.replace(/\//g, "~")}.json`,
            null,
            me,
            intervalSeconds,
        );
    }
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1] ?? url;
    throw new ConfigError([
        `the autopilot does not know where to keep its lease for a ${scheme}:// state backend: use file://, s3:// (DigitalOcean Spaces) or Pulumi Cloud with ${LEASE_URL_ENV}`,
    ]);
}

function safeLock(text: string): LockContent {
    try {
        return JSON.parse(text) as LockContent;
    } catch {
        return {};
    }
}
