// `npm run autopilot -- --dry-run` needs no lease (it changes nothing), so it runs on an s3://
// state it has no credentials for, as docs/autopilot.md says; the controller itself needs the
// bucket for its lease and says so in one line. The command in-process against the in-process
// emulator, no Pulumi.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { tokenScopes } from "../config/scopes";
import { baseConfig, baseSeed } from "../sandbox/harness";
import { run as autopilotCommand } from "../cli/autopilot";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "autopilot-dry-run-token-0123456789";
const S3 = "s3://state-bucket?endpoint=https://nyc3.digitaloceanspaces.com";

let emulator: Emulator;
let dir = "";
beforeAll(async () => {
    emulator = await startEmulator({
        port: 0,
        seed: { ...baseSeed(), tokens: [{ token: TOKEN, scopes: tokenScopes("autopilot") }] },
    });
    dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-autopilot-dry-"));
    copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    writeFileSync(
        path.join(dir, "Pulumi.test.yaml"),
        stringify({
            config: {
                "digitalocean:apiEndpoint": emulator.url,
                ...baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
            },
        }),
    );
});
afterAll(async () => {
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) =>
    runInProcess(autopilotCommand, ["--stack", "test", ...args], {
        cwd: dir,
        env: {
            ...process.env,
            DIGITALOCEAN_TOKEN: TOKEN,
            AWS_ACCESS_KEY_ID: "",
            AWS_SECRET_ACCESS_KEY: "",
            PULUMI_BACKEND_URL: S3,
            PROXY_LB_NOW: "2027-11-24T10:00:00Z",
        },
    });

it("--dry-run decides on an s3:// backend it has no credentials for (no lease, no write); the controller says in one line what it needs for its lease", async () => {
    const dry = await run("--once", "--dry-run");
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^2027-11-24T10:00:00Z autopilot test: steady at 1 node: /);
    expect(emulator.state.log.filter((e) => e.write)).toEqual([]);

    const controller = await run("--once");
    expect(controller.status).toBe(1);
    expect(controller.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(
            /^the autopilot's lease in s3:\/\/state-bucket needs the bucket's keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
        ),
    ]);
}, 120_000);
