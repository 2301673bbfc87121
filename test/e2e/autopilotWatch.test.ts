// The controller watched from outside and run for several stacks, on the real engine and
// DigitalOcean provider against the emulator's closed loop (a seeded crowd, a resize in force a
// minute after it is asked for): `npm run autopilot` as a service runs it, with --listen on
// 127.0.0.1 and the heartbeat URL a Pulumi secret in the stack file, its monitor a local server.
// The emulator's clock and PROXY_LB_NOW are pinned inside a surge.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    type E2eProject,
    LB_ID,
    MASKING_IDS,
    openProject,
    ROOT,
    runPulumiIn,
    writes,
} from "../../sandbox/harness";
import { NODE, tsxArgs } from "../support/tsx";
import { observed } from "./apiTraffic";

afterEach(disposeAll);

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z"); // a Wednesday, no drop in the calendar
const SURGE_FROM = T0 + 10 * MINUTE;
const QUIET = 3_000; // 1 node holds it
const CROWD = 30_000; // 4 nodes hold it
const LB_B = "9a1e2c4d-5b6f-4a7e-8c9d-0e1f2a3b4c5d";
const HEARTBEAT_SECRET = "hb-3f9c2a71-e2e-s3cr3t-uuid";
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

const crowd = () => {
    const points: [number, number][] = [];
    for (let t = T0 - 60 * MINUTE; t <= SURGE_FROM + 60 * MINUTE; t += MINUTE)
        points.push([t / 1000, t >= SURGE_FROM ? CROWD : QUIET]);
    return { demand: { points } };
};

/** The seed: the stack's LB and, for a second stack, another one in front of the same droplets; both crowds surge at SURGE_FROM. */
function seed() {
    const s = baseSeed();
    s.loadBalancers!.push({ ...s.loadBalancers![0], id: LB_B, name: "proxy-lb-b" });
    return {
        ...s,
        metrics: { resizeDelaySeconds: 60, loadBalancers: { [LB_ID]: crowd(), [LB_B]: crowd() } },
    };
}

