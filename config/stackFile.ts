// Reads a stack's settings straight from Pulumi.<stack>.yaml, as the CLIs do: no Pulumi
// CLI, no credentials, no network (so it works on pull requests from forks).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "./index";

export function stackFileName(stack: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new ConfigError([`--stack must be a stack name such as drop or dev (got ${JSON.stringify(stack)})`]);
    }
    return `Pulumi.${stack}.yaml`;
}

/** The `config:` map of a stack file's text; `file` only names it in errors. */
export function parseStackFile(text: string, file: string): Record<string, unknown> {
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
        throw new ConfigError(doc.errors.map((e) => `${file} is not valid YAML: ${e.message.split("\n")[0]}`));
    }
    const root: unknown = doc.toJS() ?? {};
    if (!isRecord(root)) throw new ConfigError([`${file} must be a YAML mapping with a config: key`]);
    const config = root.config ?? {};
    if (!isRecord(config)) throw new ConfigError([`${file}: config must be a mapping of keys to values`]);
    return config;
}

export function readStackFile(stack: string, dir = process.cwd()): Record<string, unknown> {
    const file = stackFileName(stack);
    let text: string;
    try {
        text = readFileSync(path.join(dir, file), "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new ConfigError([
            code === "ENOENT" ? `${file} not found in ${dir}: is --stack ${stack} right?` : `${file} cannot be read: ${String(err)}`,
        ]);
    }
    return parseStackFile(text, file);
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
