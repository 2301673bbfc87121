// The DigitalOcean token with the real provider, with the provider's logging at TRACE and Pulumi's
// verbose logging flowed to every plugin (--logflow), to stderr and to log files. It reaches the
// API only as the bearer of the Authorization header. Set with `pulumi config set --secret`, it is
// written nowhere in plain text up to -v=6; from -v=7 Pulumi's engine logs the decrypted provider
// config (only those verbose engine lines; docs/guarantees.md says so). From DIGITALOCEAN_TOKEN, the bridge
// logs the provider's inputs from -v=5.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import { exportedState, observed } from "./apiTraffic";
import { disposeAll, LB_ID, openProject, Run, toolchain } from "../../sandbox/harness";

afterEach(disposeAll);

const CLEAN_LEVEL = 6; // the most verbose -v at which nothing prints a config-set token
const VERBOSE = [`-v=${CLEAN_LEVEL}`, "--logflow"];
/** The engine's verbose lines that carry the decrypted provider config (pulumi/pulumi step_generator.go, plugin RPC logging). */
const ENGINE_CONFIG_LINES =
    /Planner decided (not )?to \w+|Marshaling property for RPC|Unmarshaling property for RPC/;

/** Every regular file under `dir` (symlinks, i.e. the shared plugin binaries, are not followed). */
function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return filesUnder(full);
        return entry.isFile() ? [full] : [];
    });
}

/** Where `needle` occurs in `text`, each with a little context, so a failure shows the leak. */
function leaks(text: string, needle: string): string[] {
    const found: string[] = [];
    for (let i = text.indexOf(needle); i >= 0 && found.length < 5; i = text.indexOf(needle, i + 1))
        found.push(text.slice(Math.max(0, i - 300), i + needle.length + 100));
    return found;
}

