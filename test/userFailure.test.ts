// The failures a user causes and fixes, as each command says them: no DIGITALOCEAN_TOKEN, a token
// DigitalOcean refuses (401), an API that cannot be reached, a stack that does not exist. Each is
// ONE line saying what to do, with no stack trace and no terminal escape codes. The recognition
// itself (infra/userFailure.ts) on the texts that carry them (our reads, the provider's errors in
// Pulumi's output, Pulumi's own), then the commands that read the API, run in-process (a bug's
// rejection comes back as its trace on stderr and exit 1, as Node prints it), against the
// in-process emulator; one of them as a real process too (the ones that run Pulumi:
// test/e2e/userFailures.test.ts).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { TOKEN_REFUSED, userFailure } from "../infra/userFailure";
import { tokenScopes } from "../config/scopes";
import { baseConfig, baseSeed } from "../sandbox/harness";
import { run as autopilotCommand } from "../cli/autopilot";
import { run as discoverCommand } from "../cli/discover";
import { run as observeCommand } from "../cli/observe";
import { run as scheduleCommand } from "../cli/schedule";
import type { Command } from "../cli/run";
import { runInProcess } from "./support/inProcess";
import { NODE, tsxArgs } from "./support/tsx";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "user-failure-test-token-0123456789";
const ESC = "\u001b";
const UNREACHABLE =
    "the DigitalOcean API at http://127.0.0.1:9 cannot be reached: check DIGITALOCEAN_API_URL (or the stack's digitalocean:apiEndpoint) and the network (offline: is the emulator running?)";

describe("userFailure: one line for what the user can fix, found in any text that carries it", () => {
    it("a refused token, as the provider's error reaches the gate (colours, the error object) and as the API answers it", () => {
        const gate = `error: Running program '/p' failed with an unhandled exception:\n${ESC}[36m<ref *1>${ESC}[39m Error: invoking digitalocean:index/getDroplet:getDroplet: 1 error occurred:\n\t* Error retrieving droplet: GET http://127.0.0.1:8787/v2/droplets/501000101: 401 (request "r1") Unable to authenticate you\n    at Object.callback (/p/node_modules/@pulumi/pulumi/runtime/invoke.js:1:1)`;
        expect(userFailure(gate, {})).toBe(TOKEN_REFUSED);
        expect(
            userFailure(
                "GET /v2/load_balancers answered 401 (unauthorized: Unable to authenticate you)",
                {},
            ),
        ).toBe(TOKEN_REFUSED);
        expect(TOKEN_REFUSED).toContain("DIGITALOCEAN_TOKEN");
        expect(userFailure(TOKEN_REFUSED, {})).toBe(TOKEN_REFUSED); // said again as it was said
    });

    it("an API that cannot be reached, from Node.js's fetch and from the provider (Go), naming its address", () => {
        expect(
            userFailure(
                "fetch failed\nconnect ECONNREFUSED 127.0.0.1:9\nECONNREFUSED http://127.0.0.1:9",
                {},
            ),
        ).toBe(UNREACHABLE);
        expect(
            userFailure(
                `Error retrieving droplet: Get "http://127.0.0.1:9/v2/droplets/1": dial tcp 127.0.0.1:9: connect: connection refused`,
                {},
            ),
        ).toBe(UNREACHABLE);
        expect(
            userFailure("dial tcp: lookup api.example.invalid: no such host", {
                DIGITALOCEAN_API_URL: "https://api.example.invalid",
            }),
        ).toBe(
            "the DigitalOcean API at https://api.example.invalid cannot be reached: check DIGITALOCEAN_API_URL (or the stack's digitalocean:apiEndpoint) and the network",
        );
        expect(userFailure(UNREACHABLE, {})).toBe(UNREACHABLE);
    });

    it("no such stack in the backend, and no backend at all: what to run", () => {
        expect(
            userFailure(
                "pulumi preview --json failed (exit 255): printed nothing on stdout\n  error: no stack named 'neg' found",
                {
                    PULUMI_BACKEND_URL: "file:///srv/state",
                },
            ),
        ).toBe(
            "stack neg does not exist in the state backend file:///srv/state: create it with `pulumi stack init neg` (its first `pulumi up` adopts the load balancer of its Pulumi.neg.yaml), or `pulumi stack select` / `pulumi login` where it lives",
        );
        expect(
            userFailure(
                "CommandError: code: 255\n stderr: error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
                {},
            ),
        ).toMatch(
            /^no Pulumi state backend is configured: run `pulumi login` .* PULUMI_BACKEND_URL/,
        );
    });

    it("says nothing about other failures (a bad config, a refused scope, a bug)", () => {
        for (const text of [
            "proxy-lb:region must be one of nyc1, nyc3, …",
            "GET /v2/load_balancers answered 403 (forbidden: You are not authorized to perform this operation)",
            "TypeError: cannot read properties of undefined",
        ])
            expect(userFailure(text, {})).toBeUndefined();
    });
});

