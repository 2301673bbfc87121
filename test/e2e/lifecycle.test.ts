// The program's promises on the real engine and provider against the emulator: adopt or
// create the LB, resize it in place with one write, never write to a masking server, and
// refuse anything that would replace or delete the LB.
import { afterEach, describe, expect, it } from "vitest";
import { DROPLET_TYPE } from "../../infra/names";
import { jsonFromStdout } from "../../ops/pulumiJson";
import { resizeOnlyUp } from "../../infra/resizeOnly";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    E2eProject,
    LB_ID,
    MASKING_IDS,
    openProject,
    runCli,
    writes,
} from "../../sandbox/harness";

afterEach(disposeAll);

const demand = (users: number) => ({ "proxy-lb:demand": { users, tasksPerUser: 2000 } });
const noWarnings = (text: string) => expect(text).not.toMatch(/warning/i);

describe("adopting and creating the load balancer", () => {
    it("adopts an LB by id that already matches: zero writes, the same id and IP, and no warning", async () => {
        const p = await openProject();
        const ipBefore = p.emulator.state.getLb(LB_ID).ip;
        const up = await p.up();
        noWarnings(up.stdout + up.stderr);
        expect(writes(p.emulator)).toMatchObject({ all: 0, droplet: 0 });
        const outputs = await p.outputs();
        expect(outputs).toMatchObject({
            loadBalancerId: LB_ID,
            loadBalancerIp: ipBefore,
            sizeUnit: 1,
        });
        expect((outputs.maskingServerIds as string[]).sort()).toEqual(MASKING_IDS.map(String));
        const again = await p.preview();
        expect(again.digest.changeSummary).toEqual({ same: 5 });
        noWarnings(again.run.stdout + again.run.stderr);
    });

    it("creates the LB when no id is given: one create, then nothing to change", async () => {
        const config = baseConfig({
            "proxy-lb:loadBalancer": {
                name: "proxy-lb",
                forwarding: [{ port: 8080 }],
                healthCheck: { port: 8080 },
            },
        });
        const p = await openProject({ config, seed: baseSeed({ lb: false }) });
        await p.up();
        expect(
            p.emulator.state.log.filter((e) => e.write).map((e) => `${e.method} ${e.path}`),
        ).toEqual(["POST /v2/load_balancers"]);
        const { loadBalancerId } = await p.outputs();
        expect(p.emulator.state.getLb(String(loadBalancerId)).size_unit).toBe(1);
        expect((await p.preview()).digest.changeSummary).toEqual({ same: 5 });
    });

    it("adopts masking servers by tag, and follows the fleet as it grows and shrinks without writing to it", async () => {
        const config = baseConfig({ "proxy-lb:maskingServers": { tag: "masking" } });
        const seed = baseSeed();
        seed.loadBalancers![0] = {
            ...seed.loadBalancers![0],
            droplet_ids: undefined,
            tag: "masking",
        };
        const p = await openProject({ config, seed });
        await p.up();
        expect((await p.outputs()).maskingServerIds).toHaveLength(3);

        // A new masking server is tagged in the console: it is imported, read-only.
        p.emulator.state.addDroplet({
            id: 501000104,
            name: "mask-4",
            region: "nyc3",
            size: "s-1vcpu-1gb",
            image: "ubuntu-22-04-x64",
            tags: ["masking"],
        });
        await p.up();
        expect((await p.outputs()).maskingServerIds).toHaveLength(4);

        // One leaves the fleet (untagged in the console): `forget` lets the next up drop it from
        // state; the droplet itself is never deleted.
        p.emulator.state.patchDroplet(501000101, { tags: [] });
        expect((await p.up({ allowFailure: true })).status).not.toBe(0);
        expect((await runCli(p, "forget", "--stack", p.stack, "--yes")).status).toBe(0);
        await p.up();
        expect(((await p.outputs()).maskingServerIds as string[]).sort()).toEqual([
            "501000102",
            "501000103",
            "501000104",
        ]);
        expect(p.emulator.state.getDroplet(501000101).id).toBe(501000101); // still there
        expect(writes(p.emulator)).toMatchObject({ all: 0, droplet: 0 });
    });
});

