// The live crowd on the real engine and provider: the program with the autopilot on sizes for what
// the load balancer carries (a deploy of main in the middle of a surge keeps the grown size; a
// metrics outage holds it, warns and does not fail), and the gate refuses a scale-down into a crowd
// that is still there, whichever path asks (npm run gate, rollback), unless --allow
// scale-down-under-load. The emulator's clock and PROXY_LB_NOW step together; the crowd is a seeded
// demand, which the emulator shows as current connections capped by the limit of the LB's size.
import { afterEach, describe, expect, it } from "vitest";
import type { MetricPoint } from "../../emulator/metrics";
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

afterEach(disposeAll);

const MIN = 60;
const unix = (iso: string) => Date.parse(iso) / 1000;

/** The crowd's connections, one point a minute from `from` to `to`: `crowd` inside [start, end), `idle` outside. */
function demand(
    from: string,
    to: string,
    crowd: { start: string; end: string; connections: number },
    idle: number,
): MetricPoint[] {
    const points: MetricPoint[] = [];
    for (let t = unix(from); t <= unix(to); t += MIN)
        points.push([t, t >= unix(crowd.start) && t < unix(crowd.end) ? crowd.connections : idle]);
    return points;
}

function seededWith(points: MetricPoint[]) {
    const seed = baseSeed();
    seed.metrics = { loadBalancers: { [LB_ID]: { demand: { points } } } };
    return seed;
}

/** The moment for both clocks: the program's (PROXY_LB_NOW) and the emulator's (resizes and metrics follow it). */
function at(p: E2eProject, iso: string): void {
    p.env.PROXY_LB_NOW = iso;
    p.emulator.state.setClock(Date.parse(iso));
}

const lines = (text: string) => text.split("\n").map((l) => l.trim());

describe("the autopilot in the program: a deploy during a surge, a metrics outage", () => {
    it("grows for the crowd at the limit; a deploy of main mid-surge keeps the size; metrics failing hold it with a warning; zero droplet writes", async () => {
        // 2,000 connections planned (1 node); from 11:50 the crowd opens 30,000, three times what 1 node holds.
        const points = demand(
            "2027-03-01T11:00:00Z",
            "2027-03-01T13:00:00Z",
            { start: "2027-03-01T11:50:00Z", end: "2027-03-01T13:00:00Z", connections: 30_000 },
            2_000,
        );
        const p = await openProject({
            config: baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
            seed: seededWith(points),
        });
        const ip = p.emulator.state.getLb(LB_ID).ip;

        // 12:00: ten minutes at the limit (10,000 of 10,000): grow for 3 × that limit with headroom, 4 nodes.
        at(p, "2027-03-01T12:00:00Z");
        await p.up();
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 4, ip });
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0 });
        const grown = await p.outputs();
        expect(grown).toMatchObject({
            sizeUnit: 4,
            calendarSizeUnit: 1,
            sizedBy: "atLimit",
            autopilot: { liveSizeUnit: 1 },
        });
        expect(grown.sizeReason).toMatch(
            /^at the limit: 10,000 of 10,000 connections at 2027-03-01T11:50Z, so the real crowd is bigger than it shows; 4 nodes hold 3 × that limit/,
        );

        // 12:05: the crowd (30,000) now fits in the 4 nodes. A deploy of main (the calendar says 1 node) keeps 4: no write.
        at(p, "2027-03-01T12:05:00Z");
        const deploy = await p.up();
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 4, ip });
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0 });
        expect(deploy.stdout).not.toMatch(/proxy-lb:autopilot/);
        const kept = await p.outputs();
        expect(kept).toMatchObject({
            sizeUnit: 4,
            calendarSizeUnit: 1,
            autopilot: {
                liveSizeUnit: 4,
                observedPeak: { connections: 30_000, at: "2027-03-01T12:01:00.000Z" },
            },
        });
        expect((kept.autopilot as { reasons: string[] }).reasons).toEqual([
            "at the limit: 10,000 of 10,000 connections at 2027-03-01T11:50Z, so the real crowd is bigger than it shows; 4 nodes hold 3 × that limit with 25% headroom (at least 1 node grown by half)",
            "observed peak 30,000 connections at 2027-03-01T12:01Z (highest of the last 30 min) needs 4 nodes with 25% headroom at 10,000 per node",
            "the calendar gives 1 node (baseline (proxy-lb:demand))",
        ]);

        // plan says the same, from the same read (on its own token: load_balancer:read, monitoring:read).
        const plan = await runCli(p, "plan", "--stack", p.stack);
        expect(plan.status, plan.stderr).toBe(0);
        expect(plan.stdout).toContain(
            [
                "autopilot: a deploy now sizes for 4 nodes (the calendar gives 1; the load balancer has 4 nodes):",
                ...(kept.autopilot as { reasons: string[] }).reasons.map((reason) => `  ${reason}`),
            ].join("\n"),
        );

        // 12:10: the monitoring API fails. The program holds the live size, says why, and the deploy succeeds.
        at(p, "2027-03-01T12:10:00Z");
        p.emulator.state.faults.add({
            match: { method: "GET", path: "/v2/monitoring/metrics/load_balancer/" },
            status: 500,
            count: 20,
        });
        const outage = await p.up();
        expect(outage.status).toBe(0);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 4, ip });
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0 });
        const said = outage.stdout + outage.stderr;
        expect(said).toMatch(
            /warning: proxy-lb:autopilot: holding 4 nodes \(the live size\): the metrics could not be read \(GET \/v2\/monitoring\/metrics\/load_balancer\/frontend_connections_\w+ answered 500.*\), and the autopilot never scales down on missing data/,
        );
        expect(await p.outputs()).toMatchObject({
            sizeUnit: 4,
            calendarSizeUnit: 1,
            sizedBy: "holding",
        });
        const held = await runCli(p, "plan", "--stack", p.stack, "--json");
        expect(JSON.parse(held.stdout).autopilot).toMatchObject({
            read: true,
            sizeUnit: 4,
            sizedBy: "holding",
            liveSizeUnit: 4,
            observedPeak: null,
            reasons: [
                expect.stringMatching(
                    /^holding 4 nodes \(the live size\): the metrics could not be read/,
                ),
                "the calendar gives 1 node (baseline (proxy-lb:demand))",
            ],
        });
    });
});

