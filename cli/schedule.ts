// npm run schedule -- --stack <name> [--now ISO] [--cron | --due] [--json]
// What the drop calendar wants now: the size, the active drop(s) and the next boundary with its
// size and time, from Pulumi.<stack>.yaml alone. --cron: the scheduled workflow's cron lines, each
// with why (schedule.yml's triggers are these). --due: the scheduled run's cheap check before
// Pulumi is installed, the only mode that reads DigitalOcean.
import { loadSettings, nowFromEnvironment, stackCronEntries, type Schedule } from "../config";
import { readStackFile } from "../config/stackFile";
import { apiBase, tokenFrom } from "../infra/digitaloceanApi";
import { writeGithubOutput } from "../ops/githubOutput";
import { notifyTargetFrom, scheduledCheck, type ScheduledCheck } from "../ops/scheduledCheck";
import { COMMAND_SCOPES } from "../config/scopes";
import type { CronEntry } from "../sizing/cron";
import { formatInstant } from "../sizing/format";
import { command, UsageError } from "./run";
import { instantFlag } from "./flags";

const USAGE =
    "usage: npm run schedule -- --stack <name> [--now <ISO-8601 time>] [--cron | --due] [--json]";

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
  --due              instead: the scheduled run's cheap check, before Pulumi is installed: is the
                     size the program would choose (for the run's moment: a run up to 10 min
                     before a scale-up sizes for it) other than the live load balancer's, or is
                     a scale-up late? Prints "due: yes|no: why"; a late scale-up is an error line
                     (a GitHub ::error:: annotation in Actions) and a notice to
                     PROXY_LB_NOTIFY_WEBHOOK_URL (else proxy-lb:notify), never failing the check.
                     With GITHUB_OUTPUT set, writes due=true|false, late=true|false, moment=<ISO>
                     and late-message there. Reads DigitalOcean: DIGITALOCEAN_TOKEN (load_balancer:read,
                     and monitoring:read with the autopilot on)
  --json             the same as one JSON object
  -h, --help         this help

exit codes: 0 done (with --due: whether due or not, late or not); 1 the stack file, its config or a
time is wrong, or DigitalOcean could not be read (one line per problem on stderr); 2 bad usage`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            now: { type: "string" },
            json: { type: "boolean", default: false },
            cron: { type: "boolean", default: false },
            due: { type: "boolean", default: false },
        },
    },
    async (values) => {
        if (values.cron && values.due)
            throw new UsageError("--cron and --due are two different answers: ask for one");
        const now =
            values.now === undefined ? nowFromEnvironment() : instantFlag("--now", values.now);
        const entries = readStackFile(values.stack);
        const settings = loadSettings(entries, { now });
        if (values.due) {
            const read = {
                api: apiBase(process.env, entries),
                token: tokenFrom(process.env, COMMAND_SCOPES.due.scopes),
            };
            const notify = notifyTargetFrom(process.env, settings.config.notify);
            const result = await scheduledCheck({
                stack: values.stack,
                entries,
                read,
                now,
                notify,
                seenBy: "the scheduled workflow",
            });
            writeGithubOutput(githubOutputs(result));
            if (values.json)
                return JSON.stringify(dueJson(values.stack, result, notify !== null), null, 2);
            return dueText(result, notify !== null);
        }
        for (const warning of settings.warnings) process.stderr.write(`warning: ${warning}\n`);
        if (values.cron) {
            const entries = stackCronEntries(settings.config);
            if (values.json)
                return JSON.stringify(
                    {
                        stack: values.stack,
                        autopilot: settings.config.autopilot.enabled,
                        lines: entries.map(cronJson),
                        warnings: settings.warnings,
                    },
                    null,
                    2,
                );
            return cronText(entries);
        }
        const { schedule } = settings;
        if (values.json)
            return JSON.stringify(
                { stack: values.stack, ...schedule, warnings: settings.warnings },
                null,
                2,
            );
        return scheduleText(values.stack, schedule);
    },
);
if (require.main === module) void run();

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
            lines.push(
                `next resize: ${s.nextResize.at}: ${nodes(s.nextResize.sizeUnit)}: ${s.nextResize.why}`,
            );
        }
    }
    return lines.join("\n");
}

function cronJson(e: CronEntry) {
    const at = (t: number | null) => (t === null ? null : formatInstant(t));
    return {
        cron: e.cron,
        kind: e.kind,
        why: e.why,
        firesAt: at(e.firesAt),
        boundary: at(e.boundary),
    };
}

/** One line each, as in a crontab: the five fields (UTC), then why. */
export function cronText(entries: readonly CronEntry[]): string {
    const width = Math.max(...entries.map((e) => e.cron.length));
    return entries.map((e) => `${e.cron.padEnd(width)}  # ${e.why}`).join("\n");
}

const lateLine = (r: ScheduledCheck) =>
    r.late === null
        ? null
        : `the scale-up for ${r.late.drops.join(" + ")} is ${r.late.minutesLate} minutes late: size_unit ${r.late.dueSizeUnit} due since ${formatInstant(r.late.dueSince)}, the load balancer has ${r.late.liveSizeUnit}`;

/** What the webhook did, in words that never hold its URL (sendNotice's failure line names the host only). */
function notifiedText(r: ScheduledCheck, configured: boolean): string | null {
    if (r.notice === null) return null;
    if (!configured)
        return "notify: no webhook configured (PROXY_LB_NOTIFY_WEBHOOK_URL or proxy-lb:notify): this line is the only alarm (the scheduled workflow fails the run after its resize, so GitHub mails the failure)";
    return r.notified?.ok
        ? "notify: the webhook took the message"
        : r.notified?.ok === false
          ? r.notified.line
          : "notify: not sent";
}

function dueText(r: ScheduledCheck, notifyConfigured: boolean): string {
    const lines: string[] = [];
    lines.push(`due: ${r.check.due ? "yes" : "no"}: ${r.check.why}`);
    const late = lateLine(r);
    // In GitHub Actions an ::error:: line is an annotation on the run's summary page.
    if (late !== null)
        lines.push(
            process.env.GITHUB_ACTIONS === "true"
                ? `::error title=Late scale-up::${late}`
                : `error: ${late}`,
        );
    const told = notifiedText(r, notifyConfigured);
    if (told !== null) lines.push(told);
    return lines.join("\n");
}

function dueJson(stack: string, r: ScheduledCheck, notifyConfigured: boolean) {
    return {
        stack,
        now: formatInstant(r.now),
        moment: formatInstant(r.moment),
        due: r.check.due,
        why: r.check.why,
        sizeUnit: r.check.sizeUnit,
        liveSizeUnit: r.check.liveSizeUnit,
        late:
            r.late === null
                ? null
                : {
                      drops: r.late.drops,
                      dueSince: formatInstant(r.late.dueSince),
                      minutesLate: r.late.minutesLate,
                      dueSizeUnit: r.late.dueSizeUnit,
                      liveSizeUnit: r.late.liveSizeUnit,
                      message: lateLine(r),
                  },
        notified: r.notice === null ? null : notifyConfigured ? (r.notified?.ok ?? false) : null,
        warnings: r.warnings,
    };
}

/** The step outputs the workflow's later steps read. */
function githubOutputs(r: ScheduledCheck): Record<string, string> {
    const late = lateLine(r);
    return {
        due: String(r.check.due),
        late: String(late !== null),
        moment: formatInstant(r.moment),
        "late-message": late ?? "",
    };
}
