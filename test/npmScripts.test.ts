// The npm scripts as a supervisor meets them: `kill -TERM <pid of npm run …>` (what a shell
// script, systemd on an npm entry point or `docker stop` send) must reach the command itself, so
// every script that starts Node.js `exec`s it: npm passes the signal to its child, and without
// `exec` that child is a shell that dies and leaves the command running. A real npm, a real
// controller, the in-process emulator; no Pulumi (a tick at the live size runs none).
import { spawn } from "node:child_process";
import {
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { tokenScopes } from "../config/scopes";
import { baseConfig, baseSeed } from "../sandbox/harness";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "npm-scripts-test-token-0123456789";
/** The controller stops between ticks: within this of SIGTERM when no tick runs. */
const STOP_BOUND_MS = 10_000;

const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    }
).scripts;

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

describe("npm scripts", () => {
    it("every script that runs a TypeScript entry point execs Node.js (no shell left between npm and it)", () => {
        const entryPoints = Object.entries(scripts).filter(([, line]) => /\.ts\b/.test(line));
        expect(entryPoints.map(([name]) => name)).toContain("autopilot");
        for (const [name, line] of entryPoints)
            if (!/\bvitest\b/.test(line))
                // the test runner is not a long-running service; V8 flags may precede the hook
                expect(line, name).toMatch(
                    /^exec node (--[\w-]+=\S+ )*--require tsx\/cjs \S+\.ts$/,
                );
    });

    let emulator: Emulator | undefined;
    let dir = "";
    let controllerPid = 0;
    afterEach(async () => {
        if (controllerPid && alive(controllerPid)) process.kill(controllerPid, "SIGKILL"); // the one this test started
        await emulator?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("`kill -TERM <pid of npm run autopilot>` stops the controller between ticks and releases its lease within the stop bound", async () => {
        emulator = await startEmulator({
            port: 0,
            seed: { ...baseSeed(), tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }] },
        });
        // A project directory as a clone has it (every entry of the project), with a stack of its own.
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-npm-scripts-"));
        for (const entry of readdirSync(ROOT))
            if (!/^(\.git|Pulumi\..+\.yaml|\.state)$/.test(entry))
                symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
        writeFileSync(
            path.join(dir, "Pulumi.test.yaml"),
            stringify({
                config: {
                    "digitalocean:apiEndpoint": emulator.url,
                    ...baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
                },
            }),
        );
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env))
            if (!/^(DIGITALOCEAN_|PROXY_LB_|PULUMI_|npm_)/.test(k)) env[k] = v;
        const npm = spawn(
            "npm",
            ["run", "autopilot", "--", "--stack", "test", "--interval", "600"],
            {
                cwd: dir,
                env: {
                    ...env,
                    DIGITALOCEAN_TOKEN: TOKEN,
                    PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
                },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let out = "";
        let err = "";
        npm.stdout.on("data", (d) => (out += d));
        npm.stderr.on("data", (d) => (err += d));
        const npmExited = new Promise<number | null>((r) => npm.on("exit", (code) => r(code)));
        for (let i = 0; i < 600 && !/steady at \d+ node/.test(out); i++)
            await new Promise((r) => setTimeout(r, 100));
        expect(out, err).toMatch(/steady at 1 node/);

        const lease = path.join(
            dir,
            ".state",
            ".pulumi",
            "proxy-lb",
            "autopilot",
            "proxy-lb",
            "test.json",
        );
        const holder = (
            JSON.parse(readFileSync(lease, "utf8")) as { holder: { pid: number } | null }
        ).holder;
        controllerPid = holder!.pid;
        expect(controllerPid).not.toBe(npm.pid);

        const sent = Date.now();
        process.kill(npm.pid!, "SIGTERM");
        await Promise.race([npmExited, new Promise((r) => setTimeout(r, STOP_BOUND_MS))]);
        for (let i = 0; i < 100 && alive(controllerPid); i++)
            await new Promise((r) => setTimeout(r, 100));
        expect(alive(controllerPid), "the controller outlived its npm").toBe(false);
        expect(Date.now() - sent).toBeLessThan(STOP_BOUND_MS);
        expect(JSON.parse(readFileSync(lease, "utf8")).holder).toBeNull();
        expect(out).toContain("stopped (SIGTERM) after 1 tick; the lease is released");
    }, 60_000);
});
