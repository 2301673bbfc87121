// The operations around a drop on the real engine, provider and policy runner against the
// emulator: the deploy gate on a real `pulumi preview --json`, the policy pack in a real
// preview, rollback from the stack's real history, and drift from a real refresh preview.
// Programs that break a guardrail are variants of the current program (fixtures/variants.ts).
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
    unlockedMaskingServers,
    unprotectedLoadBalancer,
    withoutLoadBalancer,
} from "./fixtures/variants";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    E2eProject,
    LB_ID,
    MASKING_IDS,
    openProject,
    ROOT,
    runCli,
    writes,
} from "../../sandbox/harness";

afterEach(disposeAll);

const POLICY_PACK = path.join(ROOT, "policy");
const demand = (users: number) => ({ "proxy-lb:demand": { users, tasksPerUser: 2000 } });
const lines = (text: string) => text.split("\n").map((l) => l.trim());
/** Writes `files` (relative path → text) over the project's copy of the program. */
const replaceFiles = (p: E2eProject, files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(p.dir, file), text);
};
const createdLbConfig = baseConfig({
    "proxy-lb:loadBalancer": {
        name: "proxy-lb",
        forwarding: [{ port: 8080 }],
        healthCheck: { port: 8080 },
    },
});

describe("gate (npm run gate) on a real preview", () => {
    it("passes a resize and prints the node change; the real program passes the policy pack, and a size above its maxNodes is a mandatory violation; a program that drops the LB is refused", async () => {
        const p = await openProject();
        // A first adoption: the preview imports the load balancer as it is, so nothing changes, and the gate says so.
        const adopting = await runCli(p, "gate", "--stack", p.stack);
        expect(adopting.stderr).toBe("");
        expect(adopting.stdout).toBe(
            "gate: stack e2e ok\nload balancer adopted as it is at size_unit 1 (no change)\n",
        );
        // Adopted at another size, the engine's preview imports it, then updates it: both are said.
        p.writeConfig(baseConfig(demand(40)));
        const resizing = await runCli(p, "gate", "--stack", p.stack);
        expect(resizing.stdout).toBe(
            "gate: stack e2e ok\nload balancer adopted at size_unit 1, then resized: size_unit 1 → 10 (+9 nodes, +$0.1607/hour, +$108.00/month)\n",
        );
        p.writeConfig(baseConfig());
        await p.up();
        p.writeConfig(baseConfig(demand(40))); // 80,000 connections + 25% → 10 nodes

        const gate = await runCli(p, "gate", "--stack", p.stack);
        expect(gate.stderr).toBe("");
        expect(gate.status).toBe(0);
        expect(gate.stdout).toBe(
            "gate: stack e2e ok\nsize_unit 1 → 10 (+9 nodes, +$0.1607/hour, +$108.00/month)\n",
        );

        const policy = await p.pulumi("preview", "--policy-pack", POLICY_PACK);
        expect(policy.status).toBe(0);
        expect(policy.stdout).toContain("✅ proxy-lb-guardrails@v0.1.0");

        const config = path.join(p.dir, "policy-config.json");
        writeFileSync(config, JSON.stringify({ "lb-size-unit-within-bounds": { maxNodes: 5 } }));
        const capped = await p.pulumi(
            "preview",
            "--policy-pack",
            POLICY_PACK,
            "--policy-pack-config",
            config,
        );
        expect(capped.status).not.toBe(0);
        expect(capped.stdout).toMatch(
            /\[mandatory\].*lb-size-unit-within-bounds .*LoadBalancer: proxy-lb/,
        );
        expect(capped.stdout).toContain(
            `Load balancer "proxy-lb" (urn:pulumi:e2e::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb) has sizeUnit 10, above maxNodes 5.`,
        );

        replaceFiles(p, withoutLoadBalancer());
        const dropped = await runCli(p, "gate", "--stack", p.stack);
        expect(dropped.status).toBe(1);
        expect(lines(dropped.stderr)).toContain(
            "proxy-lb: delete: the load balancer must never be replaced or deleted (a new one has a new IP)",
        );
        expect(dropped.stdout).toBe("");

        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);
        expect(writes(p.emulator).all).toBe(0); // gate and previews only read
    });

    it("refuses replacing a created LB (another region), and a change to another property unless --allow names it", async () => {
        const p = await openProject({ config: createdLbConfig, seed: baseSeed({ lb: false }) });
        await p.up();
        const created = writes(p.emulator).all;

        p.writeConfig({ ...createdLbConfig, "proxy-lb:region": "sfo3" });
        const moved = await runCli(p, "gate", "--stack", p.stack);
        expect(moved.status).toBe(1);
        expect(lines(moved.stderr)).toEqual(
            expect.arrayContaining([
                "gate: stack e2e refused:",
                "proxy-lb: replace (region): the load balancer must never be replaced or deleted (a new one has a new IP)",
            ]),
        );

        const renamed = {
            ...createdLbConfig,
            "proxy-lb:loadBalancer": {
                name: "proxy-lb-2",
                forwarding: [{ port: 8080 }],
                healthCheck: { port: 8080 },
            },
        };
        p.writeConfig(renamed);
        const refused = await runCli(p, "gate", "--stack", p.stack);
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(
            "gate: stack e2e refused:\n  proxy-lb: update (name): changes name; only sizeUnit may change (pass --allow name if intended)\n",
        );

        const allowed = await runCli(p, "gate", "--stack", p.stack, "--allow", "name");
        expect(allowed.status).toBe(0);
        expect(allowed.stdout).toBe(
            "gate: stack e2e ok\n  allowed: proxy-lb: update name (--allow)\nsize_unit 1 (no change)\n",
        );
        expect(writes(p.emulator).all).toBe(created);
    });

    it("refuses a program without protect and ignoreChanges on the masking servers once one would be written to; the policy pack names each server", async () => {
        const p = await openProject({ files: unlockedMaskingServers() });
        await p.up();
        p.emulator.state.patchDroplet(MASKING_IDS[0], { name: "renamed-in-console" }); // the variant declares it as live: now a diff

        const gate = await runCli(p, "gate", "--stack", p.stack);
        expect(gate.status).toBe(1);
        const said = lines(gate.stderr);
        expect(said).toContain(
            `masking-server-${MASKING_IDS[0]}: update (gracefulShutdown, name): masking droplets must never be written to (only same/read/import/refresh are safe)`,
        );
        for (const id of MASKING_IDS.slice(1))
            expect(said).toContain(
                `masking-server-${id}: same: the masking droplet would lose protect: true, ignoreChanges: ["*"]`,
            );

        const policy = await p.pulumi("preview", "--policy-pack", POLICY_PACK);
        expect(policy.status).not.toBe(0);
        for (const id of MASKING_IDS) {
            const urn = `urn:pulumi:e2e::proxy-lb::digitalocean:index/droplet:Droplet::masking-server-${id}`;
            expect(policy.stdout).toContain(
                `Masking droplet "masking-server-${id}" (${urn}) is not protected`,
            );
            expect(policy.stdout).toContain(
                `Masking droplet "masking-server-${id}" (${urn}) has no ignoreChanges`,
            );
        }
        expect(policy.stdout).toMatch(
            /\[mandatory\] \[severity: critical\]\s+masking-droplets-protected-and-frozen/,
        );
        expect(writes(p.emulator).droplet).toBe(0);
        expect(p.emulator.state.getDroplet(MASKING_IDS[0]).name).toBe("renamed-in-console");
    });

    it("the policy pack refuses a program whose LB is not protected, naming it, before any write", async () => {
        const p = await openProject({ files: unprotectedLoadBalancer() });
        const policy = await p.pulumi("preview", "--policy-pack", POLICY_PACK);
        expect(policy.status).not.toBe(0);
        expect(policy.stdout).toMatch(/\[mandatory\] \[severity: critical\]\s+lb-protected/);
        expect(policy.stdout).toContain(
            `Load balancer "proxy-lb" (urn:pulumi:e2e::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb) is not protected`,
        );
        const gate = await runCli(p, "gate", "--stack", p.stack);
        expect(gate.status).toBe(1);
        expect(lines(gate.stderr)).toContain(
            "proxy-lb: import: the load balancer would lose protect: true",
        );
        // With --policy-pack the gate also names each violation, which the preview's JSON leaves out.
        const gated = await runCli(p, "gate", "--stack", p.stack, "--policy-pack", POLICY_PACK);
        expect(gated.status).toBe(1);
        expect(lines(gated.stderr)).toEqual(
            expect.arrayContaining([
                "proxy-lb: import: the load balancer would lose protect: true",
                expect.stringMatching(
                    /^policy lb-protected on proxy-lb: .*Load balancer "proxy-lb" \(urn:\S+\) is not protected/,
                ),
            ]),
        );
        expect(writes(p.emulator).all).toBe(0);
    });
});

