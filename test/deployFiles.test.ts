// The two ways docs/autopilot.md gives to keep the controller running, as written: the systemd
// unit's ExecStart line and the container image's entry command (ENTRYPOINT + CMD), each read
// from its file and run as a `--once --json` tick in a copy of the project laid out as the file
// says (its working directory), against the emulator with the autopilot's scoped token in place
// of the unit's EnvironmentFile / the container's --env-file. Both must do the same tick. (No
// image is built here: no container engine is available; the entry command is what it runs.)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { tokenScopes } from "../config/scopes";
import { baseSeed, LB_ID } from "../sandbox/harness";
import { unitExecStart, unitValue } from "../bench/unitCommand";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "deploy-files-test-token-0123456789";
const NOW = "2027-11-24T10:00:00Z";
const SLOW = 120_000;

/** The image's entry command: ENTRYPOINT and CMD in their JSON (exec) form, and the last WORKDIR. */
function imageCommand(text: string): { argv: string[]; workingDirectory: string } {
    const instruction = (name: string) =>
        text
            .split("\n")
            .filter((l) => l.startsWith(`${name} `))
            .map((l) => l.slice(name.length + 1).trim());
    const json = (name: string) => {
        const all = instruction(name);
        expect(all, `${name} once`).toHaveLength(1);
        return JSON.parse(all[0]) as string[];
    };
    return {
        argv: [...json("ENTRYPOINT"), ...json("CMD")],
        workingDirectory: instruction("WORKDIR").at(-1)!,
    };
}

let emulator: Emulator;
let fake: FakeToolchain;
let dir: string;

beforeAll(async () => {
    fake = fakeToolchain();
    const seed = baseSeed();
    seed.loadBalancers![0].size_unit = 3;
    const points: [number, number][] = [];
    for (let t = Date.parse(NOW) - 40 * 60_000; t <= Date.parse(NOW); t += 60_000)
        points.push([t / 1000, 20_000]); // 3 nodes hold it
    emulator = await startEmulator({
        port: 0,
        now: NOW,
        seed: {
            ...seed,
            tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }],
            metrics: { loadBalancers: { [LB_ID]: { demand: { points } } } },
        },
    });
    // The project as both files lay it out: the repository's files, and its drop stack with the autopilot on.
    dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-deploy-"));
    for (const entry of [
        "cli",
        "ops",
        "config",
        "infra",
        "sizing",
        "scripts",
        "node_modules",
        "package.json",
        "tsconfig.json",
        "Pulumi.yaml",
    ])
        symlinkSync(path.join(ROOT, entry), path.join(dir, entry));
    const drop = parse(readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8")) as {
        config: Record<string, unknown>;
    };
    writeFileSync(
        path.join(dir, "Pulumi.drop.yaml"),
        stringify({
            config: {
                ...drop.config,
                "digitalocean:apiEndpoint": emulator.url,
                "proxy-lb:autopilot": { enabled: true },
            },
        }),
    );
});
afterAll(async () => {
    await emulator?.close();
    fake?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

function runTick(
    argv: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const [command, ...args] = argv;
    const env = {
        PATH: process.env.PATH!,
        HOME: dir,
        ...fake.env,
        DIGITALOCEAN_TOKEN: TOKEN,
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PROXY_LB_NOW: NOW,
    };
    return new Promise((resolve) => {
        const child = execFile(
            command,
            [...args, "--once", "--json"],
            { cwd: dir, env, timeout: SLOW },
            (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
        );
    });
}

describe("deploy/: the systemd unit and the container image run the same controller", () => {
    it(
        "the unit's ExecStart and the image's ENTRYPOINT + CMD, each run as a --once tick, do the same tick on the drop stack",
        async () => {
            const unit = { argv: unitExecStart(), workingDirectory: unitValue("WorkingDirectory") };
            const image = imageCommand(
                readFileSync(path.join(ROOT, "deploy", "Containerfile"), "utf8"),
            );
            expect(unit.workingDirectory).toBe("/opt/proxy-lb");
            expect(image.workingDirectory).toBe("/opt/proxy-lb");
            // Both are the controller on the drop stack: the unit through env(1), which finds node on PATH.
            expect(unit.argv).toEqual(["/usr/bin/env", ...image.argv]);

            const reports = [];
            for (const argv of [unit.argv, image.argv]) {
                const before = emulator.state.log.length;
                const run = await runTick(argv);
                expect(run.status, run.stderr).toBe(0);
                const { durationMs, ...report } = JSON.parse(run.stdout);
                expect(durationMs).toBeGreaterThan(0);
                reports.push(report);
                expect(
                    emulator.state.log
                        .slice(before)
                        .map((e) => `${e.method} ${e.path} ${e.status}`),
                ).toEqual([
                    `GET /v2/load_balancers/${LB_ID} 200`,
                    "GET /v2/monitoring/metrics/load_balancer/frontend_connections_current 200",
                    "GET /v2/monitoring/metrics/load_balancer/frontend_connections_limit 200",
                ]);
            }
            expect(reports[0]).toMatchObject({
                stack: "drop",
                at: NOW,
                status: "steady",
                liveSizeUnit: 3,
                targetSizeUnit: 3,
                lease: { held: true },
            });
            expect(reports[1]).toEqual(reports[0]);
            expect(fake.calls()).toEqual([]); // a tick at the live size starts no Pulumi
        },
        SLOW,
    );
});
