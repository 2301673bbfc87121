// npm run forget -- --stack <name> [--yes]
// Masking servers that left the config (an id removed, a tag taken off) stop every `up`:
// Pulumi refuses to delete a protected resource, even one it would only forget. This shows
// them, unprotects exactly those (every server still in the config stays protected), and the
// next `up` drops them from state without a single API call. The droplets stay as they are.
import { loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import { forgetDeparted } from "../ops/forgetRun";
import { CommandError } from "../ops/pulumiCli";
import { command } from "./run";

const USAGE = "usage: npm run forget -- --stack <name> [--yes]";

const HELP = `Finds the masking servers the stack still holds but the config no longer declares (an id
removed from maskingServers.ids, or a droplet that lost maskingServers.tag), with a real
\`pulumi preview --json\`, and lists them. With --yes it unprotects exactly those in the state
(\`pulumi state unprotect\`), so the next \`pulumi up\` forgets them: retained on delete, they
are dropped from the state with no API call, and the droplets stay untouched.

  --stack <name>   the stack (its Pulumi.<name>.yaml is validated first)
  --yes            unprotect them (without it, only shows what would be done)
  -h, --help       this help

exit codes: 0 nothing to forget, or done; 1 refused (a droplet would really be deleted or
changed), or a step failed; 2 bad usage; 3 the Pulumi toolchain is not built yet`;

export const run = command(
    { usage: USAGE, help: HELP, options: { yes: { type: "boolean", default: false } } },
    ({ stack, yes }) => {
        loadSettings(readStackFile(stack)); // bad config fails here, before pulumi runs
        const { plan, unprotected } = forgetDeparted(stack, { apply: yes });
        if (plan.refused.length)
            throw new CommandError(
                [`forget: stack ${stack}: nothing changed:`, ...plan.refused.map((r) => `  ${r}`)],
                1,
            );
        if (plan.departed.length === 0)
            return `forget: stack ${stack}: every masking server in the state is still in the config; nothing to forget`;

        const listed = plan.departed.map((s) => `  droplet ${s.id}${s.name ? ` (${s.name})` : ""}`);
        if (!unprotected) {
            return [
                `forget: stack ${stack}: these masking servers left the config and stop every \`up\`:`,
                ...listed,
                "Run again with --yes to unprotect exactly these; the next `pulumi up` forgets them (no API call, the droplets stay).",
            ].join("\n");
        }
        return [
            `forget: stack ${stack}: unprotected in the state, to be forgotten by the next \`pulumi up\`:`,
            ...listed,
            "Every masking server still in the config stays protected.",
        ].join("\n");
    },
);
if (require.main === module) void run();
