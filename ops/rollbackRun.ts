// A rollback, run: the stack's history, the target's config restored into a scratch copy of the
// stack file, the gated preview of it, the user's yes, `pulumi up` with it, and the file written
// back. Every step sizes for one moment, `now`, given by the caller and pinned for pulumi too
// (the program reads PROXY_LB_NOW), so the preview and the up decide the same size.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, loadSettings, PROJECT_CONFIG_DEFAULTS, type Settings } from "../config";
import { COMMAND_SCOPES } from "../config/scopes";
import { parseStackFile, stackFileMissing, stackFileName } from "../config/stackFile";
import { programApiRead, type ApiRead } from "../infra/digitaloceanApi";
import { sizeNow } from "../infra/liveSize";
import { loadBalancerUrn } from "../infra/resizeOnly";
import { formatInstant } from "../sizing/format";
import type { ObservedLoad } from "../sizing/observedLoad";
import type { GateVerdict, LoadBalancerChange } from "./gate";
import { gatedPreview } from "./gatedPreview";
import { CommandError, pulumiFromToolchain, type Pulumi } from "./pulumiCli";
import { parseHistory } from "./pulumiJson";
import {
    pickRollbackTarget,
    restoreStackFile,
    rollbackPreviewProblem,
    type RollbackPick,
} from "./rollback";

export type RollbackTarget = RollbackPick & { ok: true };

export interface RollbackRequest {
    stack: string;
    /** the version to return to; default: the one before the most recent scale-up */
    to?: number;
    /** as the gate's --allow */
    allow: string[];
    policyPack?: string;
    /** epoch ms: the moment every step sizes for */
    now: number;
    env?: NodeJS.ProcessEnv;
    /** where Pulumi.<stack>.yaml is (default: the current directory) */
    cwd?: string;
}

/** What the run has reached, in order, for the caller to show as it happens. */
export type RollbackStep =
    | { step: "picked"; pick: RollbackTarget }
    /** the autopilot in the restored config sizes for other than its calendar: why */
    | { step: "sized"; note: string }
    /** the preview passed the gate */
    | { step: "gated"; verdict: GateVerdict }
    /** and sizes the load balancer as the version's config does */
    | { step: "previewed"; change: LoadBalancerChange | undefined };

export interface RollbackIo {
    step(step: RollbackStep): void;
    /** asked once the preview passed: apply it? */
    confirm(): Promise<boolean>;
    /** the pulumi to run, with `env` set for every run (default: the pinned toolchain's) */
    pulumi?: (env: Record<string, string>) => Pulumi;
}

export type RollbackResult =
    { applied: false } | { applied: true; pick: RollbackTarget; file: string };

