// The controller's loop: a tick every interval until a signal stops it; a stop during a tick lets
// it finish (a running update always completes), then the lease is released.
import {
    errorText,
    HEARTBEAT_DURING_UPDATE_MS,
    runTick,
    type TickDeps,
    type TickReport,
} from "./tick";

export interface Stopper {
    /** true once a stop was asked for (SIGTERM, SIGINT) */
    readonly stopped: boolean;
    /** resolves after `ms`, or at once when a stop is asked for */
    sleep(ms: number): Promise<void>;
}

/** A stopper driven by signals; `dispose` removes its handlers. */
export function signalStopper(
    onStop: (signal: NodeJS.Signals) => void,
    signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"],
): Stopper & { dispose(): void } {
    let stopped = false;
    // One sleeper per stack's loop: a stop wakes them all.
    const wakers = new Set<() => void>();
    const handler = (signal: NodeJS.Signals) => {
        if (!stopped) onStop(signal);
        stopped = true;
        for (const wake of [...wakers]) wake();
    };
    for (const s of signals) process.on(s, handler);
    return {
        get stopped() {
            return stopped;
        },
        sleep(ms) {
            if (stopped) return Promise.resolve();
            return new Promise<void>((resolve) => {
                const timer = setTimeout(finish, ms);
                function finish() {
                    clearTimeout(timer);
                    wakers.delete(finish);
                    resolve();
                }
                wakers.add(finish);
            });
        },
        dispose() {
            for (const s of signals) process.off(s, handler);
        },
    };
}

export interface LoopOptions {
    dryRun: boolean;
    once: boolean;
    intervalSeconds: number;
    /** a bound for tests: stop after this many ticks */
    maxTicks?: number;
}

/**
 * Ticks every `intervalSeconds` (from one tick's start to the next) until stopped, or once. A stop
 * during a tick lets it finish (the update included); then the lease is released.
 */
export async function runController(
    deps: TickDeps,
    options: LoopOptions,
    stopper: Stopper,
    /** awaited before the next tick's wait (a heartbeat's bounded ping, the metrics) */
    onTick: (report: TickReport) => void | Promise<void>,
): Promise<TickReport[]> {
    const reports: TickReport[] = [];
    try {
        for (let tick = 0; options.maxTicks === undefined || tick < options.maxTicks; tick++) {
            if (stopper.stopped) break;
            const started = deps.clock();
            const report = await runTick(deps, {
                dryRun: options.dryRun,
                // A short interval's stale bound is short too: renew well within it during an update.
                heartbeatMs: Math.min(
                    HEARTBEAT_DURING_UPDATE_MS,
                    (options.intervalSeconds * 1000) / 2,
                ),
            });
            reports.push(report);
            await onTick(report);
            if (options.once || stopper.stopped) break;
            await stopper.sleep(
                Math.max(0, options.intervalSeconds * 1000 - (deps.clock() - started)),
            );
        }
    } finally {
        try {
            await deps.lease.release(deps.clock());
        } catch (err) {
            deps.log(
                `autopilot: stack ${deps.stack}: the lease could not be released (${errorText(err)}); another controller takes it over once it is stale`,
            );
        }
    }
    return reports;
}