describe("the commands that read the API: each failure in one line, no trace, no escape codes", () => {
    let emulator: Emulator;
    let dir: string;
    beforeAll(async () => {
        emulator = await startEmulator({
            port: 0,
            seed: {
                ...baseSeed(),
                tokens: [
                    {
                        token: TOKEN,
                        scopes: [
                            ...new Set(
                                (["discover", "observe", "autopilot", "due"] as const).flatMap(
                                    tokenScopes,
                                ),
                            ),
                        ],
                    },
                ],
            },
        });
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-user-failure-"));
        writeFileSync(
            path.join(dir, "Pulumi.test.yaml"),
            stringify({ config: baseConfig({ "proxy-lb:autopilot": { enabled: true } }) }),
        );
        writeFileSync(path.join(dir, "Pulumi.yaml"), "name: proxy-lb\nruntime: nodejs\n");
    });
    afterAll(async () => {
        await emulator?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const COMMANDS: Record<string, string[]> = {
        discover: [],
        observe: ["--from", "2027-11-24T09:00:00Z", "--to", "2027-11-24T10:00:00Z"],
        schedule: ["--due"],
        autopilot: ["--once"],
    };
    const RUNS: Record<string, Command> = {
        discover: discoverCommand,
        observe: observeCommand,
        schedule: scheduleCommand,
        autopilot: autopilotCommand,
    };
    const envFor = (env: Record<string, string>) => ({
        ...process.env,
        PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
        PROXY_LB_NOW: "2027-11-24T10:00:00Z",
        DIGITALOCEAN_API_URL: emulator.url,
        DIGITALOCEAN_TOKEN: TOKEN,
        FORCE_COLOR: "1",
        ...env,
    });
    const run = async (command: string, stack: string, env: Record<string, string>) => {
        const { status, stdout, stderr } = await runInProcess(
            RUNS[command],
            ["--stack", stack, ...COMMANDS[command]],
            { cwd: dir, env: envFor(env) },
        );
        return { status, out: `${stdout}${stderr}` };
    };
    // A real process, for what only one shows: that it ends by itself once the failure is said
    // (no lease, timer, signal handler or open socket left holding it) with exit 1, and that
    // Node adds nothing of its own (a warning, a trace) to the lines.
    const runProcess = (command: string, stack: string, env: Record<string, string>) =>
        new Promise<{ status: number | null; out: string }>((resolve) => {
            const child = execFile(
                NODE,
                tsxArgs(
                    path.join(ROOT, "cli", `${command}.ts`),
                    "--stack",
                    stack,
                    ...COMMANDS[command],
                ),
                { cwd: dir, timeout: 60_000, env: envFor(env) },
                (_err, stdout, stderr) =>
                    resolve({ status: child.exitCode, out: `${stdout}${stderr}` }),
            );
        });

    const cases = (): [string, string, Record<string, string>, RegExp][] => [
        [
            "no token",
            "test",
            { DIGITALOCEAN_TOKEN: "" },
            /DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token with /,
        ],
        [
            "a refused token",
            "test",
            { DIGITALOCEAN_TOKEN: "revoked-token-0123456789" },
            new RegExp(escape(TOKEN_REFUSED)),
        ],
        [
            "the API down",
            "test",
            { DIGITALOCEAN_API_URL: "http://127.0.0.1:9" },
            new RegExp(escape(UNREACHABLE)),
        ],
        [
            "no such stack",
            "neg",
            {},
            new RegExp(
                escape(
                    `Pulumi.neg.yaml not found in ${dir}: is --stack neg right? (the stacks here: test)`,
                ).replace(escape(dir), ".*"),
            ),
        ],
    ];
    const expectOneLine = (
        command: string,
        what: string,
        line: RegExp,
        { status, out }: { status: number | null; out: string },
    ) => {
        expect(status, `${command}, ${what}: ${out}`).toBe(1);
        expect(out, `${command}, ${what}`).not.toContain(ESC);
        expect(out, `${command}, ${what}`).not.toMatch(/^\s+at /m);
        // The line itself; the autopilot's tick report adds its notice line below it.
        const lines = out.trim().split("\n");
        const said = lines.filter((l) => line.test(l));
        expect(said, `${command}, ${what}: ${out}`).toHaveLength(1);
        expect(lines.length, `${command}, ${what}: ${out}`).toBe(
            command === "autopilot" && what !== "no token" && what !== "no such stack" ? 2 : 1,
        );
    };
    for (const command of Object.keys(COMMANDS))
        it(`${command}: no token, a refused token, the API down, no such stack`, async () => {
            for (const [what, stack, env, line] of cases()) {
                // discover writes a new stack's file: no such stack is what it is for
                if (command === "discover" && what === "no such stack") continue;
                expectOneLine(command, what, line, await run(command, stack, env));
            }
        }, 120_000);

    it("autopilot --once, the API down, as a real process: the same lines, and the process ends by itself with exit 1", async () => {
        const [what, stack, env, line] = cases().find(([what]) => what === "the API down")!;
        // A state backend of its own: the failure starts its condition there, so its notice is
        // said, whatever the in-process runs left in theirs.
        const own = { ...env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state-process")}` };
        expectOneLine("autopilot", what, line, await runProcess("autopilot", stack, own));
    }, 120_000);
});

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
