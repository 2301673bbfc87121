// node --require tsx/cjs bench/idleMemory.ts [runs]
// The controller's own memory on an idle tick: a `--once` tick run as the systemd unit runs it,
// under `/usr/bin/time -v` (its maximum resident set), against an emulator in this process with
// the LB at the size its calendar asks (a steady tick: no Pulumi).
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { tokenScopes } from "../config/scopes";
import { startEmulator } from "../emulator/server";
import { baseConfig, baseSeed, LB_ID, ROOT } from "../sandbox/harness";
import { unitNodeArgs } from "./unitCommand";

const T0 = Date.parse("2027-11-24T10:00:00Z");
const TOKEN = "autopilot-idle-memory-token-0123456789";
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** One `--once` tick's maximum resident set (MB) and its output. */
function timedTick(dir: string, env: NodeJS.ProcessEnv): Promise<{ mb: number; out: string }> {
    const args = ["-v", process.execPath, ...unitNodeArgs()];
    return new Promise((resolve, reject) => {
        const child = spawn("/usr/bin/time", [...args, "--stack", "idle", "--once"], {
            cwd: dir,
            env,
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("error", reject);
        child.on("close", () => {
            const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(out)?.[1];
            if (kb === undefined) reject(new Error(`no /usr/bin/time -v figures:\n${out}`));
            else resolve({ mb: Number(kb) / 1024, out });
        });
    });
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 3);
    const points: [number, number][] = [];
    for (let t = T0 - 40 * 60_000; t <= T0 + 60 * 60_000; t += 60_000)
        points.push([t / 1000, 3_000]); // 1 node holds it
    const emulator = await startEmulator({
        port: 0,
        now: iso(T0),
        seed: {
            ...baseSeed(),
            tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }],
            metrics: { loadBalancers: { [LB_ID]: { demand: { points } } } },
        },
    });
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-idle-memory-"));
    try {
        copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const config = baseConfig({ "proxy-lb:autopilot": { enabled: true } });
        writeFileSync(
            path.join(dir, "Pulumi.idle.yaml"),
            stringify({ config: { "digitalocean:apiEndpoint": emulator.url, ...config } }),
        );
        const env = {
            ...process.env,
            DIGITALOCEAN_TOKEN: TOKEN,
            PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
            PROXY_LB_NOW: iso(T0),
        };
        for (let run = 1; run <= runs; run++) {
            const { mb, out } = await timedTick(dir, env);
            const line = out.split("\n").find((l) => l.includes("autopilot idle:")) ?? out;
            console.log(`run ${run}: ${mb.toFixed(0)} MB max RSS; ${line.trim()}`);
        }
    } finally {
        await emulator.close();
        rmSync(dir, { recursive: true, force: true });
    }
}

void main();