/** Runs the rollback; every failure is a ConfigError (or CommandError) saying what changed. */
export async function runRollback(req: RollbackRequest, io: RollbackIo): Promise<RollbackResult> {
    const { stack, now } = req;
    const env = req.env ?? process.env;
    const cwd = req.cwd ?? process.cwd();
    const file = stackFileName(stack);
    const fileText = readStackText(path.join(cwd, file), file, stack);
    const pulumi = (io.pulumi ?? ((extra) => pulumiFromToolchain(cwd, extra)))({
        PROXY_LB_NOW: formatInstant(now),
    });

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
    const pick = pickRollbackTarget(history.value, { to: req.to });
    if (!pick.ok) throw new ConfigError([`rollback: ${pick.reason}`]);
    const restoredText = restoreStackFile(fileText, pick.restored, {
        defaults: PROJECT_CONFIG_DEFAULTS,
        file,
    });
    io.step({ step: "picked", pick });

    const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-rollback-"));
    try {
        const configFile = path.join(scratch, file);
        writeFileSync(configFile, restoredText);
        // The live load is judged with the restored config's window and capacity: the ones that will run.
        const restoredEntries = parseStackFile(restoredText, file);
        const restored = loadSettings(restoredEntries, { now });
        const read = () => programApiRead(env, restoredEntries, COMMAND_SCOPES.rollback.scopes);
        const expected = await rollbackSizeNow(restored, pick.sizing.target.sizeUnit, read, now);
        if (expected.note) io.step({ step: "sized", note: expected.note });
        const { verdict } = await gatedPreview(pulumi, {
            stack,
            configFile,
            policyPack: req.policyPack,
            allow: req.allow,
            load: { settings: restored, at: now, read, seen: expected.seen },
        });
        if (!verdict.ok)
            throw new CommandError(
                [
                    "rollback: the preview does not pass the gate; nothing was changed:",
                    ...verdict.reasons.map((r) => `  ${r}`),
                ],
                1,
            );
        io.step({ step: "gated", verdict });
        const problem = rollbackPreviewProblem(
            verdict.lbChange,
            expected.sizeUnit,
            pick.versions.target,
        );
        if (problem) throw new CommandError([`rollback: ${problem}; nothing was changed`], 1);
        io.step({ step: "previewed", change: verdict.lbChange });

        if (!(await io.confirm())) return { applied: false };

        const status = pulumi.interactive(rollbackUpArgs(stack, configFile, req.policyPack));
        if (status !== 0) {
            // A failed update leaves the inputs it asked for in the state, and the next gate
            // could not say what changes: read the load balancer back (no write to DigitalOcean).
            const refreshed = pulumi.capture(readBackArgs(stack, configFile)).status === 0;
            throw new CommandError([upFailure({ status, refreshed, file, stack })], 1);
        }
        // Pulumi may have added to the file it used (e.g. a new encryption salt): keep its copy.
        writeFileSync(path.join(cwd, file), readFileSync(configFile, "utf8"));
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
    return { applied: true, pick, file };
}

/** The update with the restored config. */
export function rollbackUpArgs(stack: string, configFile: string, policyPack?: string): string[] {
    return [
        "up",
        "--yes",
        "--non-interactive",
        "--stack",
        stack,
        "--config-file",
        configFile,
        ...(policyPack ? ["--policy-pack", policyPack] : []),
    ];
}

/** A refresh of the load balancer alone: reads it, never writes to DigitalOcean. */
export function readBackArgs(stack: string, configFile: string): string[] {
    return [
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
    ];
}

/** What a failed up left, and what to run before the next one when the read-back failed too. */
export function upFailure(failed: {
    status: number | null;
    refreshed: boolean;
    file: string;
    stack: string;
}): string {
    const { status, refreshed, file, stack } = failed;
    const readBack = refreshed
        ? "The load balancer's state was read back (pulumi refresh), so the next run is not blocked."
        : `Reading the load balancer back failed too: run \`pulumi refresh --stack ${stack} --target '${loadBalancerUrn(stack)}'\` before the next run.`;
    return `rollback: pulumi up failed (exit ${status}); ${file} was left as it was. ${readBack} Check \`pulumi stack history --stack ${stack}\`.`;
}

function readStackText(where: string, file: string, stack: string): string {
    try {
        return readFileSync(where, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigError([
            code === "ENOENT" ? stackFileMissing(stack) : `${file} cannot be read: ${String(err)}`,
        ]);
    }
}

/**
 * The size a rollback's preview must show: the restored config's calendar size, or with the
 * autopilot on in it, the program's decision for the moment (the larger of that and the crowd
 * now), with a line saying why it differs.
 */
export async function rollbackSizeNow(
    restored: Settings,
    calendarSizeUnit: number,
    read: () => ApiRead,
    at: number,
): Promise<{ sizeUnit: number; note?: string; seen?: ObservedLoad }> {
    if (!restored.autopilot.enabled) return { sizeUnit: calendarSizeUnit };
    // What was read for the decision is what the gate's scale-down check judges: not read again.
    const { decision, ...seen } = await sizeNow(restored, read(), at);
    if (decision.sizeUnit === calendarSizeUnit) return { sizeUnit: calendarSizeUnit, seen };
    return {
        sizeUnit: decision.sizeUnit,
        note: `autopilot: the restored config sizes for ${decision.sizeUnit} nodes now, not ${calendarSizeUnit}: ${decision.why}`,
        seen,
    };
}
