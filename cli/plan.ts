// npm run plan -- --stack <name> [--json] [--from ISO] [--to ISO] [--base <git-ref> [--markdown | --json] [--hours N]] [--observed <file-or-drop>]
// Sizes a stack from its Pulumi.<stack>.yaml alone: no Pulumi CLI, credentials or network. With
// proxy-lb:autopilot.enabled and DIGITALOCEAN_TOKEN set, it also reads what the load balancer
// carries, with the program's own read-then-decide, and says why the size is what a deploy
// would make it; without a token it says the live need was not read.
import { loadSettings, nowFromEnvironment } from "../config";
import { plural } from "../sizing/format";
import { calendarChanged, changePeriod, timelineOf } from "../config/calendarChange";
import { readStackFile, stackFileName } from "../config/stackFile";
import { liveNeed, type LiveNeed } from "../ops/liveNeed";
import { proposalFromObservation } from "../ops/observedProposal";
import { settingsAtRef } from "../ops/stackFileAtRef";
import { nodeChange } from "../sizing/nodeChange";
import { period } from "./flags";
import { proposalOutput } from "./observed";
import { nodeChangeLine, nodeChangeMarkdown, sizingJson, sizingTable } from "./report";
import { command, UsageError } from "./run";
import { calendarMarkdown, timelineJson, timelineText } from "./timeline";

const USAGE =
    "usage: npm run plan -- --stack <name> [--json] [--from ISO] [--to ISO] [--base <git-ref> [--markdown | --json] [--hours N]] [--observed <file-or-drop>]";

const HELP = `Sizes a stack from its Pulumi.<stack>.yaml alone: no Pulumi CLI, credentials or network.
With proxy-lb:autopilot.enabled and DIGITALOCEAN_TOKEN set, it also reads the load balancer's
live size and metrics and says why a deploy now would size it so (the calendar, the observed
peak and when, clamped, holding); without a token it says the live need was not read.

  --stack <name>     the stack: reads Pulumi.<name>.yaml in the current directory
  --json             print the sizing (with --base: the change) as one JSON object
  --base <git-ref>   compare with the stack file at this commit, branch or tag: the node and
                     cost change a pull request makes
  --markdown         with --base: the change as a pull-request comment (markdown); --json and
                     --markdown are two output formats, give one
  --hours N          with --base: also what an N-hour drop window costs
  --from, --to ISO   the period of the drop calendar's timeline (ISO-8601 with an offset or Z);
                     default: now (the clock or PROXY_LB_NOW) and 7 days on; with --base
                     --markdown, until the last drop the change touches if that is later
  --observed <file-or-drop>
                     propose the demand a past drop really used for the next drop: the JSON of
                     \`npm run observe -- --json\`, or a drop's name (reads its metrics: needs
                     DIGITALOCEAN_TOKEN)
  -h, --help         this help

exit codes: 0 done; 1 the stack file or its config is wrong (one line per problem on
stderr); 2 bad usage`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            json: { type: "boolean", default: false },
            base: { type: "string" },
            markdown: { type: "boolean", default: false },
            hours: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            observed: { type: "string" },
        },
    },
    async (values) => {
        const { stack } = values;
        if (values.json && values.markdown)
            throw new UsageError("--json and --markdown are two output formats: give one");
        if ((values.markdown || values.hours !== undefined) && values.base === undefined) {
            throw new UsageError(
                "--markdown and --hours compare with a base: add --base <git-ref>",
            );
        }
        const hours = values.hours === undefined ? undefined : parseHours(values.hours);

        // The size for now (the clock, or PROXY_LB_NOW) and the calendar's timeline from then.
        const now = nowFromEnvironment();
        const stackEntries = readStackFile(stack);
        const settings = loadSettings(stackEntries, { now });
        for (const warning of settings.warnings) process.stderr.write(`warning: ${warning}\n`);
        const after = settings.sizing;
        if (values.observed !== undefined)
            return proposalOutput(
                stack,
                await proposalFromObservation({
                    stack,
                    settings,
                    source: values.observed,
                    stackEntries,
                    now,
                }),
                { json: values.json },
            );
        if (values.base === undefined) {
            const span = period(now, values.from, values.to);
            const upcoming = timelineOf(settings, span.from, span.to);
            const live = settings.autopilot.enabled
                ? await liveNeed(settings, stackEntries, now)
                : null;
            return values.json
                ? JSON.stringify(
                      {
                          ...sizingJson(stack, after),
                          ...(live ? { autopilot: autopilotJson(live) } : {}),
                          timeline: timelineJson(upcoming),
                      },
                      null,
                      2,
                  )
                : [
                      sizingTable(stack, after),
                      ...(live ? ["", ...autopilotLines(live)] : []),
                      "",
                      timelineText(upcoming),
                  ].join("\n");
        }

        const base = settingsAtRef(values.base, stack, now);
        const change = nodeChange(base?.sizing ?? null, after, hours);
        const span =
            values.from === undefined && values.to === undefined
                ? changePeriod(base, settings, now)
                : period(now, values.from, values.to);
        const timelines = {
            before: base && timelineOf(base, span.from, span.to),
            after: timelineOf(settings, span.from, span.to),
        };
        if (values.json) {
            return JSON.stringify(
                {
                    stack,
                    base: values.base,
                    before: change.before && sizingJson(stack, change.before),
                    after: sizingJson(stack, after),
                    nodes: change.nodes,
                    cost: {
                        hourly: change.hourly,
                        monthly: change.monthly,
                        ...(change.window ? { window: change.window } : {}),
                    },
                    timeline: {
                        calendarChanged: calendarChanged(base, settings),
                        before: timelines.before && timelineJson(timelines.before),
                        after: timelineJson(timelines.after),
                        added: Number(
                            (
                                timelines.after.total.cost - (timelines.before?.total.cost ?? 0)
                            ).toFixed(4),
                        ),
                    },
                },
                null,
                2,
            );
        }
        if (values.markdown) {
            const summary = nodeChangeMarkdown(stack, values.base, change);
            return calendarChanged(base, settings)
                ? `${summary}\n\n${calendarMarkdown(timelines.before, timelines.after)}`
                : summary;
        }
        return [
            base === null
                ? `${stackFileName(stack)} is not in git at ${values.base} (a new stack file, or not committed yet): nothing to compare with; it sizes for size_unit ${after.sizeUnit}`
                : nodeChangeLine(change),
            "",
            sizingTable(stack, after),
            "",
            timelineText(timelines.after),
        ].join("\n");
    },
);
if (require.main === module) void run();

