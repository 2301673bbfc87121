// npm run drift -- --stack <name> [--json]
// What changed outside the program: `pulumi refresh --preview-only --json` (reads only; the
// state is not written) turned into a report of masking droplets and load balancer drift.
// Changes nothing. Exit 0 with the report, 1 if the refresh could not read everything,
// 3 when the Pulumi toolchain is missing.
import { parseArgs } from "node:util";
import { ConfigError } from "../config";
import { stackFileName } from "../config/stackFile";
import { driftReport, formatDriftReport } from "../ops/drift";
import { parsePreviewDigest } from "../ops/pulumiJson";
import { CommandError, pulumiFromToolchain } from "../ops/pulumiCli";
import { runCli } from "./run";

const USAGE = "usage: npm run drift -- --stack <name> [--json]";

runCli(USAGE, () => {
    const { values } = parseArgs({
        options: { stack: { type: "string" }, json: { type: "boolean", default: false } },
        strict: true,
    });
    if (!values.stack) throw new ConfigError(["--stack is required"]);
    const stack = values.stack;
    stackFileName(stack); // validates the name before it reaches a command line

    const pulumi = pulumiFromToolchain();
    const refresh = pulumi.json(["refresh", "--preview-only", "--json", "--non-interactive", "--stack", stack], parsePreviewDigest);
    const report = driftReport(refresh.value);
    if (refresh.status !== 0 && report.errors.length === 0) {
        report.errors.push(`pulumi refresh --preview-only failed (exit ${refresh.status}): ${refresh.stderr.trim().split("\n").at(-1) ?? ""}`);
    }
    const text = values.json ? JSON.stringify(report, null, 2) : formatDriftReport(report, stack);
    if (report.errors.length > 0) {
        process.stdout.write(`${text}\n`);
        throw new CommandError(["drift: the refresh could not read everything, so the report above is incomplete"], 1);
    }
    return text;
});
