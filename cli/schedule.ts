// npm run schedule -- --stack <name> [--now ISO] [--json] [--cron]
// What the drop calendar wants now: the size, the active drop(s) and the next boundary with its
// size and time. Reads Pulumi.<stack>.yaml only; the size the load balancer has now is in the
// stack's state, which `pulumi up` (the scheduled workflow) compares against.
// --cron: the scheduled workflow's cron lines for the calendar (config/schedule.ts, sizing/cron.ts),
// each with why; schedule.yml's triggers are these (npm run docs writes them).
import { loadSettings, nowFromEnvironment, stackCronEntries, type Schedule } from "../config";
import { readStackFile } from "../config/stackFile";
import type { CronEntry } from "../sizing/cron";
import { formatInstant } from "../sizing/format";
import { runCli } from "./run";
import { instantFlag } from "./flags";

const USAGE = "usage: npm run schedule -- --stack <name> [--now <ISO-8601 time>] [--cron] [--json]";

const HELP = `Says what the drop calendar (proxy-lb:drops) wants now: the size, the active drops and
until when, and the next boundary with its size and time. Offline: it reads the stack file only;
\`pulumi up\` compares with the size in the stack's state.

  --stack <name>     the stack: reads Pulumi.<name>.yaml in the current directory
  --now <ISO>        the time to ask about (ISO-8601 with an offset or Z); default: PROXY_LB_NOW
                     when set, else the clock
  --cron             instead: the scheduled workflow's cron lines (UTC), each with why: every
                     scale-up 10 min early and scale-down 2 min after its boundary, each with a
                     retry 5 min later, never at minute 0; polls every 10 min through each drop
                     window when proxy-lb:autopilot.enabled; one daily safety run. From the
                     calendar alone (no clock): .github/workflows/schedule.yml holds exactly these
  --json             the same as one JSON object
  -h, --help         this help

exit codes: 0 done; 1 the stack file, its config or a time is wrong (one line per problem on
stderr); 2 bad usage`;

runCli(
    {
        usage: USAGE,
        help: HELP,
        options: {
            now: { type: "string" },
            json: { type: "boolean", default: false },
            cron: { type: "boolean", default: false },
        },
    },
    (values) => {
        const now = values.now === undefined ? nowFromEnvironment() : instantFlag("--now", values.now);
        const settings = loadSettings(readStackFile(values.stack), { now });
        for (const warning of settings.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (values.cron) {
            const entries = stackCronEntries(settings.config);
            if (values.json) return JSON.stringify({ stack: values.stack, autopilot: settings.config.autopilot.enabled, lines: entries.map(cronJson), warnings: settings.warnings }, null, 2);
            return cronText(entries);
        }
        const { schedule } = settings;
        if (values.json) return JSON.stringify({ stack: values.stack, ...schedule, warnings: settings.warnings }, null, 2);
        return scheduleText(values.stack, schedule);
    },
);

function scheduleText(stack: string, s: Schedule): string {
    const nodes = (n: number) => `size_unit ${n}`;
    const lines = [`stack ${stack} at ${s.now}: ${nodes(s.sizeUnit)}: ${s.why}`];
    lines.push(
        s.active.length === 0
            ? "active drops: none"
            : `active drops: ${s.active.map((d) => `${d.name} (scaled up ${d.scaleUpAt}, ${d.start} to ${d.end})`).join("; ")}`,
    );
    if (s.next === null) {
        lines.push("next boundary: none (no drop later in the calendar)");
    } else {
        const same = s.next.sizeUnit === s.sizeUnit ? " (no resize)" : "";
        lines.push(`next boundary: ${s.next.at}: ${nodes(s.next.sizeUnit)}${same}: ${s.next.why}`);
        if (s.nextResize !== null && s.nextResize.at !== s.next.at) {
            lines.push(`next resize: ${s.nextResize.at}: ${nodes(s.nextResize.sizeUnit)}: ${s.nextResize.why}`);
        }
    }
    return lines.join("\n");
}

function cronJson(e: CronEntry) {
    const at = (t: number | null) => (t === null ? null : formatInstant(t));
    return { cron: e.cron, kind: e.kind, why: e.why, firesAt: at(e.firesAt), boundary: at(e.boundary) };
}

/** One line each, as in a crontab: the five fields (UTC), then why. */
export function cronText(entries: readonly CronEntry[]): string {
    const width = Math.max(...entries.map((e) => e.cron.length));
    return entries.map((e) => `${e.cron.padEnd(width)}  # ${e.why}`).join("\n");
}