describe("resizing in place", () => {
    it("resizes up and down with exactly one LB write each; id and IP unchanged; the preview's only diff is sizeUnit", async () => {
        const p = await openProject();
        await p.up();
        const { loadBalancerIp } = await p.outputs();

        p.writeConfig(baseConfig(demand(40))); // 80,000 connections + 25% → 10 nodes
        const preview = await p.preview();
        expect(preview.digest.changeSummary).toEqual({ same: 4, update: 1 });
        const update = preview.digest.steps!.find((s) => s.op === "update")!;
        expect(update.urn).toMatch(/LoadBalancer::proxy-lb$/);
        expect(update.diffReasons).toEqual(["sizeUnit"]);
        expect(Object.keys(update.detailedDiff ?? {})).toEqual(["sizeUnit"]);

        const before = writes(p.emulator).lb;
        await p.up();
        expect(writes(p.emulator).lb - before).toBe(1);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 10, ip: loadBalancerIp });

        p.writeConfig(baseConfig(demand(1)));
        await p.up();
        expect(writes(p.emulator).lb - before).toBe(2);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 1, ip: loadBalancerIp });
        expect(await p.outputs()).toMatchObject({
            loadBalancerId: LB_ID,
            loadBalancerIp,
            sizeUnit: 1,
        });
        expect(writes(p.emulator).droplet).toBe(0);
    });

    it("adopts an LB made in the console with settings the config does not describe: zero writes, and the resize PUT carries every one unchanged", async () => {
        const seed = baseSeed();
        const consoleMade = {
            ...seed.loadBalancers![0],
            forwarding_rules: [
                {
                    entry_protocol: "tcp",
                    entry_port: 8080,
                    target_protocol: "tcp",
                    target_port: 8080,
                },
                {
                    entry_protocol: "tcp",
                    entry_port: 1080,
                    target_protocol: "tcp",
                    target_port: 1081,
                },
            ],
            health_check: {
                protocol: "http" as const,
                port: 8081,
                path: "/healthz",
                check_interval_seconds: 7,
                response_timeout_seconds: 4,
                healthy_threshold: 2,
                unhealthy_threshold: 4,
            },
            sticky_sessions: { type: "cookies", cookie_name: "mask", cookie_ttl_seconds: 600 },
            firewall: { allow: ["cidr:198.51.100.0/24"], deny: ["ip:203.0.113.9"] },
            enable_proxy_protocol: true,
            enable_backend_keepalive: true,
            http_idle_timeout_seconds: 120,
        };
        seed.loadBalancers![0] = consoleMade;
        const config = baseConfig({ "proxy-lb:loadBalancer": { name: "proxy-lb", id: LB_ID } }); // no forwarding, no health check
        const p = await openProject({ config, seed });
        const live = p.emulator.state.getLb(LB_ID);

        const first = await p.up();
        noWarnings(first.stdout + first.stderr);
        expect(writes(p.emulator).all).toBe(0);

        p.writeConfig(
            baseConfig({ ...demand(40), "proxy-lb:loadBalancer": { name: "proxy-lb", id: LB_ID } }),
        );
        await p.up();
        const puts = p.emulator.state.log.filter((e) => e.method === "PUT");
        expect(puts).toHaveLength(1);
        const after = p.emulator.state.getLb(LB_ID);
        // The provider sends rules and targets as sets: compare them in one order.
        const settings = ({ size_unit, forwarding_rules, droplet_ids, ...rest }: typeof live) => ({
            size_unit,
            rules: [...forwarding_rules].sort((a, b) => a.entry_port - b.entry_port),
            targets: [...(droplet_ids ?? [])].sort(),
            ...rest,
        });
        expect(settings(after)).toEqual({ ...settings(live), size_unit: 10 });
        expect(live.size_unit).toBe(1);
        expect(writes(p.emulator).droplet).toBe(0);
    });

    it("refuses, before any write, a config whose forwarding or health check contradicts the adopted LB, naming each difference", async () => {
        const config = baseConfig({
            "proxy-lb:loadBalancer": {
                name: "proxy-lb",
                id: LB_ID,
                forwarding: [{ port: 9090 }],
                healthCheck: { port: 9091 },
            },
        });
        const p = await openProject({ config });
        const up = await p.up({ allowFailure: true });
        expect(up.status).not.toBe(0);
        const said = up.stdout + up.stderr;
        expect(said).toContain(
            "proxy-lb:loadBalancer.forwarding has tcp 9090 → tcp 9090, which load balancer",
        );
        expect(said).toContain("proxy-lb:loadBalancer.forwarding lacks tcp 8080 → tcp 8080");
        expect(said).toContain("proxy-lb:loadBalancer.healthCheck is tcp 9091 but load balancer");
        expect(writes(p.emulator).all).toBe(0);
    });
});

