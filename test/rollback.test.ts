// Rollback: picking the point to return to from `pulumi stack history --json` (entries shaped
// as stack_history.go's updateInfoJSON, built in ops/fixtures.ts), writing its config back into
// the stack file without losing comments, and the rollback CLI against a stand-in pulumi.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parseDocument } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { parseStackFile } from "../config/stackFile";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";
import { dropStackLb } from "./support/dropStackLb";
import {
    baseSteps,
    BASE_CONFIG,
    demandFor,
    digest,
    dropletSames,
    historyEntry,
    historyJson,
    lbGoal,
    lbState,
    TYPES,
    updateStep,
    urn,
} from "./support/pulumiFixtures";
import { parseHistory, type UpdateInfo } from "../ops/pulumiJson";
import {
    configOf,
    pickRollbackTarget,
    restoreStackFile,
    rollbackPreviewProblem,
    timeline,
} from "../ops/rollback";
import { run as gateCommand } from "../cli/gate";
import { run as rollbackCommand } from "../cli/rollback";
import { runInProcess } from "./support/inProcess";
import { updateLabel } from "../cli/report";
import { type Emulator, startEmulator } from "../emulator/server";
import { seedFromIds } from "../emulator/seed";
import { TEST_TOKEN } from "../emulator/testkit";

const ROOT = path.resolve(__dirname, "..");
const DROP_FILE = readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8");
const DEV_FILE = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");

/** History (newest first, as the CLI prints it) of successful updates sized to these node counts. */
function historyOf(
    ...nodes: (
        | number
        | Partial<{
              nodes: number;
              kind: string;
              result: string;
              secret: boolean;
              invalid: boolean;
          }>
    )[]
): UpdateInfo[] {
    const entries = nodes.map((n, i) => {
        const spec = typeof n === "number" ? { nodes: n } : n;
        const demand = spec.invalid ? { users: "many" } : demandFor(spec.nodes ?? 1);
        return historyEntry(
            i + 1,
            { demand },
            {
                kind: spec.kind,
                result: spec.result,
                secretKeys: spec.secret ? ["demand"] : undefined,
            },
        );
    });
    // Through JSON and the parser, as the CLI reads it.
    return parseHistory(JSON.parse(JSON.stringify(historyJson(entries))));
}

function picked(history: UpdateInfo[], to?: number) {
    const pick = pickRollbackTarget(history, { to });
    if (!pick.ok) throw new Error(`expected a target, got: ${pick.reason}`);
    return pick;
}

function reason(history: UpdateInfo[], to?: number): string {
    const pick = pickRollbackTarget(history, { to });
    if (pick.ok) throw new Error(`expected a refusal, got version ${pick.versions.target}`);
    return pick.reason;
}

