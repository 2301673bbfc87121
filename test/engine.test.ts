// The real Pulumi engine and file state backend (CLI 3.248.0 built from the Go module
// proxy). The DigitalOcean provider cannot be built on these machines, so index.ts itself
// runs only up to its first provider call: enough to show that bad config stops it with a
// key-naming message before any API request. The rest uses provider-free YAML programs that
// stand in for index.ts, since what the engine and the backend do does not depend on the
// provider. These tests show, with the real CLI: the project's Pulumi.yaml and
// committed stack files are accepted; two runs on one stack lock each other out and a
// killed run's lock is cleared by `pulumi cancel`; the history and preview JSON that
// rollback and gate read parse and pick as designed; `npm run rollback` and `npm run drift`
// work end to end on the CLI; a secret token stays encrypted.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadSettings, PROJECT_CONFIG_DEFAULTS } from "../config";
import { readStackFile } from "../config/stackFile";
import { openSandbox } from "../sandbox/workspace";
import { parseHistory, parsePreviewDigest, jsonFromStdout } from "../ops/pulumiJson";
import { pickRollbackTarget, restoreStackFile } from "../ops/rollback";
import { renderPulumiYaml } from "../scripts/docs";

const ROOT = path.resolve(__dirname, "..");
const STEP_TIMEOUT_MS = 60_000;

/** The engine's bin directory, or why there is none (`npm test` builds it first where Go exists). */
function findEngine(): { bin?: string; reason?: string } {
    const run = spawnSync("bash", [path.join(ROOT, "scripts/toolchain.sh"), "--engine-only", "--check"], { encoding: "utf8" });
    return run.status === 0 ? { bin: run.stdout.trim() } : { reason: run.stderr.trim() };
}
const engine = findEngine();
// CI sets PROXY_LB_REQUIRE_ENGINE: there a missing engine is a failure, not a skip.
const required = process.env.PROXY_LB_REQUIRE_ENGINE === "1";
if (!engine.bin && required) throw new Error(`PROXY_LB_REQUIRE_ENGINE=1 but the engine is not available: ${engine.reason}`);
if (!engine.bin) console.warn(`engine tests skipped: ${engine.reason} (npm test builds the engine first wherever Go is installed)`);

interface Project {
    dir: string;
    env: NodeJS.ProcessEnv;
    pulumi(...args: string[]): { status: number | null; stdout: string; stderr: string };
    pulumiAsync(...args: string[]): { done: Promise<{ status: number | null; stdout: string; stderr: string }>; kill(signal: NodeJS.Signals): void };
}

let projects: string[] = [];
afterEach(() => {
    for (const dir of projects) {
        killPluginsOf(dir);
        rmSync(dir, { recursive: true, force: true });
    }
    projects = [];
});

/**
 * Pulumi starts plugins in process groups of their own, so a killed CLI leaves its language
 * host running. Find this project's plugins by their PULUMI_HOME and stop them.
 */
function killPluginsOf(dir: string): void {
    const home = `PULUMI_HOME=${path.join(dir, "home")}`;
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
            if (readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(home)) process.kill(Number(pid), "SIGKILL");
        } catch {
            // gone already, or not ours to read
        }
    }
}

/**
 * A scratch copy of the project for the YAML runtime: the real Pulumi.yaml (same name and
 * config declarations) with a program that echoes the config, plus the real stack file.
 */
