// npm run billing -- --stack <name> [--month YYYY-MM] [--json]
// What the scheduled workflow bills in GitHub Actions minutes for a month: today's every-10-minutes
// workflow (before) against the cron lines generated from the stack's calendar (after), with the
// step times it assumes (RUN_SECONDS). Offline: reads Pulumi.<stack>.yaml only.
import { loadSettings, nowFromEnvironment, stackCronEntries, type StackConfig } from "../config";
import { readStackFile } from "../config/stackFile";
import {
    billedJobMinutes,
    calendarMonth,
    compareBills,
    FREE_MINUTES,
    RUN_SECONDS,
    TODAY_RUN_SECONDS,
    type Bill,
} from "../sizing/billing";
import { count } from "../sizing/format";
import { ConfigError } from "../config";
import { command } from "./run";

const USAGE = "usage: npm run billing -- --stack <name> [--month YYYY-MM] [--json]";

const HELP = `Billed GitHub Actions minutes a month for the scheduled workflow (.github/workflows/schedule.yml):
before, today's workflow (every 10 minutes, every run npm ci, Pulumi, the gate and up), and after,
the cron lines generated from the stack's calendar (npm run schedule -- --stack <name> --cron),
with the autopilot's polls as the stack has it and the other way round. Each job is rounded up to
the whole minute, as GitHub bills. A run that resizes takes ${RUN_SECONDS.resizeSeconds} s, one that ends at the cheap check
${RUN_SECONDS.cheapSeconds} s (sizing/billing.ts says which parts are measured and which estimated).

  --stack <name>     the stack: reads Pulumi.<name>.yaml in the current directory
  --month YYYY-MM    the UTC calendar month (GitHub counts included minutes per month); default:
                     the month of PROXY_LB_NOW when set, else of the clock
  --json             the same as one JSON object
  -h, --help         this help

exit codes: 0 done; 1 the stack file, its config or the month is wrong; 2 bad usage`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            month: { type: "string" },
            json: { type: "boolean", default: false },
        },
    },
    (values) => {
        const now = nowFromEnvironment();
        const settings = loadSettings(readStackFile(values.stack), { now });
        for (const warning of settings.warnings) process.stderr.write(`warning: ${warning}\n`);
        const month = values.month ?? new Date(now).toISOString().slice(0, 7);
        let period: { from: number; to: number };
        try {
            period = calendarMonth(month);
        } catch (err) {
            throw new ConfigError([`--month: ${(err as Error).message}`]);
        }
        const config = settings.config;
        const enabled = config.autopilot.enabled;
        const other: StackConfig = {
            ...config,
            autopilot: { ...config.autopilot, enabled: !enabled },
        };
        const asConfigured = compareBills(
            stackCronEntries(config),
            RUN_SECONDS,
            period.from,
            period.to,
        );
        const otherWay = compareBills(stackCronEntries(other), RUN_SECONDS, period.from, period.to);
        const [off, on] = enabled ? [otherWay, asConfigured] : [asConfigured, otherWay];
        if (values.json) {
            const bill = (b: Bill) => ({
                runs: b.runs,
                billedMinutes: b.billedMinutes,
                lines: b.lines,
            });
            return JSON.stringify(
                {
                    stack: values.stack,
                    month,
                    autopilot: enabled,
                    runSeconds: { today: TODAY_RUN_SECONDS, ...RUN_SECONDS },
                    before: bill(asConfigured.before),
                    after: bill(asConfigured.after),
                    ratio: asConfigured.ratio,
                    afterAutopilotOff: bill(off.after),
                    afterAutopilotOn: bill(on.after),
                    freeMinutes: FREE_MINUTES,
                },
                null,
                2,
            );
        }
        return billingText(values.stack, month, enabled, off, on);
    },
);
if (require.main === module) void run();

/** "4 × 2 min (92 s) + 34 × 1 min (30 s)": the runs by their billed length. */
function runsByLength(bill: Bill): string {
    const bySeconds = new Map<number, number>();
    for (const l of bill.lines)
        if (l.runs > 0)
            bySeconds.set(l.secondsPerRun, (bySeconds.get(l.secondsPerRun) ?? 0) + l.runs);
    return [...bySeconds.entries()]
        .sort((a, b) => b[0] - a[0])
        .map(
            ([seconds, runs]) => `${count(runs)} × ${billedJobMinutes(seconds)} min (${seconds} s)`,
        )
        .join(" + ");
}

function billingText(
    stack: string,
    month: string,
    enabled: boolean,
    off: ReturnType<typeof compareBills>,
    on: ReturnType<typeof compareBills>,
): string {
    const ratio = (r: number) => (Number.isFinite(r) ? `${Math.round(r)}× less` : "nothing billed");
    const rows: [string, Bill, string][] = [
        ["before: today's */10 workflow", off.before, ""],
        [`after, autopilot off${enabled ? "" : " (as the stack)"}`, off.after, ratio(off.ratio)],
        [`after, autopilot on${enabled ? " (as the stack)" : ""}`, on.after, ratio(on.ratio)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    const runs = Math.max(...rows.map(([, b]) => count(b.runs).length));
    const minutes = Math.max(...rows.map(([, b]) => count(b.billedMinutes).length));
    const vs = Math.max(...rows.map(([, , r]) => r.length));
    return [
        `stack ${stack}: the scheduled workflow's billed GitHub Actions minutes in ${month} (UTC; each job rounded up to the minute)`,
        ...rows.map(
            ([label, b, r]) =>
                `${label.padEnd(width)}  ${count(b.runs).padStart(runs)} runs  ${count(b.billedMinutes).padStart(minutes)} min  ${r.padEnd(vs)}  ${runsByLength(b)}`,
        ),
        `GitHub Free includes ${count(FREE_MINUTES)} minutes a month for private repositories (Pro and Team 3,000)`,
    ].join("\n");
}
