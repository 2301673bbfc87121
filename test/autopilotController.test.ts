// The autopilot controller's own decisions (controller/): what a tick
// does with the decided size (pace, dry run), which notices it sends, whose the lease is; and one
// tick and the loop with their I/O faked: a resize only when the size differs, the gate before
// every up, DigitalOcean busy tried next tick, a failed notification never failing a resize,
// SIGTERM during an update letting it finish. Tables and fast-check properties.
import fc from "fast-check";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSettings, type Settings } from "../config";
import type { SizeNow } from "../infra/liveSize";
import {
    conditionKey,
    freshNotices,
    isBusyError,
    MIN_RESIZE_INTERVAL_MS,
    nextAction,
} from "../controller/decisions";
import { runController, type Stopper } from "../controller/loop";
import { runTick, type TickDeps } from "../controller/tick";
import { fileLease, leaseFile } from "../controller/fileLease";
import { isDeadUpdatesLock, leaseBackend } from "../controller/backends";
import { parseS3Url } from "../controller/s3Store";
import { judgeLease, STALE_AFTER_TICKS, type Holder, type LeaseRecord } from "../controller/lease";
import type { Notice } from "../ops/notices";
import type { SendResult } from "../ops/notifySend";
import { decideSize } from "../sizing/autopilot";
import { observedLoad, type MetricsRead } from "../sizing/observedLoad";
import { baseConfig, LB_ID } from "../sandbox/harness";

const AT = Date.parse("2027-11-24T10:00:00Z");
const MIN = 60_000;

// ---------------------------------------------------------------------------
// nextAction

describe("nextAction: what a tick does with the decided size", () => {
    it.each([
        {
            case: "the live size: nothing",
            live: 3,
            target: 3,
            last: null,
            dryRun: false,
            kind: "steady",
        },
        {
            case: "the live size, even with --dry-run",
            live: 3,
            target: 3,
            last: null,
            dryRun: true,
            kind: "steady",
        },
        {
            case: "another size: resize",
            live: 3,
            target: 10,
            last: null,
            dryRun: false,
            kind: "resize",
        },
        {
            case: "--dry-run never resizes",
            live: 3,
            target: 10,
            last: null,
            dryRun: true,
            kind: "dryRun",
        },
        {
            case: "59 s after the last resize: paced",
            live: 3,
            target: 10,
            last: AT - 59_000,
            dryRun: false,
            kind: "paced",
        },
        {
            case: "60 s after: resize",
            live: 3,
            target: 10,
            last: AT - 60_000,
            dryRun: false,
            kind: "resize",
        },
        {
            case: "a clock set back does not unlock it early",
            live: 3,
            target: 10,
            last: AT + 30_000,
            dryRun: false,
            kind: "paced",
        },
        {
            case: "down as well as up",
            live: 10,
            target: 3,
            last: AT - 5 * MIN,
            dryRun: false,
            kind: "resize",
        },
    ])("$case", ({ live, target, last, dryRun, kind }) => {
        expect(
            nextAction({
                liveSizeUnit: live,
                targetSizeUnit: target,
                at: AT,
                lastResizeAt: last,
                dryRun,
            }).kind,
        ).toBe(kind);
    });

    const inputs = fc.record({
        liveSizeUnit: fc.integer({ min: 1, max: 200 }),
        targetSizeUnit: fc.integer({ min: 1, max: 200 }),
        at: fc.integer({ min: AT - 1e9, max: AT + 1e9 }),
        lastResizeAt: fc.option(fc.integer({ min: AT - 1e9, max: AT + 1e9 })),
        dryRun: fc.boolean(),
    });

    it("resizes exactly when the size differs, no --dry-run, and the last resize is a minute away or more; always from live to target", () => {
        fc.assert(
            fc.property(inputs, (input) => {
                const action = nextAction(input);
                const wanted =
                    input.liveSizeUnit !== input.targetSizeUnit &&
                    !input.dryRun &&
                    (input.lastResizeAt === null ||
                        Math.abs(input.at - input.lastResizeAt) >= MIN_RESIZE_INTERVAL_MS);
                expect(action.kind === "resize").toBe(wanted);
                if (action.kind !== "steady")
                    expect([action.from, action.to]).toEqual([
                        input.liveSizeUnit,
                        input.targetSizeUnit,
                    ]);
                if (action.kind === "steady") expect(input.liveSizeUnit).toBe(input.targetSizeUnit);
            }),
        );
    });

    it("a series of ticks never asks for two resizes less than a minute apart", () => {
        fc.assert(
            fc.property(
                fc.array(
                    fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 20 })),
                    { minLength: 1, maxLength: 40 },
                ),
                (steps) => {
                    let at = AT;
                    let live = 3;
                    let last: number | null = null;
                    const resizes: number[] = [];
                    for (const [gap, target] of steps) {
                        at += gap;
                        const action = nextAction({
                            liveSizeUnit: live,
                            targetSizeUnit: target,
                            at,
                            lastResizeAt: last,
                            dryRun: false,
                        });
                        if (action.kind === "resize") {
                            resizes.push(at);
                            last = at;
                            live = target;
                        }
                    }
                    for (let i = 1; i < resizes.length; i++)
                        expect(resizes[i] - resizes[i - 1]).toBeGreaterThanOrEqual(
                            MIN_RESIZE_INTERVAL_MS,
                        );
                },
            ),
        );
    });
});

