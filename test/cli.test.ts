// Every command in cli/ as a user meets it first: `--help` prints its usage and details on
// stdout and exits 0; a missing or malformed --stack, an unknown flag or a stray argument
// prints the problem and the usage on stderr and exits 2, before reading anything or
// running pulumi. Each command's bare run is a real process (its script entry and exit code as
// `npm run` meets them); the other cases run in-process. A stand-in pulumi logs every call.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Command } from "../cli/run";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";
import { runInProcess } from "./support/inProcess";
import { NODE, tsxArgs } from "./support/tsx";

const ROOT = path.resolve(__dirname, "..");

/** The commands: every cli/*.ts that runs the shared shell (report.ts and run.ts are libraries). */
const COMMANDS = readdirSync(path.join(ROOT, "cli"))
    .filter(
        (file) =>
            file.endsWith(".ts") &&
            /^export const run = command\(/m.test(
                readFileSync(path.join(ROOT, "cli", file), "utf8"),
            ),
    )
    .map((file) => file.replace(/\.ts$/, ""));

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

let fake: FakeToolchain;
// A whole Node.js process, as `npm run <command>` starts it: `if (require.main === module)`
// runs the command and the exit code set is the process's.
const runProcess = (command: string, ...args: string[]) =>
    new Promise<Run>((resolve) => {
        const child = execFile(
            NODE,
            tsxArgs(path.join(ROOT, "cli", `${command}.ts`), ...args),
            { cwd: ROOT, env: { ...process.env, ...fake.env } },
            (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
        );
    });
// The same command in this process (test/support/inProcess.ts).
const run = async (command: string, ...args: string[]): Promise<Run> => {
    const { run: commandRun } = (await import(path.join(ROOT, "cli", `${command}.ts`))) as {
        run: Command;
    };
    return runInProcess(commandRun, args, { cwd: ROOT, env: { ...process.env, ...fake.env } });
};

// `--help` is the same whichever test asks for it: run once per command.
const helps = new Map<string, Promise<Run>>();
const helpOf = (command: string) =>
    helps.get(command) ?? helps.set(command, run(command, "--help")).get(command)!;

// Each command's bare run as a real process, all started at once and two at a time (this
// machine's cores) while the in-process cases go on; each test awaits its own.
const bares = new Map<string, Promise<Run>>();
beforeAll(() => {
    fake = fakeToolchain();
    const waiting: (() => void)[] = [];
    let running = 0;
    const twoAtATime = async (job: () => Promise<Run>) => {
        if (running >= 2) await new Promise<void>((start) => waiting.push(start));
        running++;
        try {
            return await job();
        } finally {
            running--;
            waiting.shift()?.();
        }
    };
    for (const command of COMMANDS)
        bares.set(
            command,
            twoAtATime(() => runProcess(command)),
        );
});
afterAll(async () => {
    await Promise.all(bares.values());
    fake.remove();
});

it("finds the commands", () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(["plan", "gate", "rollback", "drift"]));
});

// Under load one Node.js process can take seconds to start: generous, bounded time per test.
const SLOW = 120_000;

describe.each(COMMANDS)("npm run %s", (command) => {
    const usage = new RegExp(`^usage: npm run ${command} -- --stack <name>`);

    it(
        "answers --help with its usage on stdout and exit 0, and a missing --stack with exit 2 and the usage on stderr, running nothing",
        async () => {
            const help = await helpOf(command);
            const helpAmongBadFlags = await run(command, "--stack", "drop", "--no-such-flag", "-h");
            const bare = await bares.get(command)!;

            expect(help.stderr).toBe("");
            expect(help.status).toBe(0);
            expect(help.stdout).toMatch(usage);
            expect(help.stdout).toMatch(/--stack/);
            // -h too, and it wins over every other flag, even a bad one.
            expect(helpAmongBadFlags.status).toBe(0);
            expect(helpAmongBadFlags.stdout).toBe(help.stdout);

            expect(bare.status).toBe(2);
            expect(bare.stdout).toBe("");
            expect(bare.stderr.split("\n")[0]).toBe("--stack is required");
            expect(bare.stderr.split("\n")[1]).toMatch(usage);

            expect(fake.calls()).toEqual([]);
        },
        SLOW,
    );
});

describe("the shared parser", () => {
    it(
        "refuses a --stack that is not a stack name and a stray argument with exit 2 and the usage, running nothing",
        async () => {
            const badStack = await run("drift", "--stack", "../etc");
            const stray = await run("gate", "drop");
            expect(badStack.status).toBe(2);
            expect(badStack.stderr).toBe(
                '--stack must be a stack name such as drop or dev (got "../etc")\nusage: npm run drift -- --stack <name> [--json]\n',
            );
            expect(stray.status).toBe(2);
            expect(stray.stderr).toMatch(/\nusage: npm run gate -- --stack <name>/);
            expect(fake.calls()).toEqual([]);
        },
        SLOW,
    );

    it(
        "plan, gate, rollback and drift list their exit codes in --help; those that run pulumi say 3 means no toolchain yet",
        async () => {
            // One after the other: in-process runs take the process's streams one at a time.
            const plan = await helpOf("plan");
            const gate = await helpOf("gate");
            const rollback = await helpOf("rollback");
            const drift = await helpOf("drift");
            for (const help of [plan, gate, rollback, drift]) {
                expect(help.stdout).toMatch(/exit codes/);
                expect(help.stdout).toMatch(/2 {1,2}bad usage/);
            }
            for (const help of [gate, rollback, drift])
                expect(help.stdout).toMatch(/3 {1,2}the Pulumi toolchain is not built yet/);
        },
        SLOW,
    );
});
