// Running the real `pulumi` for the gate, rollback and drift CLIs: the one module in ops/
// that does I/O. The toolchain comes from scripts/toolchain.sh --check (pinned versions);
// its bin directory goes first on PATH so pulumi finds the matching language host and
// DigitalOcean plugin too.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ConfigError } from "../config";
import { jsonFromStdout } from "./pulumiJson";

const ROOT = path.resolve(__dirname, "..");
export const TOOLCHAIN_SCRIPT = path.join(ROOT, "scripts", "toolchain.sh");

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
    json<T>(args: string[], parse: (json: unknown) => T): { value: T; status: number | null; stderr: string };
}

/** What a user reads when the toolchain is missing: what to run, no internal flags. */
export const TOOLCHAIN_MISSING =
    "The Pulumi toolchain is not built yet. Run `npm start` once (it builds it, a few minutes) or `bash scripts/toolchain.sh`.";

/** The pinned toolchain, or a CommandError (exit 3) saying what to run, with the toolchain script's own words below. */
export function pulumiFromToolchain(cwd = process.cwd()): Pulumi {
    const check = spawnSync("bash", [TOOLCHAIN_SCRIPT, "--check"], { encoding: "utf8" });
    const bin = (check.stdout ?? "").trim().split("\n").at(-1) ?? "";
    if (check.status !== 0 || bin === "") {
        const said = (check.stderr || check.error?.message || "").trim().split("\n").filter(Boolean);
        throw new CommandError([TOOLCHAIN_MISSING, ...said.map((line) => `  ${line}`)], 3);
    }
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, PULUMI_SKIP_UPDATE_CHECK: "true" };
    const exe = path.join(bin, "pulumi");
    const label = (args: string[]) => `pulumi ${args.join(" ")}`;

    const capture = (args: string[]) => {
        const run = spawnSync(exe, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        if (run.error) throw new CommandError([`${label(args)} could not run: ${run.error.message}`], 1);
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    return {
        capture,
        interactive(args) {
            const run = spawnSync(exe, args, { cwd, env, stdio: "inherit" });
            if (run.error) throw new CommandError([`${label(args)} could not run: ${run.error.message}`], 1);
            return run.status;
        },
        json(args, parse) {
            const run = capture(args);
            let json: unknown;
            try {
                json = jsonFromStdout(run.stdout);
            } catch (err) {
                throw new CommandError([`${label(args)} failed (exit ${run.status}): ${(err as Error).message}`, ...tail(run.stderr)], 1);
            }
            try {
                return { value: parse(json), status: run.status, stderr: run.stderr };
            } catch (err) {
                throw new CommandError([`${label(args)}: ${(err as Error).message}`], 1);
            }
        },
    };
}

function tail(stderr: string): string[] {
    return stderr.trim().split("\n").filter(Boolean).slice(-5).map((l) => `  ${l}`);
}