describe("isBusyError: DigitalOcean's refusal while a load balancer processes previous actions", () => {
    it.each([
        ["403 Load Balancer can't be updated while it processes previous actions", true],
        [
            'error: PUT https://api.digitalocean.com/v2/load_balancers/x: 403 (request "r") Load Balancer can\'t be updated while it is processing previous actions',
            true,
        ],
        ["403 You do not have access for the attempted action", false],
        ["422 size_unit must be between 1 and 200", false],
    ])("%s → %s", (text, busy) => expect(isBusyError(text)).toBe(busy));
});

// ---------------------------------------------------------------------------
// freshNotices

const resize: Notice = {
    kind: "resize",
    stack: "s",
    from: 1,
    to: 4,
    why: "w",
    pricePerNodeMonthly: 12,
};
const clamp = (sizeUnit: number): Notice => ({
    kind: "clamped",
    stack: "s",
    sizeUnit,
    wanted: sizeUnit + 1,
    maxNodes: sizeUnit,
    why: "w",
});
const near = (sizeUnit: number): Notice => ({
    kind: "nearLimit",
    stack: "s",
    connections: 9_500,
    limit: 10_000,
    sizeUnit,
    at: AT,
});
const outage: Notice = { kind: "metricsUnavailable", stack: "s", sizeUnit: 3, why: "w" };

describe("freshNotices: a condition is sent when it starts, an event every time", () => {
    it.each([
        {
            case: "a resize is always sent",
            notices: [resize],
            before: ["clamped:3"],
            send: ["resize"],
            remember: [],
        },
        {
            case: "a new clamp is sent and remembered",
            notices: [clamp(3)],
            before: [],
            send: ["clamped"],
            remember: ["clamped:3"],
        },
        {
            case: "the same clamp next tick is not sent again",
            notices: [clamp(3)],
            before: ["clamped:3"],
            send: [],
            remember: ["clamped:3"],
        },
        {
            case: "a clamp at another size is new",
            notices: [clamp(5)],
            before: ["clamped:3"],
            send: ["clamped"],
            remember: ["clamped:5"],
        },
        {
            case: "an outage that lasts: once",
            notices: [outage],
            before: ["metricsUnavailable"],
            send: [],
            remember: ["metricsUnavailable"],
        },
        {
            case: "a condition that ended is forgotten, so its return is sent",
            notices: [],
            before: ["metricsUnavailable"],
            send: [],
            remember: [],
        },
        {
            case: "the same condition twice in one tick: once",
            notices: [near(1), near(1)],
            before: [],
            send: ["nearLimit"],
            remember: ["nearLimit:1"],
        },
    ])("$case", ({ notices, before, send, remember }) => {
        const fresh = freshNotices(notices, before);
        expect(fresh.send.map((n) => n.kind)).toEqual(send);
        expect(fresh.conditions).toEqual(remember);
    });

    const notice = fc.oneof(
        fc.constant(resize),
        fc.integer({ min: 1, max: 4 }).map(clamp),
        fc.integer({ min: 1, max: 4 }).map(near),
        fc.constant(outage),
    );

    it("over any series of ticks a condition is sent once per stretch it lasts, and every event each time", () => {
        fc.assert(
            fc.property(
                fc.array(fc.array(notice, { maxLength: 4 }), { maxLength: 12 }),
                (ticks) => {
                    let remembered: string[] = [];
                    const sentAt = new Map<string, number[]>();
                    ticks.forEach((notices, i) => {
                        const { send, conditions } = freshNotices(notices, remembered);
                        expect(send.filter((n) => n.kind === "resize")).toHaveLength(
                            notices.filter((n) => n.kind === "resize").length,
                        );
                        for (const n of send) {
                            const key = conditionKey(n);
                            if (key !== null) sentAt.set(key, [...(sentAt.get(key) ?? []), i]);
                        }
                        remembered = conditions;
                    });
                    for (const [key, ticksSent] of sentAt) {
                        for (const i of ticksSent) {
                            const present = (j: number) =>
                                ticks[j].some((n) => conditionKey(n) === key);
                            expect(present(i)).toBe(true);
                            if (i > 0) expect(present(i - 1)).toBe(false); // sent only where the stretch starts
                        }
                    }
                },
            ),
        );
    });
});

// ---------------------------------------------------------------------------
// The lease

const me: Holder = { host: "a", pid: 100, id: "me" };
const NO_MEMORY = { lastResizeAt: null, conditions: [], updateFailed: false, updating: null };
const other: Holder = { host: "b", pid: 200, id: "other" };
const record = (holder: Holder | null, heartbeatAt: number, intervalSeconds = 60): LeaseRecord => ({
    holder,
    since: AT - 3_600_000,
    heartbeatAt,
    intervalSeconds,
    lastResizeAt: null,
    conditions: [],
    updateFailed: false,
    updating: null,
});

