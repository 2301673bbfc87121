// Turns raw stack config (from pulumi.Config or a Pulumi.<stack>.yaml file) into validated,
// sized settings, or one error whose lines each name the offending key. Pure.
import { distance as levenshtein } from "fastest-levenshtein";
import { z } from "zod";
import { Sizing } from "../sizing";
import type { AutopilotSettings } from "../sizing/autopilot";
import { parseInstant } from "../sizing/calendar";
import { calendarSettings, CalendarSettings, Schedule } from "./schedule";
import { JSON_TEXT_KEYS, NAMESPACE, StackConfig, stackConfigSchema } from "./schema";

export * from "./schema";
export * from "./schedule";

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
        this.name = "ConfigError";
    }
}

export interface Settings {
    config: StackConfig;
    /** the size for `now`: the baseline's, or the active drops' */
    sizing: Sizing;
    /** which drops are active at `now`, since and until when, and the next change */
    schedule: Schedule;
    calendar: CalendarSettings["calendar"];
    /** the autopilot's settings, maxNodes resolved (it defaults to capacity.maxNodes) */
    autopilot: AutopilotSettings;
    /** worth saying, not stopping for (a drop already over), each naming the key */
    warnings: string[];
}

export interface LoadOptions {
    /** epoch ms or a Date: the time to size for; defaults to the clock */
    now?: number | Date;
}

/**
 * Validates the `proxy-lb:` keys of a stack's config and sizes the load balancer.
 * `entries` maps namespaced keys ("proxy-lb:demand") to values: objects as Pulumi hands
 * them to programs (JSON text) or as a stack file holds them (parsed YAML). Other
 * namespaces (digitalocean:…) are ignored.
 */
export function loadSettings(
    entries: Record<string, unknown>,
    options: LoadOptions = {},
): Settings {
    const config = parseStackConfig(entries);
    const now = options.now === undefined ? Date.now() : Number(options.now);
    const settings = calendarSettings(config, now);
    if ("problems" in settings) throw new ConfigError(settings.problems);
    return {
        config,
        sizing: settings.sizing,
        schedule: settings.schedule,
        calendar: settings.calendar,
        autopilot: autopilotSettings(config),
        warnings: settings.warnings,
    };
}

/** The autopilot's settings from a validated config: maxNodes defaults to capacity.maxNodes. */
export function autopilotSettings(config: StackConfig): AutopilotSettings {
    const { enabled, scaleDownAfterMinutes, maxNodes } = config.autopilot;
    return { enabled, scaleDownAfterMinutes, maxNodes: maxNodes ?? config.capacity.maxNodes };
}

/**
 * The time to size for: PROXY_LB_NOW (ISO-8601 with an offset or Z) when set, for previews
 * "as of" a time and for tests; otherwise the clock.
 */
export function nowFromEnvironment(
    env: Record<string, string | undefined> = process.env,
    clock: () => number = Date.now,
): number {
    const text = env.PROXY_LB_NOW;
    if (text === undefined || text === "") return clock();
    const at = parseInstant(text.trim());
    if (at === undefined) {
        throw new ConfigError([
            `PROXY_LB_NOW must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z (got ${JSON.stringify(text)})`,
        ]);
    }
    return at;
}

export function parseStackConfig(entries: Record<string, unknown>): StackConfig {
    const ours: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entries)) {
        if (!key.startsWith(`${NAMESPACE}:`)) continue;
        const name = key.slice(NAMESPACE.length + 1);
        ours[name] = JSON_TEXT_KEYS.includes(name) ? parseJsonText(value) : value;
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
            const hint = guess
                ? `; did you mean ${keyPath([...issue.path, guess])}?`
                : `; known keys: ${known.join(", ")}`;
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
    while (
        current instanceof z.ZodOptional ||
        current instanceof z.ZodDefault ||
        current instanceof z.ZodPrefault ||
        current instanceof z.ZodPipe
    ) {
        // A pipe from a transform (the number keys' decimal-text conversion) is its output's shape.
        if (current instanceof z.ZodPipe)
            current = (
                current.in instanceof z.ZodTransform ? current.out : current.in
            ) as z.ZodType;
        else current = current.unwrap() as z.ZodType;
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

/** A typo suggestion: the known key within two edits (case-insensitive), if any. */
export function closest(word: string, candidates: string[]): string | undefined {
    let best: { key: string; distance: number } | undefined;
    for (const key of candidates) {
        const distance = levenshtein(word.toLowerCase(), key.toLowerCase());
        if (distance <= 2 && (!best || distance < best.distance)) best = { key, distance };
    }
    return best?.key;
}
