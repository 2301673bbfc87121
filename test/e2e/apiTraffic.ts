// What the emulator saw during one step of an end-to-end scenario, and small waits for the
// moments a fault test acts on (a request arriving, a polling provider).
import type { Emulator } from "../../emulator/server";
import type { LogEntry } from "../../emulator/logTypes";
import type { E2eProject, Run } from "../../sandbox/harness";

/** The request log from `mark` on (take a mark with `logMark` before the step). */
export const logMark = (emulator: Emulator): number => emulator.state.log.length;
export const logSince = (emulator: Emulator, mark: number): LogEntry[] =>
    emulator.state.log.slice(mark);

/** Load balancer and droplet traffic of one step: attempts, their answers, and what changed state. */
export function stepTraffic(emulator: Emulator, mark: number) {
    const entries = logSince(emulator, mark);
    const lbWrites = entries.filter((e) => e.kind === "load_balancer" && e.write);
    return {
        lbWriteAttempts: lbWrites.length,
        lbWriteStatuses: lbWrites.map(
            (e) => `${e.method} ${e.status === 0 ? "dropped" : e.status}`,
        ),
        effectiveLbWrites: lbWrites.filter((e) => e.changed).length,
        lbCreates: lbWrites.filter((e) => e.method === "POST").length,
        dropletWrites: entries.filter(
            (e) => e.write && (e.kind === "droplet" || (e.dropletIds?.length ?? 0) > 0),
        ).length,
        requests: entries.length,
    };
}

/** Polls `condition` every 100 ms until it holds; fails after `timeoutMs` saying what it waited for. */
export async function waitFor(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline)
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Times a command; the figure the reliability table quotes. */
export async function timed(run: () => Promise<Run>): Promise<{ run: Run; seconds: number }> {
    const started = Date.now();
    const result = await run();
    return { run: result, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

/** `pulumi stack export` parsed (it must parse), with its pending operations. */
export async function exportedState(p: E2eProject, ...args: string[]) {
    const run = await p.pulumi("stack", "export", ...args);
    if (run.status !== 0) throw new Error(`pulumi stack export failed: ${run.stderr}`);
    const exported = JSON.parse(run.stdout) as {
        deployment: {
            resources?: {
                urn: string;
                type: string;
                id?: string;
                outputs?: Record<string, unknown>;
            }[];
            pending_operations?: { type: string; resource: { urn: string; id?: string } }[];
        };
    };
    return { text: run.stdout, deployment: exported.deployment };
}

/** One line the reliability table is copied from: `[observed] <scenario> {figures}`. */
export function observed(scenario: string, figures: Record<string, unknown>): void {
    console.log(`[observed] ${scenario} ${JSON.stringify(figures)}`);
}