describe("pickRollbackTarget", () => {
    it("baseline → drop: returns to the pre-drop update", () => {
        const pick = picked(historyOf(1, 3));
        expect(pick.versions).toEqual({ target: 1, from: 2, numbered: false });
        expect(pick.target.version).toBe(1);
        expect(pick.from.version).toBe(2);
        expect([pick.sizing.from.sizeUnit, pick.sizing.target.sizeUnit]).toEqual([3, 1]);
        expect(pick.restored).toEqual({
            "proxy-lb:capacity": {},
            "proxy-lb:demand": { tasksPerUser: 2000, users: 4 },
            "proxy-lb:loadBalancer": BASE_CONFIG.loadBalancer,
            "proxy-lb:maskingServers": BASE_CONFIG.maskingServers,
            "proxy-lb:region": "nyc3",
        });
    });

    it("baseline → drop → rollback → drop2: returns to the rollback, not the first baseline", () => {
        const pick = picked(historyOf(1, 3, 1, 5));
        expect(pick.versions).toMatchObject({ target: 3, from: 4 });
        expect(pick.sizing.target.sizeUnit).toBe(1);
    });

    it("a drop raised twice returns to before the last raise (the most recent scale-up)", () => {
        expect(picked(historyOf(1, 3, 6)).versions).toMatchObject({ target: 2, from: 3 });
    });

    it("a drop lowered partway still returns to before the scale-up", () => {
        expect(picked(historyOf(1, 6, 3)).versions).toMatchObject({ target: 1, from: 3 });
    });

    it("skips failed updates, refreshes and destroys", () => {
        const pick = picked(
            historyOf(1, { nodes: 5, result: "failed" }, { kind: "refresh" }, 3, {
                nodes: 1,
                result: "failed",
            }),
        );
        expect(pick.versions).toMatchObject({ target: 1, from: 4 });
    });

    it("--to picks that version", () => {
        const pick = picked(historyOf(2, 3, 1, 5), 1);
        expect(pick.versions).toMatchObject({ target: 1, from: 4 });
        expect(pick.sizing.target.sizeUnit).toBe(2);
    });

    it("--to may go to a larger size too (the operator asked)", () => {
        expect(picked(historyOf(1, 5, 1), 2).sizing.target.sizeUnit).toBe(5);
    });

    it("DIY backends record no versions: entries are numbered oldest = 1, and --to uses that numbering", () => {
        const diy = historyOf(1, 3, 1, 5).map((e) => ({ ...e, version: 0 }));
        expect(picked(diy).versions).toEqual({ target: 3, from: 4, numbered: true });
        expect(picked(diy, 2).target).toBe(diy[2]); // newest first: index 2 is the second oldest
    });

    it("Pulumi Cloud versions are used as they are, in any order", () => {
        const cloud = historyOf(1, 3).map((e, i) => ({ ...e, version: 41 - i }));
        expect(picked(cloud).versions).toEqual({ target: 40, from: 41, numbered: false });
        expect(picked([...cloud].reverse()).versions).toEqual({
            target: 40,
            from: 41,
            numbered: false,
        });
    });

    it.each<[string, UpdateInfo[], number | undefined, RegExp]>([
        ["empty history", [], undefined, /the stack has no history: nothing has been deployed/],
        [
            "only one update",
            historyOf(3),
            undefined,
            /only one successful update \(version 1\): there is no earlier point to return to/,
        ],
        [
            "only failed updates",
            historyOf({ nodes: 1, result: "failed" }),
            undefined,
            /no successful update in the history \(1 entry: version 1 update failed\)/,
        ],
        [
            "no scale-up (only downs)",
            historyOf(5, 3, 1),
            undefined,
            /no scale-up in the history: .*version 1: size_unit 5, version 2: size_unit 3, version 3: size_unit 1\); pick a version with --to/,
        ],
        [
            "no scale-up (same size, new demand)",
            historyOf(1, 1),
            undefined,
            /no scale-up in the history/,
        ],
        [
            "already rolled back",
            historyOf(1, 3, 1),
            undefined,
            /nothing to roll back: the update that runs now \(version 3\) has size_unit 1, no more than 1 before the last scale-up \(version 2\)/,
        ],
        [
            "an update still running",
            historyOf(1, 3, { nodes: 1, result: "in-progress" }),
            undefined,
            /version 3 is still in-progress/,
        ],
        [
            "target config has a secret",
            historyOf({ nodes: 1, secret: true }, 3),
            undefined,
            /version 1's config cannot be read \(proxy-lb:demand is a secret, which the history does not show\)/,
        ],
        [
            "target config is invalid",
            historyOf({ invalid: true }, 3),
            undefined,
            /version 1's config cannot be read \(proxy-lb:demand.users must be a whole number/,
        ],
        [
            "current config unreadable",
            historyOf(1, { invalid: true }),
            undefined,
            /the config of the update that runs now \(version 2\) cannot be read/,
        ],
        [
            "--to a version not in history",
            historyOf(1, 3),
            7,
            /version 7 is not in the stack's history \(versions in the history: 1–2\)/,
        ],
        [
            "--to a refresh",
            historyOf(1, { kind: "refresh" }, 3),
            2,
            /version 2 is a refresh, not an update/,
        ],
        [
            "--to a failed update",
            historyOf(1, { nodes: 2, result: "failed" }, 3),
            2,
            /version 2 failed: only a successful update can be restored/,
        ],
        [
            "--to what runs now",
            historyOf(1, 3),
            2,
            /version 2 is the latest successful update: it is what runs now/,
        ],
        [
            "--to an invalid config",
            historyOf({ invalid: true }, 1, 3),
            1,
            /version 1's config cannot be restored: proxy-lb:demand.users/,
        ],
    ])("explains: %s", (_, history, to, expected) => {
        expect(reason(history, to)).toMatch(expected);
    });

    it("property: the target is the update before the last strict increase, when the size now is above it", () => {
        fc.assert(
            fc.property(
                fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 0, maxLength: 10 }),
                (sizes) => {
                    const pick = pickRollbackTarget(historyOf(...sizes), {});
                    let up = -1;
                    for (let i = sizes.length - 1; i >= 1; i--) {
                        if (sizes[i] > sizes[i - 1]) {
                            up = i;
                            break;
                        }
                    }
                    const expectTarget = up > 0 && sizes[sizes.length - 1] > sizes[up - 1];
                    expect(pick.ok).toBe(expectTarget);
                    if (pick.ok) {
                        expect(pick.versions.target).toBe(up); // version = index + 1 of the update before the scale-up
                        expect(pick.sizing.target.sizeUnit).toBe(sizes[up - 1]);
                        expect(pick.sizing.target.sizeUnit).toBeLessThan(pick.sizing.from.sizeUnit);
                    }
                },
            ),
        );
    });
});

