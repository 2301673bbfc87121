// API faults during the one thing the program changes: the resize of an adopted LB (one PUT),
// plus an LB that never leaves "new" after a create. Real engine and DigitalOcean provider
// against the emulator, with the provider's retry settings as operators get them
// (DIGITALOCEAN_HTTP_RETRY_MAX 4, wait 1 s doubling up to 30 s; Retry-After honoured on 429/503).
// Each test prints an `[observed]` line: docs/reliability.md's table quotes those figures.
import { afterEach, describe, expect, it } from "vitest";
import { exportedState, logMark, observed, stepTraffic, timed, waitFor } from "./apiTraffic";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    E2eProject,
    killProjectProcesses,
    LB_ID,
    openProject,
    projectProcesses,
} from "../../sandbox/harness";

afterEach(disposeAll);

const LB_PATH = "/v2/load_balancers/{id}";
const demand = (users: number) => ({ "proxy-lb:demand": { users, tasksPerUser: 2000 } });
const TEN_NODES = demand(40); // 80,000 connections + 25% headroom → 10 nodes

/** The adopted LB at 1 node, already in the stack (zero writes), and a config that needs 10. */
async function adoptedThenDemandTen(): Promise<{ p: E2eProject; ip: string; mark: number }> {
    const p = await openProject();
    await p.up();
    expect(p.emulator.state.log.filter((e) => e.write)).toEqual([]);
    p.writeConfig(baseConfig(TEN_NODES));
    return { p, ip: p.emulator.state.getLb(LB_ID).ip, mark: logMark(p.emulator) };
}

/** Seconds between consecutive PUT attempts, from the emulator's log. */
function putGaps(p: E2eProject, mark: number): number[] {
    const times = p.emulator.state.log
        .slice(mark)
        .filter((e) => e.method === "PUT")
        .map((e) => Date.parse(e.time));
    return times.slice(1).map((t, i) => Math.round((t - times[i]) / 100) / 10);
}

/** Where every resize scenario must end: the same LB (id, IP) at `nodes`, nothing left to change. */
async function expectConverged(p: E2eProject, ip: string, nodes: number) {
    const lbs = p.emulator.state.listLbs();
    expect(lbs.map((lb) => lb.id)).toEqual([LB_ID]);
    expect(lbs[0]).toMatchObject({ ip, size_unit: nodes, status: "active" });
    expect(await p.outputs()).toMatchObject({
        loadBalancerId: LB_ID,
        loadBalancerIp: ip,
        sizeUnit: nodes,
    });
    expect((await p.preview()).digest.changeSummary).toEqual({ same: 5 });
    expect(p.emulator.state.summary().dropletWrites).toBe(0);
}

