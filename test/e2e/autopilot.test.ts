// The autopilot controller on the real engine and DigitalOcean provider against the emulator's
// closed loop (a seeded demand, current = min(demand, limit), a resize in force a minute after it
// is asked for), each tick a `npm run autopilot -- --once` on the autopilot's own scoped token,
// with the emulator's clock and PROXY_LB_NOW stepped together. The webhook URL is a Pulumi secret
// in the stack file, and its receiver a local server on 127.0.0.1.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    type E2eProject,
    LB_ID,
    openProject,
    ROOT,
    runCli,
    writes,
} from "../../sandbox/harness";
import { NODE, tsxArgs } from "../support/tsx";
import { observed } from "./apiTraffic";
import { scopeForRequest, tokenScopes } from "../../config/scopes";

afterEach(disposeAll);

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z"); // a Wednesday, no drop in the calendar
const SURGE_FROM = T0 + 10 * MINUTE;
const SURGE_TO = SURGE_FROM + 40 * MINUTE;
const QUIET = 3_000; // 1 node holds it with 25% headroom
const CROWD = 30_000; // 4 nodes hold it; on 1 node it is at the limit
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const WEBHOOK_SECRET = "T0AUTOPILOT/B0E2E/s3cr3tW3bh00kP4th";

/** The crowd: quiet, a surprise surge nobody put in the calendar, quiet again; a point a minute. */
function surgeSeed() {
    const points: [number, number][] = [];
    for (let t = T0 - 60 * MINUTE; t <= SURGE_TO + 90 * MINUTE; t += MINUTE)
        points.push([t / 1000, t >= SURGE_FROM && t < SURGE_TO ? CROWD : QUIET]);
    return {
        ...baseSeed(),
        metrics: { resizeDelaySeconds: 60, loadBalancers: { [LB_ID]: { demand: { points } } } },
    };
}

