// npm run gate -- --stack <name> [--allow <property>]... [--policy-pack <dir>]
// Runs `pulumi preview --json` and lets the deployment through only if it resizes proxy-lb
// in place and touches nothing else (ops/gate.ts). Exit 0 with the node change, 1 with one
// line per reason, 3 when the Pulumi toolchain is missing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadSettings, nowFromEnvironment } from "../config";
import { readStackFile } from "../config/stackFile";
import { gateVerdict, lbNodeChange, policyReasons, previewFailure, type GateVerdict } from "../ops/gate";
import { parsePreviewDigest, policyViolationsFromEventLog, type PreviewDigest } from "../ops/pulumiJson";
import { CommandError, pulumiFromToolchain } from "../ops/pulumiCli";
import { runCli } from "./run";
import { nodeChangeLine } from "./report";

const USAGE = "usage: npm run gate -- --stack <name> [--allow <property>]... [--policy-pack <dir>]";

const HELP = `Runs \`pulumi preview --json\` for the stack and lets the deployment through only if it
resizes the load balancer in place and touches nothing else: it refuses, one line per reason,
a replaced or deleted load balancer, any write to a masking server, and any other change.

  --stack <name>          the stack (its Pulumi.<name>.yaml is validated first)
  --allow <property>      also permit a change to this load balancer property; repeatable
  --policy-pack <dir>     run the preview with this policy pack (e.g. policy)
  -h, --help              this help

exit codes: 0 passes (prints the node change); 1 refused, the preview failed, or the config
is wrong (reasons on stderr); 2 bad usage; 3 the Pulumi toolchain is not built yet`;

runCli(
    {
        usage: USAGE,
        help: HELP,
        options: {
            allow: { type: "string", multiple: true, default: [] },
            "policy-pack": { type: "string" },
        },
    },
    (values) => {
        const { stack } = values;
        const settings = loadSettings(readStackFile(stack), { now: nowFromEnvironment() }); // bad config fails here, before pulumi runs

        // --event-log (enabled by PULUMI_DEBUG_COMMANDS, as the Automation API does): policy
        // violations are only there, never in the preview's JSON.
        process.env.PULUMI_DEBUG_COMMANDS = "true";
        const pulumi = pulumiFromToolchain();
        const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-gate-"));
        const eventLog = path.join(scratch, "events.jsonl");
        // --show-sames: an unchanged load balancer must be visible to notice a second one being created.
        const args = ["preview", "--json", "--show-sames", "--non-interactive", "--stack", stack];
        if (values["policy-pack"]) args.push("--event-log", eventLog, "--policy-pack", values["policy-pack"]);
        let preview: ReturnType<typeof pulumi.json<PreviewDigest>>;
        let violations: string[];
        try {
            preview = pulumi.json(args, parsePreviewDigest);
            violations = policyReasons(policyViolationsFromEventLog(existsSync(eventLog) ? readFileSync(eventLog, "utf8") : ""));
        } finally {
            rmSync(scratch, { recursive: true, force: true });
        }

        const verdict = gateVerdict(preview.value, { allow: values.allow });
        verdict.reasons.push(...violations);
        const failure = previewFailure(preview.status, preview.stderr, verdict);
        if (failure) verdict.reasons.push(failure);
        if (verdict.reasons.length > 0) {
            throw new CommandError([`gate: stack ${stack} refused:`, ...verdict.reasons.map((r) => `  ${r}`)], 1);
        }
        return [`gate: stack ${stack} ok`, ...verdict.allowed.map((a) => `  allowed: ${a}`), changeLine(verdict, settings)].join("\n");
    },
);

function changeLine(verdict: GateVerdict, settings: ReturnType<typeof loadSettings>): string {
    const change = verdict.lbChange;
    if (change?.to === undefined) return "load balancer: no change";
    if (change.from === change.to) return `size_unit ${change.to} (no change)`;
    return nodeChangeLine(lbNodeChange({ ...change, to: change.to }, settings));
}
