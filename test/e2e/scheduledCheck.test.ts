// The scheduled workflow's steps on the real engine and provider against the emulator: the cheap
// check (`npm run schedule -- --due`, on its own narrow token) and, only when it says due, `pulumi
// up` pinned to the moment it sized for. The check agrees with what `up` then does: due exactly when
// `up` resizes, nothing due right after; it never writes; a scale-up missed is said late.
import { afterEach, describe, expect, it } from "vitest";
import {
    baseConfig,
    disposeAll,
    LB_ID,
    openProject,
    runCli,
    writes,
    type E2eProject,
} from "../../sandbox/harness";

afterEach(disposeAll);

const calendar = baseConfig({
    "proxy-lb:leadMinutes": 30,
    // 40 users × 2,000 tasks = 80,000 connections → 10 nodes with 25% headroom; the baseline is 1
    "proxy-lb:drops": [
        {
            name: "sneaker-drop",
            start: "2027-03-01T10:00:00Z",
            end: "2027-03-01T12:00:00Z",
            demand: { users: 40, tasksPerUser: 2000 },
        },
    ],
});

async function check(p: E2eProject, now: string) {
    const run = await runCli(
        p,
        { name: "schedule", token: "due" },
        "--stack",
        p.stack,
        "--due",
        "--json",
        "--now",
        now,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as {
        due: boolean;
        moment: string;
        sizeUnit: number;
        liveSizeUnit: number;
        late: { minutesLate: number; drops: string[] } | null;
    };
}

describe("the scheduled run: the cheap check, then `up` only when due", () => {
    it("says due exactly when `up` resizes, nothing due after it, and never writes", async () => {
        const p = await openProject({ config: calendar });
        // [the run's start, due?, the moment sized for, nodes after the run]
        const runs: [string, boolean, string, number][] = [
            ["2027-03-01T09:00:00Z", false, "2027-03-01T09:00:00Z", 1], // adopted at 1 node: the baseline
            ["2027-03-01T09:21:00Z", true, "2027-03-01T09:30:00Z", 10], // 9 min before the scale-up: sizes for it
            ["2027-03-01T09:26:00Z", false, "2027-03-01T09:30:00Z", 10], // the retry: already done
            ["2027-03-01T11:00:00Z", false, "2027-03-01T11:00:00Z", 10],
            ["2027-03-01T12:02:00Z", true, "2027-03-01T12:02:00Z", 1], // 2 min after the end
        ];
        for (const [now, due, moment, nodes] of runs) {
            const before = writes(p.emulator);
            const result = await check(p, now);
            expect({ now, due: result.due, moment: result.moment, late: result.late }).toEqual({
                now,
                due,
                moment,
                late: null,
            });
            expect(writes(p.emulator)).toEqual(before); // the check only reads
            if (result.due) {
                p.env.PROXY_LB_NOW = result.moment;
                await p.up();
                expect(writes(p.emulator).lb - before.lb).toBe(1);
                expect((await check(p, now)).due).toBe(false); // what the check saw due, `up` did
            }
            expect({ now, sizeUnit: p.emulator.state.getLb(LB_ID).size_unit }).toEqual({
                now,
                sizeUnit: nodes,
            });
        }
        expect(writes(p.emulator)).toMatchObject({ lb: 2, droplet: 0 });
    });

    it("a scale-up that no run made is late, since its boundary, until `up` makes it", async () => {
        const p = await openProject({ config: calendar });
        const late = await check(p, "2027-03-01T10:00:00Z");
        expect(late).toMatchObject({
            due: true,
            sizeUnit: 10,
            liveSizeUnit: 1,
            late: { drops: ["sneaker-drop"], minutesLate: 30 },
        });
        p.env.PROXY_LB_NOW = late.moment;
        await p.up();
        expect(await check(p, "2027-03-01T10:01:00Z")).toMatchObject({
            due: false,
            late: null,
            liveSizeUnit: 10,
        });
        expect(writes(p.emulator)).toMatchObject({ lb: 1, droplet: 0 });
    });
});
