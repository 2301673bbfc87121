// npm run plan -- --stack <name> [--json] [--base <git-ref> [--markdown | --json] [--hours N]]
// Sizes a stack from its Pulumi.<stack>.yaml alone: no Pulumi CLI, credentials or network.
import { execFileSync } from "node:child_process";
import { ConfigError, loadSettings } from "../config";
import { parseStackFile, readStackFile, stackFileName } from "../config/stackFile";
import type { Sizing } from "../sizing";
import { nodeChange, nodeChangeLine, nodeChangeMarkdown, sizingJson, sizingTable } from "./report";
import { runCli, UsageError } from "./run";

const USAGE = "usage: npm run plan -- --stack <name> [--json] [--base <git-ref> [--markdown | --json] [--hours N]]";

const HELP = `Sizes a stack from its Pulumi.<stack>.yaml alone: no Pulumi CLI, credentials or network.

  --stack <name>     the stack: reads Pulumi.<name>.yaml in the current directory
  --json             print the sizing (with --base: the change) as one JSON object
  --base <git-ref>   compare with the stack file at this commit, branch or tag: the node and
                     cost change a pull request makes
  --markdown         with --base: the change as a pull-request comment (markdown); --json and
                     --markdown are two output formats, give one
  --hours N          with --base: also what an N-hour drop window costs
  -h, --help         this help

exit codes: 0 done; 1 the stack file or its config is wrong (one line per problem on
stderr); 2 bad usage`;

runCli(
    {
        usage: USAGE,
        help: HELP,
        options: {
            json: { type: "boolean", default: false },
            base: { type: "string" },
            markdown: { type: "boolean", default: false },
            hours: { type: "string" },
        },
    },
    (values) => {
        const { stack } = values;
        if (values.json && values.markdown) throw new UsageError("--json and --markdown are two output formats: give one");
        if ((values.markdown || values.hours !== undefined) && values.base === undefined) {
            throw new UsageError("--markdown and --hours compare with a base: add --base <git-ref>");
        }
        const hours = values.hours === undefined ? undefined : parseHours(values.hours);

        const after = loadSettings(readStackFile(stack)).sizing;
        if (values.base === undefined) {
            return values.json ? JSON.stringify(sizingJson(stack, after), null, 2) : sizingTable(stack, after);
        }

        const change = nodeChange(sizingAt(values.base, stack), after, hours);
        if (values.json) {
            return JSON.stringify({
                stack,
                base: values.base,
                before: change.before && sizingJson(stack, change.before),
                after: sizingJson(stack, after),
                nodes: change.nodes,
                cost: { hourly: change.hourly, monthly: change.monthly, ...(change.window ? { window: change.window } : {}) },
            }, null, 2);
        }
        if (values.markdown) return nodeChangeMarkdown(stack, values.base, change);
        return [nodeChangeLine(change), "", sizingTable(stack, after)].join("\n");
    },
);

function parseHours(text: string): number {
    const hours = Number(text);
    if (!Number.isFinite(hours) || hours <= 0) throw new UsageError(`--hours must be a positive number of hours (got ${JSON.stringify(text)})`);
    return hours;
}

/** The sizing the stack file had at a git ref; null when the file did not exist there. */
function sizingAt(ref: string, stack: string): Sizing | null {
    const file = stackFileName(stack);
    try {
        execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { stdio: "ignore" });
    } catch {
        throw new ConfigError([`--base ${ref} is not a git commit, branch or tag here`]);
    }
    let text: string;
    try {
        text = execFileSync("git", ["show", `${ref}:./${file}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
        return null; // a stack file new in this change
    }
    try {
        return loadSettings(parseStackFile(text, `${file} at ${ref}`)).sizing;
    } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => `at --base ${ref}: ${p}`));
        throw err;
    }
}
