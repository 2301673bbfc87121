// npm run observe -- --stack <name> (--drop <name> | --from ISO --to ISO) [--lb-id ID] [--json | --markdown]
// What a drop really used: reads the load balancer's metrics from DigitalOcean's monitoring API
// (DIGITALOCEAN_TOKEN; API base from DIGITALOCEAN_API_URL or the stack's digitalocean:apiEndpoint)
// and reports the peak, whether the size held, and the demand and size that would have fit.
import { loadSettings, nowFromEnvironment } from "../config";
import { readStackFile } from "../config/stackFile";
import { observeStack } from "../ops/observation";
import { periodFlags } from "./flags";
import { observationJson, observationMarkdown, observationText } from "./observed";
import { command, UsageError } from "./run";

const USAGE =
    "usage: npm run observe -- --stack <name> (--drop <name> | --from <ISO> --to <ISO>) [--lb-id <id>] [--json | --markdown]";

const HELP = `Reads the load balancer's metrics for a drop's window (its scale-up to its end) or a given
period from DigitalOcean's monitoring API, and reports the peak simultaneous connections and
when, the peak share of the limit, whether the size held (every stretch at or over the limit),
and the demand and size_unit that would have fit the peak with the configured headroom, beside
what was planned. Needs DIGITALOCEAN_TOKEN; the API is DIGITALOCEAN_API_URL, else the stack's
digitalocean:apiEndpoint, else https://api.digitalocean.com.

  --stack <name>       the stack: reads Pulumi.<name>.yaml (the LB id is loadBalancer.id)
  --drop <name>        a drop of proxy-lb:drops (over: its whole window; running: until now)
  --from, --to <ISO>   a period instead (ISO-8601 with an offset or Z)
  --lb-id <id>         the load balancer, if the stack file has no loadBalancer.id
  --json               one JSON object (what \`plan --observed <file>\` reads)
  --markdown           markdown with a Mermaid chart, for an issue or a pull request
  -h, --help           this help

exit codes: 0 done; 1 the stack file, a time, the token or the API's answer is wrong (one line
on stderr); 2 bad usage`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            drop: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            "lb-id": { type: "string" },
            json: { type: "boolean", default: false },
            markdown: { type: "boolean", default: false },
        },
    },
    async (values) => {
        if (values.json && values.markdown)
            throw new UsageError("--json and --markdown are two output formats: give one");
        const { drop, from, to } = values;
        if (drop !== undefined && (from !== undefined || to !== undefined))
            throw new UsageError("give either --drop or --from/--to, not both");
        if (drop === undefined && (from === undefined || to === undefined))
            throw new UsageError("give --drop <name> or both --from and --to");
        const now = nowFromEnvironment();
        const stackEntries = readStackFile(values.stack);
        const settings = loadSettings(stackEntries, { now });
        const report = await observeStack({
            stack: values.stack,
            settings,
            stackEntries,
            target: drop !== undefined ? { drop } : periodFlags(from!, to!),
            lbId: values["lb-id"],
            now,
        });
        if (values.json) return JSON.stringify(observationJson(report), null, 2);
        if (values.markdown) return observationMarkdown(report);
        return observationText(report, { color: process.stdout.isTTY === true });
    },
);
if (require.main === module) void run();
