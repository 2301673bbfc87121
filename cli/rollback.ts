// npm run rollback -- --stack <name> [--to <version>] [--yes] [--allow <property>|scale-down-under-load]... [--policy-pack <dir>]
// Returns the stack to the config it ran with before the most recent scale-up (or --to a
// version), after a preview that must pass the deploy gate, and writes that config back to
// Pulumi.<stack>.yaml so the repository matches what runs. Asks before applying unless --yes;
// without a terminal it refuses unless --yes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline/promises";
import {
    ConfigError,
    loadSettings,
    NAMESPACE,
    nowFromEnvironment,
    PROJECT_CONFIG_DEFAULTS,
} from "../config";
import { parseStackFile, stackFileMissing, stackFileName } from "../config/stackFile";
import { programApiRead } from "../infra/digitaloceanApi";
import { loadBalancerUrn } from "../infra/resizeOnly";
import { ALLOW_SCALE_DOWN_UNDER_LOAD } from "../ops/gate";
import { gatedPreview } from "../ops/gatedPreview";
import { parseHistory } from "../ops/pulumiJson";
import { CommandError, pulumiFromToolchain } from "../ops/pulumiCli";
import {
    pickRollbackTarget,
    restoreStackFile,
    rollbackPreviewProblem,
    rollbackSizeNow,
} from "../ops/rollback";
import { COMMAND_SCOPES } from "../config/scopes";
import { formatInstant } from "../sizing/format";
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
        const file = stackFileName(stack);
        const fileText = readText(file, stack);
        const policy = values["policy-pack"] ? ["--policy-pack", values["policy-pack"]] : [];

        const pulumi = pulumiFromToolchain();
        // --page-size 0: the whole history (the default is the last 10 entries).
        const history = pulumi.json(
            ["stack", "history", "--json", "--page-size", "0", "--stack", stack],
            parseHistory,
        );
        if (history.status !== 0)
            throw new CommandError(
                [`pulumi stack history failed (exit ${history.status})`, history.stderr.trim()],
                1,
            );
        const pick = pickRollbackTarget(history.value, { to });
        if (!pick.ok) throw new ConfigError([`rollback: ${pick.reason}`]);

        const restoredText = restoreStackFile(fileText, pick.restored, {
            defaults: PROJECT_CONFIG_DEFAULTS,
            file,
        });
        const change = nodeChangeLine(nodeChange(pick.sizing.from, pick.sizing.target));
        const out = (line = "") => process.stdout.write(`${line}\n`);
        out(`Roll back stack ${stack} from ${updateLabel(pick.versions.from, pick.from)}`);
        out(`                 to ${updateLabel(pick.versions.target, pick.target)}`);
        if (pick.versions.numbered)
            out(
                "(this backend records no version numbers: versions count history entries, oldest = 1)",
            );
        out(change);

        // Preview with the restored config; it must pass the same gate as any deployment.
        const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-rollback-"));
        try {
            const configFile = path.join(scratch, file);
            writeFileSync(configFile, restoredText);
            // The live load is judged with the restored config's window and capacity: the ones that will run.
            // One moment for the preview and the up (the program reads PROXY_LB_NOW), as the scheduled run does.
            const at = nowFromEnvironment();
            process.env.PROXY_LB_NOW = formatInstant(at);
            const restoredEntries = parseStackFile(restoredText, file);
            const restored = loadSettings(restoredEntries, { now: at });
            const read = () =>
                programApiRead(process.env, restoredEntries, COMMAND_SCOPES.rollback.scopes);
            const expected = await rollbackSizeNow(restored, pick.sizing.target.sizeUnit, read, at);
            const load = { settings: restored, at, read, seen: expected.seen };
            if (expected.note) out(expected.note);
            const { verdict } = await gatedPreview(pulumi, {
                stack,
                configFile,
                policyPack: values["policy-pack"],
                allow: values.allow,
                load,
            });
            if (!verdict.ok) {
                throw new CommandError(
                    [
                        "rollback: the preview does not pass the gate; nothing was changed:",
                        ...verdict.reasons.map((r) => `  ${r}`),
                    ],
                    1,
                );
            }
            for (const line of verdict.allowed) out(`allowed: ${line}`);
            if (verdict.scaleDown?.status === "ok") out(verdict.scaleDown.text);
            if (verdict.closing) out(`the scale-down ${verdict.closing.text}`);
            const problem = rollbackPreviewProblem(
                verdict.lbChange,
                expected.sizeUnit,
                pick.versions.target,
            );
            if (problem) throw new CommandError([`rollback: ${problem}; nothing was changed`], 1);
            const { from, to: toUnit } = verdict.lbChange ?? {};
            out(
                `preview: ${from === undefined || toUnit === undefined ? "load balancer unchanged" : `load balancer size_unit ${from} → ${toUnit}`}, nothing else changes`,
            );

            if (!(await confirmed(values.yes, stack))) return "Not applied; nothing was changed.";

            const status = pulumi.interactive([
                "up",
                "--yes",
                "--non-interactive",
                "--stack",
                stack,
                "--config-file",
                configFile,
                ...policy,
            ]);
            if (status !== 0) {
                // A failed update leaves the inputs it asked for in the state, and the next gate
                // could not say what changes: read the load balancer back (no write to DigitalOcean).
                const refreshed = pulumi.capture([
                    "refresh",
                    "--yes",
                    "--non-interactive",
                    "--skip-preview",
                    "--stack",
                    stack,
                    "--config-file",
                    configFile,
                    "--target",
                    loadBalancerUrn(stack),
                ]).status;
                throw new CommandError(
                    [
                        `rollback: pulumi up failed (exit ${status}); ${file} was left as it was. ${refreshed === 0 ? "The load balancer's state was read back (pulumi refresh), so the next run is not blocked." : `Reading the load balancer back failed too: run \`pulumi refresh --stack ${stack} --target '${loadBalancerUrn(stack)}'\` before the next run.`} Check \`pulumi stack history --stack ${stack}\`.`,
                    ],
                    1,
                );
            }
            // Pulumi may have added to the file it used (e.g. a new encryption salt): keep its copy.
            writeFileSync(file, readFileSync(configFile, "utf8"));
        } finally {
            rmSync(scratch, { recursive: true, force: true });
        }
        return [
            `Rolled back: ${change}`,
            `Wrote the restored ${NAMESPACE}:* values to ${file}. Commit it so the repository matches what runs:`,
            `  git commit -m "rollback ${stack} to version ${pick.versions.target}" ${file}`,
        ].join("\n");
    },
);
if (require.main === module) void run();

function parseVersion(text: string): number {
    const version = Number(text);
    if (!Number.isSafeInteger(version) || version < 1)
        throw new UsageError(
            `--to must be a version number from the stack's history (got ${JSON.stringify(text)})`,
        );
    return version;
}

function readText(file: string, stack: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigError([
            code === "ENOENT" ? stackFileMissing(stack) : `${file} cannot be read: ${String(err)}`,
        ]);
    }
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
