// npm run drift -- --stack <name> [--json]
// What changed outside the program: `pulumi refresh --preview-only --json` and its event log
// (reads only; the state is not written) turned into a report of masking droplets and load balancer drift.
// Changes nothing. Its exit code is meant for a scheduled job: see HELP.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { driftReport, formatDriftReport, type DriftReport } from "../ops/drift";
import { parsePreviewDigest, stepsFromEventLog } from "../ops/pulumiJson";
import { type Pulumi, pulumiFromToolchain } from "../ops/pulumiCli";
import { runCli } from "./run";

const USAGE = "usage: npm run drift -- --stack <name> [--json]";

/** Exit codes: a scheduled job alerts on anything but 0, and can tell drift (4) from a failed check. */
const EXIT = { noDrift: 0, error: 1, drift: 4 } as const;

const HELP = `Runs a read-only refresh preview (\`pulumi refresh --preview-only\`) and reports masking
droplets changed outside the program (size, tags, name; status when it changes with one of
those; not the image, which the DigitalOcean provider reads only on import) and load balancer
drift. It changes nothing: a droplet changed in the console is reported, never "repaired".

  --stack <name>     the stack
  --json             print the report as one JSON object
  -h, --help         this help

exit codes (for a scheduled job):
  0  no drift
  4  drift found (the report is on stdout)
  1  the check failed: the refresh could not read everything (the partial report is on
     stdout, the reason on stderr) or pulumi failed
  2  bad usage
  3  the Pulumi toolchain is not built yet`;

runCli({ usage: USAGE, help: HELP, options: { json: { type: "boolean", default: false } } }, (values) => {
    const { stack } = values;
    // The digest alone hides drift on a masking droplet: a refresh's diff honours ignoreChanges
    // (every input, for them), so its step stays unchanged. The event log has what Read
    // returned; --event-log needs PULUMI_DEBUG_COMMANDS, as the Automation API sets it.
    process.env.PULUMI_DEBUG_COMMANDS = "true";
    const pulumi = pulumiFromToolchain();
    const refresh = refreshPreview(pulumi, stack);
    const report = driftReport(refresh.value);
    if (refresh.status !== 0 && report.errors.length === 0) {
        report.errors.push(`pulumi refresh --preview-only failed (exit ${refresh.status}): ${refresh.stderr.trim().split("\n").at(-1) ?? ""}`);
    }
    const output = values.json ? JSON.stringify(report, null, 2) : formatDriftReport(report, stack);
    if (report.errors.length > 0) {
        // An incomplete check must not pass for "no drift" nor for "drift": it failed.
        process.stderr.write("drift: the refresh could not read everything, so the report is incomplete\n");
        return { output, exitCode: EXIT.error };
    }
    return { output, exitCode: driftFound(report) ? EXIT.drift : EXIT.noDrift };
});

/** The refresh preview's digest, each resource's step replaced by its event (what Read returned). */
function refreshPreview(pulumi: Pulumi, stack: string) {
    const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-drift-"));
    const eventLog = path.join(scratch, "events.jsonl");
    try {
        const refresh = pulumi.json(["refresh", "--preview-only", "--json", "--non-interactive", "--stack", stack, "--event-log", eventLog], parsePreviewDigest);
        // driftReport keeps the last step per URN: the event's.
        const steps = [...(refresh.value.steps ?? []), ...stepsFromEventLog(readText(eventLog))];
        return { ...refresh, value: { ...refresh.value, steps } };
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}

function readText(file: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return ""; // pulumi stopped before writing it: the digest and its errors still say what happened
    }
}

function driftFound(report: DriftReport): boolean {
    return report.maskingServers.length > 0 || report.loadBalancer.length > 0 || report.loadBalancerDeleted;
}
