// `npm run schedule -- --cron` and `--due` as the scheduled workflow runs them, and `npm run
// billing`, in-process:
// the cron lines from the calendar, and the cheap check against the DigitalOcean API emulator
// (a load balancer at the baseline, another already scaled up) with a local webhook receiver:
// nothing due, due (a run 9 minutes early sizes for the scale-up), late (said loudly, notified
// once, the webhook URL never printed), and the step outputs the workflow's later steps read.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { TEST_TOKEN } from "../emulator/testkit";
import { notifyTargetFrom } from "../ops/scheduledCheck";
import { withCalendar } from "../scripts/docCommands/sessions";
import { run as billingCommand } from "../cli/billing";
import { run as scheduleCommand } from "../cli/schedule";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE = withCalendar(readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8"));
const AT_BASELINE = "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40"; // Pulumi.drop.yaml's id: 3 nodes
const SCALED_UP = "0b5c3f0e-7d1a-4e2b-8c9d-1a2b3c4d5e6f"; // 10 nodes
const SECRET = "Zq8-webhook-secret-9fT2";

function runAsync(
    args: string[],
    cwd: string,
    env: Record<string, string>,
): Promise<{ status: number; stdout: string; stderr: string }> {
    return runInProcess(scheduleCommand, args, { cwd, env: { ...process.env, ...env } });
}

const lbSeed = (id: string, name: string, sizeUnit: number) => ({
    id,
    name,
    region: "nyc3",
    size_unit: sizeUnit,
    forwarding_rules: [
        { entry_protocol: "tcp", entry_port: 8080, target_protocol: "tcp", target_port: 8080 },
    ],
});

describe("npm run schedule -- --cron", () => {
    let dir: string;
    const schedule = (args: string[]) =>
        runInProcess(scheduleCommand, args, {
            cwd: dir,
            env: { ...process.env, PROXY_LB_NOW: "2027-10-01T00:00:00Z" },
        });
    beforeAll(() => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-cron-"));
        writeFileSync(path.join(dir, "Pulumi.drop.yaml"), EXAMPLE);
        writeFileSync(
            path.join(dir, "Pulumi.auto.yaml"),
            `${EXAMPLE}\n  proxy-lb:autopilot:\n    enabled: true\n`,
        );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("prints the calendar's cron lines, each with why, as schedule.yml holds them", async () => {
        const run = await schedule(["--stack", "drop", "--cron"]);
        expect(run.status).toBe(0);
        const lines = run.stdout.trimEnd().split("\n");
        expect(lines.map((l) => l.split("  # ")[0].trim())).toEqual([
            "20 13 26 11 *",
            "25 13 26 11 *",
            "20 18 26 11 *",
            "25 18 26 11 *",
            "2 20 26 11 *",
            "7 20 26 11 *",
            "2 22 26 11 *",
            "7 22 26 11 *",
            "17 5 * * *",
        ]);
        expect(lines[0]).toBe(
            "20 13 26 11 *  # scale-up 3 -> 10 nodes at 2027-11-26T13:30Z (black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z), 10 min early",
        );
        expect(lines[8]).toBe("17 5 * * *     # daily safety run at 05:17 UTC");
    });

    it("--json; with proxy-lb:autopilot.enabled, a poll every 10 minutes through the drop windows", async () => {
        const run = await schedule(["--stack", "auto", "--cron", "--json"]);
        expect(run.status).toBe(0);
        const out = JSON.parse(run.stdout);
        expect(out.autopilot).toBe(true);
        expect(out.lines[0]).toEqual({
            cron: "20 13 26 11 *",
            kind: "scaleUp",
            why: expect.stringContaining("scale-up 3 -> 10 nodes"),
            firesAt: "2027-11-26T13:20:00Z",
            boundary: "2027-11-26T13:30:00Z",
        });
        expect(out.lines.filter((l: { kind: string }) => l.kind === "poll")).toEqual([
            {
                cron: "3-59/10 13-21 26 11 *",
                kind: "poll",
                why: "autopilot poll every 10 min through black-friday-2027 + restock-2027 (2027-11-26T13:30Z to 2027-11-26T22:00Z)",
                firesAt: null,
                boundary: null,
            },
        ]);
    });

    it("--cron and --due together are bad usage", async () => {
        const run = await schedule(["--stack", "drop", "--cron", "--due"]);
        expect(run.status).toBe(2);
        expect(run.stderr).toContain("--cron and --due are two different answers");
    });
});

describe("npm run billing", () => {
    let dir: string;
    const billing = (args: string[], now = "2027-10-01T00:00:00Z") =>
        runInProcess(billingCommand, args, {
            cwd: dir,
            env: { ...process.env, PROXY_LB_NOW: now },
        });
    beforeAll(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-billing-"));
        writeFileSync(path.join(dir, "Pulumi.drop.yaml"), EXAMPLE);
        writeFileSync(
            path.join(dir, "Pulumi.auto.yaml"),
            `${EXAMPLE}\n  proxy-lb:autopilot:\n    enabled: true\n`,
        );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("before and after for the example calendar's month: 8,640 billed minutes against 42 (96 with the autopilot's polls)", async () => {
        const run = await billing(["--stack", "drop", "--month", "2027-11"]);
        expect(run.status).toBe(0);
        expect(run.stdout.split("\n")).toEqual([
            "stack drop: the scheduled workflow's billed GitHub Actions minutes in 2027-11 (UTC; each job rounded up to the minute)",
            "before: today's */10 workflow        4,320 runs  8,640 min             4,320 × 2 min (90 s)",
            "after, autopilot off (as the stack)     38 runs     42 min  206× less  4 × 2 min (92 s) + 34 × 1 min (30 s)",
            "after, autopilot on                     92 runs     96 min  90× less   4 × 2 min (92 s) + 88 × 1 min (30 s)",
            "GitHub Free includes 2,000 minutes a month for private repositories (Pro and Team 3,000)",
            "",
        ]);
    });

    it("--json, for a stack with the autopilot on; the month defaults to PROXY_LB_NOW's", async () => {
        const run = await billing(["--stack", "auto", "--json"], "2027-11-20T08:00:00Z");
        expect(run.status).toBe(0);
        const out = JSON.parse(run.stdout);
        expect(out).toMatchObject({
            stack: "auto",
            month: "2027-11",
            autopilot: true,
            runSeconds: { today: 90, cheapSeconds: 30, resizeSeconds: 92 },
            freeMinutes: 2000,
        });
        expect([
            out.before.billedMinutes,
            out.after.billedMinutes,
            out.afterAutopilotOff.billedMinutes,
            out.afterAutopilotOn.billedMinutes,
        ]).toEqual([8640, 96, 42, 96]);
        expect(out.ratio).toBeCloseTo(90, 6);
        expect(
            out.after.lines.find((l: { cron: string }) => l.cron === "3-59/10 13-21 26 11 *"),
        ).toMatchObject({ runs: 54, billedMinutes: 54 });
    });

    it("a month without drops bills the daily runs only; a bad month is refused, naming the flag", async () => {
        const december = await billing(["--stack", "drop", "--month", "2027-12", "--json"]);
        expect(JSON.parse(december.stdout).after).toMatchObject({ runs: 31, billedMinutes: 31 });
        const bad = await billing(["--stack", "drop", "--month", "2027-13"]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toBe(
            '--month: a month is written YYYY-MM, such as 2027-11 (got "2027-13")\n',
        );
    });
});

describe("npm run schedule -- --due: the cheap check against the emulator", () => {
    let emulator: Emulator;
    let receiver: Server;
    let hookBase: string;
    const received: { path: string; body: { content?: string } }[] = [];
    let dir: string;

    beforeAll(async () => {
        emulator = await startEmulator({
            port: 0,
            seed: {
                droplets: [],
                loadBalancers: [
                    lbSeed(AT_BASELINE, "proxy-lb", 3),
                    lbSeed(SCALED_UP, "proxy-lb-up", 10),
                ],
            },
        });
        receiver = createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                received.push({ path: req.url ?? "", body: JSON.parse(body) });
                res.statusCode = req.url?.includes("/down/") ? 500 : 204;
                res.end();
            });
        });
        await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
        hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks`;
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-due-"));
        writeFileSync(path.join(dir, "Pulumi.drop.yaml"), EXAMPLE);
        writeFileSync(path.join(dir, "Pulumi.up.yaml"), EXAMPLE.replace(AT_BASELINE, SCALED_UP));
    });
    afterAll(async () => {
        await emulator?.close();
        await new Promise<void>((resolve) =>
            receiver ? receiver.close(() => resolve()) : resolve(),
        );
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let runs = 0;
    async function due(stack: string, now: string, env: Record<string, string> = {}) {
        const output = path.join(dir, `github-output-${runs++}`);
        writeFileSync(output, "");
        const run = await runAsync(["--stack", stack, "--due", "--now", now], dir, {
            PROXY_LB_NOW: "",
            GITHUB_ACTIONS: "",
            DIGITALOCEAN_API_URL: emulator.url,
            DIGITALOCEAN_TOKEN: TEST_TOKEN,
            GITHUB_OUTPUT: output,
            PROXY_LB_NOTIFY_WEBHOOK_URL: "",
            ...env,
        });
        return { ...run, outputs: readFileSync(output, "utf8") };
    }

    it("nothing due: the load balancer has the size the program chooses; due=false, and nothing is sent", async () => {
        const before = received.length;
        const run = await due("drop", "2027-11-26T12:00:00Z", {
            PROXY_LB_NOTIFY_WEBHOOK_URL: `${hookBase}/1/${SECRET}`,
            PROXY_LB_NOTIFY_FORMAT: "discord",
        });
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "due: no: load balancer proxy-lb has size_unit 3, the size the program chooses at 2027-11-26T12:00:00Z (the calendar gives 3 nodes (baseline (proxy-lb:demand)))\n",
        );
        expect(run.outputs).toBe(
            "due=false\nlate=false\nmoment=2027-11-26T12:00:00Z\nlate-message=\n",
        );
        expect(received.length).toBe(before);
    });

    it("due: a run 9 minutes before a scale-up sizes for it, and pins that moment", async () => {
        const run = await due("drop", "2027-11-26T13:21:00Z");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "due: yes: size_unit 3 -> 10 at 2027-11-26T13:30:00Z: the calendar gives 10 nodes (black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z)\n",
        );
        expect(run.outputs).toBe(
            "due=true\nlate=false\nmoment=2027-11-26T13:30:00Z\nlate-message=\n",
        );
    });

    it("already scaled up: nothing due, nothing late", async () => {
        const run = await due("up", "2027-11-26T13:50:00Z");
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(/^due: no: load balancer proxy-lb-up has size_unit 10/);
        expect(run.outputs).toContain("late=false\n");
    });

    it("late: an ::error:: annotation in Actions, one message to the webhook, the URL never printed; the check itself succeeds so the resize goes on", async () => {
        const before = received.length;
        const run = await due("drop", "2027-11-26T13:50:00Z", {
            GITHUB_ACTIONS: "true",
            PROXY_LB_NOTIFY_WEBHOOK_URL: `${hookBase}/2/${SECRET}`,
            PROXY_LB_NOTIFY_FORMAT: "discord",
        });
        expect(run.status).toBe(0);
        const late =
            "the scale-up for black-friday-2027 is 20 minutes late: size_unit 10 due since 2027-11-26T13:30:00Z, the load balancer has 3";
        expect(run.stdout.split("\n")).toEqual([
            "due: yes: size_unit 3 -> 10 at 2027-11-26T13:50:00Z: the calendar gives 10 nodes (black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z); the scale-up for black-friday-2027 is 20 min late",
            `::error title=Late scale-up::${late}`,
            "notify: the webhook took the message",
            "",
        ]);
        expect(run.outputs).toBe(
            `due=true\nlate=true\nmoment=2027-11-26T13:50:00Z\nlate-message=${late}\n`,
        );
        expect(received.slice(before)).toHaveLength(1);
        expect(received[before].path).toBe(`/api/webhooks/2/${SECRET}`);
        expect(received[before].body.content).toBe(
            "**proxy-lb drop: the scale-up for black-friday-2027 is 20 minutes late**\ndue since 2027-11-26T13:30Z: 10 nodes; live: 3 nodes (seen by the scheduled workflow)",
        );
        expect(run.stdout + run.stderr).not.toContain(SECRET);
    });

    it("late with no webhook configured: says this line is the only alarm; a webhook that fails is a line naming its host only", async () => {
        const alone = await due("drop", "2027-11-26T14:30:00Z");
        expect(alone.status).toBe(0);
        expect(alone.stdout).toContain(
            "error: the scale-up for black-friday-2027 is 60 minutes late",
        );
        expect(alone.stdout).toContain(
            "notify: no webhook configured (PROXY_LB_NOTIFY_WEBHOOK_URL or proxy-lb:notify): this line is the only alarm",
        );

        const down = await due("drop", "2027-11-26T14:30:00Z", {
            PROXY_LB_NOTIFY_WEBHOOK_URL: `${hookBase}/down/${SECRET}`,
            PROXY_LB_NOTIFY_FORMAT: "slack",
        });
        expect(down.status).toBe(0);
        const port = new URL(hookBase).port;
        expect(down.stdout).toContain(
            `notify: the slack webhook at 127.0.0.1:${port} did not take the "lateScaleUp" message: HTTP 500`,
        );
        expect(down.stdout + down.stderr).not.toContain(SECRET);
        expect(down.outputs).toContain("late=true\n");
    });

    it("--json says the same", async () => {
        const run = await runAsync(
            ["--stack", "drop", "--due", "--json", "--now", "2027-11-26T13:50:00Z"],
            dir,
            {
                PROXY_LB_NOW: "",
                GITHUB_OUTPUT: "",
                PROXY_LB_NOTIFY_WEBHOOK_URL: "",
                DIGITALOCEAN_API_URL: emulator.url,
                DIGITALOCEAN_TOKEN: TEST_TOKEN,
            },
        );
        expect(run.status).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({
            stack: "drop",
            now: "2027-11-26T13:50:00Z",
            moment: "2027-11-26T13:50:00Z",
            due: true,
            sizeUnit: 10,
            liveSizeUnit: 3,
            late: {
                drops: ["black-friday-2027"],
                dueSince: "2027-11-26T13:30:00Z",
                minutesLate: 20,
                dueSizeUnit: 10,
                liveSizeUnit: 3,
            },
            notified: null,
        });
    });

    it("without a token, or when DigitalOcean cannot be read: exit 1, naming what is missing", async () => {
        const noToken = await due("drop", "2027-11-26T12:00:00Z", { DIGITALOCEAN_TOKEN: "" });
        expect(noToken.status).toBe(1);
        expect(noToken.stderr).toContain(
            "DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token with load_balancer:read, monitoring:read",
        );
        // nothing listens on port 9 (discard) here: the API cannot be reached
        const unreachable = await due("drop", "2027-11-26T12:00:00Z", {
            DIGITALOCEAN_API_URL: "http://127.0.0.1:9",
        });
        expect(unreachable.status).toBe(1);
        expect(unreachable.stderr).toBe(
            "the DigitalOcean API at http://127.0.0.1:9 cannot be reached: check DIGITALOCEAN_API_URL (or the stack's digitalocean:apiEndpoint) and the network (offline: is the emulator running?)\n",
        );
        expect(unreachable.outputs).toBe("");
    });
});

describe("notifyTargetFrom: where a run without Pulumi sends notices", () => {
    const stack = {
        webhookUrl: "https://hooks.slack.com/services/T0/B0/abcdef",
        format: undefined,
    };
    it.each([
        ["nothing set", {}, undefined, null],
        ["the stack file's block", {}, stack, { webhookUrl: stack.webhookUrl, format: "slack" }],
        [
            "the environment wins",
            { PROXY_LB_NOTIFY_WEBHOOK_URL: "https://discord.com/api/webhooks/1/xyz" },
            stack,
            { webhookUrl: "https://discord.com/api/webhooks/1/xyz", format: "discord" },
        ],
        [
            "a format for another host",
            {
                PROXY_LB_NOTIFY_WEBHOOK_URL: "https://chat.example.com/hook/xyz",
                PROXY_LB_NOTIFY_FORMAT: "slack",
            },
            undefined,
            { webhookUrl: "https://chat.example.com/hook/xyz", format: "slack" },
        ],
    ])("%s", (_what, env, notify, expected) => {
        expect(notifyTargetFrom(env, notify)).toEqual(expected);
    });

    it.each([
        [
            { PROXY_LB_NOTIFY_WEBHOOK_URL: "http://chat.example.com/hook/xyz" },
            "PROXY_LB_NOTIFY_WEBHOOK_URL must be an https:// URL (the value is not shown: it is a secret)",
        ],
        [
            { PROXY_LB_NOTIFY_WEBHOOK_URL: "https://chat.example.com/hook/xyz" },
            "PROXY_LB_NOTIFY_FORMAT is required",
        ],
        [
            {
                PROXY_LB_NOTIFY_WEBHOOK_URL: "https://discord.com/api/webhooks/1/xyz",
                PROXY_LB_NOTIFY_FORMAT: "teams",
            },
            'PROXY_LB_NOTIFY_FORMAT must be "discord" or "slack" (got "teams")',
        ],
    ])("refuses %j, never quoting the URL", (env, message) => {
        expect(() => notifyTargetFrom(env, undefined)).toThrow(message);
        try {
            notifyTargetFrom(env, undefined);
        } catch (err) {
            expect((err as Error).message).not.toContain("xyz");
        }
    });
});
