// The lease in a bucket, on an in-memory store that keeps S3's rules for conditional writes (or,
// for the probe, one that ignores them). The real S3 server: test/e2e/autopilotFailover.test.ts.
import { describe, expect, it } from "vitest";
import { STALE_AFTER_TICKS } from "../controller/lease";
import { probeConditionalWrites, s3Lease } from "../controller/s3Lease";
import { PreconditionFailed, type S3Store } from "../controller/s3Store";

const AT = Date.parse("2027-11-24T10:00:00Z");
const NO_MEMORY = { lastResizeAt: null, conditions: [], updateFailed: false, updating: null };

function memoryStore({ honoursConditions = true } = {}): S3Store & {
    objects: Map<string, { text: string; etag: string }>;
} {
    const objects = new Map<string, { text: string; etag: string }>();
    let version = 0;
    return {
        objects,
        where: "s3://bucket/",
        get: async (key) => objects.get(key) ?? null,
        put: async (key, text, condition) => {
            const current = objects.get(key);
            if (honoursConditions) {
                if (condition === "absent" && current) throw new PreconditionFailed("412");
                if (condition !== "absent" && current?.etag !== condition.ifMatch)
                    throw new PreconditionFailed(current ? "412" : "404");
            }
            const etag = `"${++version}"`;
            objects.set(key, { text, etag });
            return etag;
        },
        delete: async (key) => void objects.delete(key),
        list: async (dir) => [...objects.keys()].filter((k) => k.startsWith(`${dir}/`)),
    };
}

describe("s3Lease: the lease by conditional writes", () => {
    it("two controllers racing for a free lease: exactly one holds it, the other is told who", async () => {
        const store = memoryStore();
        const a = s3Lease(store, "lease.json", { host: "ops-1", pid: 1, id: "a" }, 60);
        const b = s3Lease(store, "lease.json", { host: "ops-2", pid: 2, id: "b" }, 60);
        const [ha, hb] = await Promise.all([a.hold(AT), b.hold(AT)]);
        expect([ha.held, hb.held].sort()).toEqual([false, true]);
        const loser = ha.held ? hb : ha;
        expect(loser).toMatchObject({ held: false, holder: { id: ha.held ? "a" : "b" } });
    });

    it("a holder whose lease was taken over fails its next fenced write and changes nothing", async () => {
        const store = memoryStore();
        const a = s3Lease(store, "lease.json", { host: "ops-1", pid: 1, id: "a" }, 5);
        const b = s3Lease(store, "lease.json", { host: "ops-1", pid: 2, id: "b" }, 5);
        expect((await a.hold(AT)).held).toBe(true);
        // a pauses; b judges it by its heartbeat alone (the same host name proves nothing across machines)
        expect((await b.hold(AT + STALE_AFTER_TICKS * 5_000)).held).toBe(false);
        const taken = await b.hold(AT + STALE_AFTER_TICKS * 5_000 + 1_000);
        expect(taken).toMatchObject({ held: true, tookOver: { from: { id: "a" } } });
        const before = store.objects.get("lease.json")!.text;
        expect(await a.renew(AT + 20_000)).toBe(false);
        expect(await a.save(NO_MEMORY, AT + 20_000)).toBe(false);
        await a.release(AT + 20_000);
        expect(store.objects.get("lease.json")!.text).toBe(before);
        expect(await b.renew(AT + 21_000)).toBe(true);
    });

    it("a heartbeat racing the fencing check does not make the holder lose its own lease", async () => {
        const store = memoryStore();
        const a = s3Lease(store, "lease.json", { host: "ops-1", pid: 1, id: "a" }, 60);
        await a.hold(AT);
        const results = await Promise.all([
            a.renew(AT + 1),
            a.renew(AT + 2),
            a.save(NO_MEMORY, AT + 3),
        ]);
        expect(results).toEqual([true, true, true]);
    });

    it("the memory (an update under way) goes to the next holder with the lease", async () => {
        const store = memoryStore();
        const a = s3Lease(store, "lease.json", { host: "ops-1", pid: 1, id: "a" }, 60);
        const b = s3Lease(store, "lease.json", { host: "ops-2", pid: 2, id: "b" }, 60);
        await a.hold(AT);
        const updating = { since: AT + 1_000, host: "ops-1" };
        expect(await a.save({ ...NO_MEMORY, lastResizeAt: AT, updating }, AT + 1_000)).toBe(true);
        const taken = await b.hold(AT + 10 * 60_000);
        expect(taken).toMatchObject({ held: true, memory: { lastResizeAt: AT, updating } });
    });
});

describe("probeConditionalWrites", () => {
    it("a store that honours If-None-Match and If-Match passes, and the probe object is gone", async () => {
        const store = memoryStore();
        await probeConditionalWrites(store, "lease.json");
        expect([...store.objects.keys()]).toEqual([]);
    });

    it("a store that ignores them is refused with the reason", async () => {
        const store = memoryStore({ honoursConditions: false });
        await expect(probeConditionalWrites(store, "lease.json")).rejects.toThrow(
            "the lease's store s3://bucket/ ignores conditional writes (a PUT with If-None-Match: * replaced an existing object)",
        );
        expect([...store.objects.keys()]).toEqual([]);
    });
});
