// Every command in cli/ as a user meets it first: `--help` prints its usage and details on
// stdout and exits 0; a missing or malformed --stack, an unknown flag or a stray argument
// prints the problem and the usage on stderr and exits 2, before reading anything or
// running pulumi. Real processes, a stand-in pulumi that logs every call.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

/** The commands: every cli/*.ts that runs the shared shell (report.ts and run.ts are libraries). */
const COMMANDS = readdirSync(path.join(ROOT, "cli"))
    .filter((file) => file.endsWith(".ts") && /^runCli\(/m.test(readFileSync(path.join(ROOT, "cli", file), "utf8")))
    .map((file) => file.replace(/\.ts$/, ""));

let fake: FakeToolchain;
const run = (command: string, ...args: string[]) =>
    spawnSync(TSX, [path.join(ROOT, "cli", `${command}.ts`), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...fake.env } });

beforeAll(() => {
    fake = fakeToolchain();
});
afterAll(() => fake.remove());

it("finds the commands", () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(["plan", "gate", "rollback", "drift"]));
});

describe.each(COMMANDS)("npm run %s", (command) => {
    const usage = new RegExp(`^usage: npm run ${command} -- --stack <name>`);

    it("--help: the usage and what each flag does on stdout, exit 0, nothing run", () => {
        const help = run(command, "--help");
        expect(help.stderr).toBe("");
        expect(help.status).toBe(0);
        expect(help.stdout).toMatch(usage);
        expect(help.stdout).toMatch(/--stack/);
        expect(run(command, "-h").stdout).toBe(help.stdout);
        expect(fake.calls()).toEqual([]);
    });

    it("--help wins over other flags, even bad ones", () => {
        const help = run(command, "--stack", "drop", "--no-such-flag", "--help");
        expect(help.status).toBe(0);
        expect(help.stdout).toMatch(usage);
    });

    it("no --stack: says so, then the usage, on stderr; exit 2; nothing run", () => {
        const bare = run(command);
        expect(bare.status).toBe(2);
        expect(bare.stdout).toBe("");
        expect(bare.stderr.split("\n")[0]).toBe("--stack is required");
        expect(bare.stderr.split("\n")[1]).toMatch(usage);
        expect(fake.calls()).toEqual([]);
    });

    it("a --stack that is not a stack name: exit 2 with the usage", () => {
        const bad = run(command, "--stack", "../etc");
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain('--stack must be a stack name such as drop or dev (got "../etc")');
        expect(bad.stderr).toMatch(/\nusage: npm run /);
        expect(fake.calls()).toEqual([]);
    });

    it("an unknown flag or a stray argument: exit 2 with the usage", () => {
        for (const args of [["--stack", "drop", "--no-such-flag"], ["drop"]]) {
            const bad = run(command, ...args);
            expect(bad.status, args.join(" ")).toBe(2);
            expect(bad.stderr).toMatch(/\nusage: npm run /);
        }
        expect(fake.calls()).toEqual([]);
    });
});

describe("the details --help gives", () => {
    it.each(["plan", "gate", "rollback", "drift"])("%s lists its exit codes", (command) => {
        const help = run(command, "--help").stdout;
        expect(help).toMatch(/exit codes/);
        expect(help).toMatch(/2 {1,2}bad usage/);
    });

    it("the commands that run pulumi say 3 means the toolchain is not built yet", () => {
        for (const command of ["gate", "rollback", "drift"]) expect(run(command, "--help").stdout).toMatch(/3 {1,2}the Pulumi toolchain is not built yet/);
    });
});
