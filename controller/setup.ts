// The controller's real I/O, as TickDeps: the stack file read at each tick's moment (its
// secrets decrypted once at start, only when the file has any), the live read (three GETs, no
// Pulumi run), the gate on the resize-only preview, and the resize-only `pulumi up` targeted at
// the load balancer, with PROXY_LB_NOW pinned to the tick's moment so the program decides the
// same size. Pulumi is only started when a tick resizes, or at start for the secrets and the
// backend's URL.
import { readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError, loadSettings, nowFromEnvironment, type Settings } from "../config";
import { notifyTarget } from "../config/notify";
import { readStackFile } from "../config/stackFile";
import { programApiRead } from "../infra/digitaloceanApi";
import { sizeNow } from "../infra/liveSize";
import { resizeOnlyUp } from "../infra/resizeOnly";
import { formatInstant } from "../sizing/format";
import { lateScaleUp } from "../sizing/lateScaleUp";
import type { TickDeps, UpResult } from "./tick";
import { leaseBackend } from "./backends";
import { thisHolder, type Holder, type Lease } from "./lease";
import { gatedPreview } from "../ops/gatedPreview";
import { lateScaleUpNotice } from "../ops/notices";
import { sendNotices, type SendResult } from "../ops/notifySend";
import { CommandError, pulumiFromToolchain, TOOLCHAIN_MISSING } from "../ops/pulumiCli";
import { COMMAND_SCOPES } from "../config/scopes";
import { findToolchain, toolchainEnv, ToolchainUnavailable } from "../ops/toolchain";
import { stackRuns, type DecryptedConfig, type StackRuns } from "./stackRuns";

export interface ControllerSetup {
    deps: TickDeps;
    /** never printed: every line shown goes through ops/redact.ts with these */
    secrets: string[];
}

/** True when a stack-file value holds a Pulumi secret ({secure: …}) anywhere inside it. */
export function holdsSecret(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecret);
    if (value !== null && typeof value === "object")
        return "secure" in value || Object.values(value).some(holdsSecret);
    return false;
}

/**
 * The stack file's entries with each top-level key that holds a secret replaced by its decrypted
 * value (`pulumi config --json`: { value: JSON text for objects, objectValue }).
 */
export function withDecrypted(
    entries: Record<string, unknown>,
    decrypted: DecryptedConfig,
): Record<string, unknown> {
    const out: Record<string, unknown> = { ...entries };
    for (const [key, value] of Object.entries(entries)) {
        if (!holdsSecret(value)) continue;
        const plain = decrypted[key];
        if (plain === undefined)
            throw new ConfigError([
                `${key} holds a secret that \`pulumi config --show-secrets\` did not return`,
            ]);
        out[key] = plain.objectValue ?? plain.value;
    }
    return out;
}

function toolchainOrExit3() {
    try {
        return findToolchain({
            check: true,
            home: process.env.PULUMI_HOME || path.join(homedir(), ".pulumi"),
        });
    } catch (err) {
        if (!(err instanceof ToolchainUnavailable)) throw err;
        throw new CommandError([TOOLCHAIN_MISSING, ...err.reasons.map((line) => `  ${line}`)], 3);
    }
}

export interface SetupOptions {
    stack: string;
    cwd: string;
    env: Record<string, string | undefined>;
    intervalSeconds: number;
    log(line: string): void;
    /** a dry run takes no lease (ops/autopilot.ts), so any state backend does for it */
    dryRun?: boolean;
}

