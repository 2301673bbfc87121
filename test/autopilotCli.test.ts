// `npm run autopilot` as an operator meets it, against the in-process emulator with the
// autopilot's own scoped token: a tick that changes nothing starts no Pulumi at all (the
// toolchain here is a stand-in that fails every call), --json gives one object per tick, --dry-run
// decides and never writes, the exit codes, the lease (a second controller waits and says who holds
// it), a stale lease taken over, SIGTERM between ticks, and a backend it cannot hold a lease in.
// The command runs in-process, but for the controller that holds the lease and is stopped by
// SIGTERM: a real process, as another controller and a signal meet it.
import { spawn } from "node:child_process";
import {
    copyFileSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
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
const TOKEN = "autopilot-cli-test-token-0123456789";
const T0 = Date.parse("2027-11-24T10:00:00Z");
const SLOW = 120_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

let fake: FakeToolchain;
let emulator: Emulator;
let dir: string;

/** Demand as points every minute from 40 minutes before T0 to an hour after, `value(t)`. */
function demandPoints(value: (t: number) => number): [number, number][] {
    const points: [number, number][] = [];
    for (let t = T0 - 40 * 60_000; t <= T0 + 60 * 60_000; t += 60_000)
        points.push([t / 1000, value(t)]);
    return points;
}

async function startWith(demand: (t: number) => number, sizeUnit = 1) {
    const seed = baseSeed();
    seed.loadBalancers![0].size_unit = sizeUnit;
    emulator = await startEmulator({
        port: 0,
        seed: {
            ...seed,
            tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }],
            metrics: { loadBalancers: { [LB_ID]: { demand: { points: demandPoints(demand) } } } },
        },
    });
    await fetch(`${emulator.url}/_emulator/clock`, {
        method: "PUT",
        body: JSON.stringify({ now: iso(T0) }),
        headers: { "content-type": "application/json" },
    });
}

function writeStack(config: Record<string, unknown>) {
    writeFileSync(
        path.join(dir, "Pulumi.test.yaml"),
        stringify({ config: { "digitalocean:apiEndpoint": emulator.url, ...config } }),
    );
}

const autopilotOn = (extra: Record<string, unknown> = {}) =>
    baseConfig({ "proxy-lb:autopilot": { enabled: true, ...extra } });

const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    ...fake.env,
    DIGITALOCEAN_TOKEN: TOKEN,
    PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
    PROXY_LB_NOW: iso(T0),
    ...extra,
});

const run = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    runInProcess(autopilotCommand, args, { cwd: dir, env: env(extra) });

const lbWrites = () => emulator.state.log.filter((e) => e.write).length;
const leasePath = () =>
    path.join(dir, ".state", ".pulumi", "proxy-lb", "autopilot", "proxy-lb", "test.json");

beforeAll(() => {
    fake = fakeToolchain();
});
afterAll(() => fake.remove());
afterEach(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
});
// A project directory with the real Pulumi.yaml and a stack file of the test's own.
beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-autopilot-cli-"));
    copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
});

describe("npm run autopilot --once", () => {
    it(
        "a tick at the live size reads the LB and two metric series, starts no Pulumi, writes nothing and exits 0; --json is one object",
        async () => {
            await startWith(() => 3_000); // 1 node holds 3,000 with 25% headroom
            writeStack(autopilotOn());
            const tick = await run(["--stack", "test", "--once", "--json"]);
            expect(tick.status, tick.stderr).toBe(0);
            const lines = tick.stdout.trim().split("\n");
            expect(lines).toHaveLength(1);
            const report = JSON.parse(lines[0]);
            expect(report).toMatchObject({
                stack: "test",
                at: iso(T0),
                status: "steady",
                liveSizeUnit: 1,
                targetSizeUnit: 1,
                resized: null,
                lease: { held: true },
            });
            expect(fake.calls()).toEqual([]); // no pulumi
            expect(lbWrites()).toBe(0);
            expect(emulator.state.log.map((e) => `${e.method} ${e.path}`)).toEqual([
                `GET /v2/load_balancers/${LB_ID}`,
                "GET /v2/monitoring/metrics/load_balancer/frontend_connections_current",
                "GET /v2/monitoring/metrics/load_balancer/frontend_connections_limit",
            ]);
            // Released when it ends, its memory kept.
            expect(JSON.parse(readFileSync(leasePath(), "utf8"))).toMatchObject({
                holder: null,
                lastResizeAt: null,
            });
        },
        SLOW,
    );

    it(
        "--dry-run: a surge decides a bigger size and says so, with no write and no Pulumi; the text form names the sizes and why",
        async () => {
            await startWith((t) => (t >= T0 - 5 * 60_000 ? 30_000 : 3_000)); // 30,000 on 1 node: at the limit
            writeStack(autopilotOn());
            const tick = await run(["--stack", "test", "--once", "--dry-run"]);
            expect(tick.status, tick.stderr).toBe(0);
            expect(tick.stdout).toMatch(
                new RegExp(
                    `^${iso(T0)} autopilot test: would resize 1 → 4 nodes \\(--dry-run: nothing changed\\): `,
                ),
            );
            expect(tick.stdout).toContain("at the limit");
            expect(fake.calls()).toEqual([]);
            expect(lbWrites()).toBe(0);
        },
        SLOW,
    );

    it(
        "a tick that cannot find the load balancer fails with exit 1 and says what to do; bad flags exit 2 before anything runs",
        async () => {
            await startWith(() => 3_000);
            writeStack(
                baseConfig({
                    "proxy-lb:autopilot": { enabled: true },
                    "proxy-lb:loadBalancer": {
                        name: "proxy-lb",
                        id: "00000000-0000-4000-8000-000000000000",
                        forwarding: [{ port: 8080 }],
                        healthCheck: { port: 8080 },
                    },
                }),
            );
            const missing = await run(["--stack", "test", "--once", "--json"]);
            const badInterval = await run(["--stack", "test", "--interval", "soon"]);
            const zero = await run(["--stack", "test", "--interval", "0"]);
            expect(missing.status).toBe(1);
            expect(JSON.parse(missing.stdout)).toMatchObject({
                status: "failed",
                error: expect.stringContaining("deploy the stack first"),
            });
            for (const bad of [badInterval, zero]) {
                expect(bad.status).toBe(2);
                expect(bad.stderr).toMatch(
                    /^--interval must be a number of seconds from 1 to 86400/,
                );
            }
            // The failed tick's one read (a 404); the bad flags read nothing.
            expect(
                emulator.state.log
                    .filter((e) => e.path.startsWith("/v2/"))
                    .map((e) => `${e.method} ${e.path} ${e.status}`),
            ).toEqual(["GET /v2/load_balancers/00000000-0000-4000-8000-000000000000 404"]);
        },
        SLOW,
    );

    it(
        "refuses Pulumi Cloud state with no bucket named for the lease, saying what to set, before any API call",
        async () => {
            await startWith(() => 3_000);
            writeStack(autopilotOn());
            const cloud = await run(["--stack", "test", "--once"], {
                PULUMI_BACKEND_URL: "https://api.pulumi.com",
            });
            expect(cloud.status).toBe(1);
            expect(cloud.stderr).toContain(
                "the stack's state is on Pulumi Cloud (api.pulumi.com), which keeps no file for the autopilot's lease: set PROXY_LB_LEASE_URL to an s3:// bucket every controller of the stack shares",
            );
            expect(cloud.stderr.trim().split("\n")).toHaveLength(1);
            expect(emulator.state.log.filter((e) => e.path.startsWith("/v2/"))).toEqual([]);
        },
        SLOW,
    );
});

