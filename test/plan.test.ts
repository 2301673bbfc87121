// The plan CLI as a user runs it (in-process): real stack files, real git history.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as planCommand } from "../cli/plan";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");

let repo: string;
const planIn = (cwd: string, ...args: string[]) => runInProcess(planCommand, args, { cwd });
const plan = (...args: string[]) => planIn(repo, ...args);
// An identity of its own, so commits work on a machine without a git config.
const identity = {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
};
const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: repo, stdio: "pipe", env: { ...process.env, ...identity } });

beforeAll(async () => {
    // A scratch repository: the base commit has the committed drop stack; the working tree
    // raises demand, as a drop's pull request does.
    repo = mkdtempSync(path.join(tmpdir(), "proxy-lb-plan-"));
    cpSync(path.join(ROOT, "Pulumi.drop.yaml"), path.join(repo, "Pulumi.drop.yaml"));
    git("init", "-q");
    git("commit", "-q", "--allow-empty", "-m", "empty");
    git("tag", "before-stack");
    git("add", ".");
    git("commit", "-q", "-m", "drop stack");
    git("tag", "base");
    const raised = readFileSync(path.join(repo, "Pulumi.drop.yaml"), "utf8").replace(
        "users: 12",
        "users: 40",
    );
    writeFileSync(path.join(repo, "Pulumi.drop.yaml"), raised);
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("npm run plan", async () => {
    it("with the autopilot on and no DIGITALOCEAN_TOKEN: stays offline and says plainly that the live need was not read", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-plan-autopilot-"));
        try {
            const stackFile = readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8").replace(
                "config:\n",
                "config:\n  proxy-lb:autopilot:\n    enabled: true\n",
            );
            writeFileSync(path.join(dir, "Pulumi.drop.yaml"), stackFile);
            const env = {
                ...process.env,
                DIGITALOCEAN_TOKEN: "",
                PROXY_LB_NOW: "2027-03-01T12:00:00Z",
            };
            const text = await runInProcess(planCommand, ["--stack", "drop"], { cwd: dir, env });
            expect(text.stderr).toBe("");
            expect(text.status).toBe(0);
            expect(text.stdout).toContain(
                "\nautopilot: on, but the live need was not read (DIGITALOCEAN_TOKEN is not set): the size above is the calendar's; a deploy now sizes for at least 3 nodes, more if the load balancer carries more\n",
            );
            const json = await runInProcess(planCommand, ["--stack", "drop", "--json"], {
                cwd: dir,
                env,
            });
            expect(JSON.parse(json.stdout)).toMatchObject({
                sizeUnit: 3,
                autopilot: {
                    read: false,
                    why: "DIGITALOCEAN_TOKEN is not set",
                    calendarSizeUnit: 3,
                },
            });
            // The autopilot off (the committed stack): no such line, nothing read.
            expect(
                (await runInProcess(planCommand, ["--stack", "drop"], { cwd: ROOT, env })).stdout,
            ).not.toContain("autopilot");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("prints the sizing of the committed example drop as JSON", async () => {
        const run = await planIn(ROOT, "--stack", "drop", "--json");
        expect(run.status).toBe(0);
        const out = JSON.parse(run.stdout);
        expect(out).toMatchObject({
            sizeUnit: 3,
            binding: "connections",
            peak: { connections: 24000, newConnectionsPerSecond: 24000 },
            capacity: { connections: 30000, newConnectionsPerSecond: 30000 },
            utilization: { peak: 0.8 },
            cost: { monthly: 36 },
        });
        expect(out.cost.hourly).toBeCloseTo(36 / 672, 6);
    });

    it("prints a readable table by default", async () => {
        const run = await plan("--stack", "drop");
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(/size_unit 10, bound by simultaneous connections/);
        expect(run.stdout).toMatch(/capacity at 10 nodes/);
    });

    it("fails on a missing stack file with the reason on stderr", async () => {
        const run = await plan("--stack", "nope");
        expect(run.status).toBe(1);
        expect(run.stderr).toMatch(/Pulumi.nope.yaml not found/);
        expect(run.stdout).toBe("");
    });

    it("fails on bad values naming the key, without a stack trace", async () => {
        const file = path.join(repo, "Pulumi.bad.yaml");
        writeFileSync(
            file,
            "config:\n  proxy-lb:region: nyc3\n  proxy-lb:demand: {users: -2, tasksPerUser: 10}\n",
        );
        try {
            const run = await plan("--stack", "bad");
            expect(run.status).toBe(1);
            expect(run.stderr).toContain(
                "proxy-lb:demand.users must be a whole number ≥ 0 (got -2)",
            );
            expect(run.stderr).toContain("proxy-lb:loadBalancer is required");
            expect(run.stderr).not.toMatch(/\s+at .*:\d+:\d+/);
        } finally {
            rmSync(file);
        }
    });

    it("refuses unknown flags with the usage", async () => {
        const run = await plan("--stak", "drop");
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/usage: npm run plan/);
    });

    it("says what is wrong with a stack file, not only which keys are missing", async () => {
        const file = path.join(repo, "Pulumi.typo.yaml");
        writeFileSync(file, "confg:\n  proxy-lb:region: nyc3\n");
        try {
            const run = await plan("--stack", "typo");
            expect(run.status).toBe(1);
            expect(run.stderr).toBe(
                "Pulumi.typo.yaml: `confg` is not a Pulumi stack-file key; did you mean `config`?\n",
            );
        } finally {
            rmSync(file);
        }
    });
});

describe("npm run plan: flags that do not go together", async () => {
    // [the flags, the message]: each is bad usage, exit 2, the message and the usage on stderr, nothing on stdout.
    const refused: [string[], string][] = [
        [
            ["--json", "--markdown", "--base", "base"],
            "--json and --markdown are two output formats: give one",
        ],
        [["--markdown", "--json"], "--json and --markdown are two output formats: give one"],
        [["--markdown"], "--markdown and --hours compare with a base: add --base <git-ref>"],
        [["--hours", "6"], "--markdown and --hours compare with a base: add --base <git-ref>"],
        [
            ["--base", "base", "--hours", "0"],
            '--hours must be a positive number of hours (got "0")',
        ],
        [
            ["--base", "base", "--hours", "six"],
            '--hours must be a positive number of hours (got "six")',
        ],
    ];
    it.each(refused)("refuses %j", async (flags, message) => {
        const run = await plan("--stack", "drop", ...flags);
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr).toMatch(
            new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\nusage: npm run plan`),
        );
    });
});

describe("npm run plan --base (the pull-request summary)", () => {
    it("a stack file not in git at the base says so, not a change from none", async () => {
        const run = await plan("--stack", "drop", "--base", "before-stack");
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout.split("\n")[0]).toBe(
            "Pulumi.drop.yaml is not in git at before-stack (a new stack file, or not committed yet): nothing to compare with; it sizes for size_unit 10",
        );
        expect(run.stdout).not.toContain("none →");
    });

    it("shows nodes before → after and the cost delta", async () => {
        const run = await plan("--stack", "drop", "--base", "base", "--hours", "6");
        expect(run.status).toBe(0);
        // 40 users × 2,000 tasks = 80,000 connections, ×1.25 = 100,000 -> 10 nodes (was 3).
        expect(run.stdout.split("\n")[0]).toBe(
            "size_unit 3 → 10 (+7 nodes, +$0.125/hour, +$84.00/month); a 6-hour drop window costs +$0.75",
        );
    });

    it("gives the numbers as JSON", async () => {
        const out = JSON.parse(
            (await plan("--stack", "drop", "--base", "base", "--json", "--hours", "6")).stdout,
        );
        expect(out).toMatchObject({
            base: "base",
            nodes: 7,
            before: { sizeUnit: 3 },
            after: { sizeUnit: 10 },
            cost: { monthly: 84, window: { hours: 6, cost: 0.75 } },
        });
        expect(out.cost.hourly).toBeCloseTo(84 / 672, 6);
    });

    it("prints the pull-request comment as markdown", async () => {
        const run = await plan("--stack", "drop", "--base", "base", "--markdown");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("**size_unit 3 → 10 (+7 nodes");
        expect(run.stdout).toContain("| load balancer nodes (size_unit) | 3 | 10 |");
        expect(run.stdout).toContain("| cost per month | $36.00 | $120.00 |");
    });

    it("treats a stack file that did not exist at the base as new", async () => {
        const out = JSON.parse(
            (await plan("--stack", "drop", "--base", "before-stack", "--json")).stdout,
        );
        expect(out.before).toBeNull();
        expect(out.nodes).toBe(10);
    });

    it("refuses a base that is not a commit", async () => {
        const run = await plan("--stack", "drop", "--base", "no-such-ref");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("--base no-such-ref is not a git commit");
    });
});
