// The controller as one process runs it: each stack set up (its config, secrets and lease), the
// health and metrics endpoint when asked for, then one tick loop per stack until the stopper
// stops them. Every line it writes goes through redaction with the secrets the setups found.
import { heartbeatUrlOf, runStacks } from "./fleet";
import { HealthBoard, renderHealth } from "./health";
import type { Stopper } from "./loop";
import { ControllerMetrics } from "./metrics";
import { serveWatch, type Listening } from "./server";
import { controllerSetup } from "./setup";
import type { TickDeps, TickReport } from "./tick";
import { redact } from "../ops/redact";

export interface AutopilotOptions {
    stacks: string[];
    intervalSeconds: number;
    dryRun: boolean;
    once: boolean;
    /** where to serve /healthz and /metrics; null: nowhere */
    listen: { host: string; port: number } | null;
    cwd: string;
    env: NodeJS.ProcessEnv;
    stopper: Stopper;
    /** the journal: one progress line at a time (stderr), already redacted */
    log(line: string): void;
    /** each tick's report as it ends; a rendering of it goes through `redact` */
    onTick?(report: TickReport, redact: (text: string) => string): void;
}

export interface AutopilotRun {
    /** each stack's reports, in order */
    reports: Map<string, TickReport[]>;
    /** what a rendering of a report must hide (the token, webhook and heartbeat URLs) */
    redact(text: string): string;
}

export async function runAutopilot(options: AutopilotOptions): Promise<AutopilotRun> {
    const secrets: string[] = [];
    const hide = (text: string) => redact(text, secrets);
    const log = (line: string) => options.log(hide(line));
    const stacks: TickDeps[] = [];
    for (const stack of options.stacks) {
        const setup = await controllerSetup({
            stack,
            cwd: options.cwd,
            env: options.env,
            intervalSeconds: options.intervalSeconds,
            log,
            dryRun: options.dryRun,
        });
        const heartbeat = heartbeatUrlOf(setup.deps);
        secrets.push(...setup.secrets, ...(heartbeat === null ? [] : [heartbeat]));
        stacks.push(setup.deps);
    }
    const metrics = new ControllerMetrics();
    const health = new HealthBoard(options.stacks, options.intervalSeconds, Date.now());
    let listening: Listening | null = null;
    try {
        if (options.listen !== null) {
            listening = await serveWatch(options.listen.host, options.listen.port, {
                health: () => {
                    const verdict = health.judge(Date.now());
                    return { ok: verdict.ok, body: hide(renderHealth(verdict)) };
                },
                metrics: () => metrics.text(),
                metricsContentType: metrics.contentType,
            });
            log(`autopilot: serving /healthz and /metrics on ${listening.url}`);
        }
        const reports = await runStacks(
            stacks,
            {
                dryRun: options.dryRun,
                once: options.once,
                intervalSeconds: options.intervalSeconds,
            },
            options.stopper,
            { metrics, health, secrets, log, onTick: (report) => options.onTick?.(report, hide) },
        );
        return { reports, redact: hide };
    } finally {
        await listening?.close();
    }
}