describe("timeline and configOf", () => {
    it("orders oldest first", () => {
        expect(timeline(historyOf(1, 2, 3)).points.map((p) => p.version)).toEqual([1, 2, 3]);
    });

    it("reads objects from objectValue and other values from value, ignoring other namespaces", () => {
        const read = configOf(historyEntry(1, { demand: demandFor(2) }));
        expect(read.ok && read.settings.sizing.sizeUnit).toBe(2);
        expect(read.ok && Object.keys(read.restored)).not.toContain("digitalocean:token");
    });

    it("reads objects given only as JSON text (set with pulumi config set, not --path)", () => {
        const entry = historyEntry(1, {});
        entry.config["proxy-lb:demand"] = { value: JSON.stringify(demandFor(3)), secret: false };
        const read = configOf(entry);
        expect(read.ok && read.restored["proxy-lb:demand"]).toEqual(demandFor(3));
    });

    it("refuses values --show-secrets could not decrypt", () => {
        const entry = historyEntry(1, {});
        entry.config["proxy-lb:region"] = { value: "ERROR_UNABLE_TO_DECRYPT", secret: true };
        expect(configOf(entry)).toEqual({
            ok: false,
            problem: "proxy-lb:region is a secret, which the history does not show",
        });
    });
});

describe("restoreStackFile", () => {
    const current = (text: string) =>
        Object.fromEntries(
            Object.entries(parseStackFile(text, "f")).filter(([k]) => k.startsWith("proxy-lb:")),
        );
    const comments = (text: string) =>
        text
            .split("\n")
            .filter((l) => l.trim().startsWith("#"))
            .map((l) => l.trim());

    it("changes nothing, byte for byte, when the values are the same", () => {
        expect(restoreStackFile(DROP_FILE, current(DROP_FILE))).toBe(DROP_FILE);
        expect(restoreStackFile(DEV_FILE, current(DEV_FILE))).toBe(DEV_FILE);
    });

    it("restores the drop stack's demand in place, keeping every comment and line", () => {
        const restored = {
            ...current(DROP_FILE),
            "proxy-lb:demand": { tasksPerUser: 2000, users: 4 },
        };
        const out = restoreStackFile(DROP_FILE, restored);
        expect(out).toBe(DROP_FILE.replace("    users: 12\n", "    users: 4\n"));
        expect(loadSettings(parseStackFile(out, "f")).sizing.sizeUnit).toBe(1);
    });

    it("keeps other namespaces, secrets and the encryption salt", () => {
        const file = [
            "encryptionsalt: v1:Zm9vYmFy:v1:YmF6:cXV4",
            "config:",
            "  # the token",
            "  digitalocean:token:",
            "    secure: v1:abc:def",
            DEV_FILE.split("config:\n")[1],
        ].join("\n");
        const out = restoreStackFile(file, { ...current(file), "proxy-lb:region": "ams3" });
        const parsed = parseDocument(out).toJS();
        expect(parsed.encryptionsalt).toBe("v1:Zm9vYmFy:v1:YmF6:cXV4");
        expect(parsed.config["digitalocean:token"]).toEqual({ secure: "v1:abc:def" });
        expect(parsed.config["digitalocean:apiEndpoint"]).toBe("http://127.0.0.1:18787");
        expect(parsed.config["proxy-lb:region"]).toBe("ams3");
        expect(comments(out)).toEqual(comments(file));
    });

    it("removes proxy-lb keys the target did not have, adds the ones it had, and leaves project defaults out", () => {
        const { "proxy-lb:maskingServers": _, ...withoutServers } = current(DROP_FILE);
        const restored = {
            ...withoutServers,
            "proxy-lb:maskingServers": { tag: "masking" },
            "proxy-lb:capacity": { minNodes: 2 },
        };
        const out = restoreStackFile(DROP_FILE, restored);
        expect(current(out)).toEqual(restored);
        expect(out).toContain("  proxy-lb:maskingServers:\n    tag: masking\n");
        expect(out).toContain("  # The masking droplets: imported read-only");

        const defaults = { "proxy-lb:capacity": {} };
        const noCapacity = restoreStackFile(
            DROP_FILE,
            { ...current(DROP_FILE), "proxy-lb:capacity": {} },
            { defaults },
        );
        expect(noCapacity).toBe(DROP_FILE);

        const fewer = { ...current(DROP_FILE) };
        delete fewer["proxy-lb:demand"];
        expect(current(restoreStackFile(DROP_FILE, fewer))).toEqual(fewer);
    });

    it("creates the config block when the file has none", () => {
        const out = restoreStackFile("# empty stack\n", { "proxy-lb:region": "nyc3" });
        expect(out).toMatch(/^# empty stack\n\n?config:\n {2}proxy-lb:region: nyc3\n$/);
    });

    it("refuses keys outside proxy-lb: and files that are not stack files", () => {
        expect(() => restoreStackFile(DROP_FILE, { "digitalocean:token": "x" })).toThrow(
            /not a proxy-lb: key/,
        );
        expect(() => restoreStackFile("config: [1, 2]\n", {})).toThrow(/config must be a mapping/);
        expect(() => restoreStackFile("config: {\n", {})).toThrow(/not valid YAML/);
    });

    it("property: any restored values read back exactly, other keys untouched", () => {
        const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
        const key = fc.constantFrom(
            "region",
            "loadBalancer",
            "maskingServers",
            "demand",
            "capacity",
            "extra",
        );
        fc.assert(
            fc.property(fc.dictionary(key, json), (values) => {
                const restored = Object.fromEntries(
                    Object.entries(values).map(([k, v]) => [`proxy-lb:${k}`, v]),
                );
                const out = restoreStackFile(DEV_FILE, restored);
                const config = parseStackFile(out, "f");
                expect(current(out)).toEqual(restored);
                expect(config["digitalocean:apiEndpoint"]).toBe("http://127.0.0.1:18787");
                expect(out.startsWith(DEV_FILE.split("config:\n")[0])).toBe(true); // the header comments
            }),
        );
    });

    it("property: a drop stack with other demand, servers and region keeps every comment", () => {
        fc.assert(
            fc.property(
                fc.record({ users: fc.nat(1000), tasksPerUser: fc.nat(5000) }),
                fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 31 }), {
                    minLength: 1,
                    maxLength: 10,
                }),
                fc.constantFrom("nyc3", "ams3", "sfo3"),
                (demand, ids, region) => {
                    const restored = {
                        ...current(DROP_FILE),
                        "proxy-lb:demand": demand,
                        "proxy-lb:maskingServers": { ids },
                        "proxy-lb:region": region,
                    };
                    const out = restoreStackFile(DROP_FILE, restored);
                    expect(current(out)).toEqual(restored);
                    expect(comments(out)).toEqual(comments(DROP_FILE));
                },
            ),
        );
    });

    it("end to end with a picked target: the file sizes to the target", () => {
        const pick = picked(historyOf(1, 3));
        const out = restoreStackFile(DROP_FILE, pick.restored, {
            defaults: { "proxy-lb:capacity": {} },
        });
        expect(loadSettings(parseStackFile(out, "f")).sizing).toEqual(pick.sizing.target);
        expect(comments(out)).toEqual(comments(DROP_FILE));
    });
});

