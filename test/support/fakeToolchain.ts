// A stand-in Pulumi toolchain for testing the gate, rollback and drift CLIs as real processes
// on machines where the real one cannot be built. It is found the way scripts/toolchain.sh
// finds a cached build ($PROXY_LB_TOOLCHAIN_CACHE/pulumi-<v>-digitalocean-<v>-<key>: bin/,
// provider/ and the plugin installed in home/), and its
// `pulumi` replays canned output (and an event log, to --event-log) per subcommand and logs every call (arguments, and the
// contents of any --config-file) to calls.jsonl. Test support only: nothing imports it at run time.
import { createHash } from "node:crypto";
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
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
const log = args.indexOf("--event-log");
if (log >= 0 && fs.existsSync(file(".events"))) fs.copyFileSync(file(".events"), args[log + 1]);
if (fs.existsSync(file(".out"))) process.stdout.write(fs.readFileSync(file(".out")));
if (fs.existsSync(file(".err"))) process.stderr.write(fs.readFileSync(file(".err")));
process.exit(fs.existsSync(file(".code")) ? Number(fs.readFileSync(file(".code"), "utf8")) : 0);
`;

export interface FakePulumiCall {
    args: string[];
    configFile?: string;
}

export interface FakeToolchain {
    /** Environment for the CLI process: the cache location, a Pulumi home of its own and the replay directory. */
    env: Record<string, string>;
    /** Canned output of one subcommand: "preview", "refresh", "up", "stack-history". */
    respond(
        command: string,
        response: { stdout?: string | object; stderr?: string; code?: number; events?: object[] },
    ): void;
    calls(): FakePulumiCall[];
    remove(): void;
}

export function fakeToolchain(): FakeToolchain {
    const root = mkdtempSync(path.join(tmpdir(), "proxy-lb-fake-pulumi-"));
    const pins = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"))
        .dependencies as Record<string, string>;
    const [pulumiVersion, doVersion] = [pins["@pulumi/pulumi"], pins["@pulumi/digitalocean"]];
    const cache = path.join(
        root,
        "cache",
        `pulumi-${pulumiVersion}-digitalocean-${doVersion}-${cacheKey(pulumiVersion, doVersion)}`,
    );
    const replay = path.join(root, "replay");
    mkdirSync(replay);
    const executable = (file: string, text: string) => {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        chmodSync(file, 0o755);
    };
    const placeholder = "#!/bin/sh\nexit 0\n";
    executable(path.join(cache, "bin", "pulumi"), FAKE_PULUMI);
    executable(path.join(cache, "bin", "pulumi-language-nodejs"), placeholder);
    executable(path.join(cache, "provider", "pulumi-resource-digitalocean"), placeholder);
    // The plugin is already installed in the Pulumi home the CLIs use (PULUMI_HOME below), so the
    // script never calls `pulumi plugin install`, and the user's own ~/.pulumi is left alone.
    const home = path.join(root, "pulumi-home");
    for (const dir of [path.join(cache, "home"), home]) {
        executable(
            path.join(
                dir,
                "plugins",
                `resource-digitalocean-v${doVersion}`,
                "pulumi-resource-digitalocean",
            ),
            placeholder,
        );
    }
    return {
        env: {
            PROXY_LB_TOOLCHAIN_CACHE: path.join(root, "cache"),
            PULUMI_HOME: home,
            FAKE_PULUMI_DIR: replay,
        },
        respond(command, response) {
            const text =
                typeof response.stdout === "string"
                    ? response.stdout
                    : JSON.stringify(response.stdout, null, 4);
            if (response.stdout !== undefined)
                writeFileSync(path.join(replay, `${command}.out`), text);
            if (response.stderr !== undefined)
                writeFileSync(path.join(replay, `${command}.err`), response.stderr);
            if (response.code !== undefined)
                writeFileSync(path.join(replay, `${command}.code`), String(response.code));
            // Written to the run's --event-log file, one JSON event per line, as the engine does.
            if (response.events !== undefined)
                writeFileSync(
                    path.join(replay, `${command}.events`),
                    response.events.map((e) => JSON.stringify(e)).join("\n") + "\n",
                );
        },
        calls() {
            const log = path.join(replay, "calls.jsonl");
            if (!existsSync(log)) return [];
            return readFileSync(log, "utf8")
                .trim()
                .split("\n")
                .map((line) => JSON.parse(line) as FakePulumiCall);
        },
        remove() {
            rmSync(root, { recursive: true, force: true });
        },
    };
}

/** The cache key scripts/toolchain.sh derives from the pinned source archives' sha256 (its HOST/PROVIDER/UPSTREAM_ARCHIVE tables). */
function cacheKey(pulumiVersion: string, doVersion: string): string {
    const script = readFileSync(path.join(ROOT, "scripts", "toolchain.sh"), "utf8");
    const sha = (table: string, version: string) => {
        const line = script.split("\n").find((l) => l.startsWith(`declare -A ${table}=(`));
        const found = line?.match(
            new RegExp(`\\[${version.replace(/\./g, "\\.")}\\]="\\S+ ([0-9a-f]{64})"`),
        )?.[1];
        if (!found)
            throw new Error(
                `fakeToolchain: no ${table} sha256 for ${version} in scripts/toolchain.sh; update test/support/fakeToolchain.ts to its cache layout`,
            );
        return found;
    };
    const hashes = [
        sha("HOST_ARCHIVE", pulumiVersion),
        sha("PROVIDER_ARCHIVE", doVersion),
        sha("UPSTREAM_ARCHIVE", doVersion),
    ];
    return createHash("sha256")
        .update(hashes.map((h) => `${h}\n`).join(""))
        .digest("hex")
        .slice(0, 12);
}
