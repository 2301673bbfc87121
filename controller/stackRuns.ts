// The controller's Pulumi runs on its stack, through the pinned CLI: the secrets in the stack's
// config, the state backend's URL, the resize-only `up` and `refresh`. Not through the Automation
// API: loading @pulumi/pulumi costs a process about 85 MB (it loads TypeScript eagerly), which a
// controller would then carry between ticks. The runs never block the event loop.
import {
    CommandError,
    capturePulumi,
    EVENT_LOG_ENV,
    eventLogFile,
    type Captured,
} from "../ops/pulumiCli";
import { changesFromEventLog, jsonFromStdout, stepsFromEventLog } from "../ops/pulumiJson";
import type { UpResult } from "./tick";

/** `pulumi config --show-secrets --json`: each key's value (JSON text for objects) and objectValue. */
export type DecryptedConfig = Record<string, { value?: string; objectValue?: unknown }>;

export interface StackRuns {
    decryptedConfig(): Promise<DecryptedConfig>;
    backendUrl(): Promise<string | undefined>;
    /** a resize-only `up`, `env` on top of the controller's (the pinned moment, the mode) */
    up(env: Record<string, string>): Promise<UpResult>;
    refresh(env: Record<string, string>): Promise<void>;
}

export interface StackRunsOptions {
    /** the pinned `pulumi` */
    exe: string;
    cwd: string;
    env: NodeJS.ProcessEnv;
    stack: string;
    /** the resize-only runs' --target arguments */
    targetArgs: string[];
}

export function stackRuns(options: StackRunsOptions): StackRuns {
    const { exe, cwd, stack, targetArgs } = options;
    // --non-interactive as the Automation API runs every command; the event log is where the
    // update's summary and the stack's outputs are.
    const run = (args: string[], env: Record<string, string> = {}): Promise<Captured> =>
        capturePulumi(exe, [...args, "--non-interactive"], {
            cwd,
            env: { ...options.env, ...EVENT_LOG_ENV, ...env },
        });
    const json = async (args: string[]): Promise<unknown> => {
        const result = await run(args);
        if (result.status !== 0) throw failed(args, result);
        return jsonFromStdout(result.stdout);
    };
    const withEventLog = async (
        args: string[],
        env: Record<string, string>,
    ): Promise<unknown[]> => {
        const log = eventLogFile();
        try {
            const result = await run([...args, "--event-log", log.file], env);
            if (result.status !== 0) throw failed(args, result);
            return log.events();
        } finally {
            log.remove();
        }
    };
    const lifecycle = ["--yes", "--skip-preview", "--stack", stack, ...targetArgs];
    return {
        decryptedConfig: async () =>
            (await json([
                "config",
                "--show-secrets",
                "--json",
                "--stack",
                stack,
            ])) as DecryptedConfig,
        backendUrl: async () => {
            const { url } = (await json(["whoami", "--json"])) as { url?: unknown };
            return typeof url === "string" && url !== "" ? url : undefined;
        },
        up: async (env) => {
            const events = await withEventLog(["up", ...lifecycle], env);
            const changes = changesFromEventLog(events);
            const root = stepsFromEventLog(events).find(
                (step) => step.newState?.type === "pulumi:pulumi:Stack",
            );
            const sizeUnit = root?.newState?.outputs?.sizeUnit;
            return {
                sizeUnit: typeof sizeUnit === "number" ? sizeUnit : null,
                changed:
                    changes === undefined
                        ? undefined
                        : Object.entries(changes).some(([op, n]) => op !== "same" && n > 0),
            };
        },
        refresh: async (env) => {
            await withEventLog(["refresh", ...lifecycle], env);
        },
    };
}

/**
 * A failed run as an error whose text is Pulumi's own output, line for line: the tick reads from
 * it what went wrong (another run's lock, DigitalOcean's pace refusals).
 */
function failed(args: string[], result: Captured): CommandError {
    const output = `${result.stdout}\n${result.stderr}`.split("\n").filter((l) => l.trim() !== "");
    return new CommandError(
        [[`pulumi ${args[0]} exited ${result.status}`, ...output].join("\n")],
        1,
    );
}
