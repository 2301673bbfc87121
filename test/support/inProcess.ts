// Runs a command of cli/ inside the test's process, as `npm run <command>` would run it in its
// own: the same arguments, environment and working directory, its stdout, stderr and exit
// code collected. A Node.js process per call costs a second of start-up (tsx, zod, yaml);
// the tests of a command's logic run it here, and test/cli.test.ts keeps one real process per
// command for what only a process shows (its exit, --help, usage errors).
import type { Command } from "../../cli/run";

export interface CommandRun {
    status: number;
    stdout: string;
    stderr: string;
    /** both, in the order they were written (what `2>&1` shows) */
    output: string;
}

let running = false;

export async function runInProcess(
    run: Command,
    args: string[],
    { cwd, env = process.env }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandRun> {
    // One at a time: the environment, directory and output streams are the process's own.
    if (running) throw new Error("runInProcess: a command is already running in this process");
    running = true;
    const saved = {
        env: process.env,
        cwd: process.cwd(),
        exitCode: process.exitCode,
        stdout: process.stdout.write.bind(process.stdout),
        stderr: process.stderr.write.bind(process.stderr),
        tty: [process.stdin.isTTY, process.stdout.isTTY, process.stderr.isTTY],
    };
    const out = { stdout: "", stderr: "", output: "" };
    const capture =
        (stream: "stdout" | "stderr") =>
        (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
            const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
            out[stream] += text;
            out.output += text;
            const done = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
            done?.();
            return true;
        };
    process.env = { ...env };
    if (cwd) process.chdir(cwd);
    process.exitCode = undefined;
    process.stdout.write = capture("stdout") as typeof process.stdout.write;
    process.stderr.write = capture("stderr") as typeof process.stderr.write;
    // Pipes, as a spawned process has them: no terminal to prompt on or to colour for.
    process.stdin.isTTY = process.stdout.isTTY = process.stderr.isTTY = false;
    let status: number;
    try {
        await run(args);
        status = Number(process.exitCode ?? 0);
    } catch (err) {
        // What Node does with the rejection a real process leaves unhandled: the trace, exit 1.
        const trace = `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
        out.stderr += trace;
        out.output += trace;
        status = 1;
    } finally {
        process.stdout.write = saved.stdout;
        process.stderr.write = saved.stderr;
        [process.stdin.isTTY, process.stdout.isTTY, process.stderr.isTTY] = saved.tty;
        process.exitCode = saved.exitCode;
        process.env = saved.env;
        process.chdir(saved.cwd);
        running = false;
    }
    return { status, ...out };
}