function parseHours(text: string): number {
    const hours = Number(text);
    if (!Number.isFinite(hours) || hours <= 0)
        throw new UsageError(
            `--hours must be a positive number of hours (got ${JSON.stringify(text)})`,
        );
    return hours;
}

function autopilotLines(live: LiveNeed): string[] {
    if (!live.read) {
        return [
            `autopilot: on, but the live need was not read (${live.why}): the size above is the calendar's; a deploy now sizes for at least ${plural(live.calendarSizeUnit, "node")}, more if the load balancer carries more`,
        ];
    }
    const { decision, live: lb } = live.now;
    const has =
        lb === null
            ? "no load balancer yet"
            : `the load balancer has ${plural(lb.sizeUnit, "node")}`;
    // The binding reason first, then the others (decideSize's order).
    return [
        `autopilot: a deploy now sizes for ${plural(decision.sizeUnit, "node")} (the calendar gives ${decision.calendarSizeUnit}; ${has}):`,
        ...decision.reasons.map((reason) => `  ${reason.text}`),
    ];
}

function autopilotJson(live: LiveNeed) {
    if (!live.read) return { read: false, why: live.why, calendarSizeUnit: live.calendarSizeUnit };
    const { decision, live: lb, at } = live.now;
    const peak = decision.observed?.connections;
    return {
        read: true,
        at: new Date(at).toISOString(),
        sizeUnit: decision.sizeUnit,
        sizedBy: decision.bound,
        calendarSizeUnit: decision.calendarSizeUnit,
        liveSizeUnit: lb?.sizeUnit ?? null,
        observedPeak: peak
            ? {
                  connections: peak.value,
                  at: new Date(peak.at).toISOString(),
                  sizeUnit: decision.observed!.sizeUnit,
              }
            : null,
        reasons: decision.reasons.map((reason) => reason.text),
    };
}
