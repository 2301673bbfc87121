// The controller watched from outside and run for several stacks (controller/health.ts,
// metrics.ts, heartbeat.ts, server.ts, fleet.ts; config/heartbeat.ts): when /healthz turns 503 and
// why, what /metrics says after each kind of tick, the heartbeat's bounded ping that never fails
// a tick nor prints its URL, the endpoint on 127.0.0.1, and one stack's failure never stopping
// another's loop. Servers here bind 127.0.0.1 and are closed by each test.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadSettings, type Settings } from "../config";
import { heartbeatTarget, heartbeatUrlProblem } from "../config/heartbeat";
import { parseStackFile } from "../config/stackFile";
import { fileLease } from "../controller/fileLease";
import { runStacks } from "../controller/fleet";
import { HealthBoard, renderHealth } from "../controller/health";
import { pingHeartbeat } from "../controller/heartbeat";
import type { Stopper } from "../controller/loop";
import { latestLoad } from "../controller/decisions";
import { ControllerMetrics } from "../controller/metrics";
import { serveWatch } from "../controller/server";
import type { TickDeps, TickReport, TickStatus } from "../controller/tick";
import type { SizeNow } from "../infra/liveSize";
import { decideSize } from "../sizing/autopilot";
import { observedLoad, type MetricsRead } from "../sizing/observedLoad";
import { baseConfig, LB_ID } from "../sandbox/harness";

const AT = Date.parse("2027-11-24T10:00:00Z");
const MIN = 60_000;
const SECRET_PATH = "ping/5f1c0d8e-hb-s3cr3t";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
    for (const close of closers.splice(0)) await close();
});

