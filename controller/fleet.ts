// Several stacks in one process: one loop per stack (its own lease, decision and pace), all
// stopped by the one stopper; a stack's failure is its own (its tick reports it, the others go
// on). Each tick also feeds the metrics and the health board, and a good tick with the lease
// held pings the stack's heartbeat URL.
import { heartbeatTarget } from "../config/heartbeat";
import { pingHeartbeat, type PingResult } from "./heartbeat";
import type { HealthBoard } from "./health";
import { isGoodTick } from "./health";
import { runController, type LoopOptions, type Stopper } from "./loop";
import type { ControllerMetrics } from "./metrics";
import { errorText, type TickDeps, type TickReport } from "./tick";

export interface FleetHooks {
    metrics: ControllerMetrics;
    health: HealthBoard;
    /** the tick's line(s) to print; never throws into the loop */
    onTick(report: TickReport): void;
    log(line: string): void;
    /** secrets every line is redacted of */
    secrets: readonly string[];
    ping?: (url: string, secrets: readonly string[]) => Promise<PingResult>;
}

/** The heartbeat URL of a stack's settings at its moment now, or null (unset, or the config unreadable). */
export function heartbeatUrlOf(deps: TickDeps): string | null {
    try {
        return heartbeatTarget(deps.settingsAt(deps.moment()).config.autopilot);
    } catch {
        return null;
    }
}

/** The deps with their reads and updates reported to the metrics and the health board. */
export function watched(deps: TickDeps, metrics: ControllerMetrics, health: HealthBoard): TickDeps {
    return {
        ...deps,
        async sizeNow(settings, at) {
            const size = await deps.sizeNow(settings, at);
            metrics.observeLoad(deps.stack, settings, size);
            return size;
        },
        async up(at) {
            const started = deps.clock();
            health.updating(deps.stack, true, started);
            try {
                return await deps.up(at);
            } finally {
                const ended = deps.clock();
                health.updating(deps.stack, false, ended);
                metrics.observeUpdate(deps.stack, (ended - started) / 1000);
            }
        },
    };
}

/** Runs every stack's loop until the stopper stops them (or --once); each one's tick count. */
export async function runStacks(
    stacks: readonly TickDeps[],
    options: LoopOptions,
    stopper: Stopper,
    hooks: FleetHooks,
): Promise<Map<string, TickReport[]>> {
    const ping = hooks.ping ?? ((url, secrets) => pingHeartbeat(url, { secrets }));
    hooks.metrics.declare(stacks.map((d) => d.stack));
    const runs = stacks.map(async (plain) => {
        const deps = watched(plain, hooks.metrics, hooks.health);
        const onTick = async (report: TickReport) => {
            try {
                const now = deps.clock();
                hooks.metrics.observeTick(report, now, options.dryRun);
                hooks.health.ticked(report, now);
                hooks.onTick(report);
                if (options.dryRun || !report.lease.held || !isGoodTick(report.status)) return;
                const url = heartbeatUrlOf(deps);
                if (url === null) return;
                const result = await ping(url, hooks.secrets);
                if (!result.ok) hooks.log(`autopilot: stack ${deps.stack}: ${result.line}`);
            } catch (err) {
                hooks.log(`autopilot: stack ${deps.stack}: after the tick: ${errorText(err)}`);
            }
        };
        return [deps.stack, await runController(deps, options, stopper, onTick)] as const;
    });
    const settled = await Promise.allSettled(runs);
    const out = new Map<string, TickReport[]>();
    settled.forEach((result, i) => {
        if (result.status === "fulfilled") out.set(result.value[0], result.value[1]);
        else {
            hooks.log(
                `autopilot: stack ${stacks[i].stack}: its loop stopped: ${errorText(result.reason)}`,
            );
            out.set(stacks[i].stack, []);
        }
    });
    return out;
}
