// The controller's soak on the emulator's clock: 1,440 one-minute ticks (a day) of two stacks in
// one process, each with three surges, stepped in-process (no real time): the real setup, live
// reads, lease files, metrics and health; only the gate and the update are stand-ins (a resize
// done on the emulator, out of band: the engine's part is proven in test/e2e). Every surge is met,
// and the open files and the heap (after a collection, the in-process emulator's included) are the
// same in the last hour as in the first: what a controller keeps between ticks does not grow. The
// margin is V8's optimized code, which grows as functions warm up (1.5–2.5 MB here); while the
// emulator's request log kept every read, the day added 9–11 MB.
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { watched } from "../controller/fleet";
import { HealthBoard } from "../controller/health";
import { ControllerMetrics } from "../controller/metrics";
import { controllerSetup } from "../controller/setup";
import { runTick, type TickDeps } from "../controller/tick";
import { startEmulator, type Emulator } from "../emulator/server";
import { tokenScopes } from "../config/scopes";
import { baseConfig, baseSeed, LB_ID } from "../sandbox/harness";

const ROOT = path.resolve(__dirname, "..");
const MIN = 60_000;
const T0 = Date.parse("2027-11-24T00:00:00Z");
const TOKEN = "autopilot-soak-token-0123456789";
const LB_B = "9a1e2c4d-5b6f-4a7e-8c9d-0e1f2a3b4c5d";
const QUIET = 3_000;
const CROWD = 30_000; // 4 nodes hold it
/** Less than an hour of the day's reads: the emulator's log is at its full size by the first sample. */
const READS_KEPT = 300;
const HEAP_MARGIN_MB = 4;
/** Three surges a day, an hour each; b's an hour after a's. */
const SURGES: Record<string, number[]> = { [LB_ID]: [180, 660, 1140], [LB_B]: [240, 720, 1200] };
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let emulator: Emulator | undefined;
let dir: string | undefined;
afterAll(async () => {
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

const surging = (lb: string, minute: number) =>
    SURGES[lb].some((from) => minute >= from && minute < from + 60);

describe("a day of ticks on the emulator's clock", () => {
    it("1,440 ticks × 2 stacks: every surge met within 3 minutes, back to 1 node after each window; open files and heap flat from the first hour to the last", async () => {
        const s = baseSeed();
        s.loadBalancers!.push({ ...s.loadBalancers![0], id: LB_B, name: "proxy-lb-b" });
        const curve = (lb: string) => {
            const points: [number, number][] = [];
            for (let m = -60; m <= 24 * 60; m++)
                points.push([(T0 + m * MIN) / 1000, surging(lb, m) ? CROWD : QUIET]);
            return { demand: { points } };
        };
        emulator = await startEmulator({
            port: 0,
            readsKept: READS_KEPT,
            seed: {
                ...s,
                tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }],
                metrics: {
                    resizeDelaySeconds: 60,
                    loadBalancers: { [LB_ID]: curve(LB_ID), [LB_B]: curve(LB_B) },
                },
            },
        });
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-soak-"));
        copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const stacks = { a: LB_ID, b: LB_B };
        for (const [stack, id] of Object.entries(stacks))
            writeFileSync(
                path.join(dir, `Pulumi.${stack}.yaml`),
                stringify({
                    config: {
                        "digitalocean:apiEndpoint": emulator.url,
                        ...baseConfig({
                            // The day's resizes as the surges ask: holding a scale-down for the
                            // crowd (maxClosedConnections) has tests of its own.
                            "proxy-lb:autopilot": { enabled: true, maxClosedConnections: 100_000 },
                            "proxy-lb:loadBalancer": {
                                name: id === LB_ID ? "proxy-lb" : "proxy-lb-b",
                                id,
                                forwarding: [{ port: 8080 }],
                                healthCheck: { port: 8080 },
                            },
                        }),
                    },
                }),
            );
        const env: Record<string, string | undefined> = {
            ...process.env,
            DIGITALOCEAN_TOKEN: TOKEN,
            PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
            PROXY_LB_NOW: iso(T0),
        };
        const metrics = new ControllerMetrics();
        const health = new HealthBoard(Object.keys(stacks), 60, Date.now());
        const all: TickDeps[] = [];
        for (const [stack, id] of Object.entries(stacks)) {
            const { deps } = await controllerSetup({
                stack,
                cwd: dir,
                env,
                intervalSeconds: 60,
                log: () => undefined,
            });
            all.push(
                watched(
                    {
                        ...deps,
                        gate: () => ({ ok: true, reasons: [], allowed: [] }),
                        up: async (at) => {
                            const to = (await deps.sizeNow(deps.settingsAt(at), at)).decision
                                .sizeUnit;
                            emulator!.state.patchLb(id, { size_unit: to });
                            return { sizeUnit: to };
                        },
                        notify: async (notices) =>
                            notices.map(() => ({ ok: true, status: 200, attempts: 1 })),
                    },
                    metrics,
                    health,
                ),
            );
        }
        const fds = () => readdirSync("/proc/self/fd").length;
        const heap = () => (gc(), process.memoryUsage().heapUsed / 1048576);
        const sizes: Record<string, number[]> = { a: [], b: [] };
        const statuses = new Map<string, number>();
        let firstHour = { heap: 0, fds: 0 };
        for (let m = 0; m < 24 * 60; m++) {
            emulator.state.setClock(T0 + m * MIN);
            env.PROXY_LB_NOW = iso(T0 + m * MIN);
            for (const deps of all) {
                const report = await runTick(deps, { dryRun: false });
                metrics.observeTick(report, Date.now(), false);
                health.ticked(report, Date.now());
                statuses.set(report.status, (statuses.get(report.status) ?? 0) + 1);
                sizes[deps.stack].push(emulator.state.getLb(stacks[deps.stack as "a"]).size_unit!);
            }
            if (m === 59) firstHour = { heap: heap(), fds: fds() };
        }
        const last = { heap: heap(), fds: fds() };
        console.log(
            `soak: ${JSON.stringify(Object.fromEntries(statuses))}; heap ${firstHour.heap.toFixed(1)} MB after the first hour, ${last.heap.toFixed(1)} MB after the day; open files ${firstHour.fds} → ${last.fds}; rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
        );
        expect([...statuses.keys()].sort()).toEqual(["resized", "steady"]);
        for (const [stack, id] of Object.entries(stacks)) {
            for (const from of SURGES[id]) {
                // Met: 4 nodes from 3 minutes after the crowd came (metrics a minute late, then the tick), through the hour.
                expect(sizes[stack].slice(from + 3, from + 60), `${stack} at ${from}`).toEqual(
                    Array(57).fill(4),
                );
                // Back to 1 node once the 30-minute window after the surge has passed.
                expect(sizes[stack][from + 60 + 35], `${stack} after ${from}`).toBe(1);
            }
        }
        expect(Math.abs(last.fds - firstHour.fds)).toBeLessThanOrEqual(2);
        expect(last.heap).toBeLessThan(firstHour.heap + HEAP_MARGIN_MB);
        // The log keeps the last reads only; its summary still counts every one: three GETs a tick,
        // and three for each resize (the stand-in update reads the size again, as the program does).
        expect(emulator.state.log.filter((e) => !e.write).length).toBeLessThanOrEqual(
            READS_KEPT * 1.5,
        );
        expect(emulator.state.summary().totals).toMatchObject({
            reads: 3 * (2 * 24 * 60 + statuses.get("resized")!),
            writes: 0,
        });
        expect(await metrics.text()).toContain(
            'proxy_lb_autopilot_resizes_total{stack="b",direction="up"} 3',
        );
    }, 600_000);
});
