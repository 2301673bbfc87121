// The JSON the Pulumi CLI 3.248.0 prints, typed from its Go source (field names and casing
// from the json tags; paths under the Go module cache, github.com/pulumi/pulumi/…@v3.248.0):
//
//   pulumi preview --json, pulumi refresh --preview-only --json (both a dry run, so the
//   digest, not the event stream: pkg/backend/display/display.go ShowEvents):
//     PreviewDigest, PreviewStep, PropertyDiff, PreviewDiagnostic   pkg/display/json.go
//     oldState / newState: apitype.ResourceV3                      sdk/go/common/apitype/core.go
//     how steps are filled in (refresh rewrites)                   pkg/backend/display/json.go
//   pulumi stack history --json:
//     updateInfoJSON, configValueJSON                              pkg/cmd/pulumi/stack/stack_history.go
//
// Pure: types, a tolerant parser for each document, and URN / property-path helpers.
import { z } from "zod";

/** deploy.StepOp values, pkg/resource/deploy/step.go (const block OpSame … OpDiff). */
export const STEP_OPS = [
    "same",
    "create",
    "update",
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "read",
    "read-replacement",
    "refresh",
    "discard",
    "discard-replaced",
    "remove-pending-replace",
    "import",
    "import-replacement",
    "diff",
] as const;
export type KnownStepOp = (typeof STEP_OPS)[number];
export type StepOp = KnownStepOp | (string & {});

/** plugin.DiffKind.String(), sdk/go/common/resource/plugin/provider.go. */
export type DiffKind =
    "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

/** diag.Severity, sdk/go/common/diag/sink.go. */
export type Severity = "debug" | "info" | "info#err" | "warning" | "error";

/** apitype.ResourceV3 (the fields this project reads are typed; the rest pass through). */
export interface ResourceV3 {
    urn: string;
    custom: boolean;
    delete?: boolean;
    id?: string;
    type: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    parent?: string;
    protect?: boolean;
    taint?: boolean;
    external?: boolean;
    dependencies?: string[];
    initErrors?: string[];
    provider?: string;
    pendingReplacement?: boolean;
    importID?: string;
    retainOnDelete?: boolean;
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    [field: string]: unknown;
}

/** display.PropertyDiff. */
export interface PropertyDiff {
    kind: DiffKind | (string & {});
    inputDiff: boolean;
}

/** display.PreviewStep. `detailedDiff` has no omitempty: it is `null` when the provider gave none. */
export interface PreviewStep {
    op: StepOp;
    urn: string;
    provider?: string;
    oldState?: ResourceV3;
    newState?: ResourceV3;
    diffReasons?: string[];
    replaceReasons?: string[];
    detailedDiff: Record<string, PropertyDiff> | null;
}

/** display.PreviewDiagnostic. The digest folds Prefix into `message` (backend/display/json.go). */
export interface PreviewDiagnostic {
    urn?: string;
    prefix?: string;
    message?: string;
    severity?: Severity | (string & {});
}

/** display.PreviewDigest. `duration` is a Go time.Duration: integer nanoseconds. */
export interface PreviewDigest {
    config?: Record<string, string>;
    steps?: PreviewStep[];
    diagnostics?: PreviewDiagnostic[];
    duration?: number;
    changeSummary?: Record<string, number>;
    maybeCorrupt?: boolean;
}

/** configValueJSON: `value` is absent for secrets (without --show-secrets); objects also get `objectValue`. */
export interface ConfigValue {
    value?: string;
    objectValue?: unknown;
    secret: boolean;
}

/**
 * updateInfoJSON, one entry of `pulumi stack history --json` (newest first). The DIY (file://,
 * s3://…) backend never sets a version (pkg/backend/diy/backend.go builds UpdateInfo without
 * one), so every entry there has `version: 0` and
 * entries are numbered by position instead (`timeline`).
 */
export interface UpdateInfo {
    version: number;
    /** apitype.UpdateKind: update | preview | refresh | rename | destroy | import | resource-import */
    kind: string;
    startTime: string;
    message: string;
    environment: Record<string, string> | null;
    config: Record<string, ConfigValue>;
    /** apitype.UpdateResult: not-started | in-progress | succeeded | failed */
    result?: string;
    endTime?: string;
    resourceChanges?: Record<string, number>;
}

/** What stack_history.go prints for a secret it could not decrypt with --show-secrets. */
export const UNDECRYPTABLE = "ERROR_UNABLE_TO_DECRYPT";