describe("judgeLease: whose the lease is", () => {
    const alive = (pid: number) => pid !== 999;
    it.each([
        { case: "no lease yet: free", lease: null, state: "free" },
        { case: "released: free", lease: record(null, AT - 10), state: "free" },
        { case: "this controller's: mine", lease: record(me, AT - 10), state: "mine" },
        {
            case: "another's, renewed a tick ago: held",
            lease: record(other, AT - 60_000),
            state: "held",
        },
        {
            case: `another's, renewed ${STALE_AFTER_TICKS} ticks ago: still held`,
            lease: record(other, AT - STALE_AFTER_TICKS * 60_000),
            state: "held",
        },
        {
            case: "another's, a second later: stale",
            lease: record(other, AT - STALE_AFTER_TICKS * 60_000 - 1_000),
            state: "stale",
        },
        {
            case: "its holder's ticks are what count (600 s ticks)",
            lease: record(other, AT - 20 * 60_000, 600),
            state: "held",
        },
        {
            case: "a dead process on this host: stale at once",
            lease: record({ host: "a", pid: 999, id: "x" }, AT - 1),
            state: "stale",
        },
        {
            case: "the same pid on another host is not judged by this host's processes",
            lease: record({ host: "b", pid: 999, id: "x" }, AT - 1),
            state: "held",
        },
    ])("$case", ({ lease, state }) => expect(judgeLease(lease, me, AT, alive).state).toBe(state));
});

describe("leaseFile: where the lease lives", () => {
    it.each([
        ["file:///srv/state", "/srv/state/.pulumi/proxy-lb/autopilot/proxy-lb/drop.json"],
        [
            "file:///srv/state?no_legacy=true",
            "/srv/state/.pulumi/proxy-lb/autopilot/proxy-lb/drop.json",
        ],
        ["file://./state", "/work/p/state/.pulumi/proxy-lb/autopilot/proxy-lb/drop.json"],
    ])("%s → %s", (url, file) => expect(leaseFile(url, "proxy-lb", "drop", "/work/p")).toBe(file));
});

describe("leaseBackend: where the lease lives on other backends", () => {
    const options = (backendUrl: string, env: Record<string, string> = {}) => ({
        backendUrl,
        project: "proxy-lb",
        stack: "drop",
        env,
        cwd: "/work/p",
        me,
        intervalSeconds: 60,
    });
    it("Pulumi Cloud state without PROXY_LB_LEASE_URL is refused, saying what to set (before any request)", async () => {
        await expect(leaseBackend(options("https://api.pulumi.com"))).rejects.toThrow(
            "the stack's state is on Pulumi Cloud (api.pulumi.com), which keeps no file for the autopilot's lease: set PROXY_LB_LEASE_URL to an s3:// bucket",
        );
    });
    it("PROXY_LB_LEASE_URL beside an s3:// or file:// state is refused: the lease lives beside the state", async () => {
        await expect(
            leaseBackend(options("s3://state?region=us-east-1", { PROXY_LB_LEASE_URL: "s3://x" })),
        ).rejects.toThrow("PROXY_LB_LEASE_URL is set, but the stack's state is s3://");
    });
    it("an unknown backend is refused, naming it", async () => {
        await expect(leaseBackend(options("azblob://container"))).rejects.toThrow(
            "for a azblob:// state backend",
        );
    });
});

describe("parseS3Url: the s3:// URL as Pulumi reads it", () => {
    it.each([
        [
            "s3://acme?endpoint=https://nyc3.digitaloceanspaces.com&region=us-east-1",
            {
                bucket: "acme",
                prefix: "",
                endpoint: "https://nyc3.digitaloceanspaces.com",
                region: "us-east-1",
                forcePathStyle: false,
            },
        ],
        [
            "s3://acme/team/state?endpoint=127.0.0.1:9000&disableSSL=true&s3ForcePathStyle=true",
            {
                bucket: "acme",
                prefix: "team/state/",
                endpoint: "http://127.0.0.1:9000",
                region: "eu-west-1",
                forcePathStyle: true,
            },
        ],
        [
            "s3://acme?endpoint=minio:9000&use_path_style=true",
            {
                bucket: "acme",
                prefix: "",
                endpoint: "https://minio:9000",
                region: "eu-west-1",
                forcePathStyle: true,
            },
        ],
    ])("%s", (url, location) =>
        expect(parseS3Url(url, { AWS_REGION: "eu-west-1" })).toEqual(location),
    );
    it("a URL that is not s3:// is refused, naming it", () =>
        expect(() => parseS3Url("s3://", {})).toThrow("s3:// is not an s3:// URL"));
});

describe("isDeadUpdatesLock: only the unfinished update's own lock is cleared", () => {
    const updating = { since: AT, host: "ops-1" };
    const lock = (hostname: string, at: number, pid = 4242) => ({
        hostname,
        pid,
        timestamp: new Date(at).toISOString(),
    });
    it.each([
        {
            case: "its host, after its start, its process gone",
            l: lock("ops-1", AT + 5_000),
            here: "ops-1",
            dead: true,
        },
        {
            case: "its host, another host reading it",
            l: lock("ops-1", AT + 5_000),
            here: "ops-2",
            dead: true,
        },
        {
            case: "another host's (a deploy's) lock",
            l: lock("runner-7", AT + 5_000),
            here: "ops-1",
            dead: false,
        },
        {
            case: "taken before the update started",
            l: lock("ops-1", AT - 60_000),
            here: "ops-2",
            dead: false,
        },
        {
            case: "its process still runs on this host",
            l: lock("ops-1", AT + 5_000, 1),
            here: "ops-1",
            dead: false,
        },
    ])("$case: $dead", ({ l, here, dead }) =>
        expect(isDeadUpdatesLock(l, updating, here, (pid) => pid === 1)).toBe(dead),
    );
});