/** A Slack-format webhook receiver on 127.0.0.1 that keeps each message's text. */
async function webhookReceiver(): Promise<{
    url: string;
    texts: string[];
    close(): Promise<void>;
}> {
    const texts: string[] = [];
    const server: Server = createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            texts.push((JSON.parse(body) as { text: string }).text);
            res.writeHead(200).end("ok");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}/services/${WEBHOOK_SECRET}`,
        texts,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

/** A project whose stack has the autopilot on, deployed at T0 at 1 node, with the webhook URL set as a secret. */
async function surgeProject(
    autopilot: Record<string, unknown>,
    webhookUrl: string,
): Promise<E2eProject> {
    const p = await openProject({
        // The quiet crowd (3,000) stays through the scale-downs here: they close up to 2,250 of its
        // connections, allowed on purpose (holding a scale-down for the crowd is resizePace.test.ts's).
        config: baseConfig({
            "proxy-lb:autopilot": { enabled: true, maxClosedConnections: 3_000, ...autopilot },
        }),
        seed: surgeSeed(),
    });
    await at(p, T0);
    for (const [key, value, secret] of [
        ["proxy-lb:notify.webhookUrl", webhookUrl, true],
        ["proxy-lb:notify.format", "slack", false],
    ] as const) {
        const set = await p.pulumi(
            "config",
            "set",
            "--path",
            key,
            value,
            ...(secret ? ["--secret"] : []),
        );
        expect(set.status, set.stderr).toBe(0);
    }
    expect(p.readStackFile()).not.toContain(WEBHOOK_SECRET); // encrypted in the file
    p.useToken("recommended"); // the deploy workflow's token: it may read the metrics
    await p.up();
    expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);
    p.emulator.state.resetLog();
    return p;
}

/** Steps the emulator's clock and PROXY_LB_NOW together. */
async function at(p: E2eProject, ms: number): Promise<void> {
    p.emulator.state.setClock(ms);
    p.env.PROXY_LB_NOW = iso(ms);
}

interface Tick {
    status: string;
    liveSizeUnit: number | null;
    targetSizeUnit: number | null;
    resized: { from: number; to: number } | null;
    summary: string;
    notices: { kind: string; sent: boolean }[];
    lease: { held: boolean; holder?: { host: string; pid: number } };
}

/** One `npm run autopilot -- --stack <s> --once --json` at `ms`; the output never shows the webhook's secret or the token. */
async function tick(p: E2eProject, ms: number, ...flags: string[]): Promise<Tick> {
    await at(p, ms);
    const started = Date.now();
    const run = await runCli(p, "autopilot", "--stack", p.stack, "--once", "--json", ...flags);
    const report = JSON.parse(run.stdout || "{}") as Tick & { durationMs?: number };
    observed("autopilot --once tick", {
        at: iso(ms),
        status: report.status,
        tickSeconds: (report.durationMs ?? 0) / 1000,
        processSeconds: (Date.now() - started) / 1000,
    });
    for (const text of [run.stdout, run.stderr]) {
        expect(text).not.toContain(WEBHOOK_SECRET);
        expect(text).not.toContain(p.tokens.autopilot);
    }
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    return report;
}

const lbPuts = (p: E2eProject) =>
    p.emulator.state.log.filter(
        (e) => e.method === "PUT" && e.path === `/v2/load_balancers/${LB_ID}`,
    );
const headlines = (texts: string[]) => texts.map((t) => t.split("\n")[0]);

describe("npm run autopilot on a surprise surge (no drop in the calendar)", () => {
    it("grows within two ticks of the crowd passing capacity, holds through the window, returns to the baseline: one PUT per change, no droplet write, one message per resize", async () => {
        const hook = await webhookReceiver();
        try {
            const p = await surgeProject({}, hook.url);
            const steps: [string, number, string, number][] = [];
            const record = async (label: string, ms: number, flags: string[] = []) => {
                const t = await tick(p, ms, ...flags);
                steps.push([
                    label,
                    t.liveSizeUnit!,
                    t.status,
                    p.emulator.state.getLb(LB_ID).size_unit!,
                ]);
                return t;
            };

            await record("quiet", SURGE_FROM - 5 * MINUTE);
            const grow = await record("1 min into the surge", SURGE_FROM + MINUTE); // the first tick after 30,000 met 1 node's 10,000
            expect(grow.summary).toMatch(/^resized 1 → 4 nodes: .*at the limit/);
            await record("2 min in (the resize in force)", SURGE_FROM + 2 * MINUTE);
            await record("after the surge, in the window", SURGE_TO + 10 * MINUTE);
            await record("the window's last minute", SURGE_TO + 29 * MINUTE);
            const shrink = await record("the window passed", SURGE_TO + 31 * MINUTE);
            expect(shrink.summary).toMatch(/^resized 4 → 1 node: /);
            await record("quiet again", SURGE_TO + 32 * MINUTE);

            // [step, live size the tick saw, what it did, the LB's size after]
            expect(steps).toEqual([
                ["quiet", 1, "steady", 1],
                ["1 min into the surge", 1, "resized", 4],
                ["2 min in (the resize in force)", 4, "steady", 4],
                ["after the surge, in the window", 4, "steady", 4],
                ["the window's last minute", 4, "steady", 4],
                ["the window passed", 4, "resized", 1],
                ["quiet again", 1, "steady", 1],
            ]);
            expect(lbPuts(p).map((e) => e.status)).toEqual([200, 200]); // one PUT per size change
            // Every request of the ticks and their updates was granted to the autopilot's token, each within its scopes.
            expect(
                p.emulator.state.log.filter((e) => e.status === 401 || e.status === 403),
            ).toEqual([]);
            const needed = new Set(
                p.emulator.state.log.flatMap((e) => scopeForRequest(e.method, e.path)?.scope ?? []),
            );
            for (const scope of needed) expect(tokenScopes("autopilot")).toContain(scope);
            expect(writes(p.emulator)).toMatchObject({ lb: 2, droplet: 0, all: 2 });

            // One message per resize, and the one alert of the surge (1 node at 100% of its limit), each once.
            expect(headlines(hook.texts)).toEqual([
                "*proxy-lb e2e: scaled up 1 → 4 nodes*",
                "*proxy-lb e2e: the load balancer is at 100% of its limit*",
                "*proxy-lb e2e: scaled down 4 → 1 node*",
            ]);
            expect(hook.texts[0]).toContain("cost: +$36.00 a month");
            observed("webhook messages", { texts: hook.texts });
        } finally {
            await hook.close();
        }
    });
});

describe("npm run autopilot: bounds, outages, one controller", () => {
    it("clamps at maxNodes with a notice while a second controller waits naming the holder; SIGTERM mid-update lets the update finish; a metrics outage holds the size; DigitalOcean busy is tried next tick", async () => {
        const hook = await webhookReceiver();
        try {
            const p = await surgeProject({ maxNodes: 3 }, hook.url);
            await at(p, SURGE_FROM + MINUTE);
            // The resize's PUT takes 10 s to answer, so the SIGTERM below lands while the update runs.
            p.emulator.state.faults.add({
                match: { method: "PUT", path: `/v2/load_balancers/${LB_ID}` },
                delayMs: 10_000,
            });

            // Controller A, as a service runs it: the loop, on the autopilot's token.
            const a = spawn(
                NODE,
                tsxArgs(
                    path.join(ROOT, "cli", "autopilot.ts"),
                    "--stack",
                    p.stack,
                    "--interval",
                    "600",
                ),
                {
                    cwd: p.dir,
                    env: { ...p.env, DIGITALOCEAN_TOKEN: p.tokens.autopilot },
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let out = "";
            let err = "";
            a.stdout.on("data", (d) => (out += d));
            a.stderr.on("data", (d) => (err += d));
            const exited = new Promise<number | null>((resolve) =>
                a.on("exit", (code) => resolve(code)),
            );
            for (let i = 0; i < 1200 && !err.includes("resizing 1 → 3 nodes"); i++)
                await new Promise((r) => setTimeout(r, 100));
            expect(err, out).toContain("resizing 1 → 3 nodes (gate passed)");

            // B, while A's update runs: it says who holds the lease and changes nothing.
            const b = await tick(p, SURGE_FROM + MINUTE);
            expect(b).toMatchObject({
                status: "waiting",
                lease: { held: false, holder: { pid: a.pid } },
            });
            expect(b.summary).toMatch(
                new RegExp(
                    `^another controller holds the lease of stack e2e: \\S+ pid ${a.pid}, since `,
                ),
            );

            // SIGTERM (as systemd and `docker stop` send it, to the controller alone) during the update: it finishes, then exits 0.
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1); // not resized yet: the update is under way
            a.kill("SIGTERM");
            expect(await exited).toBe(0);
            observed("controller A", { stdout: out, stderr: err });
            expect(out).toMatch(/resized 1 → 3 nodes: CLAMPED/);
            expect(out.trim().split("\n").at(-1)).toBe(
                "autopilot e2e: stopped (SIGTERM) after 1 tick; the lease is released",
            );
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(3);
            expect(headlines(hook.texts)).toEqual([
                "*proxy-lb e2e: scaled up 1 → 3 nodes*",
                "*proxy-lb e2e: CLAMPED at 3 nodes: the crowd needs 4 nodes (limit 3)*",
                "*proxy-lb e2e: the load balancer is at 100% of its limit*",
            ]);

            // The metrics endpoint fails after the crowd has gone: the tick holds 3 nodes and says why, no write.
            p.emulator.state.faults.add({
                match: { path: "/v2/monitoring/metrics/" },
                status: 503,
                count: 2,
            });
            const outage = await tick(p, SURGE_TO + 40 * MINUTE);
            expect(outage).toMatchObject({ status: "steady", liveSizeUnit: 3, targetSizeUnit: 3 });
            expect(outage.summary).toMatch(/^steady at 3 nodes: .*metrics could not be read/);
            expect(headlines(hook.texts).at(-1)).toBe(
                "*proxy-lb e2e: metrics unavailable, holding 3 nodes*",
            );
            // With the metrics back, the crowd gone asks for 1 node (it was the outage that held), but
            // DigitalOcean is still busy with the load balancer: the tick says so and exits 0, no failure.
            p.emulator.state.faults.add({
                match: { method: "PUT", path: `/v2/load_balancers/${LB_ID}` },
                kind: "busy",
            });
            const busy = await tick(p, SURGE_TO + 41 * MINUTE);
            expect(busy).toMatchObject({
                status: "busy",
                liveSizeUnit: 3,
                targetSizeUnit: 1,
                resized: null,
            });
            expect(busy.summary).toBe(
                "DigitalOcean is still processing the load balancer's previous actions; the resize 3 → 1 is tried again next tick",
            );
            expect(busy.notices).toEqual([]);
            // The next tick resizes.
            expect(await tick(p, SURGE_TO + 42 * MINUTE)).toMatchObject({
                status: "resized",
                resized: { from: 3, to: 1 },
            });

            expect(lbPuts(p).map((e) => e.status)).toEqual([200, 403, 200]);
            expect(writes(p.emulator)).toMatchObject({ lb: 3, droplet: 0, all: 3 });
            expect(headlines(hook.texts).at(-1)).toBe("*proxy-lb e2e: scaled down 3 → 1 node*");
        } finally {
            await hook.close();
        }
    });
});
