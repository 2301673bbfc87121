// npm run rollback -- --stack <name> [--to <version>] [--yes] [--allow <property>|scale-down-under-load]... [--policy-pack <dir>]
// Returns the stack to the config it ran with before the most recent scale-up (or --to a
// version), after a preview that must pass the deploy gate, and writes that config back to
// Pulumi.<stack>.yaml so the repository matches what runs. Asks before applying unless --yes;
// without a terminal it refuses unless --yes.
import { createInterface } from "node:readline/promises";
import { ConfigError, NAMESPACE, nowFromEnvironment } from "../config";
import { ALLOW_SCALE_DOWN_UNDER_LOAD } from "../ops/gate";
import { runRollback, type RollbackStep, type RollbackTarget } from "../ops/rollbackRun";
import { nodeChange } from "../sizing/nodeChange";
import { nodeChangeLine, updateLabel } from "./report";
import { command, UsageError } from "./run";

const USAGE =
    "usage: npm run rollback -- --stack <name> [--to <version>] [--yes] [--allow <property>|scale-down-under-load]... [--policy-pack <dir>]";

const HELP = `Returns the stack to the config it ran with before its most recent scale-up (from the
stack's update history), after a preview that must pass the same gate as any deployment (a
scale-down below the crowd the load balancer carries is refused as \`npm run gate\` refuses it),
and writes that config back to Pulumi.<stack>.yaml (commit it). Asks before applying.

  --stack <name>          the stack
  --to <version>          roll back to this version of the stack's history instead
  --yes                   apply without asking (needed without a terminal, e.g. in CI)
  --allow <property>      as the gate's: also permit a change to this load balancer property
  --allow ${ALLOW_SCALE_DOWN_UNDER_LOAD}
                          as the gate's: permit a scale-down below the observed need
  --policy-pack <dir>     run the preview and the update with this policy pack
  -h, --help              this help

exit codes: 0 rolled back, or not applied when you answer no (nothing changed); 1 no point
to roll back to, the preview does not pass the gate, or pulumi failed (nothing changed unless
it says so); 2 bad usage; 3 the Pulumi toolchain is not built yet`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: {
            to: { type: "string" },
            yes: { type: "boolean", default: false },
            allow: { type: "string", multiple: true, default: [] },
            "policy-pack": { type: "string" },
        },
    },
    async (values) => {
        const { stack } = values;
        const to = values.to === undefined ? undefined : parseVersion(values.to);
        const out = (line = "") => process.stdout.write(`${line}\n`);
        const result = await runRollback(
            {
                stack,
                to,
                allow: values.allow,
                policyPack: values["policy-pack"],
                now: nowFromEnvironment(),
            },
            {
                step: (step) => stepLines(stack, step).forEach((line) => out(line)),
                confirm: () => confirmed(values.yes, stack),
            },
        );
        if (!result.applied) return "Not applied; nothing was changed.";
        const { pick, file } = result;
        return [
            `Rolled back: ${changeLine(pick.sizing)}`,
            `Wrote the restored ${NAMESPACE}:* values to ${file}. Commit it so the repository matches what runs:`,
            `  git commit -m "rollback ${stack} to version ${pick.versions.target}" ${file}`,
        ].join("\n");
    },
);
if (require.main === module) void run();

const changeLine = (sizing: RollbackTarget["sizing"]) =>
    nodeChangeLine(nodeChange(sizing.from, sizing.target));

/** The lines each step of the run shows, as it is reached. */
function stepLines(stack: string, s: RollbackStep): string[] {
    switch (s.step) {
        case "picked": {
            const { pick } = s;
            return [
                `Roll back stack ${stack} from ${updateLabel(pick.versions.from, pick.from)}`,
                `                 to ${updateLabel(pick.versions.target, pick.target)}`,
                ...(pick.versions.numbered
                    ? [
                          "(this backend records no version numbers: versions count history entries, oldest = 1)",
                      ]
                    : []),
                changeLine(pick.sizing),
            ];
        }
        case "sized":
            return [s.note];
        case "gated": {
            const { verdict } = s;
            return [
                ...verdict.allowed.map((line) => `allowed: ${line}`),
                ...(verdict.scaleDown?.status === "ok" ? [verdict.scaleDown.text] : []),
                ...(verdict.closing ? [`the scale-down ${verdict.closing.text}`] : []),
            ];
        }
        case "previewed": {
            const { from, to } = s.change ?? {};
            return [
                `preview: ${from === undefined || to === undefined ? "load balancer unchanged" : `load balancer size_unit ${from} → ${to}`}, nothing else changes`,
            ];
        }
    }
}

function parseVersion(text: string): number {
    const version = Number(text);
    if (!Number.isSafeInteger(version) || version < 1)
        throw new UsageError(
            `--to must be a version number from the stack's history (got ${JSON.stringify(text)})`,
        );
    return version;
}

async function confirmed(yes: boolean, stack: string): Promise<boolean> {
    if (yes) return true;
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new ConfigError([
            "rollback: no terminal to confirm on; re-run with --yes to apply. Nothing was changed.",
        ]);
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
        const answer = await rl.question(
            `Apply this rollback to stack ${stack}? Type "yes" to continue: `,
        );
        return answer.trim().toLowerCase() === "yes";
    } finally {
        rl.close();
    }
}
