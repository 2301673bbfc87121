// The controller with no person at hand, on the real engine and DigitalOcean provider against the
// emulator: a controller killed (SIGKILL, its whole process tree, as a power loss does) while its
// resize PUT is in flight leaves Pulumi's lock and a pending operation behind; the controller
// that runs next (the same host after a restart, or the standby on an s3:// state) clears them
// and goes on, and the resize happens once. The s3:// state is a real S3 server (SeaweedFS,
// scripts/s3.sh) on 127.0.0.1, one for the whole file.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    type E2eProject,
    killProjectProcesses,
    LB_ID,
    openProject,
    ROOT,
    runCli,
    type TeamBackend,
    writes,
} from "../../sandbox/harness";
import { NODE, tsxArgs } from "../support/tsx";
import { exportedState, observed, waitFor } from "./apiTraffic";
import { BUILD_TIMEOUT_MS, type ObjectStore, startObjectStore } from "./objectStore";

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z"); // a Wednesday, no drop in the calendar
const SURGE_FROM = T0 + 10 * MINUTE;
const QUIET = 3_000; // 1 node holds it
const CROWD = 30_000; // 4 nodes hold it
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

let store: ObjectStore | undefined;
const s3Backend = async (): Promise<TeamBackend> => {
    store ??= await startObjectStore();
    return { loginUrl: store.loginUrl, env: store.env };
};
afterAll(async () => {
    await store?.stop();
});
afterEach(disposeAll);

/** A surprise surge from SURGE_FROM on; a point a minute. */
function surgeSeed() {
    const points: [number, number][] = [];
    for (let t = T0 - 60 * MINUTE; t <= SURGE_FROM + 120 * MINUTE; t += MINUTE)
        points.push([t / 1000, t >= SURGE_FROM ? CROWD : QUIET]);
    return {
        ...baseSeed(),
        metrics: { resizeDelaySeconds: 60, loadBalancers: { [LB_ID]: { demand: { points } } } },
    };
}

const at = (p: E2eProject, ms: number) => {
    p.emulator.state.setClock(ms);
    p.env.PROXY_LB_NOW = iso(ms);
};

/** The stack with the autopilot on, deployed at T0 at 1 node, the clock one minute into the surge. */
async function surgeStack(backend?: TeamBackend, stack = "e2e"): Promise<E2eProject> {
    const p = await openProject({
        config: baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
        seed: surgeSeed(),
        backend,
        stack,
    });
    at(p, T0);
    p.useToken("recommended");
    await p.up();
    expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);
    p.emulator.state.resetLog();
    at(p, SURGE_FROM + MINUTE);
    return p;
}

interface Controller {
    child: ChildProcess;
    out(): string;
    err(): string;
    exited: Promise<number | null>;
}

/** `npm run autopilot -- --stack <s> --json …` in the working copy, on the autopilot's token, in a process group of its own. */
function controller(p: E2eProject, ...flags: string[]): Controller {
    const child = spawn(
        NODE,
        tsxArgs(path.join(ROOT, "cli", "autopilot.ts"), "--stack", p.stack, "--json", ...flags),
        {
            cwd: p.dir,
            env: { ...p.env, DIGITALOCEAN_TOKEN: p.tokens.autopilot },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        },
    );
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    return { child, out: () => out, err: () => err, exited };
}

/** A power loss for that controller: SIGKILL to it and every process it started (the engine, the program, the provider). */
async function powerLoss(p: E2eProject, c: Controller): Promise<void> {
    process.kill(-c.child.pid!, "SIGKILL");
    killProjectProcesses(p.dir);
    await c.exited;
}

interface Tick {
    status: string;
    liveSizeUnit: number | null;
    resized: { from: number; to: number } | null;
    summary: string;
    lease: { held: boolean; tookOver?: { pid: number; why: string } };
    notices: { kind: string }[];
}
const ticks = (c: Controller) =>
    c
        .out()
        .split("\n")
        .filter((l) => l.startsWith("{") && l.includes('"status"'))
        .map((l) => JSON.parse(l) as Tick);

const lbPuts = (p: E2eProject) =>
    p.emulator.state.log.filter(
        (e) => e.method === "PUT" && e.path === `/v2/load_balancers/${LB_ID}`,
    );
const lockDir = (stack: string) => `.pulumi/locks/organization/proxy-lb/${stack}`;

/** Holds the resize's PUT for `ms` (DigitalOcean answering slowly), so a kill lands while it is in flight. */
function slowResize(p: E2eProject, ms: number) {
    p.emulator.state.faults.add({
        match: { method: "PUT", path: `/v2/load_balancers/${LB_ID}` },
        delayMs: ms,
    });
}
const putArrived = (p: E2eProject) => p.emulator.state.faults.list().length === 0;

