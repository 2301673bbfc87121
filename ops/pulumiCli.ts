// Running the real, pinned `pulumi`: the toolchain comes from scripts/toolchain.sh --check; its
// bin directory goes first on PATH so pulumi finds the matching language host, and the
// DigitalOcean plugin is installed into the Pulumi home in use (the operator's own, where their
// `pulumi login` lives), so it is found as a real plugin. A run that fails on a 403 for want
// of a token scope gets a line on stderr naming the scope and how to add it:
// the provider only passes DigitalOcean's generic "not authorized" on. One that DigitalOcean
// refused for its pace (a resize too often, or while the last one runs) gets a line saying when
// to run again: the run stops there, once, never retrying in a loop.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config";
import { jsonFromStdout, parseEventLog } from "./pulumiJson";
import { scopeHints } from "../config/scopes";
import { resizeRefusalHint } from "./resizeErrors";
import { findToolchain, toolchainEnv, ToolchainUnavailable, type Toolchain } from "./toolchain";

/** A failure with its own exit code (the toolchain script's 3 for "no toolchain"). */
export class CommandError extends ConfigError {
    constructor(
        problems: string[],
        readonly exitCode: number,
    ) {
        super(problems);
        this.name = "CommandError";
    }
}

export interface Pulumi {
    /** Runs pulumi, capturing stdout and stderr. */
    capture(args: string[]): { status: number | null; stdout: string; stderr: string };
    /** Runs pulumi on the terminal (progress shown as it happens); returns the exit status. */
    interactive(args: string[]): number | null;
    /** Runs a --json command and parses its stdout; a non-zero exit with JSON still returns it. */
    json<T>(args: string[], parse: (json: unknown) => T): JsonRun<T>;
    /** `json` without blocking the event loop: a long-lived process keeps its timers and server alive. */
    jsonAsync<T>(args: string[], parse: (json: unknown) => T): Promise<JsonRun<T>>;
}

export interface JsonRun<T> {
    value: T;
    status: number | null;
    stderr: string;
}

/** What a user reads when the toolchain is missing: what to run, no internal flags. */
export const TOOLCHAIN_MISSING =
    "The Pulumi toolchain is not built yet. Run `npm start` once (it builds it, a few minutes) or `bash scripts/toolchain.sh`.";

/** What enables `--event-log`, as the Automation API sets it. */
export const EVENT_LOG_ENV = { PULUMI_DEBUG_COMMANDS: "true" };

/**
 * The pinned toolchain, or a CommandError (exit 3) saying what to run, with the toolchain script's
 * own words below. `extraEnv` is set for every run (the autopilot's resize-only preview).
 */