describe("what the program refuses", () => {
    it("refuses destroy: protection stops it, and the LB and droplets stay", async () => {
        const p = await openProject();
        await p.up();
        const destroy = await p.pulumi("destroy", "--yes", "--skip-preview");
        expect(destroy.status).not.toBe(0);
        expect(destroy.stdout + destroy.stderr).toMatch(/protect/);
        expect(writes(p.emulator)).toMatchObject({ all: 0 });
        expect(p.emulator.state.getLb(LB_ID).id).toBe(LB_ID);
    });

    it("refuses moving the adopted LB to another region before any API write, saying why in an operator's words", async () => {
        const p = await openProject();
        await p.up();
        p.writeConfig(baseConfig({ "proxy-lb:region": "sfo3" }));
        const up = await p.up({ allowFailure: true });
        expect(up.status).not.toBe(0);
        expect(up.stdout + up.stderr).toContain(
            "proxy-lb:region is sfo3 but load balancer 6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40 is in nyc3; a load balancer cannot move region (a new one would have a new IP)",
        );
        expect(writes(p.emulator).all).toBe(0);
    });

    it("refuses replacing a created LB (another region) with protection, before any write", async () => {
        const config = baseConfig({
            "proxy-lb:loadBalancer": {
                name: "proxy-lb",
                forwarding: [{ port: 8080 }],
                healthCheck: { port: 8080 },
            },
        });
        const p = await openProject({ config, seed: baseSeed({ lb: false }) });
        await p.up();
        const created = writes(p.emulator).all;
        p.writeConfig({ ...config, "proxy-lb:region": "sfo3" });
        const up = await p.up({ allowFailure: true });
        expect(up.status).not.toBe(0);
        expect(up.stdout + up.stderr).toMatch(
            /unable to replace resource .*LoadBalancer::proxy-lb.*\n?.*marked for protection/,
        );
        expect(writes(p.emulator).all).toBe(created);
    });
});

describe("masking servers are never written to", () => {
    it("a masking server changed in the console between runs: up changes nothing on it, with or without --refresh", async () => {
        const p = await openProject();
        await p.up();
        p.emulator.state.patchDroplet(MASKING_IDS[0], {
            name: "renamed-in-console",
            size: "s-2vcpu-4gb",
            tags: ["masking", "hand-edited"],
        });
        p.writeConfig(baseConfig(demand(40)));
        await p.up();
        await p.up({ args: ["--refresh"] });
        const preview = await p.preview("--refresh");
        const changes = preview.digest.steps!.filter(
            (s) => s.urn.includes("Droplet") && !["same", "refresh", "read"].includes(s.op),
        );
        expect(changes).toEqual([]);
        expect(writes(p.emulator).droplet).toBe(0);
        expect(p.emulator.state.getDroplet(MASKING_IDS[0])).toMatchObject({
            name: "renamed-in-console",
            size_slug: "s-2vcpu-4gb",
        });
    });
});