describe("the gate: never scale down into a live crowd", () => {
    it("refuses the calendar's scale-down at a drop's end while the crowd is still there, naming the need; --allow scale-down-under-load lets it through; rollback refuses the same way", async () => {
        // The drop (10:00–12:00, 80,000 connections: 10 nodes) ends, but its crowd stays until 12:30.
        const points = demand(
            "2027-03-01T09:00:00Z",
            "2027-03-01T13:00:00Z",
            { start: "2027-03-01T09:30:00Z", end: "2027-03-01T12:30:00Z", connections: 80_000 },
            1_000,
        );
        const config = baseConfig({
            "proxy-lb:leadMinutes": 30,
            "proxy-lb:drops": [
                {
                    name: "sneaker-drop",
                    start: "2027-03-01T10:00:00Z",
                    end: "2027-03-01T12:00:00Z",
                    demand: { users: 40, tasksPerUser: 2000 },
                },
            ],
        });
        const p = await openProject({ config, seed: seededWith(points) });
        at(p, "2027-03-01T09:00:00Z");
        await p.up(); // version 1: adopted at 1 node
        at(p, "2027-03-01T11:00:00Z");
        await p.up(); // version 2: the drop, 10 nodes
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        const before = writes(p.emulator);

        // 12:15: the calendar is back at its baseline (1 node); the 80,000 connections are not.
        at(p, "2027-03-01T12:15:00Z");
        const need =
            "proxy-lb: scale-down from 10 nodes to 1 node (10,000 connections) is below the observed need of 10 nodes: observed peak 80,000 connections at 2027-03-01T11:45Z (highest of the last 30 min) needs 10 nodes with 25% headroom at 10,000 per node";
        const refused = await runCli(p, "gate", "--stack", p.stack);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(
            `gate: stack e2e refused:\n  ${need} (pass --allow scale-down-under-load if intended)\n`,
        );

        const allowed = await runCli(
            p,
            "gate",
            "--stack",
            p.stack,
            "--allow",
            "scale-down-under-load",
        );
        expect(allowed.stderr).toBe("");
        expect(allowed.status).toBe(0);
        expect(allowed.stdout).toBe(
            `gate: stack e2e ok\n  allowed: ${need} (--allow scale-down-under-load)\n  the scale-down closes 72,000 of the 80,000 live connections (the 9 removed nodes' share, after DigitalOcean's one-minute drain)\nsize_unit 10 → 1 (−9 nodes, −$0.1607/hour, −$108.00/month)\n`,
        );

        const rollback = await runCli(p, "rollback", "--stack", p.stack, "--to", "1", "--yes");
        expect(rollback.status).toBe(1);
        expect(lines(rollback.stderr)).toEqual([
            "rollback: the preview does not pass the gate; nothing was changed:",
            `${need} (pass --allow scale-down-under-load if intended)`,
            "",
        ]);

        expect(writes(p.emulator)).toEqual(before);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        expect(writes(p.emulator).droplet).toBe(0);
    });
});
