// The controller meeting DigitalOcean's own pace, on the real engine and provider against the
// emulator: a resize sooner than DigitalOcean allows (the emulator seeded with a 5-minute
// resize interval) is refused with the next available time, which the tick says once and waits
// for without asking again; and a scale-down into a crowd is held while it would close more
// than autopilot.maxClosedConnections, then done after maxScaleDownWaitMinutes, saying how many
// connections it closed. Each tick is a `npm run autopilot -- --once --json` on the autopilot's
// token, with the emulator's clock and PROXY_LB_NOW stepped together.
import { afterEach, describe, expect, it } from "vitest";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    type E2eProject,
    LB_ID,
    openProject,
    runCli,
    writes,
} from "../../sandbox/harness";
import { observed } from "./apiTraffic";

afterEach(disposeAll);

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z"); // a Wednesday, no drop in the calendar
const SURGE_FROM = T0 + 10 * MINUTE;
const SURGE_TO = T0 + 30 * MINUTE;
const QUIET = 3_000; // 1 node holds it
const CROWD = 60_000; // more than 4 nodes' limit: the load balancer stays at its limit after the first resize
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** The crowd: `quiet`, `crowd` over [from, to), quiet again; a point a minute. */
function seed(crowdFrom: number, crowdTo: number, crowd: number, sizeUnit = 1) {
    const points: [number, number][] = [];
    for (let t = T0 - 60 * MINUTE; t <= T0 + 120 * MINUTE; t += MINUTE)
        points.push([t / 1000, t >= crowdFrom && t < crowdTo ? crowd : QUIET]);
    const base = baseSeed();
    return {
        ...base,
        loadBalancers: (base.loadBalancers ?? []).map((lb) => ({ ...lb, size_unit: sizeUnit })),
        // DigitalOcean's pace, as the emulator models it: one resize per 5 minutes here (so the
        // controller's own one-a-minute pace meets the refusal), busy while a resize is in progress.
        resizeIntervalSeconds: 300,
        busyWhileResizing: true,
        metrics: { resizeDelaySeconds: 60, loadBalancers: { [LB_ID]: { demand: { points } } } },
    };
}

/** The stack deployed at `at` with the autopilot on; the request log starts after it. */
async function deployed(
    seeded: ReturnType<typeof seed>,
    autopilot: Record<string, unknown>,
    at: number,
): Promise<E2eProject> {
    const p = await openProject({
        config: baseConfig({ "proxy-lb:autopilot": { enabled: true, ...autopilot } }),
        seed: seeded,
    });
    p.emulator.state.setClock(at);
    p.env.PROXY_LB_NOW = iso(at);
    p.useToken("recommended");
    await p.up();
    p.emulator.state.resetLog();
    return p;
}

interface Tick {
    status: string;
    liveSizeUnit: number | null;
    targetSizeUnit: number | null;
    resized: { from: number; to: number } | null;
    summary: string;
    nextResizeAt: string | null;
    scaleDown: { closed: number; current: number; pace: string } | null;
}

async function tick(p: E2eProject, ms: number): Promise<Tick> {
    p.emulator.state.setClock(ms);
    p.env.PROXY_LB_NOW = iso(ms);
    const run = await runCli(p, "autopilot", "--stack", p.stack, "--once", "--json");
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(run.stdout) as Tick & { durationMs: number };
    observed("autopilot --once tick", {
        at: iso(ms),
        status: report.status,
        tickSeconds: report.durationMs / 1000,
    });
    return report;
}

const lbPuts = (p: E2eProject) =>
    p.emulator.state.log
        .filter((e) => e.method === "PUT" && e.path === `/v2/load_balancers/${LB_ID}`)
        .map((e) => e.status);

// Each tick that runs Pulumi takes 30–130 s on two cores shared with other test runs: the
// tests get ten minutes each.
const TEN_MINUTES = 600_000;