describe("faults on the resize PUT", () => {
    it("a 5xx burst is retried with backoff and resizes once; a burst longer than the retries fails cleanly and the rerun converges", async () => {
        const { p, ip, mark } = await adoptedThenDemandTen();
        p.emulator.state.faults.add({
            match: { method: "PUT", path: LB_PATH },
            status: 500,
            count: 2,
        });
        p.emulator.state.faults.add({
            match: { method: "PUT", path: LB_PATH },
            status: 503,
            count: 1,
        });
        const { run, seconds } = await timed(() => p.up());
        const traffic = stepTraffic(p.emulator, mark);
        observed("5xx burst (500, 500, 503) on the resize PUT", {
            ...traffic,
            gapsSeconds: putGaps(p, mark),
            upSeconds: seconds,
            exit: run.status,
        });
        expect(traffic).toMatchObject({
            lbWriteAttempts: 4,
            effectiveLbWrites: 1,
            lbCreates: 0,
            dropletWrites: 0,
        });
        expect(traffic.lbWriteStatuses).toEqual(["PUT 500", "PUT 500", "PUT 503", "PUT 200"]);
        const gaps = putGaps(p, mark); // 1 s, 2 s, 4 s: exponential backoff from RETRY_WAIT_MIN
        expect(gaps[0]).toBeGreaterThanOrEqual(0.9);
        expect(gaps[1]).toBeGreaterThan(gaps[0]);
        expect(gaps[2]).toBeGreaterThan(gaps[1]);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 10, ip });

        // Five 503s in a row outlast 1 + 4 retries: the run fails, says so, and changes nothing.
        p.writeConfig(baseConfig(demand(1)));
        const failingMark = logMark(p.emulator);
        p.emulator.state.faults.add({
            match: { method: "PUT", path: LB_PATH },
            status: 503,
            count: 5,
        });
        const failed = await timed(() => p.up({ allowFailure: true }));
        const failedTraffic = stepTraffic(p.emulator, failingMark);
        const said = failed.run.stdout + failed.run.stderr;
        observed("503 x5 (longer than the retries)", {
            ...failedTraffic,
            upSeconds: failed.seconds,
            exit: failed.run.status,
            message: said.match(/error: .*giving up.*$/m)?.[0],
        });
        expect(failed.run.status).not.toBe(0);
        expect(said).toMatch(/Error updating Load Balancer: .*giving up after 5 attempt\(s\)/);
        expect(failedTraffic).toMatchObject({
            lbWriteAttempts: 5,
            effectiveLbWrites: 0,
            dropletWrites: 0,
        });
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);

        const rerunMark = logMark(p.emulator);
        await p.up();
        expect(stepTraffic(p.emulator, rerunMark)).toMatchObject({
            lbWriteStatuses: ["PUT 200"],
            effectiveLbWrites: 1,
        });
        await expectConverged(p, ip, 1);
    });

    it("429 with Retry-After: the provider waits as told and resizes once", async () => {
        const { p, ip, mark } = await adoptedThenDemandTen();
        p.emulator.state.faults.add({
            match: { method: "PUT", path: LB_PATH },
            status: 429,
            retryAfterSeconds: 3,
            count: 2,
        });
        const { run, seconds } = await timed(() => p.up());
        const traffic = stepTraffic(p.emulator, mark);
        const gaps = putGaps(p, mark);
        observed("429 x2 with Retry-After: 3 on the resize PUT", {
            ...traffic,
            gapsSeconds: gaps,
            upSeconds: seconds,
            exit: run.status,
        });
        expect(traffic).toMatchObject({
            lbWriteAttempts: 3,
            effectiveLbWrites: 1,
            lbCreates: 0,
            dropletWrites: 0,
        });
        expect(traffic.lbWriteStatuses).toEqual(["PUT 429", "PUT 429", "PUT 200"]);
        for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(2.9); // Retry-After, not the 1 s / 2 s backoff
        await expectConverged(p, ip, 10);
    });

    it("403 \"can't be updated while it processes previous actions\": the run stops with DigitalOcean's message, changes nothing, and a rerun converges", async () => {
        const { p, ip, mark } = await adoptedThenDemandTen();
        p.emulator.state.faults.add({ match: { method: "PUT", path: LB_PATH }, kind: "busy" });
        const { run, seconds } = await timed(() => p.up({ allowFailure: true }));
        const traffic = stepTraffic(p.emulator, mark);
        const said = run.stdout + run.stderr;
        const message = said.match(/error: .*Error updating Load Balancer.*$/m)?.[0];
        observed("403 busy on the resize PUT", {
            ...traffic,
            upSeconds: seconds,
            exit: run.status,
            message,
        });
        expect(run.status).not.toBe(0);
        expect(message).toMatch(
            /403 .*Load Balancer can't be updated while it processes previous actions/,
        );
        expect(traffic).toMatchObject({
            lbWriteStatuses: ["PUT 403"],
            effectiveLbWrites: 0,
            dropletWrites: 0,
        }); // 403 is not retried
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);

        const rerunMark = logMark(p.emulator);
        const rerun = await timed(() => p.up());
        const rerunTraffic = stepTraffic(p.emulator, rerunMark);
        observed("403 busy: the rerun", {
            ...rerunTraffic,
            upSeconds: rerun.seconds,
            exit: rerun.run.status,
        });
        expect(rerunTraffic).toMatchObject({
            lbWriteStatuses: ["PUT 200"],
            effectiveLbWrites: 1,
            dropletWrites: 0,
        });
        await expectConverged(p, ip, 10);
    });

    it("a connection dropped during the PUT, before and after DigitalOcean applied it: retried, one effective change each way", async () => {
        const { p, ip, mark } = await adoptedThenDemandTen();
        p.emulator.state.faults.add({ match: { method: "PUT", path: LB_PATH }, kind: "drop" });
        const up = await timed(() => p.up());
        const traffic = stepTraffic(p.emulator, mark);
        observed("connection dropped before the PUT was applied", {
            ...traffic,
            upSeconds: up.seconds,
            exit: up.run.status,
        });
        expect(traffic).toMatchObject({
            lbWriteStatuses: ["PUT dropped", "PUT 200"],
            effectiveLbWrites: 1,
            dropletWrites: 0,
        });
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 10, ip });

        // Applied, then the answer is lost: the retry sends the same full body, a no-op.
        p.writeConfig(baseConfig(demand(1)));
        const downMark = logMark(p.emulator);
        p.emulator.state.faults.add({
            match: { method: "PUT", path: LB_PATH },
            kind: "drop",
            when: "after",
        });
        const down = await timed(() => p.up());
        const downTraffic = stepTraffic(p.emulator, downMark);
        observed("connection dropped after the PUT was applied", {
            ...downTraffic,
            upSeconds: down.seconds,
            exit: down.run.status,
        });
        expect(downTraffic).toMatchObject({
            lbWriteStatuses: ["PUT dropped", "PUT 200"],
            effectiveLbWrites: 1,
            dropletWrites: 0,
        });
        await expectConverged(p, ip, 1);
    });
});

