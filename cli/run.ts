// Shared CLI shell: prints the result, or the error's lines on stderr without a stack
// trace, and sets the exit code (1 for bad input, or the error's own exitCode; 2 for bad usage).
import { ConfigError } from "../config";

export function runCli(usage: string, main: () => string | Promise<string>): void {
    Promise.resolve()
        .then(main)
        .then((out) => {
            process.stdout.write(`${out}\n`);
        })
        .catch((err: unknown) => {
            if (err instanceof ConfigError) {
                process.stderr.write(`${err.problems.join("\n")}\n`);
                process.exitCode = (err as ConfigError & { exitCode?: number }).exitCode ?? 1;
            } else if (isUsageError(err)) {
                process.stderr.write(`${(err as Error).message}\n${usage}\n`);
                process.exitCode = 2;
            } else {
                throw err;
            }
        });
}

// node:util parseArgs reports unknown or malformed flags with these codes.
function isUsageError(err: unknown): boolean {
    const code = (err as { code?: string } | null)?.code;
    return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