/** stack.computedValuePlaceholder (pkg/resource/stack/deployment.go): an unknown value in a preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// ---------------------------------------------------------------------------
// Parsing: check the fields the decisions rely on, keep everything else.

const record = z.record(z.string(), z.unknown());
const resourceSchema = z.looseObject({
    urn: z.string(),
    type: z.string(),
    custom: z.boolean().optional(),
    id: z.string().optional(),
    inputs: record.optional(),
    outputs: record.optional(),
    protect: z.boolean().optional(),
    retainOnDelete: z.boolean().optional(),
    ignoreChanges: z.array(z.string()).optional(),
});
const stepSchema = z.looseObject({
    op: z.string(),
    urn: z.string(),
    oldState: resourceSchema.optional(),
    newState: resourceSchema.optional(),
    diffReasons: z.array(z.string()).optional(),
    replaceReasons: z.array(z.string()).optional(),
    detailedDiff: z
        .record(z.string(), z.looseObject({ kind: z.string(), inputDiff: z.boolean().optional() }))
        .nullable()
        .optional(),
});
const digestSchema = z.looseObject({
    steps: z.array(stepSchema).optional(),
    diagnostics: z
        .array(
            z.looseObject({
                urn: z.string().optional(),
                message: z.string().optional(),
                severity: z.string().optional(),
            }),
        )
        .optional(),
    maybeCorrupt: z.boolean().optional(),
});
const configValueSchema = z.looseObject({
    value: z.string().optional(),
    objectValue: z.unknown().optional(),
    secret: z.boolean(),
});
const historySchema = z.array(
    z.looseObject({
        version: z.number(),
        kind: z.string(),
        startTime: z.string().optional().default(""),
        message: z.string().optional().default(""),
        environment: z.record(z.string(), z.string()).nullable().optional().default(null),
        config: z
            .record(z.string(), configValueSchema)
            .nullable()
            .optional()
            .transform((c) => c ?? {}),
        result: z.string().optional(),
        endTime: z.string().optional(),
    }),
);

/** A preview digest from parsed JSON; throws an Error naming the first misfit field. */
export function parsePreviewDigest(json: unknown): PreviewDigest {
    return checked(digestSchema, json, "a preview digest (pulumi preview --json)") as PreviewDigest;
}

/** Stack history from parsed JSON; throws an Error naming the first misfit field. */
export function parseHistory(json: unknown): UpdateInfo[] {
    return checked(
        historySchema,
        json,
        "stack history (pulumi stack history --json)",
    ) as UpdateInfo[];
}

function checked(schema: z.ZodType, json: unknown, what: string): unknown {
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue.path.length
        ? issue.path
              .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
              .join("")
              .replace(/^\./, "")
        : "the document";
    throw new Error(`not ${what}: ${where}: ${issue.message}`);
}

// ---------------------------------------------------------------------------
// URNs: urn:pulumi:<stack>::<project>::<parent$…$type>::<name> (sdk/go/common/resource/urn/urn.go)

const URN_PREFIX = "urn:pulumi:";

export interface ParsedUrn {
    stack: string;
    project: string;
    qualifiedType: string;
    /** The resource's own type token (after the last `$`). */
    type: string;
    /** Everything after the third `::`, as URN.Name() does. */
    name: string;
}

export function parseUrn(urn: string): ParsedUrn | undefined {
    if (!urn.startsWith(URN_PREFIX)) return undefined;
    const rest = urn.slice(URN_PREFIX.length);
    const parts: string[] = [];
    let start = 0;
    for (let i = 0; i < 3; i++) {
        const at = rest.indexOf("::", start);
        if (at === -1) return undefined;
        parts.push(rest.slice(start, at));
        start = at + 2;
    }
    const [stack, project, qualifiedType] = parts;
    return {
        stack,
        project,
        qualifiedType,
        type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1),
        name: rest.slice(start),
    };
}

/** The step's resource type: from the URN, else from its states. */
export function stepType(step: PreviewStep): string {
    return parseUrn(step.urn)?.type ?? step.newState?.type ?? step.oldState?.type ?? "";
}

/** The step's resource name (the name the program gave it). */
export function stepName(step: PreviewStep): string {
    return parseUrn(step.urn)?.name ?? step.urn;
}

// ---------------------------------------------------------------------------
// Property paths as PropertyPath.String() prints them (sdk/go/common/resource/properties_path.go):
//   sizeUnit, forwardingRules[0].entryPort, ["key with.dot"].x, tags[*]