describe("one controller per stack, and stopping", () => {
    it(
        "a second controller says who holds the lease and waits (exit 0, nothing read); SIGTERM stops the first between ticks, exit 0, lease released; then the second takes it",
        async () => {
            await startWith(() => 3_000);
            writeStack(autopilotOn());
            const first = spawn(NODE, tsxArgs(CLI, "--stack", "test", "--interval", "600"), {
                cwd: dir,
                env: env(),
                stdio: ["ignore", "pipe", "pipe"],
            });
            let out = "";
            let err = "";
            first.stdout.on("data", (d) => (out += d));
            first.stderr.on("data", (d) => (err += d));
            const exited = new Promise<number | null>((resolve) =>
                first.on("exit", (code) => resolve(code)),
            );
            for (let i = 0; i < 600 && !out.includes("steady at 1 node"); i++)
                await new Promise((r) => setTimeout(r, 100));
            expect(out, err).toContain("steady at 1 node");

            const readsBefore = emulator.state.log.length;
            const second = await run(["--stack", "test", "--once", "--json"]);
            expect(second.status, second.stderr).toBe(0);
            const waiting = JSON.parse(second.stdout);
            expect(waiting).toMatchObject({
                status: "waiting",
                lease: { held: false, holder: { host: hostname(), pid: first.pid } },
            });
            expect(waiting.summary).toMatch(
                new RegExp(
                    `^another controller holds the lease of stack test: ${hostname()} pid ${first.pid}, since \\S+ \\(last heartbeat \\S+\\); waiting, trying again next tick$`,
                ),
            );
            expect(emulator.state.log.length).toBe(readsBefore); // a waiting controller reads nothing

            // A dry run needs no lease: it decides beside the controller.
            const dry = await run(["--stack", "test", "--once", "--json", "--dry-run"]);
            expect(JSON.parse(dry.stdout)).toMatchObject({
                status: "steady",
                liveSizeUnit: 1,
                targetSizeUnit: 1,
            });

            first.kill("SIGTERM");
            expect(await exited).toBe(0);
            expect(err).toContain("autopilot: SIGTERM: stopping after the running tick");
            expect(out.trim().split("\n").at(-1)).toBe(
                "autopilot test: stopped (SIGTERM) after 1 tick; the lease is released",
            );
            expect(JSON.parse(readFileSync(leasePath(), "utf8")).holder).toBeNull();

            const next = await run(["--stack", "test", "--once", "--json"]);
            expect(JSON.parse(next.stdout)).toMatchObject({
                status: "steady",
                lease: { held: true },
            });
        },
        SLOW,
    );

    it(
        "a lease whose holder is gone (its pid no longer runs here) is taken over, said loudly",
        async () => {
            await startWith(() => 3_000);
            writeStack(autopilotOn());
            const gone = spawn(NODE, ["-e", ""]);
            await new Promise((r) => gone.on("exit", r));
            const now = Date.now();
            const file = leasePath();
            mkdirSync(path.dirname(file), { recursive: true });
            writeFileSync(
                file,
                JSON.stringify({
                    holder: { host: hostname(), pid: gone.pid, id: "dead" },
                    since: now - 5_000,
                    heartbeatAt: now - 1_000,
                    intervalSeconds: 60,
                    lastResizeAt: null,
                    conditions: [],
                }),
            );
            const tick = await run(["--stack", "test", "--once"]);
            expect(tick.status, tick.stderr).toBe(0);
            expect(tick.stderr).toContain(
                `autopilot: TOOK OVER the lease of stack test from ${hostname()} pid ${gone.pid}`,
            );
            expect(tick.stderr).toContain(`its process (pid ${gone.pid} on ${hostname()}) is gone`);
            expect(tick.stdout).toContain("steady at 1 node");
            expect(existsSync(file)).toBe(true);
        },
        SLOW,
    );
});
