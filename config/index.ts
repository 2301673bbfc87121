// Turns raw stack config (from pulumi.Config or a Pulumi.<stack>.yaml file) into validated,
// sized settings, or one error whose lines each name the offending key. Pure.
import { distance as levenshtein } from "fastest-levenshtein";
import { z } from "zod";
import { size, Sizing, SizingError } from "../sizing";
import { NAMESPACE, OBJECT_KEYS, StackConfig, stackConfigSchema } from "./schema";

export * from "./schema";

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
        this.name = "ConfigError";
    }
}

export interface Settings {
    config: StackConfig;
    sizing: Sizing;
}

/**
 * Validates the `proxy-lb:` keys of a stack's config and sizes the load balancer.
 * `entries` maps namespaced keys ("proxy-lb:demand") to values: objects as Pulumi hands
 * them to programs (JSON text) or as a stack file holds them (parsed YAML). Other
 * namespaces (digitalocean:…) are ignored.
 */
export function loadSettings(entries: Record<string, unknown>): Settings {
    const config = parseStackConfig(entries);
    try {
        return { config, sizing: size(config) };
    } catch (err) {
        if (err instanceof SizingError) throw new ConfigError([err.message]);
        throw err;
    }
}

export function parseStackConfig(entries: Record<string, unknown>): StackConfig {
    const ours: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entries)) {
        if (!key.startsWith(`${NAMESPACE}:`)) continue;
        const name = key.slice(NAMESPACE.length + 1);
        ours[name] = (OBJECT_KEYS as readonly string[]).includes(name) ? parseJsonText(value) : value;
    }
    const result = stackConfigSchema.safeParse(ours, { reportInput: true });
    if (result.success) return result.data;
    throw new ConfigError(result.error.issues.flatMap(describeIssue));
}

// Pulumi passes object config to programs as JSON text; a stack file gives objects.
function parseJsonText(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value; // left as a string, the schema reports "must be an object"
    }
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    const key = keyPath(issue.path);
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((unknown) => {
            const known = knownKeys(issue.path);
            const guess = closest(unknown, known);
            const full = keyPath([...issue.path, unknown]);
            const hint = guess ? `; did you mean ${keyPath([...issue.path, guess])}?` : `; known keys: ${known.join(", ")}`;
            return `${full} is not a known key${hint}`;
        });
    }
    if (issue.input === undefined && issue.code === "invalid_type") {
        const description = describeKey(issue.path);
        return [`${key} is required${description ? `: ${description}` : ""}`];
    }
    return [`${key} ${issue.message}${shownValue(issue)}`];
}

function keyPath(path: readonly PropertyKey[]): string {
    let out = NAMESPACE;
    path.forEach((part, index) => {
        if (typeof part === "number") out += `[${part}]`;
        else out += index === 0 ? `:${String(part)}` : `.${String(part)}`;
    });
    return out;
}

function shownValue(issue: z.core.$ZodIssue): string {
    if (issue.code === "custom" || issue.input === undefined) return "";
    const text = JSON.stringify(issue.input);
    if (text === undefined) return "";
    return ` (got ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

/** The zod schema found at a key path, unwrapping optional/default/pipe wrappers. */
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
    let current: z.ZodType | undefined = stackConfigSchema;
    for (const part of path) {
        current = unwrap(current);
        if (current instanceof z.ZodObject) current = current.shape[String(part)];
        else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
        else return undefined;
    }
    return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
    let current = schema;
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPipe) {
        current = current instanceof z.ZodPipe ? (current.in as z.ZodType) : (current.unwrap() as z.ZodType);
    }
    return current;
}

function knownKeys(path: readonly PropertyKey[]): string[] {
    const schema = unwrap(schemaAt(path));
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function describeKey(path: readonly PropertyKey[]): string | undefined {
    return schemaAt(path)?.description;
}

// A typo suggestion: the known key within two edits (case-insensitive), if any.
function closest(word: string, candidates: string[]): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const key of candidates) {
        const distance = levenshtein(word.toLowerCase(), key.toLowerCase());
        if (distance <= 2 && (!best || distance < best.distance)) best = { key, distance };
    }
    return best?.key;
}