function project(stack: string, program: Record<string, unknown>): Project {
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-engine-"));
    projects.push(dir);
    const manifest = { ...parse(renderPulumiYaml()), runtime: "yaml", ...program };
    writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(manifest));
    cpSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    mkdirSync(path.join(dir, "state"));
    const env = {
        ...process.env,
        PATH: `${engine.bin}${path.delimiter}${process.env.PATH}`,
        PULUMI_HOME: path.join(dir, "home"),
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const pulumi = (...args: string[]) => {
        const run = spawnSync("pulumi", [...args, "--non-interactive", "--stack", stack], { cwd: dir, env, encoding: "utf8", timeout: STEP_TIMEOUT_MS });
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const pulumiAsync = (...args: string[]) => {
        // Its own process group, so a kill reaches the language host and program too (as a
        // killed terminal session would), not only the CLI.
        const child = spawn("pulumi", [...args, "--non-interactive", "--stack", stack], { cwd: dir, env, detached: true, timeout: STEP_TIMEOUT_MS });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
        return { done, kill: (signal: NodeJS.Signals) => process.kill(-child.pid!, signal) };
    };
    const init = spawnSync("pulumi", ["stack", "init", stack, "--non-interactive"], { cwd: dir, env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pulumi stack init failed: ${init.stderr}`);
    return { dir, env, pulumi, pulumiAsync };
}

/**
 * What scripts/toolchain.sh --check accepts as the full toolchain, for running the project's
 * commands on a YAML stand-in program: the real pulumi and YAML host, and placeholders for the
 * Node.js host and DigitalOcean plugin, which a YAML program without resources never starts.
 */
function toolchainRig(dir: string): string {
    const pins = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies;
    const cache = path.join(dir, "toolchain");
    const bin = path.join(cache, `pulumi-${pins["@pulumi/pulumi"]}-digitalocean-${pins["@pulumi/digitalocean"]}`, "bin");
    mkdirSync(bin, { recursive: true });
    for (const real of ["pulumi", "pulumi-language-yaml"]) symlinkSync(path.join(engine.bin!, real), path.join(bin, real));
    for (const absent of ["pulumi-language-nodejs", "pulumi-resource-digitalocean"]) {
        writeFileSync(path.join(bin, absent), "#!/bin/sh\necho 'not available in the engine tests' >&2\nexit 1\n", { mode: 0o755 });
    }
    return cache;
}

const ECHO_CONFIG = { outputs: { demand: "${demand}", region: "${region}" } };

/** A program that blocks reading a FIFO until the test writes to it: a run held open on demand. */
const HELD_PROGRAM = { variables: { released: { "fn::readFile": "./release.fifo" } }, outputs: { ...ECHO_CONFIG.outputs, released: "${released}" } };

/** Makes the held program's FIFO; the returned function lets the run go on. */
function holdOpen(p: Project): () => void {
    const fifo = path.join(p.dir, "release.fifo");
    if (spawnSync("mkfifo", [fifo]).status !== 0) throw new Error("mkfifo failed");
    return () => writeFileSync(fifo, "released\n");
}

/** One of the project's commands (cli/<name>.ts) run in the scratch project, as a user runs it. */
function projectCommand(p: Project, name: string, ...args: string[]) {
    return spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(ROOT, `cli/${name}.ts`), ...args], {
        cwd: p.dir,
        env: { ...p.env, PROXY_LB_TOOLCHAIN_CACHE: toolchainRig(p.dir) },
        encoding: "utf8",
        timeout: STEP_TIMEOUT_MS,
    });
}

function lockFiles(dir: string): string[] {
    const locks = path.join(dir, "state", ".pulumi", "locks");
    if (!existsSync(locks)) return [];
    // Each lock is <id>.json (beside it the bucket library's .attrs metadata).
    return readdirSync(locks, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => e.name);
}

const waitFor = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200; i++) {
        if (ok()) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
};

// Skipped only on a machine with neither Go (to build the engine) nor pulumi 3.248 installed,
// with the reason printed above; CI sets PROXY_LB_REQUIRE_ENGINE=1, so there it always runs.
describe.skipIf(!engine.bin)("the real engine and file state backend", () => {
    // Without the provider, index.ts fails at its first provider call (reading the droplets)
    // with "no resource plugin". Our message instead shows the config was refused before any
    // provider call, so before any API request.
    it("index.ts refuses bad config naming the key, without a stack trace, before any provider call", async () => {
        const sandbox = await openSandbox("dev", engine.bin);
        const set = (key: string, value: string) => sandbox.stack.setConfig(key, { value }, key.includes("."));
        const previewError = () =>
            sandbox.stack.preview().then(
                () => undefined,
                (err: { stdout?: string; stderr?: string; message: string }) => `${err.stdout ?? ""}${err.stderr ?? ""}${err.message}`,
            );
        try {
            // The control: with the stack file's valid config the program gets to the provider.
            expect(await previewError()).toMatch(/no resource plugin 'pulumi-resource-digitalocean' found/);
            // [settings to apply, a line the output must contain]; each case starts from the stack file's values.
            const cases: [[string, string][], string][] = [
                [[["proxy-lb:demand.users", "-1"]], "proxy-lb:demand.users must be a whole number ≥ 0 (got -1)"],
                [[["proxy-lb:demand.user", "3"]], "proxy-lb:demand.user is not a known key; did you mean proxy-lb:demand.users?"],
                [[["proxy-lb:demand.users", "1000"]], "demand needs 250 nodes"],
                [[["proxy-lb:region", "sfo1"], ["proxy-lb:demand.users", "12"]], "region sfo1 is a legacy region"],
            ];
            for (const [settings, expected] of cases) {
                for (const [key, value] of settings) await set(key, value);
                const output = await previewError();
                expect(output, `${JSON.stringify(settings)} was accepted`).toBeDefined();
                expect(output).toContain(expected);
                expect(output).not.toMatch(/resource plugin/);
                expect(output).not.toMatch(/\s+at .+:\d+:\d+\)?\n/); // no stack trace
                await sandbox.stack.workspace.removeConfig("dev", "proxy-lb:demand.user", true);
                await set("proxy-lb:demand.users", String(sandbox.baseline.config.demand.users));
                await set("proxy-lb:region", sandbox.baseline.config.region);
            }
        } finally {
            await sandbox.dispose();
        }
    }, 4 * STEP_TIMEOUT_MS);

    it("accepts the project's Pulumi.yaml and the committed drop stack, and runs with its config", () => {
        const p = project("drop", ECHO_CONFIG);
        const up = p.pulumi("up", "--yes");
        expect(up.status, up.stderr).toBe(0);
        const outputs = JSON.parse(p.pulumi("stack", "output", "--json").stdout);
        expect(outputs).toEqual({ demand: { users: 12, tasksPerUser: 2000 }, region: "nyc3" });
    }, STEP_TIMEOUT_MS);

    it("refuses a second run on a stack while one holds it, and the first completes intact", async () => {
        const p = project("dev", HELD_PROGRAM);
        const release = holdOpen(p);
        const first = p.pulumiAsync("up", "--yes", "--skip-preview");
        await waitFor("the first run's lock", () => lockFiles(p.dir).length === 1);

        const second = p.pulumi("up", "--yes");
        expect(second.status).not.toBe(0);
        expect(second.stderr).toMatch(/the stack is currently locked by 1 lock\(s\)/);

        release();
        const done = await first.done;
        expect(done.status, done.stderr).toBe(0);
        expect(lockFiles(p.dir)).toEqual([]);
        expect(JSON.parse(p.pulumi("stack", "output", "--json").stdout)).toMatchObject({ demand: { users: 1, tasksPerUser: 2000 }, released: "released\n" });
    }, STEP_TIMEOUT_MS);

    it("after a run is killed (SIGKILL), its lock stays until `pulumi cancel`, then the stack runs again intact", async () => {
        const p = project("dev", HELD_PROGRAM);
        const release = holdOpen(p);
        const killed = p.pulumiAsync("up", "--yes", "--skip-preview");
        await waitFor("the run's lock", () => lockFiles(p.dir).length === 1);
        killed.kill("SIGKILL");
        await killed.done;
        expect(lockFiles(p.dir)).toHaveLength(1); // nothing cleaned up after a SIGKILL

        const refused = p.pulumi("up", "--yes");
        expect(refused.status).not.toBe(0);
        expect(refused.stderr).toContain("delete the lock file with `pulumi cancel`");

        // The documented recovery (README, "If a run was interrupted").
        expect(p.pulumi("cancel", "--yes").status).toBe(0);
        expect(lockFiles(p.dir)).toEqual([]);
        const rerun = p.pulumiAsync("up", "--yes", "--skip-preview");
        await waitFor("the rerun's lock", () => lockFiles(p.dir).length === 1);
        release();
        const done = await rerun.done;
        expect(done.status, done.stderr).toBe(0);
        expect(JSON.parse(p.pulumi("stack", "output", "--json").stdout).demand).toEqual({ users: 1, tasksPerUser: 2000 });
    }, STEP_TIMEOUT_MS);

    it("records each update's config in a history that rollback reads to return to the pre-drop size", () => {
        const p = project("dev", ECHO_CONFIG);
        const file = path.join(p.dir, "Pulumi.dev.yaml");
        const baselineText = readFileSync(file, "utf8");
        expect(p.pulumi("up", "--yes").status).toBe(0); // baseline: 1 user
        expect(p.pulumi("config", "set", "--path", "proxy-lb:demand.users", "12").status).toBe(0);
        expect(p.pulumi("up", "--yes").status).toBe(0); // the drop: 12 users

        const history = parseHistory(jsonFromStdout(p.pulumi("stack", "history", "--json", "--page-size", "0").stdout));
        expect(history).toHaveLength(2);
        const pick = pickRollbackTarget(history);
        if (!pick.ok) throw new Error(pick.reason);
        const baseline = loadSettings(readStackFile("dev", ROOT)).sizing;
        expect(pick.sizing.target.sizeUnit).toBe(baseline.sizeUnit);
        expect(pick.sizing.from.sizeUnit).toBe(3);
        expect(pick.restored["proxy-lb:demand"]).toEqual({ users: 1, tasksPerUser: 2000 });
        // Writing it back gives the repository's file its pre-drop values again.
        const restored = restoreStackFile(readFileSync(file, "utf8"), pick.restored, { defaults: PROJECT_CONFIG_DEFAULTS, file: "Pulumi.dev.yaml" });
        expect(Object.keys(parse(restored).config)).toEqual(Object.keys(parse(baselineText).config));
        expect(parse(restored), restored).toEqual(parse(baselineText));
    }, STEP_TIMEOUT_MS);

    it("npm run rollback returns the stack to its pre-drop config through the real CLI and writes the stack file back", () => {
        const p = project("dev", ECHO_CONFIG);
        const file = path.join(p.dir, "Pulumi.dev.yaml");
        const baselineText = readFileSync(file, "utf8");
        expect(p.pulumi("up", "--yes").status).toBe(0);
        expect(p.pulumi("config", "set", "--path", "proxy-lb:demand.users", "12").status).toBe(0);
        expect(p.pulumi("up", "--yes").status).toBe(0);

        const rollback = projectCommand(p, "rollback", "--stack", "dev", "--yes");
        expect(rollback.status, rollback.stdout + rollback.stderr).toBe(0);
        expect(rollback.stdout).toContain("size_unit 3 → 1");
        expect(rollback.stdout).toContain("Commit it so the repository matches what runs");
        expect(parse(readFileSync(file, "utf8"))).toEqual(parse(baselineText));
        expect(JSON.parse(p.pulumi("stack", "output", "--json").stdout).demand).toEqual({ users: 1, tasksPerUser: 2000 });
        const history = parseHistory(jsonFromStdout(p.pulumi("stack", "history", "--json", "--page-size", "0").stdout));
        expect(history.filter((h) => h.kind === "update" && h.result === "succeeded")).toHaveLength(3);
    }, STEP_TIMEOUT_MS);

    it("npm run drift runs the real read-only refresh preview and changes nothing", () => {
        const p = project("dev", ECHO_CONFIG);
        expect(p.pulumi("up", "--yes").status).toBe(0);
        const state = () => p.pulumi("stack", "export").stdout;
        const before = state();
        const drift = projectCommand(p, "drift", "--stack", "dev");
        expect(drift.status, drift.stdout + drift.stderr).toBe(0);
        expect(drift.stdout).toContain("No drift");
        expect(state()).toBe(before);
    }, STEP_TIMEOUT_MS);

    it("prints preview JSON that the gate's parser reads", () => {
        const p = project("dev", ECHO_CONFIG);
        expect(p.pulumi("up", "--yes").status).toBe(0);
        const preview = p.pulumi("preview", "--json", "--show-sames");
        expect(preview.status, preview.stderr).toBe(0);
        const digest = parsePreviewDigest(jsonFromStdout(preview.stdout));
        expect(digest.steps?.map((s) => s.op)).toContain("same");
        expect(digest.steps?.some((s) => s.urn.endsWith("pulumi:pulumi:Stack::proxy-lb-dev"))).toBe(true);
    }, STEP_TIMEOUT_MS);

    it("keeps a DigitalOcean token given as a secret out of the stack file, the state and the output", () => {
        const token = "dop_v1_enginetest0123456789abcdef0123456789abcdef0123456789abcdef";
        const p = project("dev", ECHO_CONFIG);
        const set = spawnSync("pulumi", ["config", "set", "--secret", "digitalocean:token", "--stack", "dev", "--non-interactive"], { cwd: p.dir, env: p.env, input: token, encoding: "utf8" });
        expect(set.status, set.stderr).toBe(0);
        const runs = [p.pulumi("preview"), p.pulumi("up", "--yes"), p.pulumi("stack", "output", "--json", "--show-secrets"), p.pulumi("stack", "history", "--json"), p.pulumi("config")];
        for (const run of runs) expect(run.stdout + run.stderr).not.toContain(token);
        expect(readFileSync(path.join(p.dir, "Pulumi.dev.yaml"), "utf8")).toMatch(/digitalocean:token:\n\s+secure: /);
        for (const entry of readdirSync(p.dir, { recursive: true, withFileTypes: true })) {
            if (entry.isFile() && !entry.name.endsWith(".fifo")) expect(readFileSync(path.join(entry.parentPath, entry.name), "utf8")).not.toContain(token);
        }
        // It is there, encrypted: the passphrase gets it back.
        expect(p.pulumi("config", "get", "digitalocean:token").stdout.trim()).toBe(token);
    }, STEP_TIMEOUT_MS);
});