it(`a token set with \`pulumi config set --secret\` appears in no output, log file, state, history or stack file at -v=${CLEAN_LEVEL} with TF_LOG=TRACE; from -v=7 only in the engine's verbose config lines`, async () => {
    const p = await openProject();
    const token = p.env.DIGITALOCEAN_TOKEN!;
    // Only the stack's encrypted config holds it: not the environment of any process.
    delete p.env.DIGITALOCEAN_TOKEN;
    p.env.TF_LOG = "TRACE";
    // A PULUMI_HOME and TMPDIR of the project's own, so every log file written is looked at.
    const home = path.join(p.dir, ".pulumi-home");
    mkdirSync(home);
    symlinkSync(path.join(toolchain().home, "plugins"), path.join(home, "plugins"), "dir");
    p.env.PULUMI_HOME = home;
    p.env.TMPDIR = path.join(p.dir, ".tmp");
    mkdirSync(p.env.TMPDIR);

    const runs: Run[] = [];
    const run = async (...args: string[]) => {
        const r = await p.pulumi(...args);
        runs.push(r);
        if (r.status !== 0)
            throw new Error(
                `pulumi ${args.join(" ")} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`,
            );
        return r;
    };
    const setSecret = await p.pulumi("config", "set", "--secret", "digitalocean:token", token);
    expect(setSecret.status).toBe(0);
    expect(p.readStackFile()).toMatch(/digitalocean:token:\s*\n\s*secure: /);

    // Everything on stderr (--logtostderr), then everything in log files (Pulumi's and the
    // provider's glog files go to TMPDIR), over an adopt, a resize, a preview and a refresh.
    await run("up", "--yes", "--skip-preview", ...VERBOSE, "--logtostderr");
    await run("config", "set", "--path", "proxy-lb:demand.users", "40");
    await run("up", "--yes", ...VERBOSE);
    await run("preview", ...VERBOSE, "--logtostderr");
    await run("refresh", "--yes", ...VERBOSE);
    expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
    const history = await run("stack", "history", "--json");
    const plainExport = await exportedState(p);
    const shown = await exportedState(p, "--show-secrets");
    const outputs = await run("stack", "output", "--json");

    const logFiles = filesUnder(p.env.TMPDIR).filter(
        (f) => f.endsWith(".log") || /\.log\./.test(f) || f.includes("INFO"),
    );
    const projectFiles = filesUnder(p.dir).filter(
        (f) => !f.includes(`${path.sep}node_modules${path.sep}`),
    );
    const stateFiles = projectFiles.filter((f) => f.includes(`${path.sep}.state${path.sep}`));
    const verboseBytes = runs.reduce((n, r) => n + r.stdout.length + r.stderr.length, 0);
    const logBytes = logFiles.reduce((n, f) => n + statSync(f).size, 0);
    const apiRequests = p.emulator.state.log.length;
    const tokenRequests = p.emulator.state.bearerSha256Counts.get(
        createHash("sha256").update(token).digest("hex"),
    );
    observed(`config-set token at -v=${CLEAN_LEVEL} + TF_LOG=TRACE`, {
        commands: runs.length + 3,
        outputBytes: verboseBytes,
        logFiles: logFiles.length,
        logBytes,
        stateFiles: stateFiles.length,
        filesScanned: projectFiles.length,
        apiRequests,
        requestsWithTheToken: tokenRequests,
    });

    // The checks are meaningful: the runs did log verbosely (HTTP traffic included) and the
    // secret is in the state, encrypted: --show-secrets reveals it, as it should.
    expect(runs[0].stderr).toMatch(/DigitalOcean API Request Details/);
    expect(logFiles.length).toBeGreaterThan(0);
    expect(shown.text).toContain(token);

    runs.forEach((r, i) =>
        expect({ run: i, stdout: leaks(r.stdout, token), stderr: leaks(r.stderr, token) }).toEqual({
            run: i,
            stdout: [],
            stderr: [],
        }),
    );
    expect(leaks(history.stdout, token)).toEqual([]);
    expect(leaks(outputs.stdout, token)).toEqual([]);
    expect(leaks(plainExport.text, token)).toEqual([]);
    for (const file of [...projectFiles, ...filesUnder(home)]) {
        expect({ file, leaks: leaks(readFileSync(file, "latin1"), token) }).toEqual({
            file,
            leaks: [],
        });
    }
    expect(stateFiles.length).toBeGreaterThan(0);

    // One level up, and at the top: the engine's own lines print the decrypted provider config,
    // and nothing else does. State, history and the stack file stay clean.
    for (const level of [7, 9]) {
        const verbose = await run("preview", `-v=${level}`, "--logflow", "--logtostderr");
        const lines = (verbose.stdout + verbose.stderr)
            .split("\n")
            .filter((line) => line.includes(token));
        observed(`config-set token at -v=${level}`, {
            linesWithTheToken: lines.length,
            sites: [
                ...new Set(lines.map((l) => l.match(ENGINE_CONFIG_LINES)?.[0] ?? l.slice(0, 120))),
            ],
        });
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(line).toMatch(ENGINE_CONFIG_LINES);
    }
    for (const file of filesUnder(path.join(p.dir, ".state")))
        expect({ file, leaks: leaks(readFileSync(file, "latin1"), token) }).toEqual({
            file,
            leaks: [],
        });
    expect(leaks(p.readStackFile(), token)).toEqual([]);

    // The API side: every request carried exactly this token as its bearer; none had it in the
    // path, query or body, and the emulator kept no copy of it.
    expect(apiRequests).toBeGreaterThan(0);
    expect(tokenRequests).toBe(apiRequests);
    expect([...p.emulator.state.bearerSha256Counts.keys()]).toHaveLength(1);
    expect(JSON.stringify(p.emulator.state.log)).not.toContain(token);
});

it("a token from DIGITALOCEAN_TOKEN: nowhere at -v=4 with TF_LOG=TRACE; from -v=5 the bridge logs the provider's inputs", async () => {
    const p = await openProject();
    const token = p.env.DIGITALOCEAN_TOKEN!;
    p.env.TF_LOG = "TRACE";
    const quiet = await p.pulumi(
        "up",
        "--yes",
        "--skip-preview",
        "-v=4",
        "--logflow",
        "--logtostderr",
    );
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toMatch(/"v":4/); // it did log verbosely
    expect({ stdout: leaks(quiet.stdout, token), stderr: leaks(quiet.stderr, token) }).toEqual({
        stdout: [],
        stderr: [],
    });
    const loud = await p.pulumi("preview", "-v=5", "--logflow", "--logtostderr");
    const lines = (loud.stdout + loud.stderr).split("\n").filter((line) => line.includes(token));
    observed("env token at -v=5", {
        linesWithTheToken: lines.length,
        first: lines[0]?.match(/Terraform input token|Created Terraform input: token/)?.[0],
    });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/Terraform input:? token/);
    for (const file of filesUnder(path.join(p.dir, ".state")))
        expect({ file, leaks: leaks(readFileSync(file, "latin1"), token) }).toEqual({
            file,
            leaks: [],
        });
    expect(
        p.emulator.state.bearerSha256Counts.get(createHash("sha256").update(token).digest("hex")),
    ).toBe(p.emulator.state.log.length);
});