describe("rollbackPreviewProblem: a preview that passes the gate must also size to the version's config", () => {
    it.each([
        ["the version's size", { from: 3, to: 1 }, undefined],
        ["no size to compare", undefined, undefined],
        [
            "another size",
            { from: 3, to: 2 },
            "the preview sizes the load balancer to 2, but version 1's config sizes to 1",
        ],
    ])("%s", (_what, change, problem) => {
        expect(rollbackPreviewProblem(change, 1, 1)).toBe(problem);
    });
});

describe("npm run rollback (in-process, a stand-in pulumi)", () => {
    let fake: FakeToolchain;
    let dir: string;
    // The drop stack's load balancer, idle (the emulator reports 0 connections): its gate reads the
    // live crowd before a scale-down, as every rollback's does.
    let emulator: Emulator;
    const env = () => ({
        ...process.env,
        ...fake.env,
        DIGITALOCEAN_API_URL: emulator.url,
        DIGITALOCEAN_TOKEN: TEST_TOKEN,
    });
    const rollback = (...args: string[]) =>
        runInProcess(rollbackCommand, args, { cwd: dir, env: env() });
    // The drop stack as committed (3 nodes) ran as version 2, after a 1-node baseline.
    const history = () =>
        historyJson([
            historyEntry(1, { demand: demandFor(1) }),
            historyEntry(2, { demand: { tasksPerUser: 2000, users: 12 } }),
        ]);
    const downPreview = () =>
        digest([
            ...baseSteps(),
            ...dropletSames(),
            updateStep(lbState(3), lbGoal(1), ["sizeUnit"]),
        ]);

    beforeAll(async () => {
        fake = fakeToolchain();
        const lb = dropStackLb(3);
        emulator = await startEmulator({ port: 0, seed: seedFromIds([], { loadBalancers: [lb] }) });
    });
    afterAll(async () => {
        fake.remove();
        await emulator.close();
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const scratch = () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-rollback-test-"));
        copyFileSync(path.join(ROOT, "Pulumi.drop.yaml"), path.join(dir, "Pulumi.drop.yaml"));
        copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fake.respond("stack-history", { stdout: history() });
        fake.respond("preview", { stdout: downPreview(), code: 0 });
        fake.respond("up", { stdout: "Updating (drop)\n", code: 0 });
    };

    it("with --yes: previews the restored config, applies it, and writes it back for commit", async () => {
        scratch();
        const before = fake.calls().length;
        const run = await rollback("--stack", "drop", "--yes");
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("size_unit 3 → 1 (−2 nodes, −$0.0357/hour, −$24.00/month)");
        expect(run.stdout).toContain(
            "preview: load balancer size_unit 3 → 1, nothing else changes",
        );
        // The gate read the idle load balancer's crowd before letting the scale-down through.
        expect(run.stdout).toMatch(
            /^scale-down from 3 nodes to 1 node still covers the observed need of 0 nodes: observed peak 0 connections at \S+ \(highest of the last 30 min\)/m,
        );
        expect(run.stdout).toContain('git commit -m "rollback drop to version 1" Pulumi.drop.yaml');

        const expected = DROP_FILE.replace("    users: 12\n", "    users: 4\n");
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(expected);
        const calls = fake.calls().slice(before);
        expect(calls.map((c) => c.args.slice(0, 2))).toEqual([
            ["stack", "history"],
            ["preview", "--json"],
            ["up", "--yes"],
        ]);
        expect(calls[0].args).toEqual([
            "stack",
            "history",
            "--json",
            "--page-size",
            "0",
            "--stack",
            "drop",
        ]);
        expect(calls[1].configFile).toBe(expected);
        expect(calls[2].configFile).toBe(expected);
    });

    it("without a terminal and without --yes: refuses after the preview, changing nothing", async () => {
        scratch();
        const before = fake.calls().length;
        const run = await rollback("--stack", "drop");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("no terminal to confirm on; re-run with --yes");
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(DROP_FILE);
        expect(
            fake
                .calls()
                .slice(before)
                .map((c) => c.args[0]),
        ).toEqual(["stack", "preview"]);
    });

    it("refuses when the rollback preview would touch a droplet", async () => {
        scratch();
        const bad = downPreview();
        bad.steps = bad.steps!.map((s) =>
            s.urn.endsWith("masking-server-501000101")
                ? { ...s, op: "update", diffReasons: ["size"] }
                : s,
        );
        fake.respond("preview", { stdout: bad });
        const run = await rollback("--stack", "drop", "--yes");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "the preview does not pass the gate; nothing was changed:\n  masking-server-501000101: update (size)",
        );
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(DROP_FILE);
    });

    it("applies the same gate as npm run gate: one preview, the same reasons, line for line", async () => {
        scratch();
        const bad = downPreview();
        bad.steps = bad.steps!.map((s) =>
            s.urn.endsWith("masking-server-501000101")
                ? { ...s, op: "update", diffReasons: ["size"] }
                : s,
        );
        // A mandatory violation the preview's JSON leaves out (only the event log has it), and the exit it causes.
        const violation = {
            sequence: 3,
            timestamp: 1,
            policyEvent: {
                resourceUrn: urn(TYPES.loadBalancer, "proxy-lb"),
                message: "The load balancer must be protected.",
                policyName: "lb-protected",
                policyPackName: "proxy-lb-guardrails",
                enforcementLevel: "mandatory",
            },
        };
        fake.respond("preview", {
            stdout: bad,
            stderr: "error: preview failed\n",
            code: 255,
            events: [violation],
        });
        const before = fake.calls().length;
        const rolled = await rollback("--stack", "drop", "--yes", "--policy-pack", "policy");
        const gated = await runInProcess(
            gateCommand,
            ["--stack", "drop", "--policy-pack", "policy"],
            {
                cwd: dir,
                env: env(),
            },
        );
        fake.respond("preview", { stderr: "", code: 0, events: [] });
        const reasons = (stderr: string) => stderr.trimEnd().split("\n").slice(1);
        expect(rolled.status).toBe(1);
        expect(gated.status).toBe(1);
        expect(rolled.stderr.split("\n")[0]).toBe(
            "rollback: the preview does not pass the gate; nothing was changed:",
        );
        expect(reasons(rolled.stderr)).toEqual([
            "  masking-server-501000101: update (size): masking droplets must never be written to (only same/read/import/refresh are safe)",
            "  policy lb-protected on proxy-lb: The load balancer must be protected.",
        ]);
        expect(reasons(gated.stderr)).toEqual(reasons(rolled.stderr));
        // Both previews ran with the policy pack and an event log; rollback's with the restored config.
        const previews = fake
            .calls()
            .slice(before)
            .filter((c) => c.args[0] === "preview");
        expect(previews).toHaveLength(2);
        for (const call of previews)
            expect(call.args).toEqual(
                expect.arrayContaining(["--show-sames", "--policy-pack", "policy", "--event-log"]),
            );
        expect(previews[0].args).toContain("--config-file");
        expect(
            fake
                .calls()
                .slice(before)
                .some((c) => c.args[0] === "up"),
        ).toBe(false);
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(DROP_FILE);
    });

    it("leaves the stack file alone when pulumi up fails; DigitalOcean's 'too often' is said once with its time, and the load balancer is read back so the next run is not blocked", async () => {
        scratch();
        const refusal =
            "error: update failed: Error updating Load Balancer: 422 load balancer can not be resized this often, next available resize at: 2027-11-24 11:21:00 +0000 UTC";
        // The engine's diagnostic, in its event log as the real engine writes it.
        fake.respond("up", {
            code: 255,
            stderr: `${refusal}\n`,
            events: [{ diagnosticEvent: { severity: "error", message: refusal } }],
        });
        const before = fake.calls().length;
        const run = await rollback("--stack", "drop", "--yes");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "pulumi up failed (exit 255); Pulumi.drop.yaml was left as it was. The load balancer's state was read back (pulumi refresh), so the next run is not blocked.",
        );
        expect(run.stderr.split("\n").filter((l) => l.startsWith("DigitalOcean refused"))).toEqual([
            "DigitalOcean refused the resize: the load balancer was resized too recently. Nothing changed; run again after 2027-11-24T11:21:00Z, the next available resize DigitalOcean names.",
        ]);
        const after = fake.calls().slice(before);
        expect(after.filter((c) => c.args[0] === "up")).toHaveLength(1); // never retried
        expect(after.filter((c) => c.args[0] === "refresh").map((c) => c.args)).toEqual([
            expect.arrayContaining([
                "--target",
                "urn:pulumi:drop::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb",
            ]),
        ]);
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(DROP_FILE);
    });

    it("explains when there is nothing to roll back to", async () => {
        scratch();
        fake.respond("stack-history", {
            stdout: historyJson([historyEntry(1, { demand: demandFor(3) })]),
        });
        const run = await rollback("--stack", "drop", "--to", "1");
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
            "rollback: version 1 is the latest successful update: it is what runs now\n",
        );
        writeFileSync(path.join(dir, "unused"), ""); // dir exists for afterEach
    });
});

describe("updateLabel: a history entry in one line", () => {
    it("shows the first line of a long commit message once, shortened, with the commit", () => {
        const subject =
            `lint clean: ${"the two promises marked as not awaited, ".repeat(8)}`.trim();
        const entry = {
            version: 2,
            startTime: "2027-11-26T10:00:00Z",
            message: `${subject}\n\n${subject}\nmore of the body`,
            environment: { "git.head": "0123456789abcdef0123" },
        } as unknown as UpdateInfo;
        const line = updateLabel(2, entry);
        expect(line).toBe(
            `version 2, 2027-11-26T10:00:00Z, ${JSON.stringify(`${subject.slice(0, 71)}…`)}, commit 0123456789ab`,
        );
        expect(line.length).toBeLessThan(140);
        expect(updateLabel(1, { ...entry, message: "short" })).toBe(
            'version 1, 2027-11-26T10:00:00Z, "short", commit 0123456789ab',
        );
    });
});