describe("fileLease: two controllers on one file", () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("the first holds it; the second is told who and since when; after a release the second takes it, with the memory", async () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-lease-"));
        const file = path.join(dir, "drop.json");
        const a = fileLease(file, { host: "h", pid: 1, id: "a" }, 60, () => true);
        const b = fileLease(file, { host: "h", pid: 2, id: "b" }, 60, () => true);
        expect(await a.hold(AT)).toMatchObject({ held: true, tookOver: null });
        expect(await b.hold(AT + 1_000)).toEqual({
            held: false,
            holder: { host: "h", pid: 1, id: "a" },
            since: AT,
            heartbeatAt: AT,
        });
        expect(
            await a.save(
                { lastResizeAt: AT, conditions: ["clamped:3"], updateFailed: true, updating: null },
                AT + 2_000,
            ),
        ).toBe(true);
        expect(await b.save(NO_MEMORY, AT + 2_000)).toBe(false); // not b's: no write
        await a.release(AT + 3_000);
        expect(await b.hold(AT + 4_000)).toEqual({
            held: true,
            tookOver: null,
            memory: {
                lastResizeAt: AT,
                conditions: ["clamped:3"],
                updateFailed: true,
                updating: null,
            },
        });
        expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
            holder: { id: "b" },
            since: AT + 4_000,
        });
    });

    it("a save that changes nothing within an interval of the heartbeat is not written; a changed memory or an old heartbeat is", async () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-lease-"));
        const file = path.join(dir, "drop.json");
        const a = fileLease(file, { host: "h", pid: 1, id: "a" }, 60, () => true);
        await a.hold(AT);
        const heartbeat = () => JSON.parse(readFileSync(file, "utf8")).heartbeatAt;
        expect(await a.save(NO_MEMORY, AT + 2_000)).toBe(true);
        expect(heartbeat()).toBe(AT); // a steady tick: only read
        expect(await a.save({ ...NO_MEMORY, conditions: ["clamped:3"] }, AT + 3_000)).toBe(true);
        expect(heartbeat()).toBe(AT + 3_000);
        expect(await a.save({ ...NO_MEMORY, conditions: ["clamped:3"] }, AT + 63_000)).toBe(true);
        expect(heartbeat()).toBe(AT + 63_000); // a minute after its heartbeat: renewed
        // Fencing still holds for a save that would write nothing.
        const b = fileLease(file, { host: "h", pid: 2, id: "b" }, 60, () => true);
        expect(await b.save(NO_MEMORY, AT + 64_000)).toBe(false);
    });

    it("a holder that stopped renewing is taken over after its stale time, and it learns so at its next save", async () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-lease-"));
        const file = path.join(dir, "drop.json");
        const a = fileLease(file, { host: "h1", pid: 1, id: "a" }, 60);
        const b = fileLease(file, { host: "h2", pid: 2, id: "b" }, 60);
        await a.hold(AT);
        expect((await b.hold(AT + STALE_AFTER_TICKS * 60_000)).held).toBe(false);
        const taken = await b.hold(AT + STALE_AFTER_TICKS * 60_000 + 1_000);
        expect(taken).toMatchObject({
            held: true,
            tookOver: {
                from: { host: "h1", pid: 1 },
                why: `no heartbeat for ${STALE_AFTER_TICKS * 60 + 1} s (more than ${STALE_AFTER_TICKS} ticks of 60 s)`,
            },
        });
        expect(await a.save(NO_MEMORY, AT + 200_000)).toBe(false);
    });
});

// ---------------------------------------------------------------------------
// One tick and the loop, their I/O faked

const settingsAt =
    (autopilot: Record<string, unknown> = {}) =>
    (at: number): Settings =>
        loadSettings(baseConfig({ "proxy-lb:autopilot": { enabled: true, ...autopilot } }), {
            now: at,
        });

/** The decision for a constant crowd on a load balancer of `live` nodes (samples a minute apart up to `at`). */
function sizeFor(
    settings: Settings,
    at: number,
    live: number,
    connections: number | null,
): SizeNow {
    const metrics: MetricsRead =
        connections === null
            ? {
                  ok: false,
                  error: "GET /v2/monitoring/metrics/load_balancer/frontend_connections_current answered 503",
              }
            : {
                  ok: true,
                  connections: [0, 1, 2].map(
                      (i) => [(at - i * MIN) / 1000, connections] as [number, number],
                  ),
              };
    const load = observedLoad(at, { id: LB_ID, name: "proxy-lb", sizeUnit: live }, metrics);
    const decision = decideSize({
        calendar: { sizeUnit: settings.sizing.sizeUnit, why: settings.schedule.why },
        liveSizeUnit: live,
        load,
        settings: settings.autopilot,
        capacity: settings.config.capacity,
    });
    return { ...load, decision };
}

interface World {
    live: number;
    connections: number | null;
    at: number;
    calls: string[];
    sent: Notice[];
    gateOk: boolean;
    upError?: string;
    notifyFails?: boolean;
    late?: Notice;
}

let leaseDir: string | undefined;
afterEach(() => leaseDir && rmSync(leaseDir, { recursive: true, force: true }));