describe("npm run autopilot against DigitalOcean's pace", () => {
    it(
        "a 'too often' refusal is said once and waited out to the time DigitalOcean names: no resize asked before it, the first tick after it resizes",
        async () => {
            const p = await deployed(seed(SURGE_FROM, SURGE_TO, CROWD), {}, T0);
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);

            // 10:11: the crowd met 1 node's limit: resized 1 → 4.
            expect(await tick(p, SURGE_FROM + MINUTE)).toMatchObject({
                status: "resized",
                resized: { from: 1, to: 4 },
            });
            // 10:13: 4 nodes at their limit too, but DigitalOcean allows the next resize only at 10:16.
            const refused = await tick(p, SURGE_FROM + 3 * MINUTE);
            expect(refused).toMatchObject({
                status: "paced",
                liveSizeUnit: 4,
                resized: null,
                nextResizeAt: "2027-11-24T10:16:00Z",
            });
            expect(refused.summary).toMatch(
                /^DigitalOcean refused the resize 4 → \d+ as too soon after the last; the next available resize is at 2027-11-24T10:16:00Z, and the first tick after it resizes$/,
            );
            // 10:15: waiting, without asking DigitalOcean again.
            const waiting = await tick(p, SURGE_FROM + 5 * MINUTE);
            expect(waiting).toMatchObject({ status: "paced", resized: null });
            expect(waiting.summary).toMatch(
                /waits until 2027-11-24T10:16:00Z, the next available resize DigitalOcean named/,
            );
            expect(lbPuts(p)).toEqual([200, 422]);
            // 10:16: the named time: resized.
            const grown = await tick(p, SURGE_FROM + 6 * MINUTE);
            expect(grown).toMatchObject({ status: "resized", nextResizeAt: null });
            expect(grown.resized!.to).toBeGreaterThan(4);
            expect(lbPuts(p)).toEqual([200, 422, 200]);
            expect(writes(p.emulator)).toMatchObject({ droplet: 0 });
            observed("too often", { refused: refused.summary, waiting: waiting.summary });
        },
        TEN_MINUTES,
    );

    it(
        "a scale-down into a crowd is held while it would close more than maxClosedConnections, then done after maxScaleDownWaitMinutes, saying how many connections it closed",
        async () => {
            // 4 nodes carrying 30,000 until 10:10, then the quiet 3,000: after the 30-minute window the
            // need is 1 node, and 4 → 1 would close three quarters of them.
            const p = await deployed(
                seed(T0 - 60 * MINUTE, SURGE_FROM, 30_000, 4),
                {
                    maxScaleDownWaitMinutes: 10,
                },
                T0,
            );
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(4);
            const held = await tick(p, SURGE_FROM + 31 * MINUTE);
            expect(held).toMatchObject({
                status: "held",
                liveSizeUnit: 4,
                targetSizeUnit: 1,
                resized: null,
                scaleDown: { closed: 2_250, current: QUIET, pace: "hold" },
            });
            expect(held.summary).toBe(
                "scale-down 4 → 1 node held: it closes 2,250 of the 3,000 live connections (the 3 removed nodes' share, after DigitalOcean's one-minute drain): above proxy-lb:autopilot.maxClosedConnections (100); waiting for the crowd to thin (held since 2027-11-24T10:41Z), at the latest until 2027-11-24T10:51Z (proxy-lb:autopilot.maxScaleDownWaitMinutes)",
            );
            expect((await tick(p, SURGE_FROM + 36 * MINUTE)).status).toBe("held");
            expect(lbPuts(p)).toEqual([]); // nothing asked while held
            // 10:51: the bound: it scales down anyway, saying what it closed.
            const forced = await tick(p, SURGE_FROM + 41 * MINUTE);
            expect(forced).toMatchObject({
                status: "resized",
                resized: { from: 4, to: 1 },
                scaleDown: { closed: 2_250, pace: "forced" },
            });
            expect(forced.summary).toMatch(
                /^resized 4 → 1 node: .*; closes 2,250 of the 3,000 live connections .*, so it scales down anyway$/,
            );
            expect(lbPuts(p)).toEqual([200]);
            expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);
            expect(writes(p.emulator)).toMatchObject({ droplet: 0 });
            observed("held, then forced", { held: held.summary, forced: forced.summary });
        },
        TEN_MINUTES,
    );
});
