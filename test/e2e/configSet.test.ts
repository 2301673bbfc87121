// Every config key set the way operators do it, with `pulumi config set --path`, exactly as
// Pulumi's CLI stores it: integers typed, everything else a string unless --type is given
// (so `capacity.headroom 0.3` arrives as "0.3"). The program accepts strictly decimal strings
// for number keys and still refuses anything else, naming the key, before any API write.
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadSettings } from "../../config";
import { disposeAll, LB_ID, MASKING_IDS, openProject, writes } from "../../sandbox/harness";

afterEach(disposeAll);

const EVERY_KEY: [string, string][] = [
    ["proxy-lb:region", "nyc3"],
    ["proxy-lb:loadBalancer.name", "proxy-lb"],
    ["proxy-lb:loadBalancer.id", LB_ID],
    ["proxy-lb:loadBalancer.forwarding[0].port", "8080"],
    ["proxy-lb:loadBalancer.forwarding[0].targetPort", "8080"],
    ["proxy-lb:loadBalancer.healthCheck.port", "8080"],
    ...MASKING_IDS.map((id, i): [string, string] => [
        `proxy-lb:maskingServers.ids[${i}]`,
        String(id),
    ]),
    ["proxy-lb:demand.users", "40"],
    ["proxy-lb:demand.tasksPerUser", "2000"],
    ["proxy-lb:demand.connectionsPerTask", "1"],
    ["proxy-lb:demand.newConnectionsPerSecond", "50000"],
    ["proxy-lb:capacity.connectionsPerNode", "10000"],
    ["proxy-lb:capacity.newConnectionsPerSecondPerNode", "10000"],
    ["proxy-lb:capacity.headroom", "0.3"],
    ["proxy-lb:capacity.minNodes", "1"],
    ["proxy-lb:capacity.maxNodes", "200"],
    ["proxy-lb:capacity.pricePerNodeMonthly", "12.5"],
    ["proxy-lb:leadMinutes", "45"],
    ["proxy-lb:drops[0].name", "launch"],
    ["proxy-lb:drops[0].start", "2030-01-01T10:00:00Z"],
    ["proxy-lb:drops[0].end", "2030-01-01T12:00:00Z"],
    ["proxy-lb:drops[0].demand.users", "60"],
    ["proxy-lb:drops[0].demand.tasksPerUser", "2000"],
];

describe("pulumi config set --path", () => {
    it("sets every key as Pulumi stores it; the program sizes from them; bad numbers are refused by key before any write", async () => {
        const p = await openProject({ config: {} });
        for (const [key, value] of EVERY_KEY) {
            const set = await p.pulumi("config", "set", "--path", key, value);
            expect(set.status, `${key}: ${set.stderr}`).toBe(0);
        }
        const stored = parse(p.readStackFile()).config;
        expect(stored["proxy-lb:capacity"].headroom).toBe("0.3"); // a string, as the issue says
        expect(stored["proxy-lb:demand"].users).toBe(40); // an integer, typed

        p.env.PROXY_LB_NOW = "2029-12-31T00:00:00Z"; // between drops: the baseline demand
        await p.up();
        const expected = loadSettings(stored, { now: Date.parse("2029-12-31T00:00:00Z") });
        // 80,000 connections, 50,000 new/s; 30% headroom → 104,000 → 11 nodes
        expect(expected.sizing.sizeUnit).toBe(11);
        expect(await p.outputs()).toMatchObject({
            sizeUnit: 11,
            nextSizeUnit: 16,
            nextResizeAt: "2030-01-01T09:15:00Z",
        });
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(11);

        const before = writes(p.emulator).all;
        for (const bad of ["abc", "1e999", " 3"]) {
            expect(
                (await p.pulumi("config", "set", "--path", "proxy-lb:capacity.headroom", bad))
                    .status,
            ).toBe(0);
            const up = await p.up({ allowFailure: true });
            expect(up.status).not.toBe(0);
            expect(up.stdout).toContain(
                `proxy-lb:capacity.headroom must be a number from 0 to 10 (got ${JSON.stringify(bad)})`,
            );
        }
        expect(writes(p.emulator).all).toBe(before);
    });
});