function fakeDeps(
    world: World,
    autopilot: Record<string, unknown> = {},
    upWait?: Promise<void>,
): TickDeps {
    leaseDir ??= mkdtempSync(path.join(tmpdir(), "proxy-lb-tick-"));
    let real = 1_000_000;
    return {
        stack: "drop",
        clock: () => (real += 100),
        moment: () => world.at,
        settingsAt: settingsAt(autopilot),
        sizeNow: async (settings, at) => {
            world.calls.push("read");
            return sizeFor(settings, at, world.live, world.connections);
        },
        lease: fileLease(
            path.join(leaseDir, "drop.json"),
            { host: "h", pid: 1, id: "t" },
            60,
            () => true,
        ),
        gate: () => {
            world.calls.push("gate");
            return world.gateOk
                ? { ok: true, reasons: [], allowed: [] }
                : { ok: false, reasons: ["the load balancer would be replaced"], allowed: [] };
        },
        up: async () => {
            world.calls.push("up");
            await upWait;
            if (world.upError) throw new Error(world.upError);
            const target = sizeFor(
                settingsAt(autopilot)(world.at),
                world.at,
                world.live,
                world.connections,
            ).decision.sizeUnit;
            world.live = target;
            world.calls.push("up done");
            return { sizeUnit: target };
        },
        lateScaleUp: () => world.late ?? null,
        refresh: async () => {
            world.calls.push("refresh");
        },
        clearDeadLock: async (updating) => {
            world.calls.push(`clear lock of ${updating.host}`);
            return [`the Pulumi lock of ${updating.host}`];
        },
        notify: async (notices): Promise<SendResult[]> => {
            world.sent.push(...notices);
            return notices.map(() =>
                world.notifyFails
                    ? {
                          ok: false,
                          attempts: 1,
                          line: "notify: the slack webhook at hooks.slack.com did not take it: no answer within 5000 ms",
                      }
                    : { ok: true, status: 200, attempts: 1 },
            );
        },
        log: () => undefined,
    };
}

const world = (over: Partial<World> = {}): World => ({
    live: 1,
    connections: 3_000,
    at: AT,
    calls: [],
    sent: [],
    gateOk: true,
    ...over,
});

