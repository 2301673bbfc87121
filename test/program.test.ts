// The program under Pulumi mocks: the fast layer. It checks what the SDK registers with the
// engine (inputs AND options), not what our code meant to declare.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { size } from "../sizing";
import { loadSettings } from "../config";
import { FROZEN_DROPLET_INPUTS } from "../infra/maskingServers";
import { runProgram, stackConfig } from "./support/programHarness";

const LB = "digitalocean:index/loadBalancer:LoadBalancer";
const DROPLET = "digitalocean:index/droplet:Droplet";
const LB_ID = "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40";

const base = {
    region: "nyc3",
    loadBalancer: {
        name: "proxy-lb",
        id: LB_ID,
        forwarding: [{ port: 8080 }, { port: 443, targetPort: 8443 }],
        healthCheck: { port: 8080 },
    },
    maskingServers: { ids: [501, 502, 503] },
    demand: { users: 12, tasksPerUser: 2000 },
};
const droplets = [
    { id: 501, name: "mask-1", tags: ["masking"] },
    { id: 502, name: "mask-2", tags: ["masking"] },
    { id: 503, name: "mask-3", tags: ["masking"] },
];

describe("the program under mocks", () => {
    it("sizes the load balancer with the sizing function's result and protects it", async () => {
        const run = await runProgram(stackConfig(base), droplets);
        const lbs = run.registrations.filter((r) => r.type === LB);
        expect(lbs).toHaveLength(1);
        const expected = loadSettings(stackConfig(base)).sizing;
        expect(lbs[0].inputs.sizeUnit).toBe(expected.sizeUnit);
        expect(expected.sizeUnit).toBe(3); // 24,000 connections + 25% headroom at 10,000 per node
        expect(lbs[0].protect).toBe(true);
        expect(lbs[0].importId).toBe(LB_ID);
        expect(lbs[0].ignoreChanges).toEqual([]); // the LB is managed: only protect guards it
    });

    it("declares TCP forwarding, a TCP health check and the masking droplets as targets", async () => {
        const run = await runProgram(stackConfig(base), droplets);
        const lb = run.registrations.find((r) => r.type === LB)!;
        expect(lb.inputs).toMatchObject({
            name: "proxy-lb",
            region: "nyc3",
            type: "REGIONAL",
            dropletIds: [501, 502, 503],
            healthcheck: { protocol: "tcp", port: 8080 },
            forwardingRules: [
                { entryProtocol: "tcp", entryPort: 8080, targetProtocol: "tcp", targetPort: 8080 },
                { entryProtocol: "tcp", entryPort: 443, targetProtocol: "tcp", targetPort: 8443 },
            ],
        });
        expect(lb.inputs.dropletTag).toBeUndefined();
    });

    it("imports every masking server by id, protected, ignoring all changes, retained on delete", async () => {
        const run = await runProgram(stackConfig(base), droplets);
        const imported = run.registrations.filter((r) => r.type === DROPLET);
        expect(imported.map((r) => r.importId).sort()).toEqual(["501", "502", "503"]);
        for (const server of imported) {
            expect(server.protect).toBe(true);
            expect(server.ignoreChanges).toEqual(FROZEN_DROPLET_INPUTS);
            expect(server.ignoreChanges).not.toContain("privateNetworking");
            expect(server.retainOnDelete).toBe(true);
        }
    });

    it("declares each masking server exactly as it is live, so even without ignoreChanges there is no diff", async () => {
        const run = await runProgram(stackConfig(base), droplets);
        const server = run.registrations.find((r) => r.importId === "502")!;
        expect(server.inputs).toEqual({
            name: "mask-2",
            image: "ubuntu-22-04-x64",
            region: "nyc3",
            size: "s-1vcpu-1gb",
            backups: false,
            ipv6: false,
            monitoring: true,
            vpcUuid: "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
            tags: ["masking"],
            volumeIds: [],
        });
        // Only reads go to the API: the droplets and the adopted LB.
        expect(run.invokes.map((i) => i.token)).toEqual([
            ...Array(3).fill("digitalocean:index/getDroplet:getDroplet"),
            "digitalocean:index/getLoadBalancer:getLoadBalancer",
        ]);
    });

    it("targets a tag and imports the droplets that carry it", async () => {
        const config = { ...base, maskingServers: { tag: "masking" } };
        const run = await runProgram(stackConfig(config), [
            ...droplets,
            { id: 900, name: "other", tags: ["web"] },
        ]);
        const lb = run.registrations.find((r) => r.type === LB)!;
        expect(lb.inputs.dropletTag).toBe("masking");
        expect(lb.inputs.dropletIds).toBeUndefined();
        expect(
            run.registrations
                .filter((r) => r.type === DROPLET)
                .map((r) => r.importId)
                .sort(),
        ).toEqual(["501", "502", "503"]);
        expect(run.outputs.maskingServerIds).toEqual(["501", "502", "503"]);
    });

    it("refuses a tag that no droplet carries, with the key named", async () => {
        const config = { ...base, maskingServers: { tag: "typo" } };
        await expect(runProgram(stackConfig(config), droplets)).rejects.toThrow(
            /no droplet carries the tag typo \(proxy-lb:maskingServers.tag\)/,
        );
    });

    it("creates the load balancer when no id is given to adopt", async () => {
        const config = { ...base, loadBalancer: { ...base.loadBalancer, id: undefined } };
        const run = await runProgram(stackConfig(config), droplets);
        const lb = run.registrations.find((r) => r.type === LB)!;
        expect(lb.importId).toBe("");
        expect(lb.protect).toBe(true);
    });

    it("exports what operators need", async () => {
        process.env.PROXY_LB_NOW = "2027-01-01T00:00:00Z";
        const run = await runProgram(stackConfig(base), droplets).finally(
            () => delete process.env.PROXY_LB_NOW,
        );
        const sizing = size(loadSettings(stackConfig(base)).config);
        expect(run.outputs).toEqual({
            loadBalancerId: LB_ID,
            loadBalancerIp: "203.0.113.10",
            sizeUnit: 3,
            bindingLimit: "connections",
            capacity: { connections: 30000, newConnectionsPerSecond: 30000 },
            utilization: 0.8,
            hourlyCostUsd: sizing.cost.hourly,
            monthlyCostUsd: 36,
            maskingServerIds: ["501", "502", "503"],
            sizedFor: "2027-01-01T00:00:00Z",
            activeDrops: [],
            activeUntil: null,
            nextResizeAt: null,
            nextSizeUnit: null,
            calendarSizeUnit: 3,
            sizedBy: "calendar",
            sizeReason: "the calendar gives 3 nodes (baseline (proxy-lb:demand))",
            autopilot: null,
            tlsCipherPolicy: "DEFAULT",
        });
    });

    describe("resize-only (PROXY_LB_RESIZE_ONLY=true, the run targeted at the LB)", () => {
        const resizeOnly = <T>(value: string, run: () => Promise<T>): Promise<T> => {
            process.env.PROXY_LB_RESIZE_ONLY = value;
            return run().finally(() => delete process.env.PROXY_LB_RESIZE_ONLY);
        };
        const at = <T>(run: () => Promise<T>): Promise<T> => {
            process.env.PROXY_LB_NOW = "2027-01-01T00:00:00Z"; // both runs size for the same instant
            return run().finally(() => delete process.env.PROXY_LB_NOW);
        };
        const tagged = { ...base, maskingServers: { tag: "masking" } };

        it("declares only the load balancer, exactly as a full run declares it, with the same outputs", async () => {
            const full = await at(() => runProgram(stackConfig(tagged), droplets));
            const only = await at(() =>
                resizeOnly("true", () => runProgram(stackConfig(tagged), droplets)),
            );
            expect(only.registrations.map((r) => r.type)).toEqual([LB]);
            expect(only.registrations[0]).toEqual(full.registrations.find((r) => r.type === LB));
            expect(only.outputs).toEqual(full.outputs);
        });

        it("still reads the masking servers, so a tag no droplet carries stops it", async () => {
            const config = { ...base, maskingServers: { tag: "typo" } };
            await expect(
                resizeOnly("true", () => runProgram(stackConfig(config), droplets)),
            ).rejects.toThrow(/no droplet carries the tag typo/);
        });

        it("declares every masking server when the variable says false", async () => {
            const run = await resizeOnly("false", () => runProgram(stackConfig(tagged), droplets));
            expect(run.registrations.filter((r) => r.type === DROPLET)).toHaveLength(3);
        });

        it("refuses any other value before declaring anything, naming the variable", async () => {
            const seen = { registrations: [], invokes: [] };
            await expect(
                resizeOnly("yes", () => runProgram(stackConfig(tagged), droplets, seen)),
            ).rejects.toThrow(/PROXY_LB_RESIZE_ONLY must be "true" or "false" \(got "yes"\)/);
            expect(seen.registrations).toEqual([]);
        });
    });

    it("stops on bad config before declaring anything, naming the key, without a stack trace", async () => {
        const config = { ...base, demand: { users: -1, tasksPerUser: 2000 } };
        const seen = { registrations: [], invokes: [] };
        const error = await runProgram(stackConfig(config), droplets, seen).catch(
            (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(pulumi.RunError); // RunError: Pulumi prints the message alone
        expect((error as Error).message).toContain(
            "proxy-lb:demand.users must be a whole number ≥ 0 (got -1)",
        );
        expect(seen).toEqual({ registrations: [], invokes: [] }); // no resource, no API read
    });

    it("stops when demand needs more nodes than allowed, naming the nodes needed", async () => {
        const config = {
            ...base,
            demand: { users: 100, tasksPerUser: 20000 },
            capacity: { maxNodes: 50 },
        };
        await expect(runProgram(stackConfig(config), droplets)).rejects.toThrow(/250 nodes/);
    });
});