/** A push monitor on 127.0.0.1: it keeps each ping's method and path. */
async function monitor(): Promise<{ url: string; pings: string[]; close(): Promise<void> }> {
    const pings: string[] = [];
    const server: Server = createServer((req, res) => {
        pings.push(`${req.method} ${req.url}`);
        res.writeHead(200).end("OK");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/ping/${HEARTBEAT_SECRET}`,
        pings,
        close: () =>
            new Promise((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** The project, deployed at T0 at 1 node, the clocks then pinned 1 min into the surge. */
async function project(): Promise<E2eProject> {
    const p = await openProject({
        config: baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
        seed: seed(),
    });
    p.emulator.state.setClock(T0);
    p.env.PROXY_LB_NOW = iso(T0);
    p.useToken("recommended"); // the deploy's token: it may read the metrics
    await p.up();
    return p;
}

/** A second stack `b` in the same project (its own state, stack file and LB), deployed at T0. */
async function secondStack(p: E2eProject): Promise<void> {
    const pulumi = (...args: string[]) =>
        runPulumiIn(p.dir, p.env, ...args, "--stack", "b", "--non-interactive");
    const init = await pulumi("stack", "init");
    expect(init.status, init.stderr).toBe(0);
    const file = path.join(p.dir, "Pulumi.b.yaml");
    const doc = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const config = baseConfig({
        "proxy-lb:autopilot": { enabled: true },
        "proxy-lb:loadBalancer": {
            name: "proxy-lb-b",
            id: LB_B,
            forwarding: [{ port: 8080 }],
            healthCheck: { port: 8080 },
        },
        "proxy-lb:maskingServers": { ids: MASKING_IDS },
    });
    writeFileSync(
        file,
        stringify({ ...doc, config: { "digitalocean:apiEndpoint": p.emulator.url, ...config } }),
    );
    const up = await pulumi("up", "--yes", "--skip-preview");
    expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
}

/** `npm run autopilot` as a service runs it, on the autopilot's token: its output, its /healthz and /metrics. */
function controller(p: E2eProject, ...args: string[]) {
    const child = spawn(
        NODE,
        tsxArgs(path.join(ROOT, "cli", "autopilot.ts"), ...args, "--listen", "0"),
        {
            cwd: p.dir,
            env: { ...p.env, DIGITALOCEAN_TOKEN: p.tokens.autopilot },
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    const io = { out: "", err: "" };
    child.stdout.on("data", (d) => (io.out += d));
    child.stderr.on("data", (d) => (io.err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    const url = () =>
        /serving \/healthz and \/metrics on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.err)?.[1];
    return {
        io,
        exited,
        stop: () => child.kill("SIGTERM"),
        async until(done: () => boolean, what: string, seconds = 180) {
            for (let i = 0; i < seconds * 10 && !done(); i++)
                await new Promise((r) => setTimeout(r, 100));
            expect(done(), `${what}\n${io.out}\n${io.err}`).toBe(true);
        },
        async healthz() {
            const res = await fetch(`${url()}/healthz`);
            return { status: res.status, body: await res.text() };
        },
        async metric(series: string): Promise<number | undefined> {
            const text = await (await fetch(`${url()}/metrics`)).text();
            const line = text.split("\n").find((l) => l.startsWith(`${series} `));
            return line === undefined ? undefined : Number(line.split(" ")[1]);
        },
        url,
    };
}

describe("npm run autopilot --listen, with a heartbeat", () => {
    it("a surge: /healthz 200 after it, /metrics shows the resize (sizes, load, ticks, resizes up, the update's duration, the lease), the monitor pinged after each good tick; no output shows the heartbeat's secret", async () => {
        const hb = await monitor();
        try {
            const p = await project();
            const set = await p.pulumi(
                "config",
                "set",
                "--secret",
                "--path",
                "proxy-lb:autopilot.heartbeatUrl",
                hb.url,
            );
            expect(set.status, set.stderr).toBe(0);
            expect(p.readStackFile()).not.toContain(HEARTBEAT_SECRET); // encrypted in the file
            p.emulator.state.setClock(SURGE_FROM + MINUTE);
            p.env.PROXY_LB_NOW = iso(SURGE_FROM + MINUTE);
            p.emulator.state.resetLog();

            const c = controller(p, "--stack", p.stack, "--interval", "2");
            await c.until(() => c.url() !== undefined, "the endpoint is served");
            await c.until(() => c.io.out.includes("resized 1 → 4 nodes"), "the resize");
            await c.until(() => /steady at 4 nodes/.test(c.io.out), "a steady tick after it");
            const health = await c.healthz();
            expect(health.status, health.body).toBe(200);
            expect(health.body).toMatch(
                /^ok\ne2e: ok: the last good tick ended \d+ s ago; the last tick \(steady\): steady at 4 nodes/,
            );
            const s = 'stack="e2e"';
            expect(await c.metric(`proxy_lb_autopilot_live_size_unit{${s}}`)).toBe(4);
            expect(await c.metric(`proxy_lb_autopilot_target_size_unit{${s}}`)).toBe(4);
            expect(await c.metric(`proxy_lb_autopilot_connections{${s}}`)).toBe(10_000); // capped by 1 node's limit when read
            expect(await c.metric(`proxy_lb_autopilot_connections_limit{${s}}`)).toBe(10_000);
            expect(await c.metric(`proxy_lb_autopilot_utilization_ratio{${s}}`)).toBe(1);
            expect(await c.metric(`proxy_lb_autopilot_ticks_total{${s},status="resized"}`)).toBe(1);
            expect(await c.metric(`proxy_lb_autopilot_resizes_total{${s},direction="up"}`)).toBe(1);
            expect(await c.metric(`proxy_lb_autopilot_resizes_total{${s},direction="down"}`)).toBe(
                0,
            );
            expect(await c.metric(`proxy_lb_autopilot_update_duration_seconds_count{${s}}`)).toBe(
                1,
            );
            expect(
                await c.metric(`proxy_lb_autopilot_update_duration_seconds_sum{${s}}`),
            ).toBeGreaterThan(1);
            expect(await c.metric(`proxy_lb_autopilot_lease_held{${s}}`)).toBe(1);
            expect(await c.metric(`proxy_lb_autopilot_metric_read_errors_total{${s}}`)).toBe(0);
            const lastSuccess = await c.metric(
                `proxy_lb_autopilot_last_success_timestamp_seconds{${s}}`,
            );
            expect(Date.now() / 1000 - lastSuccess!).toBeLessThan(30);
            const ticks =
                (await c.metric(`proxy_lb_autopilot_ticks_total{${s},status="resized"}`))! +
                (await c.metric(`proxy_lb_autopilot_ticks_total{${s},status="steady"}`))!;
            // One GET to the monitor per good tick (the one running now may add one).
            expect(hb.pings.length).toBeGreaterThanOrEqual(ticks - 1);
            expect(new Set(hb.pings)).toEqual(new Set([`GET /ping/${HEARTBEAT_SECRET}`]));

            c.stop();
            expect(await c.exited).toBe(0);
            observed("autopilot --listen", {
                stdout: c.io.out.slice(0, 2000),
                stderr: c.io.err,
                health,
            });
            for (const text of [c.io.out, c.io.err, health.body]) {
                expect(text).not.toContain(HEARTBEAT_SECRET);
                expect(text).not.toContain(p.tokens.autopilot);
            }
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(4);
            expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0, all: 1 });
        } finally {
            await hb.close();
        }
    });
});

describe("npm run autopilot -- --stack e2e --stack b", () => {
    it("one process, two stacks: b's reads fail at first and never stop e2e's resize; then b resizes too, each once, on its own lease; /metrics labels both; SIGTERM stops both loops and releases both leases", async () => {
        const p = await project();
        await secondStack(p);
        p.emulator.state.setClock(SURGE_FROM + MINUTE);
        p.env.PROXY_LB_NOW = iso(SURGE_FROM + MINUTE);
        p.emulator.state.resetLog();
        // b's load balancer cannot be read for its first ticks (DigitalOcean answers 500).
        p.emulator.state.faults.add({
            match: { method: "GET", path: `/v2/load_balancers/${LB_B}` },
            status: 500,
            count: 3,
        });

        const c = controller(p, "--stack", p.stack, "--stack", "b", "--interval", "2");
        await c.until(
            () => c.io.out.includes("autopilot e2e: resized 1 → 4 nodes"),
            "e2e's resize",
        );
        expect(c.io.out).toMatch(/autopilot b: tick failed: /);
        await c.until(() => c.io.out.includes("autopilot b: resized 1 → 4 nodes"), "b's resize");
        await c.until(() => /autopilot b: steady at 4 nodes/.test(c.io.out), "b steady after it");
        for (const stack of ["e2e", "b"]) {
            expect(
                await c.metric(`proxy_lb_autopilot_resizes_total{stack="${stack}",direction="up"}`),
            ).toBe(1);
            expect(await c.metric(`proxy_lb_autopilot_live_size_unit{stack="${stack}"}`)).toBe(4);
            expect(await c.metric(`proxy_lb_autopilot_lease_held{stack="${stack}"}`)).toBe(1);
        }
        expect(await c.metric('proxy_lb_autopilot_ticks_total{stack="b",status="failed"}')).toBe(3);
        const health = await c.healthz();
        expect(health.status, health.body).toBe(200);

        c.stop();
        expect(await c.exited).toBe(0);
        observed("autopilot two stacks", { stdout: c.io.out.slice(-3000), stderr: c.io.err });
        const last = c.io.out.trim().split("\n").slice(-2);
        expect(last[0]).toMatch(
            /^autopilot e2e: stopped \(SIGTERM\) after \d+ ticks; the lease is released$/,
        );
        expect(last[1]).toMatch(
            /^autopilot b: stopped \(SIGTERM\) after \d+ ticks; the lease is released$/,
        );
        for (const stack of ["e2e", "b"]) {
            const lease = JSON.parse(
                readFileSync(
                    path.join(
                        p.dir,
                        ".state",
                        ".pulumi",
                        "proxy-lb",
                        "autopilot",
                        "proxy-lb",
                        `${stack}.json`,
                    ),
                    "utf8",
                ),
            ) as { holder: unknown; lastResizeAt: number | null };
            expect(lease).toMatchObject({ holder: null, lastResizeAt: SURGE_FROM + MINUTE });
        }
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(4);
        expect(p.emulator.state.getLb(LB_B).size_unit).toBe(4);
        const puts = p.emulator.state.log
            .filter((e) => e.method === "PUT")
            .map((e) => `${e.path} ${e.status}`);
        expect(puts.sort()).toEqual(
            [`/v2/load_balancers/${LB_B} 200`, `/v2/load_balancers/${LB_ID} 200`].sort(),
        );
        expect(writes(p.emulator)).toMatchObject({ lb: 2, droplet: 0, all: 2 });
    });
});