describe("runTick", () => {
    it("at the live size: reads only (no gate, no up), sends nothing", async () => {
        const w = world();
        const report = await runTick(fakeDeps(w), { dryRun: false });
        expect(report).toMatchObject({
            status: "steady",
            liveSizeUnit: 1,
            targetSizeUnit: 1,
            resized: null,
        });
        expect(w.calls).toEqual(["read"]);
        expect(w.sent).toEqual([]);
    });

    it("a surge: the gate, then the up, then the resize notice (from → to); the next tick within the minute is paced", async () => {
        const w = world({ connections: 30_000 }); // 30,000 on 1 node: 4 nodes hold it
        const deps = fakeDeps(w);
        const report = await runTick(deps, { dryRun: false });
        expect(report).toMatchObject({ status: "resized", resized: { from: 1, to: 4 } });
        expect(w.calls).toEqual(["read", "gate", "up", "up done"]);
        expect(w.sent.map((n) => n.kind)).toEqual(["resize", "nearLimit"]);
        expect(w.sent[0]).toMatchObject({ from: 1, to: 4 });

        w.at = AT + 30_000;
        w.connections = 90_000; // more still, half a minute later
        const paced = await runTick(deps, { dryRun: false });
        expect(paced).toMatchObject({ status: "paced", liveSizeUnit: 4 });
        expect(w.calls.slice(4)).toEqual(["read"]);
    });

    it("--dry-run decides and says so: never gates or resizes, sends no notice, and needs no lease (it runs beside a controller)", async () => {
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w);
        const holder = fileLease(
            path.join(leaseDir!, "drop.json"),
            { host: "h", pid: 2, id: "the controller" },
            60,
            () => true,
        );
        expect((await holder.hold(Date.now())).held).toBe(true);
        const report = await runTick(deps, { dryRun: true });
        expect(report).toMatchObject({ status: "dryRun", resized: null });
        expect(report.summary).toMatch(/^would resize 1 → 4 nodes \(--dry-run: nothing changed\)/);
        expect(report.notices).toEqual([
            { kind: "nearLimit", sent: false, line: "not sent (--dry-run)" },
        ]);
        expect(w.calls).toEqual(["read"]);
        expect(w.sent).toEqual([]);
        expect(JSON.parse(readFileSync(path.join(leaseDir!, "drop.json"), "utf8")).holder.id).toBe(
            "the controller",
        );
    });

    it("the gate refusing: no up, the tick is refused with its reasons and a failed-tick notice", async () => {
        const w = world({ connections: 30_000, gateOk: false });
        const report = await runTick(fakeDeps(w), { dryRun: false });
        expect(report).toMatchObject({
            status: "refused",
            gate: ["the load balancer would be replaced"],
            resized: null,
        });
        expect(w.calls).toEqual(["read", "gate"]);
        expect(w.sent.map((n) => n.kind)).toEqual(["nearLimit", "tickFailed"]);
    });

    it("DigitalOcean busy: logged as busy, no failure notice; the next tick (not paced) refreshes the load balancer's state, then gates and resizes", async () => {
        const w = world({
            connections: 30_000,
            upError:
                "error: 403 Load Balancer can't be updated while it processes previous actions",
        });
        const deps = fakeDeps(w);
        const busy = await runTick(deps, { dryRun: false });
        expect(busy).toMatchObject({ status: "busy", resized: null });
        expect(w.sent.map((n) => n.kind)).toEqual(["nearLimit"]);
        w.upError = undefined;
        w.at = AT + 10_000;
        expect(await runTick(deps, { dryRun: false })).toMatchObject({
            status: "resized",
            resized: { from: 1, to: 4 },
        });
        expect(w.calls).toEqual(["read", "gate", "up", "read", "refresh", "gate", "up", "up done"]);
        // Once an update went through, no more refreshes.
        w.at = AT + 5 * MIN;
        w.connections = 200_000;
        await runTick(deps, { dryRun: false });
        expect(w.calls.slice(8)).toEqual(["read", "gate", "up", "up done"]);
    });

    it('DigitalOcean\'s "too often" refusal: said once with the time it names, no resize asked before it (kept in the lease), the first tick after it refreshes and resizes', async () => {
        const w = world({
            connections: 30_000,
            upError:
                "error: 1 error occurred: Error updating Load Balancer: 422 load balancer can not be resized this often, next available resize at: 2027-11-24 10:04:00 +0000 UTC",
        });
        const deps = fakeDeps(w);
        const refused = await runTick(deps, { dryRun: false });
        expect(refused).toMatchObject({
            status: "paced",
            resized: null,
            nextResizeAt: "2027-11-24T10:04:00Z",
        });
        expect(refused.summary).toBe(
            "DigitalOcean refused the resize 1 → 4 as too soon after the last; the next available resize is at 2027-11-24T10:04:00Z, and the first tick after it resizes",
        );
        expect(w.sent.map((n) => n.kind)).toEqual(["nearLimit"]); // not a failure
        w.upError = undefined;
        for (const minute of [1, 2, 3]) {
            w.at = AT + minute * MIN;
            const waiting = await runTick(deps, { dryRun: false });
            expect(waiting).toMatchObject({
                status: "paced",
                nextResizeAt: "2027-11-24T10:04:00Z",
            });
            expect(waiting.summary).toBe(
                "resize 1 → 4 nodes waits until 2027-11-24T10:04:00Z, the next available resize DigitalOcean named when it refused the last one as too often",
            );
        }
        expect(w.calls).toEqual(["read", "gate", "up", "read", "read", "read"]); // one up asked, none while waiting
        w.at = AT + 4 * MIN;
        expect(await runTick(deps, { dryRun: false })).toMatchObject({
            status: "resized",
            resized: { from: 1, to: 4 },
            nextResizeAt: null,
        });
        expect(w.calls.slice(6)).toEqual(["read", "refresh", "gate", "up", "up done"]);
    });

    it("a scale-down into a crowd: held while it would close more than maxClosedConnections, saying so; after maxScaleDownWaitMinutes it goes anyway and says how many it closed", async () => {
        const w = world({ live: 4, connections: 3_000 }); // 1 node holds it: 4 → 1 closes 2,250
        const deps = fakeDeps(w, { maxScaleDownWaitMinutes: 30 });
        const held = await runTick(deps, { dryRun: false });
        expect(held).toMatchObject({
            status: "held",
            liveSizeUnit: 4,
            targetSizeUnit: 1,
            resized: null,
            scaleDown: { closed: 2_250, current: 3_000, pace: "hold" },
        });
        expect(held.summary).toBe(
            "scale-down 4 → 1 node held: it closes 2,250 of the 3,000 live connections (the 3 removed nodes' share, after DigitalOcean's one-minute drain): above proxy-lb:autopilot.maxClosedConnections (100); waiting for the crowd to thin (held since 2027-11-24T10:00Z), at the latest until 2027-11-24T10:30Z (proxy-lb:autopilot.maxScaleDownWaitMinutes)",
        );
        w.at = AT + 29 * MIN;
        expect((await runTick(deps, { dryRun: false })).status).toBe("held");
        expect(w.calls).toEqual(["read", "read"]); // no gate, no up while held
        w.at = AT + 30 * MIN;
        const forced = await runTick(deps, { dryRun: false });
        expect(forced).toMatchObject({
            status: "resized",
            resized: { from: 4, to: 1 },
            scaleDown: { closed: 2_250, pace: "forced" },
        });
        expect(forced.summary).toMatch(
            /^resized 4 → 1 node: .*; closes 2,250 of the 3,000 live connections .*so it scales down anyway$/,
        );
        expect(w.sent.find((n) => n.kind === "resize")).toMatchObject({
            why: expect.stringContaining("closes 2,250 of the 3,000 live connections"),
        });
    });

    it("a scale-down the crowd allows goes at once, saying what it closes; a crowd that thins while held lets it go", async () => {
        const thin = world({ live: 4, connections: 100 }); // closes 75
        const now = await runTick(fakeDeps(thin), { dryRun: false });
        expect(now).toMatchObject({ status: "resized", scaleDown: { closed: 75, pace: "go" } });
        if (leaseDir) rmSync(leaseDir, { recursive: true, force: true });
        leaseDir = undefined;

        const w = world({ live: 4, connections: 3_000 });
        const deps = fakeDeps(w);
        expect((await runTick(deps, { dryRun: false })).status).toBe("held");
        w.at = AT + 40 * MIN;
        w.connections = 120; // the crowd thinned: 90 closed
        expect(await runTick(deps, { dryRun: false })).toMatchObject({
            status: "resized",
            resized: { from: 4, to: 1 },
            scaleDown: { closed: 90, pace: "go" },
        });
    });

    it("an up that fails otherwise: the tick fails with the engine's words and a failed-tick notice, once while it repeats", async () => {
        const w = world({
            connections: 30_000,
            upError:
                "error: update failed\n  digitalocean:index:LoadBalancer proxy-lb: 500 internal error",
        });
        const deps = fakeDeps(w);
        const failed = await runTick(deps, { dryRun: false });
        expect(failed.status).toBe("failed");
        expect(failed.error).toContain("pulumi up failed: error: update failed");
        w.at = AT + 2 * MIN;
        await runTick(deps, { dryRun: false });
        expect(w.sent.filter((n) => n.kind === "tickFailed")).toHaveLength(1);
    });

    it("the lease is renewed while a long update runs, so another controller never takes it for a dead one", async () => {
        let finishUp!: () => void;
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w, {}, new Promise<void>((resolve) => (finishUp = resolve)));
        const file = path.join(leaseDir!, "drop.json");
        const ticking = runTick(deps, { dryRun: false, heartbeatMs: 5 });
        for (let i = 0; i < 200 && !w.calls.includes("up"); i++)
            await new Promise((r) => setTimeout(r, 5));
        const before = JSON.parse(readFileSync(file, "utf8")).heartbeatAt;
        await new Promise((r) => setTimeout(r, 60));
        expect(JSON.parse(readFileSync(file, "utf8")).heartbeatAt).toBeGreaterThan(before);
        finishUp();
        expect((await ticking).status).toBe("resized");
    });

    it("another Pulumi run holds the stack's lock (a deploy): a locked tick, no failure notice, no refresh after it; the next tick resizes", async () => {
        const w = world({
            connections: 30_000,
            upError:
                "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/organization/proxy-lb/drop/x.json: created by runner@gh (pid 7) at 2027-11-24T10:00:00Z",
        });
        const deps = fakeDeps(w);
        const locked = await runTick(deps, { dryRun: false });
        expect(locked).toMatchObject({ status: "locked", resized: null });
        expect(locked.summary).toBe(
            "another Pulumi run holds the stack's lock (a deploy or an operator's `pulumi up`); the resize 1 → 4 is tried again next tick",
        );
        expect(w.sent.map((n) => n.kind)).toEqual(["nearLimit"]);
        w.upError = undefined;
        w.at = AT + 10_000;
        expect(await runTick(deps, { dryRun: false })).toMatchObject({ status: "resized" });
        expect(w.calls).toEqual(["read", "gate", "up", "read", "gate", "up", "up done"]);
    });

    it("an update that changed nothing (a deploy had resized it meanwhile) is steady, not a resize: no notice, no pace", async () => {
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w);
        deps.up = async () => ({ sizeUnit: 4, changed: false });
        const report = await runTick(deps, { dryRun: false });
        expect(report).toMatchObject({ status: "steady", resized: null });
        expect(report.summary).toMatch(
            /^steady at 4 nodes: another Pulumi run had resized it already/,
        );
        expect(w.sent.map((n) => n.kind)).toEqual(["nearLimit"]);
    });

    it("fencing: a lease taken over while the gate ran is seen right before the update: no up, nothing saved or sent", async () => {
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w);
        const file = path.join(leaseDir!, "drop.json");
        const thief = { host: "h2", pid: 9, id: "thief" };
        deps.gate = () => {
            w.calls.push("gate");
            // another controller judged this one dead and took the lease
            const rec = JSON.parse(readFileSync(file, "utf8"));
            writeFileSync(file, JSON.stringify({ ...rec, holder: thief, heartbeatAt: Date.now() }));
            return { ok: true, reasons: [], allowed: [] };
        };
        const report = await runTick(deps, { dryRun: false });
        expect(report).toMatchObject({ status: "waiting", resized: null, lease: { held: false } });
        expect(report.summary).toBe(
            "the lease of stack drop was taken over before the resize 1 → 4: this controller changed nothing and waits",
        );
        expect(w.calls).toEqual(["read", "gate"]);
        expect(w.sent).toEqual([]);
        expect(JSON.parse(readFileSync(file, "utf8")).holder).toEqual(thief);
    });

    it("the update is marked in the lease before it starts and unmarked after, so a controller killed during it leaves the mark", async () => {
        let finishUp!: () => void;
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w, {}, new Promise<void>((resolve) => (finishUp = resolve)));
        const file = path.join(leaseDir!, "drop.json");
        const ticking = runTick(deps, { dryRun: false });
        for (let i = 0; i < 200 && !w.calls.includes("up"); i++)
            await new Promise((r) => setTimeout(r, 5));
        expect(JSON.parse(readFileSync(file, "utf8")).updating).toEqual({
            since: expect.any(Number),
            host: "h",
        });
        finishUp();
        expect((await ticking).status).toBe("resized");
        expect(JSON.parse(readFileSync(file, "utf8")).updating).toBeNull();
    });

    it("taking over from a controller that died mid-update: its Pulumi lock is cleared and the state refreshed first, the takeover notified once", async () => {
        const w = world({ live: 4, connections: 30_000 }); // its resize reached DigitalOcean
        const deps = fakeDeps(w);
        const file = path.join(leaseDir!, "drop.json");
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(
            file,
            JSON.stringify({
                ...record({ host: "ops-1", pid: 42, id: "dead" }, 0), // the fake clock starts at 1,000,000
                updating: { since: 0, host: "ops-1" },
            }),
        );
        const report = await runTick(deps, { dryRun: false });
        expect(report).toMatchObject({
            status: "steady",
            liveSizeUnit: 4,
            lease: { held: true, tookOver: { host: "ops-1", pid: 42 } },
        });
        expect(w.calls).toEqual(["clear lock of ops-1", "refresh", "read"]);
        expect(w.sent).toEqual([
            expect.objectContaining({
                kind: "leaseTakenOver",
                by: "h pid 1",
                from: "ops-1 pid 42",
            }),
        ]);
        expect(JSON.parse(readFileSync(file, "utf8")).updating).toBeNull();
        w.at = AT + MIN;
        await runTick(deps, { dryRun: false });
        expect(w.calls.slice(3)).toEqual(["read"]); // recovered: no more clearing
    });

    it("a notification that fails never fails the resize; the report says which was not sent", async () => {
        const w = world({ connections: 30_000, notifyFails: true });
        const report = await runTick(fakeDeps(w), { dryRun: false });
        expect(report.status).toBe("resized");
        expect(report.notices[0]).toEqual({
            kind: "resize",
            sent: false,
            line: expect.stringContaining("did not take it"),
        });
    });

    it("clamped at maxNodes: resizes to the bound, with the clamp notice once", async () => {
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w, { maxNodes: 3 });
        expect(await runTick(deps, { dryRun: false })).toMatchObject({
            status: "resized",
            resized: { from: 1, to: 3 },
            bound: "clamped",
        });
        w.at = AT + 2 * MIN;
        await runTick(deps, { dryRun: false });
        expect(w.sent.filter((n) => n.kind === "clamped")).toHaveLength(1);
    });

    it("metrics unavailable: holds the live size, no resize, the notice once", async () => {
        const w = world({ live: 4, connections: null });
        const deps = fakeDeps(w);
        expect(await runTick(deps, { dryRun: false })).toMatchObject({
            status: "steady",
            liveSizeUnit: 4,
            targetSizeUnit: 4,
            bound: "holding",
        });
        w.at = AT + MIN;
        await runTick(deps, { dryRun: false });
        expect(w.sent.map((n) => n.kind)).toEqual(["metricsUnavailable"]);
        expect(w.calls).toEqual(["read", "read"]);
    });

    it("a late scale-up of the calendar is notified once while it lasts", async () => {
        const late: Notice = {
            kind: "lateScaleUp",
            stack: "drop",
            drop: "black-friday-2027",
            dueSince: AT - 20 * MIN,
            minutesLate: 20,
            dueSizeUnit: 10,
            liveSizeUnit: 1,
            seenBy: "the autopilot",
        };
        const w = world({ late });
        const deps = fakeDeps(w);
        await runTick(deps, { dryRun: false });
        w.at = AT + MIN;
        await runTick(deps, { dryRun: false });
        expect(w.sent).toEqual([late]);
    });

    it("a bad stack file fails the tick (naming the key), never throws", async () => {
        const w = world();
        const deps = {
            ...fakeDeps(w),
            settingsAt: () =>
                loadSettings(baseConfig({ "proxy-lb:autopilot": { enabled: "yes" } }), { now: AT }),
        };
        const report = await runTick(deps, { dryRun: false });
        expect(report.status).toBe("failed");
        expect(report.error).toContain("proxy-lb:autopilot.enabled");
    });
});

