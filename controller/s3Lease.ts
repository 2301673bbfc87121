// The lease as one object in an S3 bucket, changed only by conditional writes, as Terraform's S3
// lock file is: If-None-Match: * to create it, If-Match: <the etag last read or written> to take,
// renew or release it. Of two controllers racing for it, the store lets one write through and
// answers the other 412, so exactly one holds it. Each renewal is the fencing check: a holder
// whose lease was taken over gets a 412 and stops before it resizes. Holders on other hosts are
// judged by their heartbeat alone: a host name can repeat across machines, so a pid says nothing.
import { randomBytes } from "node:crypto";
import { ConfigError } from "../config";
import {
    claimLease,
    parseLeaseRecord,
    type Hold,
    type Holder,
    type Lease,
    type LeaseRecord,
} from "./lease";
import { PreconditionFailed, type S3Store, type StoredObject } from "./s3Store";

/**
 * Checks at start that the store honours conditional writes, on a probe object of its own
 * beside the lease; a store that ignores them is refused with the reason, never trusted.
 */
export async function probeConditionalWrites(store: S3Store, beside: string): Promise<void> {
    const key = `${beside}.probe-${randomBytes(6).toString("hex")}`;
    const refuse = (what: string) =>
        new ConfigError([
            `the lease's store ${store.where} ignores conditional writes (${what}): two controllers could both hold the lease there, so the autopilot does not start`,
            "  use a store that honours If-None-Match and If-Match on PUT (DigitalOcean Spaces, AWS S3, SeaweedFS, MinIO do)",
        ]);
    const mustFail = async (write: () => Promise<string>, what: string): Promise<void> => {
        try {
            await write();
        } catch (err) {
            if (err instanceof PreconditionFailed) return;
            throw err;
        }
        throw refuse(what);
    };
    try {
        const first = await store.put(key, '{"probe":1}', "absent");
        await mustFail(
            () => store.put(key, '{"probe":2}', "absent"),
            "a PUT with If-None-Match: * replaced an existing object",
        );
        await mustFail(
            () => store.put(key, '{"probe":3}', { ifMatch: '"0123456789abcdef0123456789abcdef"' }),
            "a PUT with If-Match: <another etag> replaced the object",
        );
        try {
            await store.put(key, '{"probe":4}', { ifMatch: first });
        } catch (err) {
            if (err instanceof PreconditionFailed)
                throw refuse("a PUT with If-Match: <the object's own etag> was refused");
            throw err;
        }
    } finally {
        await store.delete(key).catch(() => undefined);
    }
}

/** The lease at `key` in `store` for this controller. */
export function s3Lease(store: S3Store, key: string, me: Holder, intervalSeconds: number): Lease {
    /** this controller's last write while it holds the lease, and its etag (the fencing token) */
    let mine: { record: LeaseRecord; etag: string } | null = null;
    const where = `${store.where}${key}`;
    const read = async (): Promise<{ record: LeaseRecord | null; object: StoredObject | null }> => {
        const object = await store.get(key);
        if (object === null) return { record: null, object };
        const parsed = parseLeaseRecord(object.text);
        if (!parsed.ok)
            throw new ConfigError([
                `the autopilot's lease ${where} is not a lease (${parsed.problem}); remove it once no controller runs`,
            ]);
        return { record: parsed.record, object };
    };
    /** Writes the record over the version read (or where none is); false when another write came first. */
    const write = async (record: LeaseRecord, overEtag: string | null): Promise<boolean> => {
        try {
            const text = `${JSON.stringify(record, null, 2)}\n`;
            const etag = await store.put(
                key,
                text,
                overEtag === null ? "absent" : { ifMatch: overEtag },
            );
            mine = { record, etag };
            return true;
        } catch (err) {
            if (!(err instanceof PreconditionFailed)) throw err;
            mine = null;
            return false;
        }
    };
    /** Changes the record only over this controller's own last write (the fencing condition). */
    const change = async (edit: (record: LeaseRecord) => LeaseRecord): Promise<boolean> =>
        mine === null ? false : write(edit(mine.record), mine.etag);
    const noPid = () => true;
    const ATTEMPTS = 3;
    // One change at a time: a heartbeat racing the fencing check would otherwise fail its own If-Match.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(body: () => Promise<T>): Promise<T> => {
        const run = queue.then(body, body);
        queue = run.catch(() => undefined);
        return run;
    };

    return {
        where,
        me,
        hold: (now) => serial(() => take(now)),
        save: (memory, now) =>
            serial(() => change((record) => ({ ...record, ...memory, heartbeatAt: now }))),
        renew: (now) => serial(() => change((record) => ({ ...record, heartbeatAt: now }))),
        release: (now) =>
            serial(async () => {
                await change((record) => ({
                    ...record,
                    holder: null,
                    since: null,
                    heartbeatAt: now,
                }));
                mine = null;
            }),
    };

    async function take(now: number): Promise<Hold> {
        // A lost race is read again: the next read names the winner. Bounded.
        for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
            const { record, object } = await read();
            const claim = claimLease(record, me, now, intervalSeconds, noPid);
            if ("held" in claim) return claim.held;
            if (await write(claim.write, object?.etag ?? null)) return claim.hold;
        }
        throw new ConfigError([
            `the autopilot's lease ${where} changed under each of ${ATTEMPTS} attempts to take it; trying again next tick`,
        ]);
    }
}
