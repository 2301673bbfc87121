// npm run gate -- --stack <name> [--allow <property>]... [--policy-pack <dir>]
// Runs `pulumi preview --json` and lets the deployment through only if it resizes proxy-lb
// in place and touches nothing else (ops/gatedPreview.ts, the same gate rollback applies).
// Exit 0 with the node change, 1 with one line per reason, 3 when the Pulumi toolchain is missing.
import { loadSettings, nowFromEnvironment } from "../config";
import { readStackFile } from "../config/stackFile";
import { gatedPreview } from "../ops/gatedPreview";
import { CommandError, pulumiFromToolchain } from "../ops/pulumiCli";
import { lbChangeLine } from "./report";
import { runCli } from "./run";

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
        const { verdict } = gatedPreview(pulumiFromToolchain(), { stack, policyPack: values["policy-pack"], allow: values.allow });
        if (!verdict.ok) throw new CommandError([`gate: stack ${stack} refused:`, ...verdict.reasons.map((r) => `  ${r}`)], 1);
        return [`gate: stack ${stack} ok`, ...verdict.allowed.map((a) => `  allowed: ${a}`), lbChangeLine(verdict.lbChange, settings)].join("\n");
    },
);