export function pulumiFromToolchain(
    cwd = process.cwd(),
    extraEnv: Record<string, string> = {},
): Pulumi {
    let toolchain: Toolchain;
    try {
        toolchain = findToolchain({
            check: true,
            home: process.env.PULUMI_HOME || path.join(homedir(), ".pulumi"),
        });
    } catch (err) {
        if (!(err instanceof ToolchainUnavailable)) throw err;
        throw new CommandError([TOOLCHAIN_MISSING, ...err.reasons.map((line) => `  ${line}`)], 3);
    }
    // Policy violations and what a refresh read are only in the event log.
    const env = { ...toolchainEnv(toolchain), ...EVENT_LOG_ENV, ...extraEnv };
    const bin = toolchain.bin;
    const exe = path.join(bin, "pulumi");
    const label = (args: string[]) => `pulumi ${args.join(" ")}`;

    const capture = (args: string[]) => {
        const run = spawnSync(exe, args, {
            cwd,
            env,
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
        });
        if (run.error)
            throw new CommandError([`${label(args)} could not run: ${run.error.message}`], 1);
        if (run.status !== 0) tellScopeHints(`${run.stdout}\n${run.stderr}`);
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    return {
        capture,
        interactive(args) {
            // The output goes to the terminal as it comes; the engine's event log (the same
            // diagnostics) is what the scope hint reads.
            const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-pulumi-"));
            const eventLog = path.join(scratch, "events.jsonl");
            const logged = EVENT_LOG_COMMANDS.has(args[0]) && !args.includes("--event-log");
            try {
                const run = spawnSync(exe, logged ? [...args, "--event-log", eventLog] : args, {
                    cwd,
                    env,
                    stdio: "inherit",
                });
                if (run.error)
                    throw new CommandError(
                        [`${label(args)} could not run: ${run.error.message}`],
                        1,
                    );
                if (run.status !== 0 && logged) tellScopeHints(readOrEmpty(eventLog));
                return run.status;
            } finally {
                rmSync(scratch, { recursive: true, force: true });
            }
        },
        json: (args, parse) => parsed(args, capture(args), parse),
        jsonAsync: async (args, parse) => {
            const run = await capturePulumi(exe, args, { cwd, env });
            if (run.status !== 0) tellScopeHints(`${run.stdout}\n${run.stderr}`);
            return parsed(args, run, parse);
        },
    };
}

/** A --json run's stdout parsed; a non-zero exit with JSON still returns it. */
function parsed<T>(args: string[], run: Captured, parse: (json: unknown) => T): JsonRun<T> {
    const label = `pulumi ${args.join(" ")}`;
    let json: unknown;
    try {
        json = jsonFromStdout(run.stdout);
    } catch (err) {
        throw new CommandError(
            [
                `${label} failed (exit ${run.status}): ${(err as Error).message}`,
                ...tail(run.stderr),
            ],
            1,
        );
    }
    try {
        return { value: parse(json), status: run.status, stderr: run.stderr };
    } catch (err) {
        throw new CommandError([`${label}: ${(err as Error).message}`], 1);
    }
}

export interface Captured {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** What a run keeps of each stream: its end, where Pulumi says how the run ended. */
const KEPT_OUTPUT_CHARS = 4 * 1024 * 1024;

/**
 * Runs pulumi without blocking the event loop: a long-lived process (the controller) keeps
 * answering its health check, renewing its lease and ticking its other stacks while Pulumi works.
 */
export function capturePulumi(
    exe: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Captured> {
    return new Promise((resolve, reject) => {
        const child = spawn(exe, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
        const out = { stdout: "", stderr: "" };
        for (const name of ["stdout", "stderr"] as const)
            child[name].setEncoding("utf8").on("data", (chunk: string) => {
                out[name] = (out[name] + chunk).slice(-KEPT_OUTPUT_CHARS);
            });
        child.on("error", (err) =>
            reject(new CommandError([`pulumi ${args[0]} could not run: ${err.message}`], 1)),
        );
        child.on("close", (status) => resolve({ status, ...out }));
    });
}

export interface EventLogRun<T> {
    /** the command's --json output, parsed */
    value: T;
    /** the engine's events from its event log, in order (none when pulumi stopped before writing it) */
    events: unknown[];
    status: number | null;
    stderr: string;
}

/**
 * Runs a pulumi --json command with `--event-log` in a scratch directory of its own (removed
 * after); every `Pulumi` here runs with EVENT_LOG_ENV.
 */
export function runWithEventLog<T>(
    pulumi: Pulumi,
    args: string[],
    parse: (json: unknown) => T,
): EventLogRun<T> {
    const log = eventLogFile();
    try {
        return { ...pulumi.json([...args, "--event-log", log.file], parse), events: log.events() };
    } finally {
        log.remove();
    }
}

/** `runWithEventLog` without blocking the event loop. */
export async function runWithEventLogAsync<T>(
    pulumi: Pulumi,
    args: string[],
    parse: (json: unknown) => T,
): Promise<EventLogRun<T>> {
    const log = eventLogFile();
    try {
        const run = await pulumi.jsonAsync([...args, "--event-log", log.file], parse);
        return { ...run, events: log.events() };
    } finally {
        log.remove();
    }
}

/** A scratch `--event-log` file: its path, its events once the run ended, and its removal. */
export function eventLogFile(): { file: string; events(): unknown[]; remove(): void } {
    const scratch = mkdtempSync(path.join(tmpdir(), "proxy-lb-events-"));
    const file = path.join(scratch, "events.jsonl");
    return {
        file,
        events: () => parseEventLog(readOrEmpty(file)),
        remove: () => rmSync(scratch, { recursive: true, force: true }),
    };
}

function readOrEmpty(file: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return ""; // pulumi stopped before writing it: the digest and its errors still say what happened
    }
}

/** The commands that take --event-log. */
const EVENT_LOG_COMMANDS: ReadonlySet<string> = new Set(["up", "preview", "refresh", "destroy"]);

/** The missing-scope lines and DigitalOcean's pace refusal for a failed run's output, on stderr. */
function tellScopeHints(output: string): void {
    for (const hint of scopeHints(output)) process.stderr.write(`${hint}\n`);
    const refusal = resizeRefusalHint(output);
    if (refusal !== null) process.stderr.write(`${refusal}\n`);
}

function tail(stderr: string): string[] {
    return stderr
        .trim()
        .split("\n")
        .filter(Boolean)
        .slice(-5)
        .map((l) => `  ${l}`);
}
