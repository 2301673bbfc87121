// npm run gate -- --stack <name> [--allow <property>|scale-down-under-load]... [--policy-pack <dir>]
// Runs `pulumi preview --json` and lets the deployment through only if it resizes proxy-lb
// in place and touches nothing else, and scales down no lower than the crowd it carries: the
// same gate rollback and the autopilot apply, so a deploy passes here only if it would pass there.
// Exit 0 with the node change, 1 with one line per reason, 3 when the Pulumi toolchain is missing.
import { loadSettings, nowFromEnvironment } from "../config";
import { readStackFile } from "../config/stackFile";
import { ALLOW_SCALE_DOWN_UNDER_LOAD } from "../ops/gate";
import { gateStack } from "../ops/gateStack";
import { CommandError } from "../ops/pulumiCli";
import { lbChangeLine, liveSizeLine } from "./report";
import { command } from "./run";

const USAGE =
    "usage: npm run gate -- --stack <name> [--allow <property>|scale-down-under-load]... [--policy-pack <dir>]";

const HELP = `Runs \`pulumi preview --json\` for the stack and lets the deployment through only if it
resizes the load balancer in place and touches nothing else: it refuses, one line per reason,
a replaced or deleted load balancer, any write to a masking server, any other change, and a
scale-down below what the load balancer carries (its highest frontend_connections_current over
proxy-lb:autopilot.scaleDownAfterMinutes, read with DIGITALOCEAN_TOKEN; metrics that cannot be
read refuse it too: never scale down on missing data).

  --stack <name>          the stack (its Pulumi.<name>.yaml is validated first)
  --allow <property>      also permit a change to this load balancer property; repeatable
  --allow ${ALLOW_SCALE_DOWN_UNDER_LOAD}
                          permit a scale-down below the observed need (or unchecked)
  --policy-pack <dir>     run the preview with this policy pack (e.g. policy)
  -h, --help              this help

exit codes: 0 passes (prints the node change); 1 refused, the preview failed, or the config
is wrong (reasons on stderr); 2 bad usage; 3 the Pulumi toolchain is not built yet`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            allow: { type: "string", multiple: true, default: [] },
            "policy-pack": { type: "string" },
        },
    },
    async (values) => {
        const { stack } = values;
        const stackEntries = readStackFile(stack);
        const at = nowFromEnvironment();
        const settings = loadSettings(stackEntries, { now: at }); // bad config fails here, before pulumi runs
        const { verdict, liveSizeUnit } = await gateStack({
            stack,
            settings,
            stackEntries,
            at,
            allow: values.allow,
            policyPack: values["policy-pack"],
        });
        if (!verdict.ok)
            throw new CommandError(
                [`gate: stack ${stack} refused:`, ...verdict.reasons.map((r) => `  ${r}`)],
                1,
            );
        const covered = verdict.scaleDown?.status === "ok" ? [`  ${verdict.scaleDown.text}`] : [];
        if (verdict.closing) covered.push(`  the scale-down ${verdict.closing.text}`);
        const differs =
            liveSizeUnit === undefined ? undefined : liveSizeLine(verdict.lbChange, liveSizeUnit);
        return [
            `gate: stack ${stack} ok`,
            ...verdict.allowed.map((a) => `  allowed: ${a}`),
            ...covered,
            lbChangeLine(verdict.lbChange, settings),
            ...(differs ? [differs] : []),
        ].join("\n");
    },
);
if (require.main === module) void run();
