// Team state: operators and the deploy workflow share one stack state in an S3 bucket
// (DigitalOcean Spaces in production), with Pulumi's lock. Here the bucket is a real
// S3-compatible server (SeaweedFS, scripts/s3.sh) on 127.0.0.1, and everything else is real
// too: `pulumi login s3://…`, the engine, the DigitalOcean provider against the emulator.
import { hostname } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
    baseConfig,
    disposeAll,
    E2eProject,
    LB_ID,
    openProject,
    runPulumiIn,
    TeamBackend,
    writes,
} from "../../sandbox/harness";
import { waitFor } from "./apiTraffic";
import { BUILD_TIMEOUT_MS, ObjectStore, startObjectStore } from "./objectStore";

let store: ObjectStore;
let backend: TeamBackend;

beforeAll(async () => {
    store = await startObjectStore();
    backend = { loginUrl: store.loginUrl, env: store.env };
}, BUILD_TIMEOUT_MS + 120_000); // builds the server first where it is not cached yet
afterAll(async () => {
    await store?.stop();
});
afterEach(disposeAll);

const demand = (users: number) => baseConfig({ "proxy-lb:demand": { users, tasksPerUser: 2000 } });
/** Where the DIY backend keeps a project stack's lock files in the bucket. */
const lockDir = (stack: string) => `.pulumi/locks/organization/proxy-lb/${stack}`;

async function history(p: E2eProject): Promise<{ kind: string; result: string }[]> {
    const run = await p.pulumi("stack", "history", "--json");
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
}

/** The stack's state as `pulumi stack export` reads it from the bucket. */
async function exportedLb(p: E2eProject): Promise<{ sizeUnit: unknown; pending: unknown[] }> {
    const run = await p.pulumi("stack", "export");
    expect(run.status, run.stderr).toBe(0);
    const deployment = JSON.parse(run.stdout).deployment;
    const lb = deployment.resources.find(
        (r: { type: string }) => r.type === "digitalocean:index/loadBalancer:LoadBalancer",
    );
    return { sizeUnit: lb?.outputs?.sizeUnit, pending: deployment.pending_operations ?? [] };
}

