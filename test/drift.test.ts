// Drift from `pulumi refresh --preview-only --json` digests, shaped as Pulumi 3.248.0 prints a
// refresh preview (ops/fixtures.ts: "refresh" steps for unchanged resources, "update" for
// changed ones, "delete" for gone ones), and the drift CLI against a stand-in pulumi.
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDriftReport } from "../cli/driftReport";
import { driftExit, driftOfRefresh, driftReport, stateChanges } from "../ops/drift";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";
import {
    baseSteps,
    diagnostic,
    digest,
    DROPLET_IDS,
    dropletOutputs,
    dropletState,
    goneStep,
    lbState,
    refreshedStep,
    refreshStep,
    resourceState,
    TYPES,
} from "./support/pulumiFixtures";
import { parsePreviewDigest, type PreviewStep } from "../ops/pulumiJson";
import { runInProcess } from "./support/inProcess";
import { run as driftCommand } from "../cli/drift";

const ROOT = path.resolve(__dirname, "..");
const [D1, D2, D3] = DROPLET_IDS;

// A refresh preview starts with the stack and provider, which Read never changes.
const refreshBase = () => baseSteps().map((s) => refreshStep(s.oldState!));
const droplets = (replace: Partial<Record<number, PreviewStep>> = {}) =>
    DROPLET_IDS.map((id) => replace[id] ?? refreshStep(dropletState(id)));
const refreshPreview = (steps: PreviewStep[], diagnostics: ReturnType<typeof diagnostic>[] = []) =>
    parsePreviewDigest(
        JSON.parse(JSON.stringify(digest([...refreshBase(), ...steps], diagnostics))),
    );

/** A droplet as Read finds it after a console change: outputs and the inputs the bridge derives from them. */
function dropletAfter(id: number, patch: Record<string, unknown>) {
    const state = dropletState(id, { outputs: patch });
    const inputs = { ...state.inputs };
    for (const [k, v] of Object.entries(patch)) if (k in inputs) inputs[k] = v;
    return { ...state, inputs };
}

const RESIZED = {
    size: "s-2vcpu-4gb",
    vcpus: 2,
    memory: 4096,
    disk: 80,
    priceHourly: 0.03571,
    priceMonthly: 24,
};