describe("a controller killed mid-update, restarted on the same host (file:// state)", () => {
    it("the stale Pulumi lock it left is cleared by the next run's first tick, with no person: the state is refreshed, the resize happened once", async () => {
        const p = await surgeStack();
        slowResize(p, 3_000);
        const a = controller(p, "--interval", "600");
        await waitFor("the resize PUT to reach the API", () => putArrived(p), 180_000);
        await powerLoss(p, a);
        expect(a.err()).toContain("resizing 1 → 4 nodes (gate passed)");

        // What it left: Pulumi's lock, the update marked in the lease, a pending operation.
        const locks = path.join(p.dir, ".state", ...lockDir(p.stack).split("/"));
        const lockFiles = () =>
            existsSync(locks) ? readdirSync(locks).filter((n) => n.endsWith(".json")) : [];
        expect(lockFiles()).toHaveLength(1);
        const leaseFile = path.join(p.dir, ".state/.pulumi/proxy-lb/autopilot/proxy-lb/e2e.json");
        expect(JSON.parse(readFileSync(leaseFile, "utf8"))).toMatchObject({
            holder: { pid: a.child.pid },
            updating: { host: expect.any(String) },
        });
        // The symptom: every later run is refused by that lock.
        const blocked = await p.up({ allowFailure: true });
        expect(blocked.stdout + blocked.stderr).toContain(
            "the stack is currently locked by 1 lock(s)",
        );
        await waitFor(
            "the slow PUT to be applied",
            () => p.emulator.state.getLb(LB_ID).size_unit === 4,
            30_000,
        );

        // systemd restarts it: one --once tick here.
        const b = controller(p, "--once");
        expect(await b.exited, b.out() + b.err()).toBe(0);
        observed("restart after a kill mid-update", { stderr: b.err() });
        const [tick] = ticks(b);
        expect(tick).toMatchObject({
            status: "steady",
            liveSizeUnit: 4,
            lease: { held: true, tookOver: { pid: a.child.pid } },
        });
        expect(tick.lease.tookOver!.why).toMatch(
            new RegExp(`^its process \\(pid ${a.child.pid} on \\S+\\) is gone$`),
        );
        expect(b.err()).toMatch(
            /an update started on \S+ at .* never finished; clearing its Pulumi lock/,
        );
        expect(b.err()).toMatch(/removed the Pulumi lock .* \(created by \S+ pid \d+ at /);
        expect(lockFiles()).toEqual([]);
        const state = await exportedState(p);
        expect(state.deployment.pending_operations ?? []).toEqual([]);
        const lb = state.deployment.resources!.find(
            (r) => r.type === "digitalocean:index/loadBalancer:LoadBalancer",
        );
        expect(lb?.outputs?.sizeUnit).toBe(4);

        expect(lbPuts(p)).toHaveLength(1); // the resize, once
        expect(writes(p.emulator).droplet).toBe(0);
        // And an up runs again.
        const again = await runCli(p, "autopilot", "--stack", p.stack, "--once", "--json");
        expect(JSON.parse(again.stdout)).toMatchObject({ status: "steady", lease: { held: true } });
        expect(again.stderr).not.toContain("clearing");
    });
});

describe("two controllers on one s3:// stack, separate working copies", () => {
    beforeAll(async () => {
        await s3Backend();
    }, BUILD_TIMEOUT_MS + 120_000);

    it("exactly one acts; the holder SIGKILLed mid-update is taken over within the stale bound by the standby, which clears its lock and pending operation: one resize, the takeover notified", async () => {
        const a = await surgeStack(await s3Backend());
        const b = await openProject({ workingCopyOf: a });
        b.env.PROXY_LB_NOW = a.env.PROXY_LB_NOW;
        slowResize(a, 3_000);
        const INTERVAL = 5; // stale after 3 ticks: 15 s without a heartbeat
        const holder = controller(a, "--interval", String(INTERVAL));
        await waitFor("a resize in flight", () => holder.err().includes("resizing 1 → 4"), 180_000);
        const standby = controller(b, "--interval", String(INTERVAL));
        await waitFor("the standby's first tick", () => ticks(standby).length >= 1, 120_000);
        expect(ticks(standby)[0]).toMatchObject({ status: "waiting", lease: { held: false } });
        await waitFor("the resize PUT to reach the API", () => putArrived(a), 180_000);
        await powerLoss(a, holder);
        const killedAt = Date.now();
        expect(await store!.list(lockDir(a.stack))).toHaveLength(1);

        await waitFor(
            "the standby's takeover",
            () => ticks(standby).some((t) => t.lease.tookOver),
            120_000,
        );
        const tookOverAfter = (Date.now() - killedAt) / 1000;
        const takeover = ticks(standby).find((t) => t.lease.tookOver)!;
        expect(takeover).toMatchObject({ status: "steady", liveSizeUnit: 4 });
        expect(takeover.lease.tookOver!.why).toMatch(
            /^no heartbeat for \d+ s \(more than 3 ticks of 5 s\)$/,
        );
        expect(takeover.notices.map((n) => n.kind)).toContain("leaseTakenOver");
        // Within the stale bound (15 s) plus one tick and the standby's recovery (clear, refresh).
        expect(tookOverAfter).toBeLessThan(3 * INTERVAL + INTERVAL + 90);
        expect(standby.err()).toMatch(/removed the Pulumi lock s3:\/\/.*\(created by /);
        expect(await store!.list(lockDir(a.stack))).toEqual([]);
        // One more tick: steady, nothing to recover.
        const n = ticks(standby).length;
        await waitFor("one more tick", () => ticks(standby).length > n, 60_000);
        expect(ticks(standby).at(-1)).toMatchObject({ status: "steady", liveSizeUnit: 4 });
        standby.child.kill("SIGTERM");
        expect(await standby.exited).toBe(0);
        observed("s3 failover", { tookOverAfterSeconds: tookOverAfter, stderr: standby.err() });

        const state = await exportedState(b);
        expect(state.deployment.pending_operations ?? []).toEqual([]);
        expect(lbPuts(a)).toHaveLength(1); // the resize, once
        expect(writes(a.emulator).droplet).toBe(0);
    });
});

describe("the deploy workflow and the controller on one s3:// stack", () => {
    beforeAll(async () => {
        await s3Backend();
    }, BUILD_TIMEOUT_MS + 120_000);

    it("a deploy's up of a demand change lands while the controller runs: Pulumi's lock serializes them, the controller's locked tick is retried, the final size is the one decision's for that moment", async () => {
        const a = await surgeStack(await s3Backend(), "deploy"); // the controller's working copy
        at(a, SURGE_FROM - 5 * MINUTE); // quiet: 1 node is the decision
        const deploy = await openProject({ workingCopyOf: a }); // the workflow's checkout
        deploy.env.PROXY_LB_NOW = a.env.PROXY_LB_NOW;
        const INTERVAL = 5;
        const c = controller(a, "--interval", String(INTERVAL));
        await waitFor("the controller's first tick", () => ticks(c).length >= 1, 120_000);
        expect(ticks(c)[0]).toMatchObject({ status: "steady", liveSizeUnit: 1 });

        // The drop's commit: 40 users × 2,000 tasks, 10 nodes in the calendar. The workflow runs
        // `pulumi up` with it; its resize answers slowly, so it holds the lock a while.
        const drop = baseConfig({
            "proxy-lb:autopilot": { enabled: true },
            "proxy-lb:demand": { users: 40, tasksPerUser: 2000 },
        });
        slowResize(a, 40_000);
        deploy.writeConfig(drop);
        const up = deploy.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the deploy's lock in the bucket",
            async () => (await store!.list(lockDir(a.stack))).length === 1,
            120_000,
        );
        a.writeConfig(drop); // the controller's copy pulls the same commit
        await waitFor(
            "the controller's tick to meet the lock",
            () => ticks(c).some((t) => t.status === "locked"),
            120_000,
        );
        const done = await up.done;
        expect(done.status, done.stdout + done.stderr).toBe(0);
        expect(a.emulator.state.getLb(LB_ID).size_unit).toBe(10);

        // The tick under way when the deploy finished may have read the live size before it; the
        // one after it began later (one process ticks one at a time).
        const n = ticks(c).length;
        await waitFor("a tick begun after the deploy", () => ticks(c).length > n + 1, 180_000);
        c.child.kill("SIGTERM");
        expect(await c.exited).toBe(0);
        observed("deploy and controller", {
            statuses: ticks(c).map((t) => t.status),
            summaries: ticks(c).map((t) => t.summary),
        });
        const locked = ticks(c).find((t) => t.status === "locked")!;
        expect(locked.summary).toBe(
            "another Pulumi run holds the stack's lock (a deploy or an operator's `pulumi up`); the resize 1 → 10 is tried again next tick",
        );
        expect(ticks(c).at(-1)).toMatchObject({ status: "steady", liveSizeUnit: 10 });
        expect(ticks(c).filter((t) => t.status === "failed" || t.status === "resized")).toEqual([]);

        expect(lbPuts(a)).toHaveLength(1); // the deploy's; the controller's was refused by the lock before any write
        expect(a.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        const state = await exportedState(a);
        expect(state.deployment.pending_operations ?? []).toEqual([]);
        expect(await store!.list(lockDir(a.stack))).toEqual([]);
        expect(writes(a.emulator).droplet).toBe(0);
    });
});