describe("team state in an S3 bucket (Spaces)", () => {
    it("the drop cycle runs on the shared bucket: baseline, drop size, back; one LB write each way, none to a droplet", async () => {
        const p = await openProject({ backend, stack: "cycle" });
        const who = await runPulumiIn(p.dir, p.env, "whoami", "--verbose");
        expect(who.stdout).toContain(`Backend URL: ${store.loginUrl}`);

        await p.up();
        expect(writes(p.emulator)).toMatchObject({ all: 0, droplet: 0 });
        expect(await store.list(".pulumi/stacks/proxy-lb")).toContain("cycle.json"); // the state is in the bucket

        p.writeConfig(demand(40)); // 10 nodes
        await p.up();
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0 });

        p.writeConfig(demand(1));
        await p.up();
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);
        expect(writes(p.emulator)).toMatchObject({ lb: 2, droplet: 0 });

        expect(await store.list(lockDir("cycle"))).toEqual([]); // each run released its lock
        expect((await history(p)).map((u) => [u.kind, u.result])).toEqual([
            ["update", "succeeded"],
            ["update", "succeeded"],
            ["update", "succeeded"],
        ]);
        expect((await exportedLb(p)).sizeUnit).toBe(1);

        // The AWS SDK v1-era form of the URL (scheme-less endpoint, disableSSL) still reaches the same state.
        const legacyUrl = `s3://${store.bucket}?endpoint=${store.endpoint.replace("http://", "")}&disableSSL=true&s3ForcePathStyle=true&region=us-east-1`;
        const relogin = await runPulumiIn(p.dir, p.env, "login", legacyUrl);
        expect(relogin.status, relogin.stderr).toBe(0);
        const listed = await runPulumiIn(p.dir, p.env, "stack", "ls", "--json");
        expect(listed.status, listed.stderr).toBe(0);
        expect(JSON.parse(listed.stdout)).toContainEqual(
            expect.objectContaining({ name: "cycle", resourceCount: 6 }),
        );

        // The bucket checks the key: a wrong secret is refused, as Spaces refuses it.
        const wrong = { ...p.env, AWS_SECRET_ACCESS_KEY: "not-the-secret" };
        const refused = await runPulumiIn(p.dir, wrong, "stack", "ls");
        expect(refused.status).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(
            /SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId|403/,
        );
    });

    it("two operators' concurrent ups on one stack: the second is refused by the lock, the first completes, the state stays whole", async () => {
        const a = await openProject({ backend, stack: "team" });
        await a.up();
        const b = await openProject({ workingCopyOf: a });
        expect((await b.preview()).digest.changeSummary).toEqual({ same: 5 }); // b reads a's state

        a.writeConfig(demand(40));
        b.writeConfig(demand(40)); // both pulled the same drop commit
        // The resize answers slowly, so a's update surely holds the lock when b starts.
        a.emulator.state.faults.add({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            delayMs: 10_000,
        });
        const first = a.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the run's lock in the bucket",
            async () => (await store.list(lockDir("team"))).length === 1,
            60_000,
        );

        const second = await b.up({ allowFailure: true });
        expect(second.status).not.toBe(0);
        const said = second.stdout + second.stderr;
        expect(said).toContain("the stack is currently locked by 1 lock(s)");
        expect(said).toContain("`pulumi cancel`");
        expect(said).toMatch(new RegExp(`created by \\S+@${hostname()} \\(pid \\d+\\)`));

        const done = await first.done;
        expect(done.status, done.stdout + done.stderr).toBe(0);
        expect(a.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        expect(writes(a.emulator)).toMatchObject({ lb: 1, droplet: 0 }); // only a's resize reached the API

        // b tries again once a is done: it sees a's resize in the shared state and changes nothing.
        const retry = await b.up();
        expect(retry.stdout).toMatch(/5 unchanged/);
        expect(writes(a.emulator)).toMatchObject({ lb: 1, droplet: 0 });
        expect((await history(b)).map((u) => u.result)).toEqual([
            "succeeded",
            "succeeded",
            "succeeded",
        ]);
        expect(await exportedLb(b)).toEqual({ sizeUnit: 10, pending: [] });
        expect(await store.list(lockDir("team"))).toEqual([]);
    });

    it("a run killed mid-update leaves its lock: the next up reports it, `pulumi cancel --yes` clears it, and up then completes", async () => {
        const a = await openProject({ backend, stack: "killed", config: demand(40) });
        await a.up();
        const b = await openProject({ workingCopyOf: a });

        // b scales back, and is killed (SIGKILL: no cleanup) while its resize request is in flight.
        b.writeConfig(demand(1));
        a.emulator.state.faults.add({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            delayMs: 15_000,
            status: 503,
        });
        const run = b.start("up", "--yes", "--skip-preview");
        await waitFor(
            "the resize PUT to reach the API",
            () => a.emulator.state.faults.list().length === 0,
            120_000,
        );
        run.kill("SIGKILL");
        await run.done;
        expect(await store.list(lockDir("killed"))).toHaveLength(1);
        // The state in the bucket is whole: the size before the killed run, and its resize recorded as pending.
        const afterKill = await exportedLb(a);
        expect(afterKill.sizeUnit).toBe(10);
        expect(afterKill.pending).toEqual([expect.objectContaining({ type: "updating" })]);

        a.writeConfig(demand(1));
        const refused = await a.up({ allowFailure: true });
        expect(refused.status).not.toBe(0);
        expect(refused.stdout + refused.stderr).toContain(
            "the stack is currently locked by 1 lock(s)",
        );
        expect(a.emulator.state.getLb(LB_ID).size_unit).toBe(10); // nothing changed meanwhile

        const cancel = await a.pulumi("cancel", "--yes");
        expect(cancel.status, cancel.stdout + cancel.stderr).toBe(0);
        expect(await store.list(lockDir("killed"))).toEqual([]);

        await a.up();
        expect(a.emulator.state.getLb(LB_ID).size_unit).toBe(1);
        expect(writes(a.emulator).droplet).toBe(0);
        expect(await exportedLb(a)).toEqual({ sizeUnit: 1, pending: [] });
        expect(await store.list(lockDir("killed"))).toEqual([]);
    });
});