describe("driftReport", () => {
    it("nothing changed: every resource kept its refresh step", () => {
        const report = driftReport(refreshPreview([...droplets(), refreshStep(lbState(3))]));
        expect(report).toEqual({
            maskingServers: [],
            maskingServersChecked: 3,
            loadBalancer: [],
            loadBalancerDeleted: false,
            errors: [],
        });
        expect(formatDriftReport(report, "drop")).toBe(
            "No drift (stack drop): the 3 masking droplets and the load balancer match the stack's state.",
        );
    });

    it("lists a droplet resized and retagged in the console, headline properties first", () => {
        const after = dropletAfter(D2, { ...RESIZED, tags: ["masking", "resized-by-hand"] });
        const report = driftReport(
            refreshPreview([
                ...droplets({ [D2]: refreshedStep(dropletState(D2), after, ["size", "tags[1]"]) }),
                refreshStep(lbState(3)),
            ]),
        );
        expect(report.maskingServers).toEqual([
            {
                id: String(D2),
                name: "mask-nyc3-02",
                resource: `masking-server-${D2}`,
                deleted: false,
                changes: [
                    { property: "size", from: "s-1vcpu-1gb", to: "s-2vcpu-4gb" },
                    { property: "tags", from: ["masking"], to: ["masking", "resized-by-hand"] },
                    { property: "disk", from: 25, to: 80 },
                    { property: "memory", from: 1024, to: 4096 },
                    { property: "priceHourly", from: 0.00893, to: 0.03571 },
                    { property: "priceMonthly", from: 6, to: 24 },
                    { property: "vcpus", from: 1, to: 2 },
                ],
            },
        ]);
        expect(report.loadBalancer).toEqual([]);
        const text = formatDriftReport(report, "drop");
        expect(text).toContain(
            "Masking droplets: 1 of 3 changed outside the program (stack drop):",
        );
        expect(text).toContain(
            `  masking-server-${D2} (mask-nyc3-02, id ${D2})\n    size: "s-1vcpu-1gb" → "s-2vcpu-4gb"\n    tags: ["masking"] → ["masking","resized-by-hand"]`,
        );
        expect(text).toContain("Load balancer proxy-lb: no change.");
    });

    it("lists image, status and name changes, and a droplet deleted outside the program", () => {
        const rebuilt = dropletAfter(D1, {
            image: "debian-12-x64",
            status: "off",
            name: "renamed",
        });
        const report = driftReport(
            refreshPreview([
                ...droplets({
                    [D1]: refreshedStep(dropletState(D1), rebuilt, ["image", "name"]),
                    [D3]: goneStep(dropletState(D3)),
                }),
                refreshStep(lbState(3)),
            ]),
        );
        expect(
            report.maskingServers.map((s) => [
                s.resource,
                s.deleted,
                s.changes.map((c) => c.property),
            ]),
        ).toEqual([
            [`masking-server-${D1}`, false, ["name", "image", "status"]],
            [`masking-server-${D3}`, true, []],
        ]);
        expect(report.maskingServers[0].name).toBe("mask-nyc3-01"); // the name the state knew
        expect(formatDriftReport(report)).toContain(
            `masking-server-${D3} (mask-nyc3-03, id ${D3}): DELETED`,
        );
    });

    it("reports the load balancer resized behind the program's back", () => {
        const resized = lbState(5);
        const report = driftReport(
            refreshPreview([...droplets(), refreshedStep(lbState(3), resized, ["sizeUnit"])]),
        );
        expect(report.maskingServers).toEqual([]);
        expect(report.loadBalancer).toEqual([{ property: "sizeUnit", from: 3, to: 5 }]);
        const text = formatDriftReport(report, "drop");
        expect(text).toContain(
            "Load balancer proxy-lb: changed outside the program (stack drop):\n    sizeUnit: 3 → 5",
        );
        expect(text).toContain("`pulumi up --refresh --stack drop` sets it back");
    });

    it("reports the load balancer deleted", () => {
        const report = driftReport(refreshPreview([...droplets(), goneStep(lbState(3))]));
        expect(report.loadBalancerDeleted).toBe(true);
        expect(formatDriftReport(report)).toContain("DELETED outside the program");
    });

    it("ignores the bridge's bookkeeping (__meta) and reports error diagnostics", () => {
        const touched = dropletState(D1, { outputs: { __meta: '{"schema_version":"2"}' } });
        const report = driftReport(
            refreshPreview(
                [
                    ...droplets({ [D1]: refreshedStep(dropletState(D1), touched, []) }),
                    refreshStep(lbState(3)),
                ],
                [
                    diagnostic(
                        "error",
                        "Preview failed: refreshing urn:pulumi:drop::proxy-lb::digitalocean:index/droplet:Droplet::masking-server-501000102: GET https://api.digitalocean.com/v2/droplets/501000102: 401 Unable to authenticate you",
                    ),
                ],
            ),
        );
        expect(report.maskingServers).toEqual([]);
        expect(report.errors).toEqual([
            "Preview failed: refreshing urn:pulumi:drop::proxy-lb::digitalocean:index/droplet:Droplet::masking-server-501000102: GET https://api.digitalocean.com/v2/droplets/501000102: 401 Unable to authenticate you",
        ]);
        expect(formatDriftReport(report)).toMatch(
            /^Drift could not be checked: DigitalOcean refused the API token \(401 Unable to authenticate you\): export DIGITALOCEAN_TOKEN .*\nerror: Preview failed.*\nThe refresh could not read everything: this report is incomplete\./,
        );
    });

    it("a refresh that read nothing says first that it could not check, never that there is no drift", () => {
        const refused = (id: number) =>
            `Preview failed: refreshing urn:pulumi:drop::proxy-lb::digitalocean:index/droplet:Droplet::masking-server-${id}: GET https://api.digitalocean.com/v2/droplets/${id}: 401 Unable to authenticate you`;
        const report = driftReport(
            refreshPreview(
                [],
                [D1, D2].map((id) => diagnostic("error", refused(id))),
            ),
        );
        const lines = formatDriftReport(report, "trial").split("\n");
        expect(lines[0]).toBe(
            "Drift could not be checked (stack trial): DigitalOcean refused the API token (401 Unable to authenticate you): export DIGITALOCEAN_TOKEN with a valid token (it is missing, revoked, expired or mistyped).",
        );
        expect(lines.findIndex((l) => l.startsWith("No drift"))).toBeGreaterThan(0);
        expect(driftExit(report)).toBe(1);
        // Whatever else the refresh could not read is said too, without a terminal's colours.
        const other = driftReport(
            refreshPreview([], [diagnostic("error", "\u001b[31mboom\u001b[39m")]),
        );
        expect(formatDriftReport(other).split("\n").slice(0, 2)).toEqual([
            "Drift could not be checked: the refresh could not read everything.",
            "error: boom",
        ]);
    });

    it("falls back to inputs for states without outputs, and notices a changed id", () => {
        const before = resourceState(TYPES.droplet, "masking-server-1", {
            id: "1",
            inputs: { size: "a" },
        });
        const after = resourceState(TYPES.droplet, "masking-server-1", {
            id: "2",
            inputs: { size: "b" },
        });
        expect(stateChanges(before, after)).toEqual([
            { property: "size", from: "a", to: "b" },
            { property: "id", from: "1", to: "2" },
        ]);
    });

    it("property: the changes are exactly the patched outputs that differ", () => {
        const value = fc.oneof(
            fc.string(),
            fc.integer(),
            fc.boolean(),
            fc.array(fc.string(), { maxLength: 3 }),
        );
        const key = fc.constantFrom(
            "size",
            "image",
            "tags",
            "status",
            "name",
            "vcpus",
            "memory",
            "backups",
            "newField",
        );
        fc.assert(
            fc.property(fc.constantFrom(...DROPLET_IDS), fc.dictionary(key, value), (id, patch) => {
                const old = dropletState(id);
                const report = driftReport(
                    refreshPreview([
                        ...droplets({
                            [id]: refreshedStep(
                                old,
                                dropletState(id, { outputs: patch }),
                                Object.keys(patch),
                            ),
                        }),
                        refreshStep(lbState(3)),
                    ]),
                );
                const base = dropletOutputs(id);
                const differing = Object.keys(patch).filter(
                    (k) => JSON.stringify(base[k]) !== JSON.stringify(patch[k]),
                );
                const found = report.maskingServers.flatMap((s) =>
                    s.changes.map((c) => c.property),
                );
                expect(found.sort()).toEqual(differing.sort());
                expect(report.maskingServers.length).toBe(differing.length > 0 ? 1 : 0);
            }),
        );
    });
});