describe("interrupted runs", () => {
    it("up killed with SIGKILL while the resize PUT is in flight: after pulumi cancel, refresh and up, the same LB at the new size, state intact", async () => {
        const { p, ip, mark } = await adoptedThenDemandTen();
        const HOLD_MS = 6_000;
        p.emulator.state.faults.add({ match: { method: "PUT", path: LB_PATH }, delayMs: HOLD_MS });
        const run = p.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the resize PUT to reach the API",
            () => p.emulator.state.log.slice(mark).some((e) => e.method === "PUT"),
            200_000,
        );
        run.kill("SIGKILL");
        const killed = await run.done;
        expect(killed.status).toBeNull(); // killed, not finished
        // Nothing of the killed run survives (plugins in their own process groups included),
        // so nothing but the test's own commands touches the stack from here on.
        await waitFor(
            "every process of the killed run to be gone",
            () => {
                killProjectProcesses(p.dir); // one started during the first sweep
                return projectProcesses(p.dir).length === 0;
            },
            10_000,
        );

        // DigitalOcean got the request: it completes whether or not the client is still there.
        await waitFor(
            "the held PUT to complete",
            () => p.emulator.state.lbs.get(LB_ID)!.lb.size_unit === 10,
            HOLD_MS + 10_000,
        );
        const afterKill = await exportedState(p);
        const pending = afterKill.deployment.pending_operations ?? [];
        expect(pending.map((op) => [op.type, op.resource.urn.split("::").pop()])).toEqual([
            ["updating", "proxy-lb"],
        ]);

        const locked = await p.up({ allowFailure: true });
        expect(locked.status).not.toBe(0);
        expect(locked.stdout + locked.stderr).toMatch(/the stack is currently locked/);

        // docs/operations.md, "If a run was interrupted": cancel, refresh, up.
        const started = Date.now();
        const cancel = await p.pulumi("cancel", "--yes");
        expect(cancel.status).toBe(0);
        const refresh = await p.pulumi("refresh", "--yes", "--skip-preview");
        if (refresh.status !== 0)
            throw new Error(`pulumi refresh failed:\n${refresh.stdout}\n${refresh.stderr}`);
        expect((await exportedState(p)).deployment.pending_operations ?? []).toEqual([]);
        const rerunMark = logMark(p.emulator);
        await p.up();
        const rerunTraffic = stepTraffic(p.emulator, rerunMark);
        const traffic = stepTraffic(p.emulator, mark);
        observed("SIGKILL mid-resize (PUT held 6 s), then cancel + refresh + up", {
            ...traffic,
            rerunLbWrites: rerunTraffic.lbWriteAttempts,
            recoverySeconds: Math.round((Date.now() - started) / 100) / 10,
        });
        expect(traffic).toMatchObject({ effectiveLbWrites: 1, lbCreates: 0, dropletWrites: 0 });
        expect(rerunTraffic.lbWriteAttempts).toBe(0); // the refresh read the applied size back
        const state = await exportedState(p);
        expect(
            state.deployment.resources
                ?.filter((r) => r.type === "digitalocean:index/loadBalancer:LoadBalancer")
                .map((r) => r.id),
        ).toEqual([LB_ID]);
        await expectConverged(p, ip, 10);
    });
});