describe("rollback (npm run rollback) from the real history", () => {
    /** A stack file as operators keep it: comments above, beside and inside values. */
    const commented = (
        p: E2eProject,
        users: number,
    ) => `# The drop stack: raise demand before a drop, roll back after.
config:
  digitalocean:apiEndpoint: ${p.emulator.url}
  proxy-lb:region: nyc3 # where the LB lives
  proxy-lb:loadBalancer:
    name: proxy-lb
    id: ${LB_ID} # adopted: keeps its IP
  proxy-lb:maskingServers:
    ids: [${MASKING_IDS.join(", ")}]
  # demand: what the next drop needs
  proxy-lb:demand:
    users: ${users} # proxy users at the peak
    tasksPerUser: 2000
`;
    const stackFile = (p: E2eProject) => path.join(p.dir, `Pulumi.${p.stack}.yaml`);

    it("explains that there is no earlier point; refuses a rollback whose preview fails the gate; then returns the LB to its pre-drop size with one write and restores the stack file byte for byte", async () => {
        const p = await openProject();
        writeFileSync(stackFile(p), commented(p, 1));
        await p.up();
        const afterFirst = p.readStackFile(); // Pulumi added its encryption salt at the end
        expect(afterFirst.startsWith(commented(p, 1))).toBe(true);

        const none = await runCli(p, "rollback", "--stack", p.stack, "--yes");
        expect(none.status).toBe(1);
        expect(none.stderr).toBe(
            "rollback: only one successful update (version 1): there is no earlier point to return to\n",
        );
        expect(p.readStackFile()).toBe(afterFirst);

        const dropFile = afterFirst.replace("users: 1 # proxy users", "users: 40 # proxy users");
        writeFileSync(stackFile(p), dropFile);
        await p.up();
        const { ip } = p.emulator.state.getLb(LB_ID);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        const before = writes(p.emulator);

        // Someone has since taken protect off the LB: the rollback's preview fails the gate and the policy pack.
        const realIndex = readFileSync(path.join(p.dir, "index.ts"), "utf8");
        replaceFiles(p, unprotectedLoadBalancer());
        const refused = await runCli(
            p,
            "rollback",
            "--stack",
            p.stack,
            "--yes",
            "--policy-pack",
            POLICY_PACK,
        );
        expect(refused.status).toBe(1);
        expect(lines(refused.stderr)).toEqual(
            expect.arrayContaining([
                "rollback: the preview does not pass the gate; nothing was changed:",
                "proxy-lb: update (sizeUnit): the load balancer would lose protect: true",
                expect.stringMatching(/^policy lb-protected on proxy-lb: .*is not protected/),
            ]),
        );
        expect(writes(p.emulator)).toEqual(before);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
        expect(p.readStackFile()).toBe(dropFile);
        writeFileSync(path.join(p.dir, "index.ts"), realIndex);

        const rollback = await runCli(p, "rollback", "--stack", p.stack, "--yes");
        expect(rollback.status).toBe(0);
        expect(rollback.stdout).toContain(
            "size_unit 10 → 1 (−9 nodes, −$0.1607/hour, −$108.00/month)",
        );
        expect(rollback.stdout).toContain(
            "preview: load balancer size_unit 10 → 1, nothing else changes",
        );
        expect(rollback.stdout).toContain(
            `Wrote the restored proxy-lb:* values to Pulumi.${p.stack}.yaml`,
        );
        expect(writes(p.emulator).lb - before.lb).toBe(1);
        expect(writes(p.emulator).droplet).toBe(0);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ id: LB_ID, ip, size_unit: 1 });
        expect(p.readStackFile()).toBe(afterFirst); // the drop's edit undone; comments, order and salt kept
    });

    it("--to <version> returns to that version, past the one before the last scale-up", async () => {
        const p = await openProject();
        writeFileSync(stackFile(p), commented(p, 1));
        await p.up(); // version 1: 1 node
        const first = p.readStackFile();
        const at = (users: number) =>
            first.replace("users: 1 # proxy users", `users: ${users} # proxy users`);
        writeFileSync(stackFile(p), at(20));
        await p.up(); // version 2: 5 nodes
        writeFileSync(stackFile(p), at(40));
        await p.up(); // version 3: 10 nodes
        const { ip } = p.emulator.state.getLb(LB_ID);
        const before = writes(p.emulator);

        const rollback = await runCli(p, "rollback", "--stack", p.stack, "--to", "1", "--yes");
        expect(rollback.status).toBe(0);
        expect(rollback.stdout).toMatch(
            /Roll back stack e2e from version 3, .*\n\s+to version 1, /,
        );
        expect(rollback.stdout).toContain("size_unit 10 → 1");
        expect(writes(p.emulator).lb - before.lb).toBe(1);
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ ip, size_unit: 1 });
        expect(p.readStackFile()).toBe(first);
    });
});