describe("runController", () => {
    const stopper = (): Stopper & { stop(): void } => {
        let stopped = false;
        let wake: (() => void) | null = null;
        return {
            get stopped() {
                return stopped;
            },
            stop() {
                stopped = true;
                wake?.();
            },
            sleep: (ms) =>
                new Promise<void>((resolve) => {
                    const t = setTimeout(resolve, Math.min(ms, 5));
                    wake = () => (clearTimeout(t), resolve());
                }),
        };
    };

    it("a stop during an update lets it finish, ticks no more, and releases the lease", async () => {
        let finishUp!: () => void;
        const upWait = new Promise<void>((resolve) => (finishUp = resolve));
        const w = world({ connections: 30_000 });
        const deps = fakeDeps(w, {}, upWait);
        const s = stopper();
        const running = runController(
            deps,
            { dryRun: false, once: false, intervalSeconds: 60 },
            s,
            () => undefined,
        );
        for (let i = 0; i < 100 && !w.calls.includes("up"); i++)
            await new Promise((r) => setTimeout(r, 5));
        s.stop(); // SIGTERM while `pulumi up` runs
        finishUp();
        const reports = await running;
        expect(reports.map((r) => r.status)).toEqual(["resized"]);
        expect(w.calls).toEqual(["read", "gate", "up", "up done"]);
        expect(
            JSON.parse(readFileSync(path.join(leaseDir!, "drop.json"), "utf8")).holder,
        ).toBeNull();
    });

    it("ticks until its bound, once each interval", async () => {
        const w = world();
        const reports = await runController(
            fakeDeps(w),
            { dryRun: false, once: false, intervalSeconds: 1, maxTicks: 3 },
            stopper(),
            () => undefined,
        );
        expect(reports.map((r) => r.status)).toEqual(["steady", "steady", "steady"]);
    });
});
