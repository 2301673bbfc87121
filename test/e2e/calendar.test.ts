// The drop calendar on the real engine: with PROXY_LB_NOW stepping through two overlapping
// drops, each `up` sizes for that moment; a boundary crossed is exactly one LB write, a run
// between boundaries is none, and no droplet is ever written to.
import { afterEach, describe, expect, it } from "vitest";
import { baseConfig, disposeAll, LB_ID, openProject, writes } from "../../sandbox/harness";

afterEach(disposeAll);

const calendar = baseConfig({
    "proxy-lb:leadMinutes": 30,
    "proxy-lb:drops": [
        // 40 users × 2,000 tasks = 80,000 connections → 10 nodes with 25% headroom
        {
            name: "sneaker-drop",
            start: "2027-03-01T10:00:00Z",
            end: "2027-03-01T12:00:00Z",
            demand: { users: 40, tasksPerUser: 2000 },
        },
        // 20 × 2,000 = 40,000 → 5 nodes alone; 120,000 together → 15 nodes
        {
            name: "restock",
            start: "2027-03-01T11:00:00Z",
            end: "2027-03-01T13:00:00Z",
            demand: { users: 20, tasksPerUser: 2000 },
        },
    ],
});

// [now, nodes, active drops, a boundary was crossed since the previous step]
const steps: [string, number, string[], boolean][] = [
    ["2027-03-01T09:00:00Z", 1, [], false], // baseline (adopted at 1 node: nothing to do)
    ["2027-03-01T09:45:00Z", 10, ["sneaker-drop"], true], // its lead began at 09:30
    ["2027-03-01T10:15:00Z", 10, ["sneaker-drop"], false],
    ["2027-03-01T10:45:00Z", 15, ["sneaker-drop", "restock"], true], // restock's lead began at 10:30
    ["2027-03-01T11:30:00Z", 15, ["sneaker-drop", "restock"], false],
    ["2027-03-01T12:15:00Z", 5, ["restock"], true], // sneaker-drop ended at 12:00
    ["2027-03-01T13:15:00Z", 1, [], true], // restock ended at 13:00
];

describe("the drop calendar, on time", () => {
    it("resizes once per boundary crossed, never between, to the exact size of the drops active then", async () => {
        const p = await openProject({ config: calendar });
        const ip = p.emulator.state.getLb(LB_ID).ip;
        for (const [now, nodes, active, boundary] of steps) {
            p.env.PROXY_LB_NOW = now;
            const before = writes(p.emulator);
            await p.up();
            const after = writes(p.emulator);
            expect({ now, lbWrites: after.lb - before.lb }).toEqual({
                now,
                lbWrites: boundary ? 1 : 0,
            });
            expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: nodes, ip });
            expect(await p.outputs()).toMatchObject({
                sizeUnit: nodes,
                activeDrops: active,
                sizedFor: now,
            });
        }
        expect(writes(p.emulator)).toMatchObject({ lb: 4, droplet: 0 });
    });
});