/** A local receiver on 127.0.0.1 answering `status` after `delayMs`; it keeps each request's method and path. */
async function receiver(
    status = 200,
    delayMs = 0,
): Promise<{ url: string; hits: { method: string; path: string }[] }> {
    const hits: { method: string; path: string }[] = [];
    const server: Server = createServer((req: IncomingMessage, res) => {
        hits.push({ method: req.method ?? "", path: req.url ?? "" });
        const timer = setTimeout(() => res.writeHead(status).end("ok"), delayMs);
        res.on("close", () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(
        () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    );
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/${SECRET_PATH}`, hits };
}

function report(over: Partial<TickReport> & { status: TickStatus }): TickReport {
    return {
        scaleDown: null,
        nextResizeAt: null,
        stack: "a",
        at: "2027-11-24T10:00:00Z",
        summary: over.status,
        liveSizeUnit: 1,
        targetSizeUnit: 1,
        bound: null,
        why: null,
        reasons: [],
        resized: null,
        gate: [],
        error: null,
        lease: { held: true },
        notices: [],
        durationMs: 250,
        ...over,
    };
}

// ---------------------------------------------------------------------------
// config: proxy-lb:autopilot.heartbeatUrl

describe("proxy-lb:autopilot.heartbeatUrl", () => {
    const entries = (heartbeatUrl: unknown) =>
        baseConfig({ "proxy-lb:autopilot": { enabled: true, heartbeatUrl } });

    it("takes an https URL or an encrypted value; refuses the rest naming the key, never quoting the URL", () => {
        expect(
            loadSettings(entries("https://hc-ping.com/0d8e-uuid")).config.autopilot.heartbeatUrl,
        ).toBe("https://hc-ping.com/0d8e-uuid");
        expect(loadSettings(entries({ secure: "v1:abc" })).config.autopilot.heartbeatUrl).toEqual({
            secure: "v1:abc",
        });
        for (const bad of [
            "http://hc-ping.com/s3cr3t-path",
            "https://user:pw@hc-ping.com/s3cr3t-path",
            "https://hc-ping.com/",
            "not a url s3cr3t-path",
        ]) {
            let problems: string[] = [];
            try {
                loadSettings(entries(bad));
            } catch (err) {
                problems = (err as ConfigError).problems;
            }
            expect(problems).toHaveLength(1);
            expect(problems[0]).toMatch(/^proxy-lb:autopilot\.heartbeatUrl (must|has no path)/);
            expect(problems[0]).not.toContain("s3cr3t");
            expect(problems[0]).not.toContain("pw");
        }
        expect(heartbeatUrlProblem("http://127.0.0.1:9/x")).toBeUndefined(); // a local monitor
        expect(heartbeatTarget({ heartbeatUrl: { secure: "v1:abc" } })).toBeNull();
    });

    it("a stack file with the URL in plain text is refused, naming the command that encrypts it", () => {
        const text = (url: string) =>
            `config:\n  proxy-lb:autopilot:\n    enabled: true\n    heartbeatUrl: ${url}\n`;
        expect(() =>
            parseStackFile(text("https://hc-ping.com/s3cr3t-uuid"), "Pulumi.a.yaml"),
        ).toThrow(
            "Pulumi.a.yaml: proxy-lb:autopilot.heartbeatUrl is in plain text (a heartbeat URL is a secret; the value is not shown): set it encrypted with pulumi config set --secret --path 'proxy-lb:autopilot.heartbeatUrl' <url>",
        );
        try {
            parseStackFile(text("https://hc-ping.com/s3cr3t-uuid"), "Pulumi.a.yaml");
        } catch (err) {
            expect((err as Error).message).not.toContain("s3cr3t");
        }
        expect(() =>
            parseStackFile(
                "config:\n  proxy-lb:autopilot:\n    heartbeatUrl:\n      secure: v1:abc\n",
                "Pulumi.a.yaml",
            ),
        ).not.toThrow();
    });
});

// ---------------------------------------------------------------------------
// the heartbeat

describe("pingHeartbeat", () => {
    it("GETs the URL; an answer other than 2xx is one line naming the host only", async () => {
        const ok = await receiver(200);
        expect(await pingHeartbeat(ok.url)).toEqual({ ok: true, status: 200 });
        expect(ok.hits).toEqual([{ method: "GET", path: `/${SECRET_PATH}` }]);

        const down = await receiver(500);
        const failed = await pingHeartbeat(down.url);
        expect(failed.ok).toBe(false);
        const line = (failed as { line: string }).line;
        expect(line).toMatch(
            /^heartbeat: the push monitor at 127\.0\.0\.1:\d+ did not take the ping: HTTP 500/,
        );
        expect(line).not.toContain("s3cr3t");
    });

    it("gives up at its bound: a monitor that never answers costs at most the timeout", async () => {
        const slow = await receiver(200, 10_000);
        const started = Date.now();
        const result = await pingHeartbeat(slow.url, { timeoutMs: 300 });
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(result).toMatchObject({ ok: false });
        expect((result as { line: string }).line).toContain("no answer within 300 ms");
        // Nothing listens there: the refusal, not the URL.
        const closed = await pingHeartbeat("http://127.0.0.1:9/ping/s3cr3t", { timeoutMs: 1_000 });
        expect(closed).toMatchObject({ ok: false });
        expect((closed as { line: string }).line).not.toContain("s3cr3t");
    });
});

// ---------------------------------------------------------------------------
// health

describe("HealthBoard: /healthz's verdict", () => {
    const START = 1_000_000;
    const board = () => new HealthBoard(["a", "b"], 60, START);

    it.each([
        {
            case: "starting: no tick yet",
            ticks: [],
            at: START + 1_000,
            ok: true,
            reason: /^starting/,
        },
        {
            case: "no tick at all for three intervals",
            ticks: [],
            at: START + 181_000,
            ok: false,
            reason: /^no good tick in the 181 s since the start \(more than 3 ticks of 60 s\)$/,
        },
        {
            case: "a good tick a minute ago",
            ticks: [{ status: "steady", at: START + 5_000 }],
            at: START + 65_000,
            ok: true,
            reason: /^the last good tick ended 60 s ago; the last tick \(steady\)/,
        },
        {
            case: "failing since a good tick within three intervals: still ok, saying so",
            ticks: [
                { status: "steady", at: START + 5_000 },
                { status: "failed", at: START + 65_000 },
            ],
            at: START + 125_000,
            ok: true,
            reason: /the last tick \(failed\): failed$/,
        },
        {
            case: "failing for more than three intervals",
            ticks: [
                { status: "resized", at: START + 5_000 },
                { status: "failed", at: START + 65_000 },
                { status: "refused", at: START + 185_000 },
            ],
            at: START + 186_000,
            ok: false,
            reason: /^no good tick for 181 s \(more than 3 ticks of 60 s\); the last tick \(refused\): refused$/,
        },
        {
            case: "knowingly waiting for another controller's lease",
            ticks: [{ status: "waiting", at: START + 5_000 }],
            at: START + 60_000,
            ok: true,
            reason: /^waiting for another controller's lease/,
        },
    ] as const)("$case", ({ ticks, at, ok, reason }) => {
        const health = board();
        for (const t of ticks) health.ticked(report({ stack: "a", status: t.status }), t.at);
        health.ticked(report({ stack: "b", status: "steady" }), at - 1_000); // b is fine throughout
        const verdict = health.judge(at);
        expect(verdict.ok).toBe(ok);
        expect(verdict.stacks[0]).toMatchObject({ stack: "a", ok });
        expect(verdict.stacks[0].reason).toMatch(reason);
        expect(verdict.stacks[1]).toMatchObject({ stack: "b", ok: true });
    });

    it("an update that outlasts three intervals is not a dead controller", () => {
        const health = board();
        health.ticked(report({ status: "steady" }), START);
        health.updating("a", true, START + 60_000);
        expect(health.judge(START + 400_000).stacks[0]).toMatchObject({
            ok: true,
            reason: "an update runs (since 340 s ago)",
        });
        health.updating("a", false, START + 400_000);
        expect(health.judge(START + 400_000).stacks[0].ok).toBe(false);
    });

    it("renders a first line for monitors that match text, then a line per stack", () => {
        const health = board();
        health.ticked(report({ stack: "b", status: "steady", summary: "steady at 1 node" }), START);
        expect(renderHealth(health.judge(START + 200_000)).split("\n")).toEqual([
            "unhealthy",
            "a: UNHEALTHY: no good tick in the 200 s since the start (more than 3 ticks of 60 s)",
            "b: UNHEALTHY: no good tick for 200 s (more than 3 ticks of 60 s); the last tick (steady): steady at 1 node",
        ]);
    });
});

// ---------------------------------------------------------------------------
// metrics

const settings = (): Settings =>
    loadSettings(baseConfig({ "proxy-lb:autopilot": { enabled: true } }), { now: AT });

function sizeFor(live: number, connections: number | null, limit?: number): SizeNow {
    const s = settings();
    const metrics: MetricsRead =
        connections === null
            ? { ok: false, error: "GET …/frontend_connections_current answered 503" }
            : {
                  ok: true,
                  connections: [2, 1, 0].map((i) => [(AT - i * MIN) / 1000, connections - i]),
                  ...(limit === undefined ? {} : { limit: [[(AT - 5 * MIN) / 1000, limit]] }),
              };
    const load = observedLoad(AT, { id: LB_ID, name: "proxy-lb", sizeUnit: live }, metrics);
    const decision = decideSize({
        calendar: { sizeUnit: s.sizing.sizeUnit, why: s.schedule.why },
        liveSizeUnit: live,
        load,
        settings: s.autopilot,
        capacity: s.config.capacity,
    });
    return { ...load, decision };
}

describe("ControllerMetrics: /metrics", () => {
    it("the latest sample and the limit in force then (else the live size's)", () => {
        expect(latestLoad(sizeFor(2, 7_000, 20_000), 10_000)).toMatchObject({
            connections: 7_000,
            limit: 20_000,
        });
        expect(latestLoad(sizeFor(3, 7_000), 10_000)).toMatchObject({
            connections: 7_000,
            limit: 30_000,
        });
        expect(latestLoad(sizeFor(3, null), 10_000)).toBeNull();
    });

    it("after a surge's ticks: sizes, load, ticks by status, resizes by direction, durations, lease, last success, read errors — each labelled by stack, in Prometheus naming", async () => {
        const m = new ControllerMetrics({ processMetrics: false });
        m.declare(["a", "b"]);
        m.observeLoad("a", settings(), sizeFor(1, 9_000, 10_000));
        m.observeTick(report({ status: "steady" }), AT, false);
        m.observeLoad("a", settings(), sizeFor(1, 30_000, 10_000));
        m.observeUpdate("a", 14.2);
        m.observeTick(
            report({
                status: "resized",
                liveSizeUnit: 1,
                targetSizeUnit: 4,
                resized: { from: 1, to: 4 },
                durationMs: 15_000,
            }),
            AT + MIN,
            false,
        );
        m.observeLoad("b", settings(), sizeFor(2, null));
        m.observeTick(
            report({ stack: "b", status: "failed", lease: { held: true } }),
            AT + MIN,
            false,
        );
        m.observeTick(
            report({ stack: "b", status: "waiting", lease: { held: false } }),
            AT + 2 * MIN,
            false,
        );
        const text = await m.text();
        const line = (prefix: string) =>
            text.split("\n").find((l) => l.startsWith(prefix + " ")) ?? `(no ${prefix})`;
        expect(line('proxy_lb_autopilot_live_size_unit{stack="a"}')).toMatch(/ 4$/);
        expect(line('proxy_lb_autopilot_target_size_unit{stack="a"}')).toMatch(/ 4$/);
        expect(line('proxy_lb_autopilot_connections{stack="a"}')).toMatch(/ 30000$/);
        expect(line('proxy_lb_autopilot_connections_limit{stack="a"}')).toMatch(/ 10000$/);
        expect(line('proxy_lb_autopilot_utilization_ratio{stack="a"}')).toMatch(/ 3$/); // the emulator caps it; the metric does not hide it
        expect(line('proxy_lb_autopilot_ticks_total{stack="a",status="steady"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_ticks_total{stack="a",status="resized"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_ticks_total{stack="b",status="failed"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_resizes_total{stack="a",direction="up"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_resizes_total{stack="a",direction="down"}')).toMatch(/ 0$/);
        expect(line('proxy_lb_autopilot_resizes_total{stack="b",direction="up"}')).toMatch(/ 0$/);
        expect(line('proxy_lb_autopilot_update_duration_seconds_count{stack="a"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_update_duration_seconds_sum{stack="a"}')).toMatch(
            / 14\.2$/,
        );
        expect(line('proxy_lb_autopilot_tick_duration_seconds_sum{stack="a"}')).toMatch(/ 15\.25$/);
        expect(line('proxy_lb_autopilot_lease_held{stack="a"}')).toMatch(/ 1$/);
        expect(line('proxy_lb_autopilot_lease_held{stack="b"}')).toMatch(/ 0$/);
        expect(line('proxy_lb_autopilot_last_success_timestamp_seconds{stack="a"}')).toMatch(
            new RegExp(` ${(AT + MIN) / 1000}$`),
        );
        expect(text).not.toContain('proxy_lb_autopilot_last_success_timestamp_seconds{stack="b"}');
        expect(line('proxy_lb_autopilot_metric_read_errors_total{stack="a"}')).toMatch(/ 0$/);
        expect(line('proxy_lb_autopilot_metric_read_errors_total{stack="b"}')).toMatch(/ 1$/);
        expect(text).toContain("# TYPE proxy_lb_autopilot_ticks_total counter");
        expect(text).toContain("# TYPE proxy_lb_autopilot_tick_duration_seconds histogram");
    });

    it("with --dry-run the lease is not held, whatever the tick says", async () => {
        const m = new ControllerMetrics({ processMetrics: false });
        m.observeTick(report({ status: "dryRun" }), AT, true);
        expect(await m.text()).toContain('proxy_lb_autopilot_lease_held{stack="a"} 0');
    });
});

// ---------------------------------------------------------------------------
// the endpoint

describe("serveWatch: --listen", () => {
    it("GET /healthz is 200 or 503 with the reason, GET /metrics the exposition; other paths 404, other methods 405", async () => {
        let ok = true;
        const served = await serveWatch("127.0.0.1", 0, {
            health: () => ({ ok, body: ok ? "ok\na: ok: fine" : "unhealthy\na: UNHEALTHY: why" }),
            metrics: async () => 'proxy_lb_autopilot_lease_held{stack="a"} 1\n',
            metricsContentType: "text/plain; version=0.0.4; charset=utf-8",
        });
        closers.push(() => served.close());
        expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const healthy = await fetch(`${served.url}/healthz`);
        expect([healthy.status, await healthy.text()]).toEqual([200, "ok\na: ok: fine\n"]);
        ok = false;
        const sick = await fetch(`${served.url}/healthz`);
        expect([sick.status, await sick.text()]).toEqual([503, "unhealthy\na: UNHEALTHY: why\n"]);
        const metrics = await fetch(`${served.url}/metrics`);
        expect(metrics.headers.get("content-type")).toContain("version=0.0.4");
        expect(await metrics.text()).toContain('lease_held{stack="a"} 1');
        expect((await fetch(`${served.url}/`)).status).toBe(404);
        expect((await fetch(`${served.url}/healthz`, { method: "POST" })).status).toBe(405);
    });

    it("an address in use is one line naming --listen", async () => {
        const first = await serveWatch("127.0.0.1", 0, {
            health: () => ({ ok: true, body: "ok" }),
            metrics: async () => "",
            metricsContentType: "text/plain",
        });
        closers.push(() => first.close());
        const port = Number(new URL(first.url).port);
        await expect(
            serveWatch("127.0.0.1", port, {
                health: () => ({ ok: true, body: "ok" }),
                metrics: async () => "",
                metricsContentType: "text/plain",
            }),
        ).rejects.toThrow(`--listen 127.0.0.1:${port}: cannot listen there (EADDRINUSE)`);
    });
});

// ---------------------------------------------------------------------------
// several stacks in one process

describe("runStacks: one loop per stack", () => {
    let dir: string | undefined;
    afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

    /** A stack's deps, faked: `fails` makes every read throw; the heartbeat URL set in its config. */
    function deps(
        stack: string,
        fails: boolean,
        heartbeatUrl: string,
        upCalls: string[],
    ): TickDeps {
        dir ??= mkdtempSync(path.join(tmpdir(), "proxy-lb-fleet-"));
        let live = 1;
        let real = 1_000_000;
        const config = baseConfig({ "proxy-lb:autopilot": { enabled: true, heartbeatUrl } });
        return {
            stack,
            clock: () => (real += 1_000),
            moment: () => AT,
            settingsAt: (at) => loadSettings(config, { now: at }),
            sizeNow: async () => {
                if (fails) throw new Error(`GET /v2/load_balancers answered 500 for ${stack}`);
                return sizeFor(live, 30_000, live * 10_000);
            },
            lease: fileLease(
                path.join(dir, `${stack}.json`),
                { host: "h", pid: 1, id: stack },
                60,
                () => true,
            ),
            gate: () => ({ ok: true, reasons: [], allowed: [] }),
            up: async () => {
                upCalls.push(stack);
                live = 4;
                return { sizeUnit: 4 };
            },
            refresh: async () => undefined,
            clearDeadLock: async () => [],
            notify: async (notices) => notices.map(() => ({ ok: true, status: 200, attempts: 1 })),
            lateScaleUp: () => null,
            log: () => undefined,
        };
    }

    function stopAfter(sleeps: number): Stopper {
        let n = 0;
        return {
            get stopped() {
                return n >= sleeps;
            },
            sleep: async () => {
                n++;
            },
        };
    }

    it("a failing stack never stops the other: each its own lease and ticks, the heartbeat pinged only after the good stack's good ticks, /metrics labelled by stack, both leases released", async () => {
        const hook = await receiver(200);
        const ups: string[] = [];
        const metrics = new ControllerMetrics({ processMetrics: false });
        const health = new HealthBoard(["good", "broken"], 60, 1_000_000);
        const lines: string[] = [];
        const pings: string[] = [];
        const reports = await runStacks(
            [
                deps("good", false, `${hook.url}/good`, ups),
                deps("broken", true, `${hook.url}/broken`, ups),
            ],
            { dryRun: false, once: false, intervalSeconds: 60, maxTicks: 3 },
            stopAfter(10),
            {
                metrics,
                health,
                secrets: [],
                log: (l) => lines.push(l),
                onTick: () => undefined,
                ping: async (url, secrets) => {
                    pings.push(new URL(url).pathname);
                    return pingHeartbeat(url, { secrets });
                },
            },
        );
        expect(reports.get("good")!.map((r) => r.status)).toEqual(["resized", "steady", "steady"]);
        expect(reports.get("broken")!.map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
        expect(ups).toEqual(["good"]);
        expect(pings).toEqual(Array(3).fill(`/${SECRET_PATH}/good`));
        expect(hook.hits).toHaveLength(3);
        const text = await metrics.text();
        expect(text).toContain('proxy_lb_autopilot_ticks_total{stack="good",status="resized"} 1');
        expect(text).toContain('proxy_lb_autopilot_ticks_total{stack="broken",status="failed"} 3');
        expect(text).toContain('proxy_lb_autopilot_resizes_total{stack="good",direction="up"} 1');
        for (const stack of ["good", "broken"])
            expect(
                JSON.parse(readFileSync(path.join(dir!, `${stack}.json`), "utf8")).holder,
            ).toBeNull();
        expect(lines).toEqual([]);
    });

    it("a stop wakes every loop's wait at once; a heartbeat that fails is a line, never a failed tick", async () => {
        const down = await receiver(503);
        const ups: string[] = [];
        const lines: string[] = [];
        let stopped = false;
        const wakers = new Set<() => void>();
        const stopper: Stopper = {
            get stopped() {
                return stopped;
            },
            sleep: () =>
                new Promise<void>((resolve) => {
                    const t = setTimeout(resolve, 600_000);
                    wakers.add(() => (clearTimeout(t), resolve()));
                }),
        };
        const running = runStacks(
            [deps("a", false, down.url, ups), deps("b", false, down.url, ups)],
            { dryRun: false, once: false, intervalSeconds: 600 },
            stopper,
            {
                metrics: new ControllerMetrics({ processMetrics: false }),
                health: new HealthBoard(["a", "b"], 600, 0),
                secrets: [],
                log: (l) => lines.push(l),
                onTick: () => undefined,
            },
        );
        for (let i = 0; i < 200 && wakers.size < 2; i++)
            await new Promise((r) => setTimeout(r, 10));
        expect(wakers.size).toBe(2); // both loops wait for their next tick
        stopped = true;
        for (const wake of wakers) wake();
        const reports = await running;
        expect([...reports].map(([s, r]) => [s, r.map((x) => x.status)])).toEqual([
            ["a", ["resized"]],
            ["b", ["resized"]],
        ]);
        expect(lines).toHaveLength(2);
        for (const line of lines) {
            expect(line).toMatch(
                /^autopilot: stack [ab]: heartbeat: the push monitor at 127\.0\.0\.1:\d+ did not take the ping: HTTP 503/,
            );
            expect(line).not.toContain("s3cr3t");
        }
    });
});
