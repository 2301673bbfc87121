// Rollback: pick the update to return to from `pulumi stack history --json`, and write its
// proxy-lb:* config back into Pulumi.<stack>.yaml so the repository matches what runs.
// Pulumi has no rollback command (pulumi/pulumi#96): going back means re-running the
// program with an earlier config, which every history entry records. Pure.
import { isDeepStrictEqual } from "node:util";
import {
    isMap,
    isScalar,
    isSeq,
    type Document,
    type Node,
    parseDocument,
    type YAMLMap,
} from "yaml";
import { ConfigError, JSON_TEXT_KEYS, loadSettings, NAMESPACE, type Settings } from "../config";
import { plural } from "../sizing/format";
import type { LoadBalancerChange } from "./gate";
import { type UpdateInfo, UNDECRYPTABLE } from "./pulumiJson";

/** A history entry with the version it is known by and, for updates, what its config sizes to. */
export interface HistoryPoint {
    entry: UpdateInfo;
    /** The entry's version; numbered oldest = 1 when the backend records none (DIY backends). */
    version: number;
}

/**
 * History oldest first, each with a usable version. The Pulumi Cloud backend numbers updates;
 * the DIY backend prints `version: 0` for all, newest first (pkg/backend/diy/state.go
 * getHistory), so then entries are numbered by position: the oldest is 1.
 */
export function timeline(history: UpdateInfo[]): { points: HistoryPoint[]; numbered: boolean } {
    const versions = history.map((h) => h.version);
    const recorded =
        versions.every((v) => Number.isSafeInteger(v) && v > 0) &&
        new Set(versions).size === versions.length;
    if (recorded) {
        const points = history
            .map((entry) => ({ entry, version: entry.version }))
            .sort((a, b) => a.version - b.version);
        return { points, numbered: false };
    }
    const points = [...history].reverse().map((entry, index) => ({ entry, version: index + 1 }));
    return { points, numbered: true };
}

export type ConfigRead =
    | { ok: true; settings: Settings; restored: Record<string, unknown> }
    | { ok: false; problem: string };

/** The proxy-lb:* config an update ran with, validated and sized as the program would. */
export function configOf(entry: UpdateInfo): ConfigRead {
    const restored: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [key, value] of Object.entries(entry.config ?? {}).sort(([a], [b]) =>
        a.localeCompare(b),
    )) {
        if (!key.startsWith(`${NAMESPACE}:`)) continue;
        if (value.secret && (value.value === undefined || value.value === UNDECRYPTABLE)) {
            problems.push(`${key} is a secret, which the history does not show`);
            continue;
        }
        if (value.value === UNDECRYPTABLE) {
            problems.push(`${key} could not be decrypted`);
            continue;
        }
        restored[key] = valueOf(key, value.value, value.objectValue);
    }
    if (problems.length > 0) return { ok: false, problem: problems.join("; ") };
    try {
        return { ok: true, settings: loadSettings(restored), restored };
    } catch (err) {
        if (err instanceof ConfigError) return { ok: false, problem: err.problems.join("; ") };
        throw err;
    }
}

// Objects come as JSON text plus the parsed objectValue; restore the object (a YAML mapping
// in the stack file). Numbers come as text too ("30", a project default included): the keys
// whose values are JSON (JSON_TEXT_KEYS) are parsed back, so a number is written as a number
// and a default is recognised as one. Other values are the text Pulumi stores.
function valueOf(key: string, text: string | undefined, objectValue: unknown): unknown {
    if (objectValue !== undefined) return objectValue;
    const name = key.slice(NAMESPACE.length + 1);
    if (text !== undefined && JSON_TEXT_KEYS.includes(name)) {
        try {
            const parsed: unknown = JSON.parse(text);
            if (parsed !== null) return parsed;
        } catch {
            // left as text: loadSettings reports it naming the key
        }
    }
    return text ?? "";
}

export type RollbackPick =
    | {
          ok: true;
          target: UpdateInfo;
          from: UpdateInfo;
          /** The target's proxy-lb:* config values (objects parsed). */
          restored: Record<string, unknown>;
          /** Versions as numbered by `timeline` (the DIY backend records none). */
          versions: { target: number; from: number; numbered: boolean };
          sizing: { from: Settings["sizing"]; target: Settings["sizing"] };
      }
    | { ok: false; reason: string };

const isUpdate = (p: HistoryPoint) => p.entry.kind === "update";
const succeeded = (p: HistoryPoint) => isUpdate(p) && p.entry.result === "succeeded";

