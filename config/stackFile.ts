// Reads a stack's settings straight from Pulumi.<stack>.yaml, as the CLIs do: no Pulumi
// CLI, no credentials, no network (so it works on pull requests from forks).
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { closest, ConfigError, NAMESPACE, stackConfigSchema } from "./index";
import { plainTextHeartbeatProblem } from "./heartbeat";
import { plainTextWebhookProblem } from "./notify";

export function stackFileName(stack: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new ConfigError([
            `--stack must be a stack name such as drop or dev (got ${JSON.stringify(stack)})`,
        ]);
    }
    return `Pulumi.${stack}.yaml`;
}

/** The top-level keys of a Pulumi.<stack>.yaml (Pulumi's workspace.ProjectStack). */
const STACK_FILE_KEYS = [
    "config",
    "environment",
    "secretsprovider",
    "encryptedkey",
    "encryptionsalt",
];

/** The `config:` map of a stack file's text; `file` only names it in errors. */
export function parseStackFile(text: string, file: string): Record<string, unknown> {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { prettyErrors: false, lineCounter });
    if (doc.errors.length > 0)
        throw new ConfigError(yamlProblems(text, file, doc.errors, lineCounter));
    if (doc.contents === null) {
        const what = text.trim() === "" ? "is empty" : "has only comments";
        throw new ConfigError([
            `${file} ${what}: expected a \`config:\` block with ${NAMESPACE}: keys`,
        ]);
    }
    const root: unknown = doc.toJS();
    if (!isRecord(root)) {
        throw new ConfigError([
            `${file} must be a YAML mapping with a \`config:\` block of ${NAMESPACE}: keys (got ${Array.isArray(root) ? "a list" : JSON.stringify(root)})`,
        ]);
    }
    const problems = Object.keys(root)
        .filter((key) => !STACK_FILE_KEYS.includes(key))
        .map((key) => topLevelProblem(key, file));
    if (problems.length > 0) throw new ConfigError(problems);
    if (!("config" in root))
        throw new ConfigError([
            `${file} has no \`config:\` block: expected one with ${NAMESPACE}: keys`,
        ]);
    const config = root.config;
    if (config === null)
        throw new ConfigError([
            `${file}: \`config:\` is empty: expected ${NAMESPACE}: keys under it, such as ${NAMESPACE}:region`,
        ]);
    if (!isRecord(config))
        throw new ConfigError([`${file}: config must be a mapping of keys to values`]);
    const keyProblems = Object.keys(config).flatMap((key) => namespaceProblem(key, file));
    if (keyProblems.length > 0) throw new ConfigError(keyProblems);
    const plainSecret = plainTextWebhookProblem(config[`${NAMESPACE}:notify`], file);
    if (plainSecret !== undefined) throw new ConfigError([plainSecret]);
    const plainHeartbeat = plainTextHeartbeatProblem(config[`${NAMESPACE}:autopilot`], file);
    if (plainHeartbeat !== undefined) throw new ConfigError([plainHeartbeat]);
    return config;
}

function topLevelProblem(key: string, file: string): string {
    if (key.includes(":"))
        return `${file}: \`${key}\` is at the top level; config keys go under \`config:\` (indented)`;
    const guess = closest(key, STACK_FILE_KEYS);
    return guess
        ? `${file}: \`${key}\` is not a Pulumi stack-file key; did you mean \`${guess}\`?`
        : `${file}: \`${key}\` is not a Pulumi stack-file key (those are ${STACK_FILE_KEYS.join(", ")})`;
}

// Pulumi writes every config key as <namespace>:<name>: a bare or misspelt namespace means
// the program never sees the value.
function namespaceProblem(key: string, file: string): string[] {
    const colon = key.indexOf(":");
    const ours = Object.keys(stackConfigSchema.shape);
    if (colon < 0) {
        const guess = closest(key, ours);
        return [
            guess
                ? `${file}: \`${key}\` has no namespace; did you mean \`${NAMESPACE}:${guess}\`?`
                : `${file}: \`${key}\` has no namespace: config keys are written <namespace>:<name>, such as ${NAMESPACE}:region`,
        ];
    }
    const namespace = key.slice(0, colon);
    if (namespace === NAMESPACE || closest(namespace, [NAMESPACE]) === undefined) return [];
    const name = key.slice(colon + 1);
    return [
        `${file}: \`${key}\` is not in the ${NAMESPACE}: namespace; did you mean \`${NAMESPACE}:${name}\`?`,
    ];
}

/** One problem per YAML error line: where (line, column), what, and the line itself with a caret. */
function yamlProblems(
    text: string,
    file: string,
    errors: readonly YAMLError[],
    lineCounter: LineCounter,
): string[] {
    const lines = text.split(/\r?\n/);
    const problems: string[] = [];
    const reported = new Set<number>();
    for (const error of errors) {
        let { line, col } = lineCounter.linePos(error.pos[0]);
        // An error found at the end of the file (an unclosed bracket or quote) belongs to the
        // last line with content: point just after it.
        let last = line - 1;
        while (last > 0 && (lines[last] ?? "").trim() === "") last--;
        if (last < line - 1) [line, col] = [last + 1, lines[last].trimEnd().length + 1];
        if (reported.has(line)) continue; // one error usually cascades into more on the same line
        reported.add(line);
        problems.push(
            `${file} is not valid YAML at line ${line}, column ${col}: ${error.message}`,
            ...excerpt(lines[line - 1] ?? "", line, col),
        );
        if (reported.size === 3) break;
    }
    return problems;
}

function excerpt(text: string, line: number, col: number): string[] {
    const shown = text.replace(/\t/g, "→"); // a tab is one column: keep the caret under it
    const start = Math.max(0, Math.min(col - 60, shown.length - 100));
    const clipped = `${start > 0 ? "…" : ""}${shown.slice(start, start + 100)}${start + 100 < shown.length ? "…" : ""}`;
    const gutter = String(line);
    return [
        `  ${gutter} | ${clipped}`,
        `  ${" ".repeat(gutter.length)} | ${" ".repeat(col - 1 - start + (start > 0 ? 1 : 0))}^`,
    ];
}

export function readStackFile(stack: string, dir = process.cwd()): Record<string, unknown> {
    const file = stackFileName(stack);
    let text: string;
    try {
        text = readFileSync(path.join(dir, file), "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigError([
            code === "ENOENT"
                ? stackFileMissing(stack, dir)
                : `${file} cannot be read: ${String(err)}`,
        ]);
    }
    return parseStackFile(text, file);
}

/** A --stack with no Pulumi.<stack>.yaml: the name given, and the stacks that are there. */
export function stackFileMissing(stack: string, dir = process.cwd()): string {
    let stacks: string[] = [];
    try {
        stacks = readdirSync(dir)
            .map((name) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(name)?.[1])
            .filter((name): name is string => name !== undefined)
            .sort();
    } catch {
        // an unreadable directory: the name alone
    }
    const here = stacks.length
        ? `the stacks here: ${stacks.join(", ")}`
        : "there is no Pulumi.<stack>.yaml here";
    return `${stackFileName(stack)} not found in ${dir}: is --stack ${stack} right? (${here})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
