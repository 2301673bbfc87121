// Soak: drop/undrop cycles on one project (real engine and provider against the emulator),
// one `pulumi up --yes --skip-preview` per half-cycle. Each resize is exactly one LB write,
// nothing else is written, every run lands in the history, and runs do not slow down as the
// state's history grows. `npm test` runs 8 cycles; `npm run soak` runs 30 (about ten minutes).
import { afterEach, expect, it } from "vitest";
import { logMark, observed, stepTraffic } from "./apiTraffic";
import { baseConfig, disposeAll, E2eProject, LB_ID, openProject } from "../../sandbox/harness";

afterEach(disposeAll);

const CYCLES = Number(process.env.PROXY_LB_SOAK_CYCLES ?? 8);
// The first and the last few cycles' mean: the later ones may not take twice as long.
const EDGE = Math.max(2, Math.floor(CYCLES / 3));
const DROP = baseConfig({ "proxy-lb:demand": { users: 40, tasksPerUser: 2000 } }); // 10 nodes
const UNDROP = baseConfig(); // 1 node
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round1 = (x: number) => Math.round(x * 10) / 10;

async function historyLength(p: E2eProject): Promise<number> {
    const run = await p.pulumi("stack", "history", "--json", "--page-size", "1000"); // the default page is 10
    if (run.status !== 0) throw new Error(`pulumi stack history failed: ${run.stderr}`);
    return (JSON.parse(run.stdout) as unknown[]).length;
}

it(
    `${CYCLES} drop/undrop cycles: ${2 * CYCLES} LB writes, 0 droplet writes, ${2 * CYCLES} history entries, no slowdown`,
    { timeout: 45 * 60_000 },
    async () => {
        const p = await openProject();
        await p.up(); // adopt: no write
        const { ip } = p.emulator.state.getLb(LB_ID);
        const historyBefore = await historyLength(p);
        const mark = logMark(p.emulator);
        const cycleSeconds: number[] = [];

        for (let cycle = 1; cycle <= CYCLES; cycle++) {
            const started = Date.now();
            for (const [config, nodes] of [
                [DROP, 10],
                [UNDROP, 1],
            ] as const) {
                const halfMark = logMark(p.emulator);
                p.writeConfig(config);
                await p.up();
                expect({ cycle, nodes, ...stepTraffic(p.emulator, halfMark) }).toMatchObject({
                    cycle,
                    nodes,
                    lbWriteStatuses: ["PUT 200"],
                    dropletWrites: 0,
                });
                expect({ cycle, lb: p.emulator.state.getLb(LB_ID) }).toMatchObject({
                    cycle,
                    lb: { size_unit: nodes, ip },
                });
            }
            cycleSeconds.push((Date.now() - started) / 1000);
        }

        const traffic = stepTraffic(p.emulator, mark);
        const newHistory = (await historyLength(p)) - historyBefore;
        const first = mean(cycleSeconds.slice(0, EDGE));
        const last = mean(cycleSeconds.slice(-EDGE));
        observed(`soak ${CYCLES} cycles`, {
            lbWrites: traffic.lbWriteAttempts,
            effectiveLbWrites: traffic.effectiveLbWrites,
            dropletWrites: traffic.dropletWrites,
            newHistoryEntries: newHistory,
            firstCyclesMeanSeconds: round1(first),
            lastCyclesMeanSeconds: round1(last),
            cyclesEachEnd: EDGE,
            minCycleSeconds: round1(Math.min(...cycleSeconds)),
            maxCycleSeconds: round1(Math.max(...cycleSeconds)),
            totalMinutes: round1(cycleSeconds.reduce((a, b) => a + b, 0) / 60),
        });
        expect(traffic).toMatchObject({
            lbWriteAttempts: 2 * CYCLES,
            effectiveLbWrites: 2 * CYCLES,
            lbCreates: 0,
            dropletWrites: 0,
        });
        expect(newHistory).toBe(2 * CYCLES);
        expect(last).toBeLessThanOrEqual(2 * first);
        expect(p.emulator.state.listLbs().map((lb) => lb.id)).toEqual([LB_ID]);
    },
);