/**
 * The update to roll back to. Default: the last successful update before the most recent
 * scale-up (a successful update sizing to more nodes than the successful update before it).
 * With `to`: that version, which must be a successful update with readable config.
 */
export function pickRollbackTarget(
    history: UpdateInfo[],
    opts: { to?: number } = {},
): RollbackPick {
    const { points, numbered } = timeline(history);
    if (points.length === 0)
        return fail(
            "the stack has no history: nothing has been deployed to it yet (is --stack right?)",
        );
    const running = points.filter(
        (p) => p.entry.result === "in-progress" || p.entry.result === "not-started",
    );
    if (running.length > 0)
        return fail(
            `version ${running[0].version} is still ${running[0].entry.result}; roll back once it has finished`,
        );

    const updates = points.filter(succeeded);
    if (updates.length === 0)
        return fail(
            `no successful update in the history (${plural(points.length, "entry", "entries")}: ${summary(points)})`,
        );
    const from = updates[updates.length - 1];
    const fromConfig = configOf(from.entry);
    if (!fromConfig.ok)
        return fail(
            `the config of the update that runs now (version ${from.version}) cannot be read: ${fromConfig.problem}`,
        );

    const pick = (target: HistoryPoint, config: ConfigRead & { ok: true }): RollbackPick => ({
        ok: true,
        target: target.entry,
        from: from.entry,
        restored: config.restored,
        versions: { target: target.version, from: from.version, numbered },
        sizing: { from: fromConfig.settings.sizing, target: config.settings.sizing },
    });

    if (opts.to !== undefined) {
        const target = points.find((p) => p.version === opts.to);
        const known = `versions in the history: ${points[0].version}–${points[points.length - 1].version}${numbered ? " (numbered oldest = 1: this backend records no version numbers)" : ""}`;
        if (!target) return fail(`version ${opts.to} is not in the stack's history (${known})`);
        if (!isUpdate(target))
            return fail(
                `version ${opts.to} is a ${target.entry.kind}, not an update: only an update's config can be restored`,
            );
        if (!succeeded(target))
            return fail(
                `version ${opts.to} ${target.entry.result ?? "did not finish"}: only a successful update can be restored`,
            );
        if (target === from)
            return fail(`version ${opts.to} is the latest successful update: it is what runs now`);
        const config = configOf(target.entry);
        if (!config.ok)
            return fail(`version ${opts.to}'s config cannot be restored: ${config.problem}`);
        return pick(target, config);
    }

    if (updates.length === 1) {
        return fail(
            `only one successful update (version ${from.version}): there is no earlier point to return to`,
        );
    }
    // Walk back from the newest: the first update that sized above its predecessor is the
    // most recent scale-up; its predecessor is the point to return to.
    for (let i = updates.length - 1; i >= 1; i--) {
        const [prev, cur] = [updates[i - 1], updates[i]];
        const curConfig = i === updates.length - 1 ? fromConfig : configOf(cur.entry);
        const prevConfig = configOf(prev.entry);
        const unreadable = (point: HistoryPoint, problem: string) =>
            fail(
                `cannot tell whether version ${cur.version} scaled up: version ${point.version}'s config cannot be read (${problem}); pick a version with --to`,
            );
        if (!curConfig.ok) return unreadable(cur, curConfig.problem);
        if (!prevConfig.ok) return unreadable(prev, prevConfig.problem);
        if (curConfig.settings.sizing.sizeUnit > prevConfig.settings.sizing.sizeUnit) {
            const [now, before] = [
                fromConfig.settings.sizing.sizeUnit,
                prevConfig.settings.sizing.sizeUnit,
            ];
            if (now <= before) {
                return fail(
                    `nothing to roll back: the update that runs now (version ${from.version}) has size_unit ${now}, no more than ${before} before the last scale-up (version ${cur.version})`,
                );
            }
            return pick(prev, prevConfig);
        }
    }
    return fail(
        `no scale-up in the history: no successful update sized above the one before it (${sizes(updates)}); pick a version with --to`,
    );
}

function fail(reason: string): { ok: false; reason: string } {
    return { ok: false, reason };
}

function summary(points: HistoryPoint[]): string {
    return points
        .map((p) => `version ${p.version} ${p.entry.kind} ${p.entry.result ?? "?"}`)
        .join(", ");
}

