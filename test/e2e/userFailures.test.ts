// The commands that run Pulumi (the gate, rollback, drift, the autopilot's start), on the real
// engine and provider against the emulator, through what a user gets wrong: no DIGITALOCEAN_TOKEN,
// a token DigitalOcean refuses (401), an API that cannot be reached, a stack file whose stack is
// not in the backend, no backend at all. Each says it in ONE line naming what to do: no stack
// trace, no terminal escape codes, nothing written.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TOKEN_REFUSED } from "../../infra/userFailure";
import {
    baseConfig,
    disposeAll,
    openProject,
    ROOT,
    writes,
    type E2eProject,
} from "../../sandbox/harness";
import { NODE, tsxArgs } from "../support/tsx";

const ESC = "\u001b";
const DOWN = "http://127.0.0.1:9"; // nothing listens on the discard port here

let p: E2eProject;
beforeAll(async () => {
    p = await openProject();
    // A history with a bigger size to go back to (rollback --to 2 is a scale-up: no load check)
    // and a state (drift refreshes it).
    await p.up();
    p.writeConfig(baseConfig({ "proxy-lb:demand": { users: 10, tasksPerUser: 2000 } }));
    await p.up();
    p.writeConfig(baseConfig());
    await p.up();
}, 300_000);
afterAll(disposeAll);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
            NODE,
            tsxArgs(path.join(ROOT, "cli", `${command}.ts`), ...args),
            {
                cwd: p.dir,
                // One retry, as scripts/offline-env.sh sets it: the provider's default backs off for minutes.
                env: { ...p.env, FORCE_COLOR: "1", DIGITALOCEAN_HTTP_RETRY_MAX: "1", ...env },
                timeout: 240_000,
            },
            (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
        );
    });
}

const COMMANDS: [string, string[]][] = [
    ["gate", []],
    ["rollback", ["--to", "2", "--yes"]],
    ["drift", []],
];

/** The line said, and that nothing else on stderr is a trace or colour. */
function saysOneLine(
    r: { status: number | null; stdout: string; stderr: string },
    line: string | RegExp,
    what: string,
) {
    const all = `${r.stdout}${r.stderr}`;
    expect(r.status, `${what}:\n${all}`).toBe(1);
    expect(all, what).not.toContain(ESC);
    expect(all, what).not.toMatch(/^\s+at |<ref \*1>|unhandled exception/m);
    // The gate and rollback say only it; drift says it first (its partial report follows on stdout).
    const report = what.startsWith("drift") && r.stdout.trim() !== "";
    const first = (report ? r.stdout : r.stderr).trim().split("\n");
    if (!report) expect(first, `${what}:\n${all}`).toHaveLength(1);
    if (typeof line === "string") expect(first[0], what).toContain(line);
    else expect(first[0], what).toMatch(line);
}

it("no token, a refused token, the API down: one line each from the gate, rollback and drift; nothing written", async () => {
    const before = writes(p.emulator).all;
    for (const [command, args] of COMMANDS) {
        const argv = ["--stack", p.stack, ...args];
        saysOneLine(
            await run(command, argv, { DIGITALOCEAN_TOKEN: "" }),
            // the provider's 401, or our own read's "not set" when the command reads first
            /DigitalOcean refused the API token \(401|^DIGITALOCEAN_TOKEN is not set: export/,
            `${command}, no token`,
        );
        saysOneLine(
            await run(command, argv, { DIGITALOCEAN_TOKEN: "revoked-0123456789" }),
            TOKEN_REFUSED,
            `${command}, refused token`,
        );
    }
    p.writeConfig(baseConfig({ "digitalocean:apiEndpoint": DOWN }));
    try {
        // Not drift: a refresh configures the provider from the state, where the emulator's URL is
        // recorded, so a changed digitalocean:apiEndpoint does not take its API away.
        for (const [command, args] of COMMANDS.filter(([c]) => c !== "drift"))
            saysOneLine(
                await run(command, ["--stack", p.stack, ...args]),
                `the DigitalOcean API at ${DOWN} cannot be reached: check DIGITALOCEAN_API_URL`,
                `${command}, API down`,
            );
    } finally {
        p.writeConfig(baseConfig());
    }
    expect(writes(p.emulator).all).toBe(before);
}, 900_000);

it("a stack file whose stack is not in the backend, and no backend: what to run, in one line", async () => {
    copyFileSync(path.join(p.dir, `Pulumi.${p.stack}.yaml`), path.join(p.dir, "Pulumi.neg.yaml"));
    const hint = `stack neg does not exist in the state backend ${p.env.PULUMI_BACKEND_URL}: create it with \`pulumi stack init neg\``;
    for (const [command, args] of COMMANDS)
        saysOneLine(
            await run(command, ["--stack", "neg", ...args]),
            hint,
            `${command}, no such stack`,
        );

    // No PULUMI_BACKEND_URL and a Pulumi home that was never logged in: the autopilot needs the backend for its lease.
    const home = path.join(p.dir, ".fresh-home");
    mkdirSync(home);
    const autopilot = await run("autopilot", ["--stack", p.stack, "--once"], {
        PULUMI_BACKEND_URL: "",
        PULUMI_HOME: home,
        PULUMI_ACCESS_TOKEN: "",
    });
    saysOneLine(
        autopilot,
        /^no Pulumi state backend is configured: run `pulumi login`/,
        "autopilot, no backend",
    );
}, 900_000);
