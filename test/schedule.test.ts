// The drop calendar as a user configures and runs it: proxy-lb:drops validated by the one
// schema (messages name the key), loadSettings sizing for a given `now`, PROXY_LB_NOW, the
// schedule CLI as a real process, and the scheduled workflow sharing deploy's lock.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, loadSettings, nowFromEnvironment, parseStackConfig } from "../config";
import { parseStackFile } from "../config/stackFile";
import { parseInstant } from "../sizing/calendar";
import { dropStackCronEntries, replaceScheduleTriggers } from "../scripts/docs";
import { run as planCommand } from "../cli/plan";
import { run as scheduleCommand } from "../cli/schedule";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");
const at = (iso: string) => parseInstant(iso)!;

/** Pulumi.drop.yaml with its commented example calendar switched on, as an operator would. */
function withExampleCalendar(text: string): string {
    const lines = text.split("\n");
    const from = lines.indexOf("  # proxy-lb:drops:");
    const to = lines.indexOf("  # proxy-lb:leadMinutes: 30");
    if (from < 0 || to < from)
        throw new Error("Pulumi.drop.yaml no longer has the commented example calendar");
    return lines
        .map((line, i) => (i >= from && i <= to ? line.replace(/^ {2}# /, "  ") : line))
        .join("\n");
}
const COMMITTED = readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8");
const EXAMPLE = withExampleCalendar(COMMITTED);

const base = {
    region: "nyc3",
    loadBalancer: { name: "proxy-lb", forwarding: [{ port: 8080 }], healthCheck: { port: 8080 } },
    maskingServers: { ids: [501, 502] },
    demand: { users: 12, tasksPerUser: 2000 },
};
const blackFriday = {
    name: "black-friday",
    start: "2027-11-26T14:00:00Z",
    end: "2027-11-26T20:00:00Z",
    demand: { users: 40, tasksPerUser: 2000 },
};
const restock = {
    name: "restock",
    start: "2027-11-26T19:00:00Z",
    end: "2027-11-26T22:00:00Z",
    demand: { users: 20, tasksPerUser: 2000 },
};
const entries = (config: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(config).map(([k, v]) => [`proxy-lb:${k}`, v]));
const withDrops = (drops: unknown, extra: Record<string, unknown> = {}) =>
    entries({ ...base, drops, ...extra });
const BEFORE = at("2027-11-01T00:00:00Z");

function problemsOf(config: Record<string, unknown>, now = BEFORE): string[] {
    try {
        loadSettings(config, { now });
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
    return [];
}

describe("proxy-lb:drops and proxy-lb:leadMinutes in the schema", () => {
    it("default to no drops and a 30-minute lead", () => {
        const config = parseStackConfig(entries(base));
        expect(config.drops).toEqual([]);
        expect(config.leadMinutes).toBe(30);
    });

    it("read as JSON text, as Pulumi hands lists and numbers to programs", () => {
        const asPulumi: Record<string, unknown> = {
            ...entries(base),
            "proxy-lb:drops": JSON.stringify([blackFriday]),
            "proxy-lb:leadMinutes": "45",
        };
        for (const key of ["proxy-lb:loadBalancer", "proxy-lb:maskingServers", "proxy-lb:demand"])
            asPulumi[key] = JSON.stringify(asPulumi[key]);
        const config = parseStackConfig(asPulumi);
        expect(config.drops[0].name).toBe("black-friday");
        expect(config.leadMinutes).toBe(45);
    });

    // [what is wrong, drops, extra keys, the message expected (the key is always named)]
    const malformed: [string, unknown, Record<string, unknown>, string][] = [
        [
            "drops not a list",
            { name: "x" },
            {},
            "proxy-lb:drops must be a list of drops like { name, start, end, demand }",
        ],
        [
            "a drop not an object",
            ["black-friday"],
            {},
            "proxy-lb:drops[0] must be an object with name, start, end and demand",
        ],
        [
            "a missing start",
            [{ ...blackFriday, start: undefined }],
            {},
            "proxy-lb:drops[0].start is required",
        ],
        [
            "a time without offset",
            [{ ...blackFriday, start: "2027-11-26T14:00:00" }],
            {},
            'proxy-lb:drops[0].start must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z or 2027-11-26T09:00:00-05:00 (got "2027-11-26T14:00:00")',
        ],
        [
            "a date that does not exist",
            [{ ...blackFriday, end: "2027-02-30T10:00:00Z" }],
            {},
            "proxy-lb:drops[0].end must be an ISO-8601 time",
        ],
        [
            "a time as a number",
            [{ ...blackFriday, start: 1795701600 }],
            {},
            "proxy-lb:drops[0].start must be an ISO-8601 time with an offset or Z",
        ],
        [
            "end before start",
            [{ ...blackFriday, end: "2027-11-26T13:00:00Z" }],
            {},
            "proxy-lb:drops[0].end (2027-11-26T13:00:00Z) must be after start (2027-11-26T14:00:00Z)",
        ],
        [
            "end equal to start",
            [{ ...blackFriday, end: blackFriday.start }],
            {},
            "proxy-lb:drops[0].end (2027-11-26T14:00:00Z) must be after start",
        ],
        [
            "a window longer than 7 days",
            [{ ...blackFriday, end: "2027-12-04T14:00:01Z" }],
            {},
            "proxy-lb:drops[0].end (2027-12-04T14:00:01Z) is 192 hours after start (2027-11-26T14:00:00Z); a drop window may last at most 168 hours (7 days)",
        ],
        [
            "a repeated name",
            [blackFriday, { ...restock, name: "black-friday" }],
            {},
            'proxy-lb:drops[1].name repeats "black-friday" (already proxy-lb:drops[0].name): each drop needs its own name',
        ],
        [
            "a name with spaces",
            [{ ...blackFriday, name: "black friday" }],
            {},
            "proxy-lb:drops[0].name must be 1–64 letters, digits, dots, dashes or underscores",
        ],
        [
            "a drop's bad demand",
            [{ ...blackFriday, demand: { users: -1, tasksPerUser: 10 } }],
            {},
            "proxy-lb:drops[0].demand.users must be a whole number ≥ 0 (got -1)",
        ],
        [
            "a typo in a drop",
            [{ ...blackFriday, demnd: {} }],
            {},
            "proxy-lb:drops[0].demnd is not a known key; did you mean proxy-lb:drops[0].demand?",
        ],
        [
            "a negative lead",
            [blackFriday],
            { leadMinutes: -5 },
            "proxy-lb:leadMinutes must be a whole number from 0 to 1440 (got -5)",
        ],
        [
            "a lead over a day",
            [blackFriday],
            { leadMinutes: 1441 },
            "proxy-lb:leadMinutes must be a whole number from 0 to 1440 (got 1441)",
        ],
        [
            "a drop needing more than maxNodes",
            [{ ...blackFriday, demand: { users: 1000, tasksPerUser: 2000 } }],
            {},
            'proxy-lb:drops[0] ("black-friday"): demand needs 250 nodes (peak 2,000,000 connections with 25% headroom at 10,000 per node) but proxy-lb:capacity.maxNodes is 200',
        ],
        [
            "two overlapping drops that together need more than maxNodes",
            [
                { ...blackFriday, demand: { users: 500, tasksPerUser: 2000 } },
                { ...restock, demand: { users: 500, tasksPerUser: 2000 } },
            ],
            {},
            'proxy-lb:drops[0] ("black-friday") + proxy-lb:drops[1] ("restock") overlapping from 2027-11-26T18:30:00Z to 2027-11-26T20:00:00Z: demand needs 250 nodes',
        ],
    ];

    it.each(malformed)("refuses %s, naming the key", (_what, drops, extra, expected) => {
        const problems = problemsOf(withDrops(drops, extra));
        expect(problems.join("\n")).toContain(expected);
        for (const line of problems) expect(line).toMatch(/^proxy-lb:/);
    });

    it("refuses a future drop the configuration cannot serve today, not when it starts", () => {
        const huge = [
            {
                ...blackFriday,
                start: "2030-01-01T00:00:00Z",
                end: "2030-01-01T06:00:00Z",
                demand: { users: 1000, tasksPerUser: 2000 },
            },
        ];
        expect(problemsOf(withDrops(huge))).toHaveLength(1);
    });

    it("a drop that is over is a warning naming it, not an error", () => {
        const settings = loadSettings(withDrops([blackFriday, restock]), {
            now: at("2027-11-26T21:00:00Z"),
        });
        expect(settings.warnings).toEqual([
            'proxy-lb:drops[0] ("black-friday") ended at 2027-11-26T20:00:00Z, before now (2027-11-26T21:00:00Z): it no longer changes the size; remove it from the calendar',
        ]);
        expect(settings.sizing.sizeUnit).toBe(5);
        // ...and one over does not stop the program even when it could not be served any more.
        const overAndHuge = [{ ...blackFriday, demand: { users: 1000, tasksPerUser: 2000 } }];
        expect(
            loadSettings(withDrops(overAndHuge), { now: at("2027-11-27T00:00:00Z") }).warnings,
        ).toHaveLength(1);
    });

    it("never crashes on arbitrary JSON in proxy-lb:drops (property)", () => {
        fc.assert(
            fc.property(fc.jsonValue(), (value) => {
                const problems = problemsOf(withDrops(value));
                for (const line of problems) expect(line).toMatch(/^proxy-lb:/);
            }),
        );
    });
});

describe("loadSettings(entries, { now })", () => {
    const config = withDrops([blackFriday, restock]);
    it.each([
        ["before the calendar", "2027-11-26T12:00:00Z", 3, [], "2027-11-26T13:30:00Z"],
        [
            "in black-friday's lead",
            "2027-11-26T13:30:00Z",
            10,
            ["black-friday"],
            "2027-11-26T18:30:00Z",
        ],
        [
            "while both run",
            "2027-11-26T19:30:00Z",
            15,
            ["black-friday", "restock"],
            "2027-11-26T20:00:00Z",
        ],
        ["restock alone", "2027-11-26T20:00:00Z", 5, ["restock"], "2027-11-26T22:00:00Z"],
        ["after the last drop", "2027-11-26T22:00:00Z", 3, [], null],
    ])("%s (%s): size_unit %i, active %j until %s", (_what, now, sizeUnit, active, until) => {
        const settings = loadSettings(config, { now: at(now) });
        expect(settings.sizing.sizeUnit).toBe(sizeUnit);
        expect(settings.schedule.active.map((d) => d.name)).toEqual(active);
        expect(settings.schedule.until).toBe(until);
        expect(settings.schedule.now).toBe(now);
    });

    it("accepts a Date as well as epoch ms", () => {
        expect(
            loadSettings(config, { now: new Date("2027-11-26T19:30:00Z") }).sizing.sizeUnit,
        ).toBe(15);
    });

    it("gives the next boundary and the next resize", () => {
        const { schedule } = loadSettings(config, { now: at("2027-11-26T12:00:00Z") });
        expect(schedule.next).toEqual({
            at: "2027-11-26T13:30:00Z",
            sizeUnit: 10,
            active: ["black-friday"],
            why: "black-friday: scaled up 30 min before its start at 2027-11-26T14:00Z",
        });
        expect(schedule.nextResize?.at).toBe("2027-11-26T13:30:00Z");
    });
});

describe("nowFromEnvironment", () => {
    it("reads PROXY_LB_NOW with its offset, and falls back to the clock", () => {
        expect(nowFromEnvironment({ PROXY_LB_NOW: "2027-11-26T09:00:00-05:00" })).toBe(
            at("2027-11-26T14:00:00Z"),
        );
        expect(nowFromEnvironment({}, () => 42)).toBe(42);
        expect(nowFromEnvironment({ PROXY_LB_NOW: "" }, () => 7)).toBe(7);
    });

    it("refuses a PROXY_LB_NOW it cannot read, naming it", () => {
        expect(() => nowFromEnvironment({ PROXY_LB_NOW: "tomorrow" })).toThrow(ConfigError);
        expect(() => nowFromEnvironment({ PROXY_LB_NOW: "2027-11-26T14:00:00" })).toThrow(
            /PROXY_LB_NOW must be an ISO-8601 time with an offset or Z.*got "2027-11-26T14:00:00"/,
        );
    });
});

describe("npm run schedule", () => {
    let dir: string;
    const schedule = (args: string[], env: Record<string, string> = {}) =>
        runInProcess(scheduleCommand, args, {
            cwd: dir,
            env: { ...process.env, PROXY_LB_NOW: "", ...env },
        });

    beforeAll(() => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-schedule-"));
        writeFileSync(path.join(dir, "Pulumi.drop.yaml"), EXAMPLE);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("the drop stack ships without a calendar, and its commented example is valid once uncommented", async () => {
        expect(parseStackConfig(parseStackFile(COMMITTED, "Pulumi.drop.yaml")).drops).toEqual([]);
        const config = parseStackConfig(parseStackFile(EXAMPLE, "Pulumi.drop.yaml"));
        expect(config.drops.map((d) => d.name)).toEqual(["black-friday-2027", "restock-2027"]);
        expect(config.leadMinutes).toBe(30);
    });

    it("says the size due now, the active drops and the next boundary (--now, --json)", async () => {
        const run = await schedule(["--stack", "drop", "--now", "2027-11-26T19:10:00Z", "--json"]);
        expect(run.status).toBe(0);
        const out = JSON.parse(run.stdout);
        expect(out).toMatchObject({
            stack: "drop",
            now: "2027-11-26T19:10:00Z",
            sizeUnit: 15,
            active: [
                { name: "black-friday-2027", end: "2027-11-26T20:00:00Z" },
                { name: "restock-2027", end: "2027-11-26T22:00:00Z" },
            ],
            until: "2027-11-26T20:00:00Z",
            next: { at: "2027-11-26T20:00:00Z", sizeUnit: 5, active: ["restock-2027"] },
        });
    });

    it("takes the time from PROXY_LB_NOW, and --now wins over it", async () => {
        const fromEnv = JSON.parse(
            (
                await schedule(["--stack", "drop", "--json"], {
                    PROXY_LB_NOW: "2027-11-26T13:45:00Z",
                })
            ).stdout,
        );
        expect(fromEnv).toMatchObject({ now: "2027-11-26T13:45:00Z", sizeUnit: 10 });
        const both = JSON.parse(
            (
                await schedule(["--stack", "drop", "--json", "--now", "2027-11-26T12:00:00Z"], {
                    PROXY_LB_NOW: "2027-11-26T13:45:00Z",
                })
            ).stdout,
        );
        expect(both).toMatchObject({
            now: "2027-11-26T12:00:00Z",
            sizeUnit: 3,
            next: { at: "2027-11-26T13:30:00Z", sizeUnit: 10 },
        });
    });

    it("prints it for people, with past drops as warnings on stderr", async () => {
        const run = await schedule(["--stack", "drop", "--now", "2027-11-27T00:00:00Z"]);
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "stack drop at 2027-11-27T00:00:00Z: size_unit 3: baseline (proxy-lb:demand)\nactive drops: none\nnext boundary: none (no drop later in the calendar)\n",
        );
        expect(run.stderr).toContain(
            'warning: proxy-lb:drops[0] ("black-friday-2027") ended at 2027-11-26T20:00:00Z',
        );
    });

    it("refuses a time without offset, naming the flag, and unknown flags with the usage", async () => {
        const bad = await schedule(["--stack", "drop", "--now", "2027-11-26 14:00"]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain(
            '--now must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z (got "2027-11-26 14:00")',
        );
        const badEnv = await schedule(["--stack", "drop"], { PROXY_LB_NOW: "noon" });
        expect(badEnv.status).toBe(1);
        expect(badEnv.stderr).toContain("PROXY_LB_NOW must be an ISO-8601 time");
        const flag = await schedule(["--stack", "drop", "--at", "x"]);
        expect(flag.status).toBe(2);
        expect(flag.stderr).toContain("usage: npm run schedule");
    });
});

describe(".github/workflows/schedule.yml", () => {
    const text = (name: string) => readFileSync(path.join(ROOT, ".github/workflows", name), "utf8");
    const workflow = (name: string) => parse(text(name));
    type Step = {
        name?: string;
        id?: string;
        if?: string;
        run?: string;
        uses?: string;
        with?: Record<string, unknown>;
        env?: Record<string, string>;
    };
    const steps = (): Step[] => workflow("schedule.yml").jobs.up.steps;

    it("its triggers are the drop stack's cron lines (npm run docs writes them; this fails when the calendar changed without it)", () => {
        const current = text("schedule.yml");
        expect(replaceScheduleTriggers(current, COMMITTED)).toBe(current);
        expect(workflow("schedule.yml").on.schedule).toEqual(
            dropStackCronEntries(COMMITTED).map((e) => ({ cron: e.cron })),
        );
        // the committed stack has no calendar: the daily run alone
        expect(workflow("schedule.yml").on.schedule).toEqual([{ cron: "17 5 * * *" }]);
        // switching the example calendar on makes the file out of date, until regenerated with its 8 lines
        const withCalendar = replaceScheduleTriggers(current, EXAMPLE);
        expect(withCalendar).not.toBe(current);
        expect(parse(withCalendar).on.schedule.map((t: { cron: string }) => t.cron)).toEqual([
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
        expect(withCalendar).toContain(
            '    - cron: "20 13 26 11 *"  # scale-up 3 -> 10 nodes at 2027-11-26T13:30Z (black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z), 10 min early\n',
        );
        expect(parse(withCalendar).jobs).toEqual(workflow("schedule.yml").jobs);
    });

    it("runs in deploy's concurrency group, never cancelling a running up", () => {
        const schedule = workflow("schedule.yml");
        const deploy = workflow("deploy.yml");
        expect(schedule.concurrency).toEqual(deploy.concurrency);
        expect(schedule.concurrency["cancel-in-progress"]).toBe(false);
    });

    it("checks first, after npm ci only; installs Pulumi, pins the time, gates and applies only when due; fails loudly on a late scale-up", () => {
        const all = steps();
        const index = (pred: (s: Step) => boolean) => all.findIndex(pred);
        const ci = index((s) => s.run === "npm ci");
        const due = index((s) => s.id === "due");
        const pin = index((s) => s.run?.includes("PROXY_LB_NOW=") ?? false);
        const toolchain = index((s) => s.uses === "./.github/actions/pulumi-toolchain");
        const gate = index((s) => s.run?.includes("npm run -s gate -- --stack drop") ?? false);
        const up = index((s) => s.uses?.startsWith("pulumi/actions@") ?? false);
        const loud = index((s) => s.if?.includes("steps.due.outputs.late == 'true'") ?? false);
        expect(all[due].run).toBe("npm run -s schedule -- --stack drop --due");
        expect(all.slice(0, due).map((s) => s.uses?.split("@")[0] ?? s.run)).toEqual([
            "actions/checkout",
            "actions/setup-node",
            "npm ci",
        ]);
        expect([
            ci < due,
            due < pin,
            pin < toolchain,
            toolchain < gate,
            gate < up,
            up < loud,
        ]).toEqual([true, true, true, true, true, true]);
        // nothing after the check but the loud step runs when nothing is due: Pulumi is never installed
        // then; a failed up (only ever run when due) is followed by a refresh of the load balancer
        // alone, so the next run's gate is not blocked by the inputs the failed update left
        const refresh = index((s) => s.if === "failure() && steps.up.outcome == 'failure'");
        expect(all[up].id).toBe("up");
        expect([up < refresh, refresh < loud]).toEqual([true, true]);
        expect(all[refresh].run).toMatch(
            /^pulumi refresh --yes --non-interactive --skip-preview --stack drop --target 'urn:pulumi:drop::proxy-lb::digitalocean:index\/loadBalancer:LoadBalancer::proxy-lb'$/,
        );
        for (const s of all.slice(due + 1, loud).filter((_, i) => i + due + 1 !== refresh))
            expect(s.if).toBe("steps.due.outputs.due == 'true'");
        expect(all[pin].env).toEqual({ MOMENT: "${{ steps.due.outputs.moment }}" });
        expect(all[loud].if).toBe("always() && steps.due.outputs.late == 'true'");
        expect(all[loud].run).toContain("exit 1");
        expect(all[up].with).toMatchObject({ command: "up", "stack-name": "drop" });
        expect(Object.keys(all[due].env ?? {}).sort()).toEqual([
            "DIGITALOCEAN_TOKEN",
            "PROXY_LB_NOTIFY_WEBHOOK_URL",
        ]);
    });
});

describe("npm run plan: the calendar's timeline and the pull-request summary of a calendar change", async () => {
    let repo: string;
    const identity = {
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
    };
    const git = (...args: string[]) =>
        spawnSync("git", args, {
            cwd: repo,
            encoding: "utf8",
            env: { ...process.env, ...identity },
        });
    const plan = (args: string[], now = "2027-11-25T12:00:00Z") =>
        runInProcess(planCommand, args, { cwd: repo, env: { ...process.env, PROXY_LB_NOW: now } });
    const committed = EXAMPLE;

    beforeAll(async () => {
        // The base commit has the stack as committed (no calendar); the working tree switches the
        // example calendar on, as a drop's pull request would.
        repo = mkdtempSync(path.join(tmpdir(), "proxy-lb-timeline-"));
        writeFileSync(path.join(repo, "Pulumi.drop.yaml"), COMMITTED);
        git("init", "-q");
        git("add", ".");
        git("commit", "-q", "-m", "no calendar");
        git("tag", "base");
        writeFileSync(path.join(repo, "Pulumi.drop.yaml"), committed);
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    it("--json gives each step's time, nodes and why, each window's cost and the period's, for the next 7 days", async () => {
        const run = await plan(["--stack", "drop", "--json"]);
        expect(run.status).toBe(0);
        const { sizeUnit, timeline } = JSON.parse(run.stdout);
        expect(sizeUnit).toBe(3);
        expect(timeline.from).toBe("2027-11-25T12:00:00Z");
        expect(timeline.to).toBe("2027-12-02T12:00:00Z");
        expect(
            timeline.steps.map((s: { from: string; sizeUnit: number }) => [s.from, s.sizeUnit]),
        ).toEqual([
            ["2027-11-25T12:00:00Z", 3],
            ["2027-11-26T13:30:00Z", 10],
            ["2027-11-26T18:30:00Z", 15],
            ["2027-11-26T20:00:00Z", 5],
            ["2027-11-26T22:00:00Z", 3],
        ]);
        const cost = (nodes: number, hours: number) => (nodes * 12 * hours) / 672;
        expect(timeline.windows).toEqual([
            {
                name: "black-friday-2027",
                from: "2027-11-26T13:30:00Z",
                to: "2027-11-26T20:00:00Z",
                hours: 6.5,
                cost: expect.closeTo(cost(10, 5) + cost(15, 1.5), 4),
                added: expect.closeTo(cost(7, 5) + cost(12, 1.5), 4),
            },
            {
                name: "restock-2027",
                from: "2027-11-26T18:30:00Z",
                to: "2027-11-26T22:00:00Z",
                hours: 3.5,
                cost: expect.closeTo(cost(15, 1.5) + cost(5, 2), 4),
                added: expect.closeTo(cost(12, 1.5) + cost(2, 2), 4),
            },
        ]);
        expect(timeline.cost.hours).toBe(168);
        expect(timeline.cost.baseline).toBeCloseTo(cost(3, 168), 4);
        expect(timeline.cost.added).toBeCloseTo(cost(7, 5) + cost(12, 1.5) + cost(2, 2), 4);
    });

    it("--from/--to choose the period; the table says why each step", async () => {
        const run = await plan([
            "--stack",
            "drop",
            "--from",
            "2027-11-26T18:00:00Z",
            "--to",
            "2027-11-26T21:00:00Z",
        ]);
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("timeline 2027-11-26T18:00Z → 2027-11-26T21:00Z:");
        expect(run.stdout).toMatch(
            /2027-11-26T18:30Z │\s+15 │ overlap, demands add: black-friday-2027 \+ restock-2027/,
        );
        const bad = await plan([
            "--stack",
            "drop",
            "--from",
            "2027-11-26T18:00:00Z",
            "--to",
            "2027-11-26T17:00:00Z",
        ]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain(
            "--to (2027-11-26T17:00:00Z) must be after --from (2027-11-26T18:00:00Z)",
        );
    });

    it("--base --markdown adds the calendar change: a Mermaid chart of nodes before and after, each step and the added cost", async () => {
        const run = await plan(["--stack", "drop", "--base", "base", "--markdown"]);
        expect(run.status).toBe(0);
        const md = run.stdout;
        expect(md).toContain("#### Drop calendar, 2027-11-25T12:00Z → 2027-12-02T12:00Z");
        expect(md).toMatch(
            /\*\*This change costs \+\$1\.02 over this period\*\* \(\$9\.00 → \$10\.02/,
        );
        expect(md).toContain("```mermaid\n%%{init:");
        expect(md).toContain("xychart-beta");
        expect(md).toContain("    line [3, 3, 3, 3, 3, 3]\n    line [3, 10, 15, 5, 3, 3]");
        expect(md).toContain(
            "| 2027-11-26T18:30Z | 3 | 15 | overlap, demands add: black-friday-2027 + restock-2027 |",
        );
        expect(md).toContain(
            "| black-friday-2027 | 2027-11-26T13:30Z → 2027-11-26T20:00Z | 6.5 | $1.29 | +$0.95 |",
        );
    });

    it("--base --markdown on the real clock: the period ends with the last drop and the chart steps back to the baseline there; no milliseconds", async () => {
        // An unpinned clock has milliseconds, and the summary then runs from now until the restock ends.
        const run = await plan(
            ["--stack", "drop", "--base", "base", "--markdown"],
            "2026-12-01T08:32:31.545Z",
        );
        expect(run.status).toBe(0);
        const md = run.stdout;
        expect(md).toContain("#### Drop calendar, 2026-12-01T08:32:31Z → 2027-11-26T22:00Z");
        expect(md).not.toMatch(/\d\.\d{3}Z/);
        // The period spans two years, so the axis keeps them.
        expect(md).toContain(
            'x-axis ["2026-12-01 08:32:31Z", "2027-11-26 13:30Z", "2027-11-26 18:30Z", "2027-11-26 20:00Z", "2027-11-26 22:00Z"]',
        );
        expect(md).toContain("    line [3, 3, 3, 3, 3]\n    line [3, 10, 15, 5, 3]");
        expect(md).toContain("| 2027-11-26T22:00Z | 3 | 3 | baseline (proxy-lb:demand) |");
    });

    it("overlapping drops: the drops' own costs count the shared hours in both, so the period's extra cost is shared out, each hour once, in cents that add up", async () => {
        const md = (await plan(["--stack", "drop", "--base", "base", "--markdown"])).stdout;
        expect(md).toContain(
            "| black-friday-2027 | 2027-11-26T13:30Z → 2027-11-26T20:00Z | 6.5 | $1.29 | +$0.95 |",
        );
        expect(md).toContain(
            "| restock-2027 | 2027-11-26T18:30Z → 2027-11-26T22:00Z | 3.5 | $0.58 | +$0.39 |",
        );
        expect(md).toContain(
            [
                "| the period's extra cost, each hour counted once | hours | over the baseline size |",
                "|---|---:|---:|",
                "| black-friday-2027 alone | 5 | +$0.63 |",
                "| black-friday-2027 + restock-2027 together | 1.5 | +$0.32 |",
                "| restock-2027 alone | 2 | +$0.07 |",
                "| **this period** | 8.5 | **+$1.02** |",
            ].join("\n"),
        );
        const text = (await plan(["--stack", "drop"])).stdout;
        expect(text).toContain(
            "period: 168 h cost $10.02 ($9.00 at the baseline size, +$1.02 for drops)",
        );
        expect(text).toContain(
            "  the +$1.02 counts each hour once: +$0.63 black-friday-2027 alone (5 h), +$0.32 black-friday-2027 + restock-2027 together (1.5 h), +$0.07 restock-2027 alone (2 h)",
        );
        const json = JSON.parse((await plan(["--stack", "drop", "--json"])).stdout).timeline;
        expect(
            json.shares.map((s: { drops: string[]; hours: number }) => [s.drops, s.hours]),
        ).toEqual([
            [["black-friday-2027"], 5],
            [["black-friday-2027", "restock-2027"], 1.5],
            [["restock-2027"], 2],
        ]);
        expect(json.shares.reduce((a: number, s: { added: number }) => a + s.added, 0)).toBeCloseTo(
            json.cost.added,
            3,
        );
    });

    it("--base --json carries both timelines and the added cost; an unchanged calendar adds no section", async () => {
        const out = JSON.parse(
            (await plan(["--stack", "drop", "--base", "base", "--json"])).stdout,
        );
        expect(out.timeline.calendarChanged).toBe(true);
        expect(out.timeline.before.steps).toHaveLength(1);
        expect(out.timeline.after.steps).toHaveLength(5);
        expect(out.timeline.added).toBeCloseTo(1.0179, 3);
        git("add", ".");
        git("commit", "-q", "-m", "calendar");
        const same = await plan(["--stack", "drop", "--base", "HEAD", "--markdown"]);
        expect(same.status).toBe(0);
        expect(same.stdout).not.toContain("Drop calendar");
    });

    it("a summary made after a drop extends to the last drop the change touches", async () => {
        const later = committed
            .replace('start: "2027-11-26T19:00:00Z"', 'start: "2027-12-20T19:00:00Z"')
            .replace('end: "2027-11-26T22:00:00Z"', 'end: "2027-12-20T22:00:00Z"');
        writeFileSync(path.join(repo, "Pulumi.drop.yaml"), later);
        const out = JSON.parse(
            (await plan(["--stack", "drop", "--base", "HEAD", "--json"])).stdout,
        );
        expect(out.timeline.after.to).toBe("2027-12-20T22:00:00Z");
        writeFileSync(path.join(repo, "Pulumi.drop.yaml"), committed);
    });
});