describe("drift (npm run drift) from a real refresh preview", () => {
    it("reports a masking server and the LB changed in the console by id and field (exit 4), changes nothing, and `up --refresh` restores the declared size with one write", async () => {
        const p = await openProject();
        await p.up();
        const clean = await runCli(p, "drift", "--stack", p.stack);
        expect(clean.status).toBe(0);
        expect(clean.stdout).toBe(
            "No drift (stack e2e): the 3 masking droplets and the load balancer match the stack's state.\n",
        );

        const [changed] = MASKING_IDS;
        p.emulator.state.patchDroplet(changed, {
            name: "renamed-in-console",
            size: "s-2vcpu-4gb",
            tags: ["masking", "hand-edited"],
        });
        p.emulator.state.patchLb(LB_ID, { size_unit: 3 });

        const drift = await runCli(p, "drift", "--stack", p.stack);
        expect(drift.status).toBe(4);
        expect(drift.stdout).toContain(
            `Masking droplets: 1 of 3 changed outside the program (stack e2e):\n  masking-server-${changed} (mask-1, id ${changed})\n`,
        );
        expect(lines(drift.stdout)).toEqual(
            expect.arrayContaining([
                'name: "mask-1" → "renamed-in-console"',
                'size: "s-1vcpu-1gb" → "s-2vcpu-4gb"',
                'tags: ["masking"] → ["hand-edited","masking"]',
                "sizeUnit: 1 → 3",
            ]),
        );
        const json = await runCli(p, "drift", "--stack", p.stack, "--json");
        expect(json.status).toBe(4);
        const report = JSON.parse(json.stdout);
        expect(report.maskingServers.map((s: { id: string }) => s.id)).toEqual([String(changed)]);
        expect(
            report.maskingServers[0].changes.map((c: { property: string }) => c.property),
        ).toEqual(expect.arrayContaining(["name", "size", "tags"]));
        expect(report.loadBalancer).toEqual([{ property: "sizeUnit", from: 1, to: 3 }]);
        expect(writes(p.emulator).all).toBe(0);

        // As the report says: the state still has 1 node, so a plain up sees no change...
        await p.up();
        expect(writes(p.emulator).all).toBe(0);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(3);
        // ...and `up --refresh` sets the declared size back, with one write and nothing else.
        const ip = p.emulator.state.getLb(LB_ID).ip;
        await p.up({ args: ["--refresh"] });
        expect(writes(p.emulator)).toEqual({ lb: 1, droplet: 0, all: 1 });
        expect(p.emulator.state.getLb(LB_ID)).toMatchObject({ size_unit: 1, ip });
        expect(p.emulator.state.getDroplet(changed)).toMatchObject({
            name: "renamed-in-console",
            size_slug: "s-2vcpu-4gb",
        });
    });

    it("exits 1 when the refresh cannot read a masking server, saying the report is incomplete; 2 on bad usage", async () => {
        const p = await openProject();
        await p.up();
        p.emulator.state.faults.add({
            match: { method: "GET", path: `/v2/droplets/${MASKING_IDS[1]}` },
            status: 403,
            count: 100,
        });
        const drift = await runCli(p, "drift", "--stack", p.stack);
        expect(drift.status).toBe(1);
        expect(drift.stderr).toContain(
            "drift: the refresh could not read everything, so the report is incomplete",
        );
        expect(drift.stdout).toMatch(
            new RegExp(
                `^error: .*GET http://127\\.0\\.0\\.1:\\d+/v2/droplets/${MASKING_IDS[1]}: 403`,
                "m",
            ),
        );
        expect(drift.stdout).toContain(
            "No drift found (stack e2e) in what the refresh could read.",
        );
        expect(drift.stdout).not.toContain("match the stack's state");

        const usage = await runCli(p, "drift");
        expect(usage.status).toBe(2);
        expect(usage.stderr).toContain("--stack is required");
        expect(writes(p.emulator).all).toBe(0);
    });
});