/** A resource-outputs event of the engine's event log: what Read returned for one resource. */
const outputsEvent = (
    old: ReturnType<typeof dropletState>,
    next: ReturnType<typeof dropletState>,
) => ({
    sequence: 7,
    timestamp: 1,
    resOutputsEvent: {
        metadata: {
            op: "update",
            urn: old.urn,
            type: old.type,
            old: {
                urn: old.urn,
                type: old.type,
                id: old.id,
                inputs: old.inputs,
                outputs: old.outputs,
            },
            new: {
                urn: next.urn,
                type: next.type,
                id: next.id,
                inputs: next.inputs,
                outputs: next.outputs,
            },
        },
    },
});

describe("driftOfRefresh and driftExit: a refresh run's report and its exit code", () => {
    const run = (
        steps: PreviewStep[],
        events: object[] = [],
        status: number | null = 0,
        diagnostics: ReturnType<typeof diagnostic>[] = [],
    ) => ({
        value: refreshPreview(steps, diagnostics),
        events,
        status,
        stderr: status === 0 ? "" : "error: refresh failed\n",
    });
    const resized = outputsEvent(dropletState(D2), dropletAfter(D2, RESIZED));

    it.each([
        ["nothing drifted", run([...droplets(), refreshStep(lbState(3))]), 0, 0],
        // The digest's step stays "refresh" (ignoreChanges on every input); only the event log has what Read returned.
        [
            "a droplet resized, seen only in the event log",
            run([...droplets(), refreshStep(lbState(3))], [resized]),
            1,
            4,
        ],
        [
            "the load balancer resized",
            run([...droplets(), refreshedStep(lbState(3), lbState(4), ["sizeUnit"])]),
            0,
            4,
        ],
        ["a failed run whose digest names no error", run([...droplets()], [], 255), 0, 1],
        [
            "drift found, but the refresh could not read everything",
            run([...droplets()], [resized], 255, [diagnostic("error", "429 Too Many Requests")]),
            1,
            1,
        ],
    ])("%s", (_what, refresh, driftedServers, exit) => {
        const report = driftOfRefresh(refresh);
        expect(report.maskingServers).toHaveLength(driftedServers);
        expect(driftExit(report)).toBe(exit);
        if (exit === 1) expect(report.errors.length).toBeGreaterThan(0);
    });
});

