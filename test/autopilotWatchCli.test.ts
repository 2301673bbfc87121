// `npm run autopilot` for several stacks and watched from outside, as an operator meets it,
// against the in-process emulator, the toolchain a stand-in that fails every call (a tick that
// changes nothing starts no Pulumi). Two stacks in one process, one of them broken; --listen on
// 127.0.0.1 with /healthz and /metrics; SIGTERM stopping both loops; bad flags. --once and the
// bad flags run in-process; the loops a real process, served to this one and stopped by SIGTERM.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { tokenScopes } from "../config/scopes";
import { baseConfig, baseSeed, LB_ID } from "../sandbox/harness";
import { run as autopilotCommand } from "../cli/autopilot";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";
import { runInProcess } from "./support/inProcess";
import { NODE, tsxArgs } from "./support/tsx";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "cli", "autopilot.ts");
const TOKEN = "autopilot-watch-test-token-0123456789";
const T0 = Date.parse("2027-11-24T10:00:00Z");
const SLOW = 120_000;
const MISSING_LB = "00000000-0000-4000-8000-000000000000";
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

let fake: FakeToolchain;
let emulator: Emulator;
let dir: string;

beforeAll(() => {
    fake = fakeToolchain();
});
afterAll(() => fake.remove());
beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-autopilot-watch-"));
    copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const points: [number, number][] = [];
    for (let t = T0 - 40 * 60_000; t <= T0 + 60 * 60_000; t += 60_000)
        points.push([t / 1000, 3_000]);
    emulator = await startEmulator({
        port: 0,
        seed: {
            ...baseSeed(),
            tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }],
            metrics: { loadBalancers: { [LB_ID]: { demand: { points } } } },
        },
    });
    emulator.state.setClock(T0);
});
afterEach(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
});

/** Stack `name` on the seeded load balancer, or on one that does not exist (every tick fails). */
function writeStack(name: string, lbId = LB_ID) {
    const config = baseConfig({
        "proxy-lb:autopilot": { enabled: true },
        "proxy-lb:loadBalancer": {
            name: "proxy-lb",
            id: lbId,
            forwarding: [{ port: 8080 }],
            healthCheck: { port: 8080 },
        },
    });
    writeFileSync(
        path.join(dir, `Pulumi.${name}.yaml`),
        stringify({ config: { "digitalocean:apiEndpoint": emulator.url, ...config } }),
    );
}

const env = () => ({
    ...process.env,
    ...fake.env,
    DIGITALOCEAN_TOKEN: TOKEN,
    PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
    PROXY_LB_NOW: iso(T0),
});

const run = (args: string[]): Promise<Run> =>
    runInProcess(autopilotCommand, args, { cwd: dir, env: env() });

const lease = (stack: string) =>
    JSON.parse(
        readFileSync(
            path.join(
                dir,
                ".state",
                ".pulumi",
                "proxy-lb",
                "autopilot",
                "proxy-lb",
                `${stack}.json`,
            ),
            "utf8",
        ),
    ) as { holder: unknown };

