// npm run autopilot -- --stack <name> [--once] [--json] [--dry-run] [--interval <seconds>]
// The controller (controller/): each tick reads the load balancer and its metrics, decides the
// size with the one decision every path shares, and resizes only when it differs (gate, then a
// resize-only `pulumi up`). Argument handling and rendering only.
import { ConfigError } from "../config";
import { DEFAULT_INTERVAL_SECONDS } from "../controller/decisions";
import { runController, signalStopper } from "../controller/loop";
import { controllerSetup } from "../controller/setup";
import type { TickReport } from "../controller/tick";
import { redact } from "../ops/notify";
import { plural } from "../sizing/format";
import { runCli, UsageError } from "./run";

const USAGE =
    "usage: npm run autopilot -- --stack <name> [--once] [--json] [--dry-run] [--interval <seconds>]";

const HELP = `The autopilot controller: every tick (60 s by default) it reads the load balancer and its
metrics (no Pulumi run), decides the size as every \`pulumi up\` does (the calendar, or more for
the crowd it carries; proxy-lb:autopilot.*), and only when that differs from the live size runs
the gate and a \`pulumi up\` targeted at the load balancer. One resize a minute at most; while
DigitalOcean is busy with the previous one it tries again next tick. One controller per stack:
a second one says who holds the lease and waits. SIGTERM or SIGINT stop it between ticks (a
running update finishes first).

  --stack <name>          the stack (its Pulumi.<name>.yaml is read at every tick)
  --once                  one tick, then exit
  --json                  one JSON object per tick (and one when it stops)
  --dry-run               decide and print, never resize
  --interval <seconds>    time between ticks (default ${DEFAULT_INTERVAL_SECONDS})
  -h, --help              this help

exit codes: 0 stopped cleanly (with --once: the tick did not fail); 1 the config is wrong,
or with --once the tick failed or the gate refused; 2 bad usage; 3 the Pulumi toolchain is
not built yet`;

/** --interval as seconds: a positive number, at most a day. */
function intervalSeconds(text: string | undefined): number {
    if (text === undefined) return DEFAULT_INTERVAL_SECONDS;
    const seconds = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(seconds >= 1) || seconds > 86_400)
        throw new UsageError(
            `--interval must be a number of seconds from 1 to 86400 (got ${JSON.stringify(text)})`,
        );
    return seconds;
}

/** A tick as one line, then a line each for a takeover, the gate's reasons and the notices (--json adds the tick's duration). */
function renderTick(report: TickReport): string {
    const lines = [`${report.at || "-"} autopilot ${report.stack}: ${report.summary}`];
    if (report.lease.tookOver)
        lines.push(
            `  took over the lease from ${report.lease.tookOver.host} pid ${report.lease.tookOver.pid}: ${report.lease.tookOver.why}`,
        );
    for (const reason of report.gate) lines.push(`  gate: ${reason}`);
    for (const notice of report.notices)
        lines.push(
            `  notice ${notice.kind}: ${notice.sent ? "sent" : (notice.line ?? "not sent")}`,
        );
    return lines.join("\n");
}

/** With --once, a tick that failed (or that the gate refused) exits 1. */
function onceExitCode(report: TickReport): number {
    return report.status === "failed" || report.status === "refused" ? 1 : 0;
}

runCli(
    {
        usage: USAGE,
        help: HELP,
        options: {
            once: { type: "boolean", default: false },
            json: { type: "boolean", default: false },
            "dry-run": { type: "boolean", default: false },
            interval: { type: "string" },
        },
    },
    async (values) => {
        const interval = intervalSeconds(values.interval);
        let stopSignal: string | null = null;
        const stopper = signalStopper((signal) => {
            stopSignal = signal;
            process.stderr.write(`autopilot: ${signal}: stopping after the running tick\n`);
        });
        try {
            let secrets: string[] = [];
            const log = (line: string) => process.stderr.write(`${redact(line, secrets)}\n`);
            const setup = await controllerSetup({
                stack: values.stack,
                cwd: process.cwd(),
                env: process.env,
                intervalSeconds: interval,
                log,
                dryRun: values["dry-run"],
            });
            secrets = setup.secrets;
            const render = (report: TickReport) =>
                redact(values.json ? JSON.stringify(report) : renderTick(report), secrets);
            const reports = await runController(
                setup.deps,
                { dryRun: values["dry-run"], once: values.once, intervalSeconds: interval },
                stopper,
                (report) => {
                    if (!values.once) process.stdout.write(`${render(report)}\n`);
                },
            );
            if (values.once) {
                const report = reports[0];
                if (report === undefined)
                    throw new ConfigError([`autopilot: stopped (${stopSignal}) before the tick`]);
                return { output: render(report), exitCode: onceExitCode(report) };
            }
            const stopped = { stopped: stopSignal ?? "done", ticks: reports.length };
            return values.json
                ? JSON.stringify(stopped)
                : `autopilot ${values.stack}: stopped (${stopped.stopped}) after ${plural(stopped.ticks, "tick")}; the lease is released`;
        } finally {
            stopper.dispose();
        }
    },
);