function sizes(points: HistoryPoint[]): string {
    return points
        .map((p) => {
            const config = configOf(p.entry);
            return `version ${p.version}: ${config.ok ? `size_unit ${config.settings.sizing.sizeUnit}` : "config unreadable"}`;
        })
        .join(", ");
}

// ---------------------------------------------------------------------------
// Writing the restored values back into the stack file

/**
 * Rewrites the proxy-lb:* keys of a Pulumi.<stack>.yaml text to `restored`: changed values
 * are edited in place (so comments on unchanged lines, nested ones included, stay), keys the
 * target did not have are removed, new ones are appended. Every other key — other namespaces,
 * secrets, encryptionsalt — and every comment outside a removed key are kept.
 *
 * `defaults`: the project's config defaults (Pulumi.yaml), which Pulumi merges into the config
 * every update records; a key the file lacks whose restored value is just its default stays out.
 */
export function restoreStackFile(
    yamlText: string,
    restored: Record<string, unknown>,
    opts: { defaults?: Record<string, unknown>; file?: string } = {},
): string {
    const file = opts.file ?? "the stack file";
    const doc = parseDocument(yamlText);
    if (doc.errors.length > 0) {
        throw new ConfigError(
            doc.errors.map((e) => `${file} is not valid YAML: ${e.message.split("\n")[0]}`),
        );
    }
    for (const key of Object.keys(restored)) {
        if (!key.startsWith(`${NAMESPACE}:`))
            throw new ConfigError([`${key} is not a ${NAMESPACE}: key; only those are restored`]);
    }
    if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
    const root: unknown = doc.contents;
    if (!isMap(root)) throw new ConfigError([`${file} must be a YAML mapping with a config: key`]);
    let config: unknown = root.get("config", true);
    if (config === undefined || config === null || (isScalar(config) && config.value === null)) {
        config = doc.createNode({});
        root.set("config", config);
    }
    if (!isMap(config))
        throw new ConfigError([`${file}: config must be a mapping of keys to values`]);
    const configMap: YAMLMap = config;

    for (const pair of [...configMap.items]) {
        const key = keyOf(pair.key);
        if (typeof key === "string" && key.startsWith(`${NAMESPACE}:`) && !(key in restored))
            configMap.delete(pair.key);
    }
    for (const [key, value] of Object.entries(restored)) {
        const node = configMap.get(key, true) as Node | undefined;
        if (node === undefined) {
            if (
                opts.defaults &&
                key in opts.defaults &&
                isDeepStrictEqual(opts.defaults[key], value)
            )
                continue;
            configMap.set(doc.createNode(key), doc.createNode(value));
        } else {
            configMap.set(key, assign(doc, node, value));
        }
    }
    return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** `value` written into an existing node, reusing nodes (and their comments) where they fit. */
function assign(doc: Document, node: Node, value: unknown): Node {
    if (isScalar(node) && (value === null || typeof value !== "object")) {
        if (node.value !== value) node.value = value;
        return node;
    }
    if (isMap(node) && isPlainObject(value)) {
        for (const pair of [...node.items]) {
            const key = keyOf(pair.key);
            if (typeof key !== "string" || !(key in value)) node.delete(pair.key);
        }
        for (const [key, v] of Object.entries(value)) {
            const child = node.get(key, true) as Node | undefined;
            if (child === undefined) node.set(doc.createNode(key), doc.createNode(v));
            else if (!isDeepStrictEqual(child.toJSON(), v)) node.set(key, assign(doc, child, v));
        }
        return node;
    }
    if (isSeq(node) && Array.isArray(value)) {
        node.items.splice(value.length);
        value.forEach((v, i) => {
            const child = node.items[i] as Node | undefined;
            node.items[i] = child === undefined ? doc.createNode(v) : assign(doc, child, v);
        });
        return node;
    }
    const fresh = doc.createNode(value) as Node;
    fresh.commentBefore = node.commentBefore;
    fresh.comment = node.comment;
    return fresh;
}

function keyOf(key: unknown): unknown {
    return isScalar(key) ? key.value : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Why a rollback's preview, though it passes the gate, must not be applied: it sizes the load
 * balancer differently from the version's config (the program is not the one that ran then).
 */
export function rollbackPreviewProblem(
    change: LoadBalancerChange | undefined,
    targetSizeUnit: number,
    version: number,
): string | undefined {
    if (change?.to === undefined || change.to === targetSizeUnit) return undefined;
    return `the preview sizes the load balancer to ${change.to}, but version ${version}'s config sizes to ${targetSizeUnit}`;
}