describe("npm run autopilot -- --stack a --stack b", () => {
    it(
        "--once: one tick per stack, a line each; the broken stack's failure is its own (the other steady), exit 1 for it",
        async () => {
            writeStack("a");
            writeStack("b", MISSING_LB);
            const both = await run(["--stack", "a", "--stack", "b", "--once", "--json"]);
            const reports = both.stdout
                .trim()
                .split("\n")
                .map(
                    (l) => JSON.parse(l) as { stack: string; status: string; error: string | null },
                );
            expect(reports.map((r) => [r.stack, r.status])).toEqual([
                ["a", "steady"],
                ["b", "failed"],
            ]);
            expect(reports[1].error).toContain("deploy the stack first");
            expect(both.status).toBe(1);
            expect(lease("a").holder).toBeNull();
            expect(lease("b").holder).toBeNull();
            expect(fake.calls()).toEqual([]);
        },
        SLOW,
    );

    it(
        "bad usage exits 2 before anything runs: a stack given twice, a --listen that is no address",
        async () => {
            writeStack("a");
            const twice = await run(["--stack", "a", "--stack", "a", "--once"]);
            const badListen = await run(["--stack", "a", "--once", "--listen", "somewhere"]);
            expect([twice.status, twice.stderr.split("\n")[0]]).toEqual([
                2,
                "--stack a is given twice",
            ]);
            expect([badListen.status, badListen.stderr.split("\n")[0]]).toEqual([
                2,
                '--listen must be <host:port> or a port, such as 127.0.0.1:9464 or 9464 (got "somewhere")',
            ]);
            expect(emulator.state.log.filter((e) => e.path.startsWith("/v2/"))).toEqual([]);
        },
        SLOW,
    );

    it(
        "the loops with --listen: /metrics labels each stack, /healthz turns 503 naming the broken one; SIGTERM stops both, leases released",
        async () => {
            writeStack("a");
            writeStack("b", MISSING_LB);
            const child = spawn(
                NODE,
                tsxArgs(CLI, "--stack", "a", "--stack", "b", "--interval", "1", "--listen", "0"),
                { cwd: dir, env: env(), stdio: ["ignore", "pipe", "pipe"] },
            );
            let out = "";
            let err = "";
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (err += d));
            const exited = new Promise<number | null>((resolve) =>
                child.on("exit", (code) => resolve(code)),
            );
            try {
                for (let i = 0; i < 600 && !/serving \/healthz and \/metrics on/.test(err); i++)
                    await new Promise((r) => setTimeout(r, 100));
                const url = /serving \/healthz and \/metrics on (http:\/\/127\.0\.0\.1:\d+)/.exec(
                    err,
                )?.[1];
                expect(url, err).toBeDefined();
                // Three intervals (3 s) without a good tick of b: unhealthy, naming b and its error.
                let health = { status: 0, body: "" };
                for (let i = 0; i < 100 && health.status !== 503; i++) {
                    await new Promise((r) => setTimeout(r, 200));
                    const res = await fetch(`${url}/healthz`);
                    health = { status: res.status, body: await res.text() };
                }
                const lines = health.body.trim().split("\n");
                expect(health.status, health.body).toBe(503);
                expect(lines[0]).toBe("unhealthy");
                expect(lines[1]).toMatch(
                    /^a: ok: the last good tick ended \d+ s ago; the last tick \(steady\)/,
                );
                expect(lines[2]).toMatch(
                    /^b: UNHEALTHY: no good tick in the \d+ s since the start \(more than 3 ticks of 1 s\); the last tick \(failed\): tick failed: .*deploy the stack first/,
                );
                const metrics = await (await fetch(`${url}/metrics`)).text();
                const value = (series: string) =>
                    Number(
                        metrics
                            .split("\n")
                            .find((l) => l.startsWith(`${series} `))
                            ?.split(" ")[1],
                    );
                expect(value('proxy_lb_autopilot_live_size_unit{stack="a"}')).toBe(1);
                expect(value('proxy_lb_autopilot_connections{stack="a"}')).toBe(3_000);
                expect(value('proxy_lb_autopilot_connections_limit{stack="a"}')).toBe(10_000);
                expect(value('proxy_lb_autopilot_lease_held{stack="a"}')).toBe(1);
                expect(
                    value('proxy_lb_autopilot_ticks_total{stack="a",status="steady"}'),
                ).toBeGreaterThanOrEqual(2);
                expect(
                    value('proxy_lb_autopilot_ticks_total{stack="b",status="failed"}'),
                ).toBeGreaterThanOrEqual(2);
                expect(metrics).not.toContain('live_size_unit{stack="b"}');
                expect(metrics).toMatch(/^process_resident_memory_bytes \d+/m);
            } finally {
                child.kill("SIGTERM");
            }
            expect(await exited).toBe(0);
            const last = out.trim().split("\n").slice(-2);
            expect(last[0]).toMatch(
                /^autopilot a: stopped \(SIGTERM\) after \d+ ticks; the lease is released$/,
            );
            expect(last[1]).toMatch(
                /^autopilot b: stopped \(SIGTERM\) after \d+ ticks; the lease is released$/,
            );
            expect(lease("a").holder).toBeNull();
            expect(lease("b").holder).toBeNull();
            expect(fake.calls()).toEqual([]);
        },
        SLOW,
    );
});
