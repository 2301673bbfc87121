// A stand-in Pulumi toolchain for testing the gate, rollback and drift CLIs as real processes
// on machines where the real one cannot be built. It is found the way scripts/toolchain.sh
// finds a cached build ($PROXY_LB_TOOLCHAIN_CACHE/pulumi-<v>-digitalocean-<v>/bin), and its
// `pulumi` replays canned output per subcommand and logs every call (arguments, and the
// contents of any --config-file) to calls.jsonl. Test support only: nothing imports it at run time.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

const FAKE_PULUMI = `#!/usr/bin/env node
const fs = require("fs"), path = require("path");
const dir = process.env.FAKE_PULUMI_DIR;
const args = process.argv.slice(2);
const call = { args };
const i = args.indexOf("--config-file");
if (i >= 0) call.configFile = fs.readFileSync(args[i + 1], "utf8");
fs.appendFileSync(path.join(dir, "calls.jsonl"), JSON.stringify(call) + "\\n");
const key = args[0] === "stack" ? "stack-" + args[1] : args[0];
const file = (ext) => path.join(dir, key + ext);
if (fs.existsSync(file(".out"))) process.stdout.write(fs.readFileSync(file(".out")));
if (fs.existsSync(file(".err"))) process.stderr.write(fs.readFileSync(file(".err")));
process.exit(fs.existsSync(file(".code")) ? Number(fs.readFileSync(file(".code"), "utf8")) : 0);
`;

export interface FakePulumiCall {
    args: string[];
    configFile?: string;
}

export interface FakeToolchain {
    /** Environment for the CLI process: the cache location and the replay directory. */
    env: Record<string, string>;
    /** Canned output of one subcommand: "preview", "refresh", "up", "stack-history". */
    respond(command: string, response: { stdout?: string | object; stderr?: string; code?: number }): void;
    calls(): FakePulumiCall[];
    remove(): void;
}

export function fakeToolchain(): FakeToolchain {
    const root = mkdtempSync(path.join(tmpdir(), "proxy-lb-fake-pulumi-"));
    const pins = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies as Record<string, string>;
    const bin = path.join(root, "cache", `pulumi-${pins["@pulumi/pulumi"]}-digitalocean-${pins["@pulumi/digitalocean"]}`, "bin");
    const replay = path.join(root, "replay");
    mkdirSync(bin, { recursive: true });
    mkdirSync(replay);
    const executable = (name: string, text: string) => {
        writeFileSync(path.join(bin, name), text);
        chmodSync(path.join(bin, name), 0o755);
    };
    executable("pulumi", FAKE_PULUMI);
    executable("pulumi-language-nodejs", "#!/bin/sh\nexit 0\n");
    executable("pulumi-resource-digitalocean", "#!/bin/sh\nexit 0\n");
    return {
        env: { PROXY_LB_TOOLCHAIN_CACHE: path.join(root, "cache"), FAKE_PULUMI_DIR: replay },
        respond(command, response) {
            const text = typeof response.stdout === "string" ? response.stdout : JSON.stringify(response.stdout, null, 4);
            if (response.stdout !== undefined) writeFileSync(path.join(replay, `${command}.out`), text);
            if (response.stderr !== undefined) writeFileSync(path.join(replay, `${command}.err`), response.stderr);
            if (response.code !== undefined) writeFileSync(path.join(replay, `${command}.code`), String(response.code));
        },
        calls() {
            const log = path.join(replay, "calls.jsonl");
            if (!existsSync(log)) return [];
            return readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as FakePulumiCall);
        },
        remove() {
            rmSync(root, { recursive: true, force: true });
        },
    };
}