/** The top-level property a detailedDiff key (a property path) is under. */
export function topLevelProperty(path: string): string {
    if (path.startsWith('["')) {
        let key = "";
        for (let i = 2; i < path.length; i++) {
            if (path[i] === "\\" && path[i + 1] === '"') {
                key += '"';
                i++;
            } else if (path[i] === '"') {
                return key;
            } else {
                key += path[i];
            }
        }
        return path; // unterminated: keep the whole text rather than guess
    }
    const end = path.search(/[.[]/);
    return end <= 0 ? path : path.slice(0, end);
}

/** Top-level properties a step changes: detailedDiff keys, diffReasons and replaceReasons. */
export function changedProperties(step: PreviewStep): string[] {
    const keys = new Set<string>();
    for (const path of Object.keys(step.detailedDiff ?? {})) keys.add(topLevelProperty(path));
    for (const key of step.diffReasons ?? []) keys.add(topLevelProperty(key));
    for (const key of step.replaceReasons ?? []) keys.add(topLevelProperty(key));
    return [...keys].sort();
}

/** Top-level properties the provider says force a replacement (detailedDiff kinds *-replace, replaceReasons). */
export function replacingProperties(step: PreviewStep): string[] {
    const keys = new Set<string>((step.replaceReasons ?? []).map(topLevelProperty));
    for (const [path, diff] of Object.entries(step.detailedDiff ?? {})) {
        if (diff.kind.endsWith("-replace")) keys.add(topLevelProperty(path));
    }
    return [...keys].sort();
}

/** Parses CLI stdout that should be one JSON document; tolerates stray lines before it. */
export function jsonFromStdout(stdout: string): unknown {
    const text = stdout.trim();
    try {
        return JSON.parse(text);
    } catch {
        const start = text.search(/^[[{]/m);
        if (start > 0) return JSON.parse(text.slice(start));
        throw new Error(
            text === ""
                ? "printed nothing on stdout"
                : `printed something other than JSON: ${text.split("\n")[0].slice(0, 120)}`,
        );
    }
}

// ---------------------------------------------------------------------------
// Engine event log (`--event-log <file>`, enabled by PULUMI_DEBUG_COMMANDS=true as the Automation
// API does): one apitype.EngineEvent per line (sdk/go/common/apitype/events.go).

// apitype.StepEventStateMetadata: inputs and outputs are null when empty (no omitempty).
const stepStateSchema = z
    .looseObject({
        urn: z.string(),
        type: z.string().optional(),
        id: z.string().optional(),
        inputs: record.nullable().optional(),
        outputs: record.nullable().optional(),
    })
    .nullable()
    .optional();
const outputsEventSchema = z.looseObject({
    resOutputsEvent: z.looseObject({
        metadata: z.looseObject({
            op: z.string(),
            urn: z.string(),
            old: stepStateSchema,
            new: stepStateSchema,
        }),
    }),
});

/**
 * What each resource's step did, from an event log: one step per resource-outputs event, with
 * the state before (`old`) and after (`new`). A refresh records what Read returned in `new`
 * even where its diff, which honours ignoreChanges, is empty: the preview digest then shows
 * the step unchanged, so drift on a masking droplet (ignoreChanges on every input) is only
 * visible here. Lines that are not such an event are skipped.
 */
export function stepsFromEventLog(log: string | readonly unknown[]): PreviewStep[] {
    const steps: PreviewStep[] = [];
    for (const json of eventsOf(log)) {
        const event = outputsEventSchema.safeParse(json);
        if (!event.success) continue;
        const { op, urn, old, new: next } = event.data.resOutputsEvent.metadata;
        const state = (s: typeof old): ResourceV3 | undefined =>
            s
                ? ({
                      custom: false,
                      ...s,
                      type: s.type ?? "",
                      inputs: s.inputs ?? {},
                      outputs: s.outputs ?? {},
                  } as ResourceV3)
                : undefined;
        steps.push({ op, urn, oldState: state(old), newState: state(next), detailedDiff: null });
    }
    return steps;
}

/** apitype.PolicyEvent: a policy violation (the preview digest leaves these out). */
export interface PolicyViolation {
    policyName: string;
    policyPackName: string;
    enforcementLevel: string;
    resourceUrn?: string;
    message: string;
}

const policyEventSchema = z.looseObject({
    policyEvent: z.looseObject({
        policyName: z.string(),
        policyPackName: z.string().optional().default(""),
        enforcementLevel: z.string().optional().default(""),
        resourceUrn: z.string().optional(),
        message: z.string().optional().default(""),
    }),
});

/** The policy violations in an event log (see stepsFromEventLog), in the order they came. */
export function policyViolationsFromEventLog(log: string | readonly unknown[]): PolicyViolation[] {
    const violations: PolicyViolation[] = [];
    for (const json of eventsOf(log)) {
        const event = policyEventSchema.safeParse(json);
        if (event.success) violations.push(event.data.policyEvent);
    }
    return violations;
}

/**
 * The events of an event log file's text, one JSON object a line; events already parsed (the
 * Automation API's onEvent hands them over one by one) are taken as they are.
 */
export function parseEventLog(text: string): unknown[] {
    return text.split("\n").flatMap((line) => {
        try {
            return line.trim() === "" ? [] : [JSON.parse(line) as unknown];
        } catch {
            return []; // a line cut short by a killed run
        }
    });
}

function eventsOf(log: string | readonly unknown[]): readonly unknown[] {
    return typeof log === "string" ? parseEventLog(log) : log;
}

const summaryEventSchema = z.looseObject({
    summaryEvent: z.looseObject({
        resourceChanges: z.record(z.string(), z.number()).nullable().optional(),
    }),
});

/**
 * The resource changes of an update (apitype.SummaryEvent, the last event of a run that got as
 * far as the engine's end), by step op; undefined when the log has none.
 */
export function changesFromEventLog(
    log: string | readonly unknown[],
): Record<string, number> | undefined {
    for (const json of eventsOf(log)) {
        const event = summaryEventSchema.safeParse(json);
        if (event.success) return event.data.summaryEvent.resourceChanges ?? {};
    }
    return undefined;
}