describe("npm run drift (in-process, a stand-in pulumi)", async () => {
    let fake: FakeToolchain;
    const drift = (...args: string[]) =>
        runInProcess(driftCommand, args, { cwd: ROOT, env: { ...process.env, ...fake.env } });

    beforeAll(async () => {
        fake = fakeToolchain();
    });
    afterAll(() => fake.remove());

    // Exit codes for a scheduled job: 0 no drift, 4 drift found, 1 the check failed, 2 usage, 3 no toolchain.
    it("exits 0 when nothing drifted", async () => {
        fake.respond("refresh", {
            stdout: digest([...refreshBase(), ...droplets(), refreshStep(lbState(3))]),
            code: 0,
        });
        const run = await drift("--stack", "drop");
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("No drift (stack drop)");
    });

    it("exits 4 with the report when a masking droplet drifted, and changes nothing", async () => {
        const after = dropletAfter(D2, RESIZED);
        fake.respond("refresh", {
            stdout: digest([
                ...refreshBase(),
                ...droplets({ [D2]: refreshedStep(dropletState(D2), after, ["size"]) }),
                refreshStep(lbState(3)),
            ]),
        });
        const run = await drift("--stack", "drop");
        expect(run.stderr).toBe("");
        expect(run.status).toBe(4);
        expect(run.stdout).toContain(
            `masking-server-${D2} (mask-nyc3-02, id ${D2})\n    size: "s-1vcpu-1gb" → "s-2vcpu-4gb"`,
        );
        expect(run.stdout).toContain("Nothing was changed: this was a refresh preview.");
        expect(fake.calls().at(-1)?.args).toEqual([
            "refresh",
            "--preview-only",
            "--json",
            "--non-interactive",
            "--stack",
            "drop",
            "--event-log",
            expect.any(String),
        ]);
    });

    it("reads the refresh's event log: a droplet resized in the console, which the digest shows unchanged, is drift (exit 4)", async () => {
        fake.respond("refresh", {
            stdout: digest([...refreshBase(), ...droplets(), refreshStep(lbState(3))]),
            code: 0,
            events: [outputsEvent(dropletState(D2), dropletAfter(D2, RESIZED))],
        });
        const run = await drift("--stack", "drop");
        fake.respond("refresh", { events: [] });
        expect(run.status).toBe(4);
        expect(run.stdout).toContain(
            `masking-server-${D2} (mask-nyc3-02, id ${D2})\n    size: "s-1vcpu-1gb" → "s-2vcpu-4gb"`,
        );
    });

    it("--json prints the report object, with the same exit code (4: the load balancer drifted)", async () => {
        fake.respond("refresh", {
            stdout: digest([
                ...refreshBase(),
                ...droplets(),
                refreshedStep(lbState(3), lbState(4), ["sizeUnit"]),
            ]),
        });
        const run = await drift("--stack", "drop", "--json");
        expect(run.status).toBe(4);
        expect(JSON.parse(run.stdout)).toMatchObject({
            maskingServersChecked: 3,
            loadBalancer: [{ property: "sizeUnit", from: 3, to: 4 }],
        });
    });

    it("exits 1 when the refresh could not read everything, still printing what it found", async () => {
        fake.respond("refresh", {
            stdout: digest(
                [...refreshBase(), ...droplets()],
                [diagnostic("error", "401 Unable to authenticate you")],
            ),
            code: 255,
        });
        const run = await drift("--stack", "drop");
        expect(run.status).toBe(1);
        expect(run.stdout).toContain("error: 401 Unable to authenticate you");
        expect(run.stderr).toContain("the report is incomplete");
    });

    it("exits 1, not 4, when drift was found but the refresh could not read everything", async () => {
        const after = dropletAfter(D2, RESIZED);
        const steps = [
            ...refreshBase(),
            ...droplets({ [D2]: refreshedStep(dropletState(D2), after, ["size"]) }),
        ];
        fake.respond("refresh", {
            stdout: digest(steps, [diagnostic("error", "429 Too Many Requests")]),
            code: 255,
        });
        const run = await drift("--stack", "drop");
        expect(run.status).toBe(1);
        expect(run.stdout).toContain(`masking-server-${D2}`);
    });

    it("exits 1 when pulumi fails without an error in its JSON", async () => {
        fake.respond("refresh", {
            stdout: digest([...refreshBase(), ...droplets(), refreshStep(lbState(3))]),
            stderr: "error: the stack is locked\n",
            code: 255,
        });
        const run = await drift("--stack", "drop");
        expect(run.status).toBe(1);
        expect(run.stdout).toContain(
            "pulumi refresh --preview-only failed (exit 255): error: the stack is locked",
        );
    });

    it("exits 3 when there is no toolchain, and 2 on bad usage, without running pulumi", async () => {
        const calls = fake.calls().length;
        const bare = await runInProcess(driftCommand, ["--stack", "drop"], {
            cwd: ROOT,
            env: {
                ...process.env,
                PROXY_LB_TOOLCHAIN_CACHE: path.join(fake.env.FAKE_PULUMI_DIR, "no-cache"),
            },
        });
        expect(bare.status).toBe(3);
        expect(bare.stderr).toMatch(
            /^The Pulumi toolchain is not built yet\. Run `npm start` once/,
        );
        expect((await drift()).status).toBe(2);
        expect((await drift("--stack", "drop", "--verbose")).status).toBe(2);
        expect(fake.calls().length).toBe(calls);
    });

    it("documents its exit codes in --help", async () => {
        const help = (await drift("--help")).stdout;
        expect(help).toMatch(/0 {2}no drift/);
        expect(help).toMatch(/4 {2}drift found/);
        expect(help).toMatch(/1 {2}the check failed/);
        expect(help).toMatch(/3 {2}the Pulumi toolchain is not built yet/);
    });
});