describe("an LB stuck in new after create", () => {
    const createdConfig = baseConfig({
        "proxy-lb:loadBalancer": {
            name: "proxy-lb",
            forwarding: [{ port: 8080 }],
            healthCheck: { port: 8080 },
        },
    });

    it("the provider waits, polling every 10-15 s, and finishes with one create once DigitalOcean activates it", async () => {
        const p = await openProject({ config: createdConfig, seed: baseSeed({ lb: false }) });
        p.emulator.state.faults.add({
            match: { method: "POST", path: "/v2/load_balancers" },
            kind: "stuckNew",
        });
        const started = Date.now();
        const run = p.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the create",
            () => p.emulator.state.log.some((e) => e.method === "POST" && e.status === 202),
            200_000,
        );
        const id = p.emulator.state.listLbs()[0].id;
        const polls = () =>
            p.emulator.state.log.filter(
                (e) => e.method === "GET" && e.path === `/v2/load_balancers/${id}`,
            );
        await waitFor("three status polls", () => polls().length >= 3, 60_000);
        const pollTimes = polls().map((e) => Date.parse(e.time));
        p.emulator.state.patchLb(id, { stuck: false, status: "active" }); // provisioning finishes
        const done = await run.done;
        const gaps = pollTimes.slice(1).map((t, i) => Math.round((t - pollTimes[i]) / 100) / 10);
        observed("LB stuck in new after create, activated after 3 polls", {
            pollGapsSeconds: gaps,
            upSeconds: Math.round((Date.now() - started) / 100) / 10,
            exit: done.status,
            ...stepTraffic(p.emulator, 0),
        });
        expect(done.status).toBe(0);
        for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(9); // no hammering of the API
        expect(stepTraffic(p.emulator, 0)).toMatchObject({ lbCreates: 1, dropletWrites: 0 });
        expect(p.emulator.state.listLbs().map((lb) => lb.id)).toEqual([id]);
        expect((await p.outputs()).loadBalancerId).toBe(id);
        expect((await p.preview()).digest.changeSummary).toEqual({ same: 5 });
    });

    it("interrupted while waiting: the pending create is cleared, the LB made meanwhile is adopted by id, and the rerun makes no second LB", async () => {
        const p = await openProject({ config: createdConfig, seed: baseSeed({ lb: false }) });
        p.emulator.state.faults.add({
            match: { method: "POST", path: "/v2/load_balancers" },
            kind: "stuckNew",
        });
        const run = p.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the create",
            () => p.emulator.state.log.some((e) => e.method === "POST" && e.status === 202),
            200_000,
        );
        const [stuck] = p.emulator.state.listLbs();
        await waitFor(
            "a status poll",
            () =>
                p.emulator.state.log.some(
                    (e) => e.method === "GET" && e.path === `/v2/load_balancers/${stuck.id}`,
                ),
            30_000,
        );
        run.kill("SIGKILL");
        await run.done;

        const { deployment } = await exportedState(p);
        // (imports of masking servers still in flight may be pending too: reads, cleared by the refresh)
        const lbPending = (deployment.pending_operations ?? []).filter((op) =>
            op.resource.urn.endsWith("LoadBalancer::proxy-lb"),
        );
        expect(lbPending.map((op) => op.type)).toEqual(["creating"]);
        expect(
            deployment.resources?.some(
                (r) => r.type === "digitalocean:index/loadBalancer:LoadBalancer",
            ),
        ).toBe(false);

        // docs/operations.md, "If a run was interrupted": cancel; the LB created meanwhile is found by name
        // (doctl compute load-balancer list) and adopted by id; the pending create is cleared.
        expect((await p.pulumi("cancel", "--yes")).status).toBe(0);
        p.writeConfig({
            ...createdConfig,
            "proxy-lb:loadBalancer": {
                name: "proxy-lb",
                id: stuck.id,
                forwarding: [{ port: 8080 }],
                healthCheck: { port: 8080 },
            },
        });
        const refresh = await p.pulumi(
            "refresh",
            "--yes",
            "--skip-preview",
            "--clear-pending-creates",
        );
        if (refresh.status !== 0)
            throw new Error(`pulumi refresh failed:\n${refresh.stdout}\n${refresh.stderr}`);
        expect((await exportedState(p)).deployment.pending_operations ?? []).toEqual([]);

        const mark = logMark(p.emulator);
        const rerun = await p.up();
        const traffic = stepTraffic(p.emulator, mark);
        observed(
            "LB stuck in new, up killed while waiting, adopted by id + refresh --clear-pending-creates, up",
            {
                ...traffic,
                lbsInAccount: p.emulator.state.listLbs().length,
                rerunExit: rerun.status,
            },
        );
        expect(traffic).toMatchObject({ lbCreates: 0, lbWriteAttempts: 0, dropletWrites: 0 });
        expect(p.emulator.state.listLbs().map((lb) => lb.id)).toEqual([stuck.id]);
        expect(await p.outputs()).toMatchObject({
            loadBalancerId: stuck.id,
            loadBalancerIp: stuck.ip,
        });
    });
});