describe("the resize-only up (the autopilot's and the schedule's)", () => {
    const byTag = (overrides = {}) =>
        baseConfig({ "proxy-lb:maskingServers": { tag: "masking" }, ...overrides });
    const taggedSeed = () => {
        const seed = baseSeed();
        seed.loadBalancers![0] = {
            ...seed.loadBalancers![0],
            droplet_ids: undefined,
            tag: "masking",
        };
        return seed;
    };
    /** The masking servers as the state holds them (URN, id, inputs, outputs, options). */
    const dropletsInState = async (p: E2eProject) => {
        const run = await p.pulumi("stack", "export");
        expect(run.status).toBe(0);
        const { deployment } = JSON.parse(run.stdout) as {
            deployment: { resources: { type: string; urn: string }[] };
        };
        return deployment.resources
            .filter((r) => r.type === DROPLET_TYPE)
            .sort((a, b) => a.urn.localeCompare(b.urn));
    };
    /** One run with the resize-only switch set, and the target unless told otherwise. */
    const resizeOnly = async <T>(
        p: E2eProject,
        run: (args: string[]) => Promise<T>,
        { target = true } = {},
    ): Promise<T> => {
        const { env, args } = resizeOnlyUp(p.stack);
        Object.assign(p.env, env);
        try {
            return await run(target ? args : []);
        } finally {
            for (const key of Object.keys(env)) delete p.env[key];
        }
    };

    it("targeted at the LB: one resize write, and every masking server carried over in the state exactly as it was", async () => {
        const p = await openProject({ config: byTag(), seed: taggedSeed() });
        await p.up();
        const before = await dropletsInState(p);
        expect(before).toHaveLength(3);

        p.writeConfig(byTag(demand(40))); // 10 nodes
        const resize = await resizeOnly(p, (args) => p.up({ args }));
        expect(resize.stdout).toMatch(/1 updated/);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0, all: 1 });
        expect(await dropletsInState(p)).toEqual(before);
        expect(((await p.outputs()).maskingServerIds as string[]).sort()).toEqual(
            MASKING_IDS.map(String),
        );

        // The full preview (the gate's) still declares and sees every masking server: nothing to do.
        expect((await p.preview()).digest.changeSummary).toEqual({ same: 5 });
    });

    it("without the target the undeclared servers would be deleted: protect refuses in the preview, the gate and the up, with no write", async () => {
        const p = await openProject({ config: byTag(), seed: taggedSeed() });
        await p.up();
        const before = await dropletsInState(p);

        const preview = await resizeOnly(p, (args) => p.preview(...args), { target: false });
        // Protect refuses the deletes already in the preview, one error per masking server.
        expect(preview.run.status).not.toBe(0);
        const { diagnostics } = jsonFromStdout(preview.run.stdout) as {
            diagnostics: { message: string }[];
        };
        const refused = diagnostics
            .map((d) => d.message)
            .filter((m) => /cannot be deleted\s+because it is protected/.test(m));
        expect(refused.map((m) => /masking-server-(\d+)/.exec(m)?.[1]).sort()).toEqual(
            MASKING_IDS.map(String),
        );
        const gate = await resizeOnly(p, () => runCli(p, "gate", "--stack", p.stack), {
            target: false,
        });
        expect(gate.status).not.toBe(0);

        const up = await resizeOnly(p, (args) => p.up({ args, allowFailure: true }), {
            target: false,
        });
        expect(up.status).not.toBe(0);
        expect(up.stdout + up.stderr).toMatch(/protected/);
        expect(writes(p.emulator)).toMatchObject({ droplet: 0, all: 0 });
        expect(await dropletsInState(p)).toEqual(before);
    });
});
