// npm run gate -- --stack <name> [--allow <property>]... [--policy-pack <dir>]
// Runs `pulumi preview --json` and lets the deployment through only if it resizes proxy-lb
// in place and touches nothing else (ops/gate.ts). Exit 0 with the node change, 1 with one
// line per reason, 3 when the Pulumi toolchain is missing.
import { parseArgs } from "node:util";
import { ConfigError, loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import { gateVerdict, lbNodeChange, previewFailure, type GateVerdict } from "../ops/gate";
import { parsePreviewDigest } from "../ops/pulumiJson";
import { CommandError, pulumiFromToolchain } from "../ops/pulumiCli";
import { runCli } from "./run";
import { nodeChangeLine } from "./report";

const USAGE = "usage: npm run gate -- --stack <name> [--allow <property>]... [--policy-pack <dir>]";

runCli(USAGE, () => {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            allow: { type: "string", multiple: true, default: [] },
            "policy-pack": { type: "string" },
        },
        strict: true,
    });
    if (!values.stack) throw new ConfigError(["--stack is required"]);
    const stack = values.stack;
    const settings = loadSettings(readStackFile(stack)); // bad config fails here, before pulumi runs

    const pulumi = pulumiFromToolchain();
    // --show-sames: an unchanged load balancer must be visible to notice a second one being created.
    const args = ["preview", "--json", "--show-sames", "--non-interactive", "--stack", stack];
    if (values["policy-pack"]) args.push("--policy-pack", values["policy-pack"]);
    const preview = pulumi.json(args, parsePreviewDigest);

    const verdict = gateVerdict(preview.value, { allow: values.allow });
    const failure = previewFailure(preview.status, preview.stderr, verdict);
    if (failure) verdict.reasons.push(failure);
    if (verdict.reasons.length > 0) {
        throw new CommandError([`gate: stack ${stack} refused:`, ...verdict.reasons.map((r) => `  ${r}`)], 1);
    }
    return [`gate: stack ${stack} ok`, ...verdict.allowed.map((a) => `  allowed: ${a}`), changeLine(verdict, settings)].join("\n");
});

function changeLine(verdict: GateVerdict, settings: ReturnType<typeof loadSettings>): string {
    const change = verdict.lbChange;
    if (change?.to === undefined) return "load balancer: no change";
    if (change.from === change.to) return `size_unit ${change.to} (no change)`;
    return nodeChangeLine(lbNodeChange({ ...change, to: change.to }, settings));
}
