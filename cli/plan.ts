// npm run plan -- --stack <name> [--json] [--base <git-ref> [--markdown] [--hours N]]
// Sizes a stack from its Pulumi.<stack>.yaml alone: no Pulumi CLI, credentials or network.
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { ConfigError, loadSettings } from "../config";
import { parseStackFile, readStackFile, stackFileName } from "../config/stackFile";
import type { Sizing } from "../sizing";
import { nodeChange, nodeChangeLine, nodeChangeMarkdown, sizingJson, sizingTable } from "./report";
import { runCli } from "./run";

const USAGE = "usage: npm run plan -- --stack <name> [--json] [--base <git-ref> [--markdown] [--hours N]]";

runCli(USAGE, () => {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            json: { type: "boolean", default: false },
            base: { type: "string" },
            markdown: { type: "boolean", default: false },
            hours: { type: "string" },
        },
        strict: true,
    });
    if (!values.stack) throw new ConfigError(["--stack is required"]);
    const stack = values.stack;
    const hours = values.hours === undefined ? undefined : parseHours(values.hours);
    if ((values.markdown || hours !== undefined) && values.base === undefined) {
        throw new ConfigError(["--markdown and --hours compare with a base: add --base <git-ref>"]);
    }

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
});

function parseHours(text: string): number {
    const hours = Number(text);
    if (!Number.isFinite(hours) || hours <= 0) throw new ConfigError([`--hours must be a positive number of hours (got ${JSON.stringify(text)})`]);
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
