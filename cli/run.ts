// Shared CLI shell: one way to read flags (node:util parseArgs) for every command in cli/, with
// `--help` (usage and details on stdout, exit 0) and a required `--stack`; then it prints the
// result, or the error's lines on stderr without a stack trace, and sets the exit code:
//   0 done, 1 bad input or a failed step (or the error's own exitCode, e.g. 3 for a missing
//   toolchain), 2 bad usage (the usage line follows on stderr).
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError } from "../config";
import { stackFileName } from "../config/stackFile";
import { errorText, plainText, userFailure } from "../infra/userFailure";

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON = {
    stack: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** The flags as parsed, with --stack present and a valid stack name. */
export type CliValues<O extends Options> = Omit<
    ReturnType<
        typeof parseArgs<{ options: O & typeof COMMON; strict: true; args: string[] }>
    >["values"],
    "stack" | "help"
> & {
    stack: string;
    /** every --stack given, in order: one, unless the spec takes `manyStacks` */
    stacks: string[];
};

export interface CliSpec<O extends Options> {
    /** The one-line usage, e.g. "usage: npm run plan -- --stack <name> [--json]". */
    usage: string;
    /** What --help adds below the usage: what the command does, each flag, the exit codes. */
    help: string;
    /** The command's own flags (--stack and --help are added). */
    options: O;
    /** --stack may be given more than once (each a different stack). */
    manyStacks?: boolean;
}

/** Output with an exit code of its own (drift found, for instance), not an error. */
export interface CliResult {
    output: string;
    exitCode: number;
}

/** Bad usage: exit 2, the message and the usage line on stderr. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

type Main<V> = (values: V) => string | CliResult | Promise<string | CliResult>;

/** A command's run on an argv: the process's own arguments by default. */
export type Command = (argv?: string[]) => Promise<void>;

/**
 * The command, run by `if (require.main === module) void run()` as a script, and called
 * in-process by tests, which is where the promise matters: it settles once the output is
 * written and the exit code set.
 */
export function command<O extends Options>(spec: CliSpec<O>, main: Main<CliValues<O>>): Command {
    return (argv = process.argv.slice(2)) => runCli(spec, main, argv);
}

function runCli<O extends Options>(
    spec: CliSpec<O>,
    main: Main<CliValues<O>>,
    argv: string[],
): Promise<void> {
    const { usage, help } = spec;
    if (wantsHelp(argv)) {
        process.stdout.write(`${usage}\n${help ? `\n${help.trimEnd()}\n` : ""}`);
        return Promise.resolve();
    }
    // Rejects only on a bug: nobody awaits it in a real process, so Node prints the trace, exit 1.
    return Promise.resolve()
        .then(() => main(parse(spec, argv)))
        .then((result) => {
            const { output, exitCode } =
                typeof result === "string" ? { output: result, exitCode: 0 } : result;
            process.stdout.write(`${output}\n`);
            process.exitCode = exitCode;
        })
        .catch((err: unknown) => {
            if (err instanceof UsageError || isParseArgsError(err)) {
                process.stderr.write(`${(err as Error).message}\n${usage}\n`);
                process.exitCode = 2;
                return;
            }
            // No token, a refused one, the API down, no such stack or backend: one line saying
            // what to do, wherever it was raised.
            // A refusal that names its own way through (--allow) is a verdict, kept whole.
            const text = errorText(err);
            const failure = /--allow\b/.test(text) ? undefined : userFailure(text);
            if (err instanceof ConfigError) {
                process.stderr.write(`${failure ?? plainText(err.problems.join("\n"))}\n`);
                process.exitCode = (err as ConfigError & { exitCode?: number }).exitCode ?? 1;
            } else if (failure !== undefined) {
                process.stderr.write(`${failure}\n`);
                process.exitCode = 1;
            } else {
                throw err; // a bug: its trace is what finds it
            }
        });
}

function parse<O extends Options>(spec: CliSpec<O>, args: string[]): CliValues<O> {
    const stackOption = spec.manyStacks
        ? { stack: { type: "string", multiple: true } as const }
        : {};
    const { values } = parseArgs({
        args,
        options: { ...spec.options, ...COMMON, ...stackOption },
        strict: true,
    });
    const given = (values as { stack?: unknown }).stack;
    const stacks: unknown[] = Array.isArray(given) ? given : [given];
    if (stacks.length === 0) requireStack(undefined);
    for (const stack of stacks) requireStack(stack);
    const twice = stacks.find((stack, i) => stacks.indexOf(stack) !== i);
    if (twice !== undefined) throw new UsageError(`--stack ${String(twice)} is given twice`);
    return { ...values, stack: stacks[0], stacks } as unknown as CliValues<O>;
}

function requireStack(stack: unknown): asserts stack is string {
    if (typeof stack !== "string" || stack === "") throw new UsageError("--stack is required");
    try {
        stackFileName(stack);
    } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.problems.join("\n"));
        throw err;
    }
}

// --help anywhere before a `--` wins over every other flag, even a bad one.
function wantsHelp(args: string[]): boolean {
    const end = args.indexOf("--");
    return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

// node:util parseArgs reports unknown or malformed flags with these codes.
function isParseArgsError(err: unknown): boolean {
    const code = (err as { code?: string } | null)?.code;
    return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
