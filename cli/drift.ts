// npm run drift -- --stack <name> [--json]
// What changed outside the program: `pulumi refresh --preview-only --json` and its event log
// (reads only; the state is not written) turned into a report of masking droplets and load balancer drift.
// Changes nothing. Its exit code is meant for a scheduled job: see HELP.
import { driftExit } from "../ops/drift";
import { formatDriftReport } from "./driftReport";
import { driftOfStack } from "../ops/driftCheck";
import { command } from "./run";

const USAGE = "usage: npm run drift -- --stack <name> [--json]";

const HELP = `Runs a read-only refresh preview (\`pulumi refresh --preview-only\`) and reports masking
droplets changed outside the program (size, tags, name; status when it changes with one of
those; not the image, which the DigitalOcean provider reads only on import) and load balancer
drift (the cipher policy, which the provider never reads back, read with the API). It changes nothing: a droplet changed in the console is reported, never "repaired".

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

export const run = command(
    { usage: USAGE, help: HELP, options: { json: { type: "boolean", default: false } } },
    async (values) => {
        const { stack } = values;
        const report = await driftOfStack(stack);
        const output = values.json
            ? JSON.stringify(report, null, 2)
            : formatDriftReport(report, stack);
        // An incomplete check must not pass for "no drift" nor for "drift": it failed.
        if (report.errors.length > 0)
            process.stderr.write(
                "drift: the refresh could not read everything, so the report is incomplete\n",
            );
        return { output, exitCode: driftExit(report) };
    },
);
if (require.main === module) void run();
