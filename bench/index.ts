// npm run bench [-- --json] [--runs <n>] [--largest <n>]
// Wall time and API requests of a resize: the drop stack (the program itself) with 2 and 10 masking
// servers by id and a scale curve of 2 to 1,000 by tag (a full preview, a full up, and the
// resize-only up targeted at the LB that the autopilot and the schedule run), against a minimal
// one-LB Pulumi program and Terraform (the same LB alone, and with 200 droplets adopted), all
// on the same engine and emulator in one run, the repetitions interleaved so that load on this
// shared machine falls on every subject alike.
import { parseArgs } from "node:util";
import { ToolchainUnavailable } from "../ops/toolchain";
import { disposeAll, toolchain } from "../sandbox/harness";
import { benchTable } from "./report";
import { benchReport } from "./results";
import { progress, setUpSubjects, timedRounds } from "./rounds";
import type { Subject } from "./subject";
import { findTerraformPeer, type Peer } from "./terraform";
import { main as simulate } from "./autopilotSim";

const USAGE =
    "usage: npm run bench [-- --json] [--runs <n>] [--largest <n>] | npm run bench -- --autopilot [--json] [--resize-minutes <n>]";
const HELP = `Times a resize (preview, then up, then the resize-only up targeted at the load balancer)
of the drop stack with 2 and 10 masking servers by id and 2, 10, 50, 200 and 1,000 by tag
against a minimal one-load-balancer Pulumi program and Terraform (the same load balancer alone,
and with the 200 droplets adopted, planning with and without -refresh=false), on the pinned
toolchain and the local API emulator; counts the API requests of each operation. Takes about
5 minutes on 2 cores (more with --largest 1000).

  --json          print the results as one JSON object (progress goes to stderr)
  --runs <n>      repetitions per subject (default 3; 200 and 1,000 by tag always run once)
  --largest <n>   leave out the fleets of more than n masking servers (default 200; 1000 adds
                  the 1,000-server fleet, whose import alone takes minutes and, on a loaded
                  2-core machine, can pass the 240 s limit of one command)
  --autopilot     instead: the autopilot simulation (bench/autopilotSim.ts; --help there)
  -h, --help      this help`;

/** The options, or the exit code when they are wrong or only help was asked for. */
function parseOptions(argv: string[]): { json: boolean; runs: number; largest: number } | number {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                json: { type: "boolean", default: false },
                runs: { type: "string", default: "3" },
                largest: { type: "string", default: "200" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
        }));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n\n${HELP}\n`);
        return 0;
    }
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        process.stderr.write(
            `--runs must be an integer from 1 to 20 (got ${values.runs})\n${USAGE}\n`,
        );
        return 2;
    }
    const largest = Number(values.largest);
    if (!Number.isInteger(largest) || largest < 2) {
        process.stderr.write(
            `--largest must be an integer of at least 2 (got ${values.largest})\n${USAGE}\n`,
        );
        return 2;
    }
    return { json: values.json, runs, largest };
}

async function main(argv: string[]): Promise<number> {
    // The autopilot simulation is pure and fast: no toolchain, no emulator.
    if (argv.includes("--autopilot")) return simulate(argv.filter((arg) => arg !== "--autopilot"));
    const options = parseOptions(argv);
    if (typeof options === "number") return options;
    const started = performance.now();
    try {
        toolchain();
    } catch (err) {
        if (!(err instanceof ToolchainUnavailable)) throw err;
        process.stderr.write(
            `the Pulumi toolchain is not built: ${err.message}\nrun: bash scripts/toolchain.sh\n`,
        );
        return 3;
    }
    // A cold provider build overlaps the untimed Pulumi setup; the timed rounds wait for it.
    const building = findTerraformPeer(progress).catch((err: unknown): Peer => ({
        ok: false,
        reason: String(err),
    }));
    const subjects: Subject[] = [];
    try {
        const setupMs = new Map<string, number>();
        const peer = await setUpSubjects(subjects, setupMs, { ...options, building });
        const samples = await timedRounds(subjects);
        const report = benchReport(subjects, setupMs, samples, peer, started);
        process.stdout.write(
            `${options.json ? JSON.stringify(report, null, 2) : benchTable(report)}\n`,
        );
        return 0;
    } finally {
        await Promise.all(subjects.map((s) => s.dispose()));
        await disposeAll();
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
        process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