/** The controller's deps for a stack; reads the config (and, when needed, its secrets and the backend URL) once. */
export async function controllerSetup(options: SetupOptions): Promise<ControllerSetup> {
    const { stack, cwd, env, log } = options;
    const fileEntries = readStackFile(stack, cwd);
    const momentNow = () => nowFromEnvironment(env);
    const firstMoment = momentNow(); // a bad PROXY_LB_NOW fails here

    // Pulumi, only when needed: the secrets, the backend's URL, and the resize.
    let runs: StackRuns | undefined;
    const pulumi = () => {
        if (runs) return runs;
        const toolchain = toolchainOrExit3();
        return (runs = stackRuns({
            exe: path.join(toolchain.bin, "pulumi"),
            cwd,
            env: toolchainEnv(toolchain, env as NodeJS.ProcessEnv),
            stack,
            targetArgs: resize.args,
        }));
    };
    const project = String(
        (parseYaml(readFileSync(path.join(cwd, "Pulumi.yaml"), "utf8")) as { name?: unknown }).name,
    );
    const resize = resizeOnlyUp(stack, project);
    const pinned = (at: number) => ({ ...resize.env, PROXY_LB_NOW: formatInstant(at) });

    const needsSecrets = Object.values(fileEntries).some(holdsSecret);
    const decrypted = needsSecrets ? await pulumi().decryptedConfig() : {};
    const entriesNow = () => withDecrypted(readStackFile(stack, cwd), decrypted);
    const startEntries = entriesNow();
    const settingsAt = (at: number): Settings => loadSettings(entriesNow(), { now: at });
    const first = settingsAt(firstMoment); // bad config fails here, naming the key, before any API call

    const backendUrl = env.PULUMI_BACKEND_URL || (await pulumi().backendUrl());
    if (!backendUrl)
        throw new ConfigError([
            "the stack's state backend is unknown: set PULUMI_BACKEND_URL or run `pulumi login`",
        ]);
    const me = thisHolder(hostname());
    // A dry run changes nothing, so it takes no lease: any backend does for it, and nothing is written.
    const { lease, clearDeadLock } = options.dryRun
        ? { lease: noLease(backendUrl, me), clearDeadLock: async () => [] }
        : await leaseBackend({
              backendUrl,
              project,
              stack,
              env,
              cwd,
              me,
              intervalSeconds: options.intervalSeconds,
          });

    const read = programApiRead(env, startEntries, COMMAND_SCOPES.autopilot.scopes);
    // Decrypted above, so the URL is text here (notifyTarget is null only for a still-encrypted one).
    const startTarget = first.config.notify ? notifyTarget(first.config.notify) : null;
    const secrets = [read.token, ...(startTarget ? [startTarget.webhookUrl] : [])];
    const up = (at: number): Promise<UpResult> => pulumi().up(pinned(at));
    const refresh = (at: number): Promise<void> => pulumi().refresh(pinned(at));

    const notify = async (notices: Parameters<TickDeps["notify"]>[0]): Promise<SendResult[]> => {
        let target;
        try {
            const configured = loadSettings(entriesNow(), { now: momentNow() }).config.notify;
            target = configured && notifyTarget(configured);
        } catch (err) {
            return notices.map(() => ({
                ok: false,
                attempts: 0,
                line: `not sent (the stack's config cannot be read: ${(err as Error).message})`,
            }));
        }
        if (!target)
            return notices.map(() => ({
                ok: false,
                attempts: 0,
                line: "not sent (proxy-lb:notify is not set)",
            }));
        return sendNotices(target, notices, { secrets, log });
    };

    return {
        secrets,
        deps: {
            stack,
            clock: Date.now,
            moment: momentNow,
            settingsAt,
            sizeNow: (settings, at) => sizeNow(settings, read, at, { readLive: true }),
            lease,
            gate: async (at, settings, size) => {
                const pulumi = pulumiFromToolchain(cwd, pinned(at));
                // The gate's scale-down-under-load check judges the load the tick decided on (read once),
                // or, with the autopilot off (no metrics read), reads it.
                const seen = size.metrics === null ? undefined : size;
                const load = { settings, at, read: () => read, seen };
                return (await gatedPreview(pulumi, { stack, target: resize.target, load })).verdict;
            },
            up,
            refresh,
            clearDeadLock,
            lateScaleUp: (settings, live, at) => {
                const late = lateScaleUp(
                    settings.calendar,
                    { region: settings.config.region, capacity: settings.config.capacity },
                    live,
                    at,
                );
                return late && lateScaleUpNotice(stack, late, "the autopilot");
            },
            notify,
            log,
        },
    };
}

/** A dry run's stand-in where no lease can be kept: never held, nothing written. */
function noLease(where: string, me: Holder): Lease {
    return {
        where,
        me,
        hold: () => Promise.reject(new ConfigError(["autopilot: a dry run takes no lease"])),
        save: async () => false,
        renew: async () => false,
        release: async () => undefined,
    };
}
