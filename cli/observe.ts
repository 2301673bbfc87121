// npm run observe -- --stack <name> (--drop <name> | --from ISO --to ISO) [--lb-id ID] [--json | --markdown]
// What a drop really used: reads the load balancer's metrics from DigitalOcean's monitoring API
// (DIGITALOCEAN_TOKEN; API base from DIGITALOCEAN_API_URL or the stack's digitalocean:apiEndpoint)
// and reports the peak, whether the size held, and the demand and size that would have fit.
import { parseArgs } from "node:util";
import { ConfigError, loadSettings, nowFromEnvironment } from "../config";
import { readStackFile } from "../config/stackFile";
import { observationJson, observationMarkdown, observationText, observeStack } from "./observed";
import { runCli } from "./run";
import { instantFlag } from "./timeline";

const USAGE = "usage: npm run observe -- --stack <name> (--drop <name> | --from <ISO> --to <ISO>) [--lb-id <id>] [--json | --markdown]";

runCli(USAGE, async () => {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            drop: { type: "string" },
            from: { type: "string" },
            to: { type: "string" },
            "lb-id": { type: "string" },
            json: { type: "boolean", default: false },
            markdown: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (!values.stack) throw new ConfigError(["--stack is required"]);
    if (values.json && values.markdown) throw new ConfigError(["--json and --markdown are two output formats: give one"]);
    const now = nowFromEnvironment();
    const stackEntries = readStackFile(values.stack);
    const settings = loadSettings(stackEntries, { now });
    const report = await observeStack({
        stack: values.stack,
        settings,
        stackEntries,
        target: {
            drop: values.drop,
            from: values.from === undefined ? undefined : instantFlag("--from", values.from),
            to: values.to === undefined ? undefined : instantFlag("--to", values.to),
        },
        lbId: values["lb-id"],
        now,
    });
    if (values.json) return JSON.stringify(observationJson(report), null, 2);
    if (values.markdown) return observationMarkdown(report);
    return observationText(report, { color: process.stdout.isTTY === true });
});
