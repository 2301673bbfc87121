// npm run autopilot -- --stack <name> [--stack <name>…] [--once] [--json] [--dry-run]
//   [--interval <seconds>] [--listen <host:port>]
// The controller (controller/): each tick reads the load balancer and its metrics, decides the
// size with the one decision every path shares, and resizes only when it differs (gate, then a
// resize-only `pulumi up`); one loop per stack. Argument handling and rendering only.
import { ConfigError } from "../config";
import { runAutopilot } from "../controller/autopilot";
import { DEFAULT_INTERVAL_SECONDS } from "../controller/decisions";
import { signalStopper } from "../controller/loop";
import type { TickReport } from "../controller/tick";
import { plural } from "../sizing/format";
import { command, UsageError } from "./run";

const USAGE =
    "usage: npm run autopilot -- --stack <name> [--stack <name>…] [--once] [--json] [--dry-run] [--interval <seconds>] [--listen <host:port>]";

const HELP = `The autopilot controller: every tick (60 s by default) it reads the load balancer and its
metrics (no Pulumi run), decides the size as every \`pulumi up\` does (the calendar, or more for
the crowd it carries; proxy-lb:autopilot.*), and only when that differs from the live size runs
the gate and a \`pulumi up\` targeted at the load balancer. One resize a minute at most; while
DigitalOcean is busy with the previous one it tries again next tick. One controller per stack:
a second one says who holds the lease and waits. Several --stack run one loop each in this
process (each its own lease, decision and pace; one stack's failure never stops the others).
After each good tick it pings proxy-lb:autopilot.heartbeatUrl when set. SIGTERM or SIGINT stop
it between ticks (a running update finishes first).

  --stack <name>          the stack (its Pulumi.<name>.yaml is read at every tick); repeat for more
  --once                  one tick (per stack), then exit
  --json                  one JSON object per tick (and one when it stops)
  --dry-run               decide and print, never resize
  --interval <seconds>    time between ticks (default ${DEFAULT_INTERVAL_SECONDS})
  --listen <host:port>    serve GET /healthz and /metrics (Prometheus) there; a port alone
                          listens on 127.0.0.1 (off by default)
  -h, --help              this help

exit codes: 0 stopped cleanly (with --once: no tick failed); 1 the config is wrong, --listen
cannot listen, or with --once a tick failed or the gate refused; 2 bad usage; 3 the Pulumi
toolchain is not built yet`;

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

/** --listen as host and port: `9464`, `:9464`, `0.0.0.0:9464`, `[::1]:9464`; the host defaults to 127.0.0.1. */
export function listenAddress(text: string): { host: string; port: number } {
    const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
    const port = match ? Number(match[2]) : NaN;
    if (!match || !(port >= 0 && port <= 65_535))
        throw new UsageError(
            `--listen must be <host:port> or a port, such as 127.0.0.1:9464 or 9464 (got ${JSON.stringify(text)})`,
        );
    const host = (match[1] || "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
    return { host, port };
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

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        manyStacks: true,
        options: {
            once: { type: "boolean", default: false },
            json: { type: "boolean", default: false },
            "dry-run": { type: "boolean", default: false },
            interval: { type: "string" },
            listen: { type: "string" },
        },
    },
    async (values) => {
        const interval = intervalSeconds(values.interval);
        const listen = values.listen === undefined ? null : listenAddress(values.listen);
        let stopSignal: string | null = null;
        const stopper = signalStopper((signal) => {
            stopSignal = signal;
            process.stderr.write(`autopilot: ${signal}: stopping after the running tick\n`);
        });
        try {
            const log = (line: string) => process.stderr.write(`${line}\n`);
            const render = (report: TickReport) =>
                values.json ? JSON.stringify(report) : renderTick(report);
            const { reports, redact } = await runAutopilot({
                stacks: values.stacks,
                intervalSeconds: interval,
                dryRun: values["dry-run"],
                once: values.once,
                listen,
                cwd: process.cwd(),
                env: process.env,
                stopper,
                log,
                onTick: (report, hide) => {
                    if (!values.once) process.stdout.write(`${hide(render(report))}\n`);
                },
            });
            if (values.once) {
                const firsts = values.stacks.map((stack) => reports.get(stack)?.[0]);
                if (firsts.some((report) => report === undefined))
                    throw new ConfigError([`autopilot: stopped (${stopSignal}) before the tick`]);
                const done = firsts as TickReport[];
                return {
                    output: done.map((report) => redact(render(report))).join("\n"),
                    exitCode: Math.max(...done.map(onceExitCode)),
                };
            }
            const ticks = values.stacks.map((stack) => reports.get(stack)?.length ?? 0);
            const stopped = stopSignal ?? "done";
            if (values.json)
                return JSON.stringify(
                    values.stacks.length === 1
                        ? { stopped, ticks: ticks[0] }
                        : {
                              stopped,
                              ticks: Object.fromEntries(values.stacks.map((s, i) => [s, ticks[i]])),
                          },
                );
            return values.stacks
                .map(
                    (stack, i) =>
                        `autopilot ${stack}: stopped (${stopped}) after ${plural(ticks[i], "tick")}; the lease is released`,
                )
                .join("\n");
        } finally {
            stopper.dispose();
        }
    },
);
if (require.main === module) void run();
