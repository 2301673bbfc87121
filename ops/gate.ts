// The deploy gate: reads a `pulumi preview --json` digest and says whether it does only what
// this project may do — resize proxy-lb in place — and nothing to the masking droplets.
// Pure. The rules (one reason line per offending step, naming resource, op and properties):
//   - the load balancer is never replaced or deleted (any replacement-family op, delete, discard);
//   - a masking droplet step is only ever same / read / import / refresh (none writes to it),
//     and its new state keeps protect, retainOnDelete and ignoreChanges on every input (["*"],
//     or the program's own list, FROZEN_DROPLET_INPUTS, as the policy pack accepts);
//   - the only change allowed without --allow is the load balancer's sizeUnit (and with it its
//     live tlsCipherPolicy, which the program carries: the provider never reads it back);
//   - no second load balancer is created while one exists;
//   - error diagnostics (and a possibly corrupt state) fail the gate;
//   - a scale-down below the need the load balancer's metrics show over the window, or one the
//     metrics cannot vouch for, is refused unless --allow scale-down-under-load (loadReason).
import type { Settings } from "../config";
import { FROZEN_DROPLET_INPUTS } from "../infra/frozenInputs";
import { DROPLET_TYPE, LOAD_BALANCER_NAME, LOAD_BALANCER_TYPE } from "../infra/names";
import { size, type Sizing } from "../sizing";
import { checkScaleDown, type NeedSettings, type ScaleDownCheck } from "../sizing/autopilot";
import type { ObservedLoad } from "../sizing/observedLoad";
import { currentConnections, scaleDownCost, type ScaleDownCost } from "../sizing/closedConnections";
import { adoption, nodeChange, type NodeChange } from "../sizing/nodeChange";
import { plural } from "../sizing/format";
import {
    changedProperties,
    type PolicyViolation,
    type PreviewDigest,
    type PreviewStep,
    replacingProperties,
    stepName,
    stepType,
} from "./pulumiJson";

export const SIZE_PROPERTY = "sizeUnit";
/** Carried with a resize, never changed: the LB's live cipher policy (see freeProperties). */
export const TLS_CIPHER_POLICY_PROPERTY = "tlsCipherPolicy";
const STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/** Ops that only read a resource or record it in state: none calls the provider's Create/Update/Delete. */
export const NO_WRITE_OPS: ReadonlySet<string> = new Set(["same", "read", "import", "refresh"]);

/** Ops that lose the load balancer (a new one gets a new IP) — deploy.IsReplacementStep's set, plus delete and discard. */
export const LOSING_OPS: ReadonlySet<string> = new Set([
    "replace",
    "create-replacement",
    "delete-replaced",
    "read-replacement",
    "discard-replaced",
    "remove-pending-replace",
    "import-replacement",
    "delete",
    "discard",
]);

export interface LoadBalancerChange {
    /** size_unit the load balancer has now (state, or live for an adoption); absent when it is being created. */
    from?: number;
    /** size_unit the program asks for. */
    to?: number;
    /** the step adopts a load balancer that exists (an import): it takes it as it is. */
    adopted?: true;
}

export interface GateVerdict {
    ok: boolean;
    reasons: string[];
    /** Changes let through by --allow, one line each (shown, never silent). */
    allowed: string[];
    lbChange?: LoadBalancerChange;
    /** A scale-down checked against the live crowd (what the metrics showed), when there is one. */
    scaleDown?: ScaleDownCheck;
    /** What a scale-down closes of the live crowd (the controller's figure), when the crowd was read. */
    closing?: ScaleDownCost;
}

/** The --allow value that lets a scale-down through the live-load check: a name, not a property. */
export const ALLOW_SCALE_DOWN_UNDER_LOAD = "scale-down-under-load";

/** The change takes nodes away from a load balancer that exists (state's or the adopted live size). */
export function isScaleDown(
    change: LoadBalancerChange | undefined,
): change is LoadBalancerChange & { from: number; to: number } {
    return change?.from !== undefined && change.to !== undefined && change.to < change.from;
}

/**
 * The live-load check for the preview's load balancer change: null when it is not a scale-down;
 * otherwise checkScaleDown (the need the autopilot sizes for) against what
 * the load balancer carries. Without a load read (null) or with unreadable metrics it cannot
 * vouch for the scale-down: never scale down on missing data, so that refuses too.
 */
export function loadCheck(
    change: LoadBalancerChange | undefined,
    load: ObservedLoad | null,
    need: NeedSettings,
): ScaleDownCheck | null {
    if (!isScaleDown(change)) return null;
    const to = change.to;
    const from = carrying(change, load);
    if (load === null) {
        return {
            status: "unreadable",
            need: null,
            text: `cannot check the scale-down from ${plural(from, "node")} to ${plural(to, "node")} against the live crowd: its metrics were not read`,
        };
    }
    return checkScaleDown(load, { from, to }, need);
}

/** What carries the crowd now: the live size; the state's is the fallback when it was not read. */
function carrying(change: { from: number }, load: ObservedLoad | null): number {
    return Math.max(change.from, load?.live?.sizeUnit ?? 0);
}

/**
 * What the scale-down closes: the removed nodes' share of the latest live connections
 * (the figure the controller holds a scale-down on). Undefined when
 * it is not a scale-down or no sample was read.
 */
export function scaleDownClosing(
    change: LoadBalancerChange | undefined,
    load: ObservedLoad | null,
): ScaleDownCost | undefined {
    if (!isScaleDown(change) || load === null) return undefined;
    const now = currentConnections(load);
    if (now === null) return undefined;
    return scaleDownCost(now.connections, carrying(change, load), change.to) ?? undefined;
}

/**
 * The gate's line for a scale-down check: a reason (refused), an allowed line (--allow
 * scale-down-under-load, shown, never silent), or neither (not a scale-down, or one the crowd allows).
 */
export function loadReason(
    check: ScaleDownCheck | null,
    allow: readonly string[],
): { reason?: string; allowed?: string } {
    if (check === null || check.status === "ok") return {};
    const line = `${LOAD_BALANCER_NAME}: ${check.text}${check.status === "unreadable" ? "; the gate never scales down on missing data" : ""}`;
    if (allow.includes(ALLOW_SCALE_DOWN_UNDER_LOAD))
        return { allowed: `${line} (--allow ${ALLOW_SCALE_DOWN_UNDER_LOAD})` };
    return { reason: `${line} (pass --allow ${ALLOW_SCALE_DOWN_UNDER_LOAD} if intended)` };
}

/**
 * The verdict on a preview digest. Run the preview with --show-sames: an unchanged load
 * balancer only appears then, and the "second load balancer" rule needs to see it.
 */
export function gateVerdict(preview: PreviewDigest, opts: { allow: string[] }): GateVerdict {
    const allow = new Set(opts.allow);
    const reasons: string[] = [];
    const allowed: string[] = [];
    const steps = preview.steps ?? [];

    // Load balancers the stack has now: any LB step other than a create.
    const existingLbs = new Set(steps.filter((s) => isLb(s) && s.op !== "create").map(stepName));
    const createdLbs = steps.filter((s) => isLb(s) && s.op === "create").map(stepName);

    for (const step of steps) {
        const type = stepType(step);
        const what = describe(step);
        if (type === LOAD_BALANCER_TYPE) {
            reasons.push(
                ...loadBalancerReasons(step, what, existingLbs, createdLbs, allow, allowed),
            );
        } else if (type === DROPLET_TYPE) {
            reasons.push(...dropletReasons(step, what));
        } else if (type === STACK_TYPE || type.startsWith(PROVIDER_TYPE_PREFIX)) {
            // The stack and its default provider are created on the first deployment; neither
            // is infrastructure. An old default provider is deleted after a plugin upgrade
            // (shown, not refused). Updates go through --allow like any other change.
            if (step.op === "create" || NO_WRITE_OPS.has(step.op)) continue;
            if (step.op === "delete" && type !== STACK_TYPE)
                allowed.push(`${what} (a provider, no infrastructure)`);
            else if (step.op === "update")
                reasons.push(...changeReasons(step, what, allow, allowed, new Set()));
            else
                reasons.push(
                    `${what}: unexpected for the ${type === STACK_TYPE ? "stack" : "provider"}`,
                );
        } else if (!NO_WRITE_OPS.has(step.op)) {
            reasons.push(
                `${what}: the program declares only ${LOAD_BALANCER_NAME} and the masking droplets; this ${type || "resource"} is unexpected`,
            );
        }
    }

    for (const d of preview.diagnostics ?? []) {
        if (d.severity !== "error") continue;
        const text = oneLine(d.message ?? "");
        const name = d.urn ? stepName({ urn: d.urn, op: "", detailedDiff: null }) : undefined;
        reasons.push(`error${name ? ` on ${name}` : ""}: ${text || "(no message)"}`);
    }
    if (preview.maybeCorrupt)
        reasons.push("pulumi reports that one or more resources in the state may be corrupt");

    const lbChange = loadBalancerChange(steps);
    return { ok: reasons.length === 0, reasons, allowed, ...(lbChange ? { lbChange } : {}) };
}

function loadBalancerReasons(
    step: PreviewStep,
    what: string,
    existing: Set<string>,
    created: string[],
    allow: Set<string>,
    allowed: string[],
): string[] {
    const reasons: string[] = [];
    if (LOSING_OPS.has(step.op)) {
        return [
            `${what}: the load balancer must never be replaced or deleted (a new one has a new IP)`,
        ];
    }
    if (step.op === "create") {
        const others = [...existing, ...created.filter((name) => name !== stepName(step))];
        if (others.length > 0) {
            reasons.push(
                `${what}: a second load balancer while ${unique(others).join(", ")} exists; the program manages exactly one`,
            );
        }
    } else if (!["update", ...NO_WRITE_OPS].includes(step.op)) {
        reasons.push(`${what}: not an in-place resize`);
    }
    const replacing = replacingProperties(step);
    if (replacing.length > 0) {
        reasons.push(
            `${what}: ${replacing.join(", ")} would force a replacement; the load balancer must never be replaced`,
        );
    }
    if (step.newState && step.newState.protect !== true) {
        reasons.push(`${what}: the load balancer would lose protect: true`);
    }
    if (step.op === "update")
        reasons.push(...changeReasons(step, what, allow, allowed, freeProperties(step)));
    return reasons;
}

/**
 * What a load balancer update may change without --allow: sizeUnit, and with it tlsCipherPolicy,
 * which the program declares on a resize as the LB has it live (the provider never reads it
 * back, so its first declaration is a diff; the PUT carries the live value).
 */
function freeProperties(step: PreviewStep): Set<string> {
    return changedProperties(step).includes(SIZE_PROPERTY)
        ? new Set([SIZE_PROPERTY, TLS_CIPHER_POLICY_PROPERTY])
        : new Set([SIZE_PROPERTY]);
}

function dropletReasons(step: PreviewStep, what: string): string[] {
    const reasons: string[] = [];
    if (!NO_WRITE_OPS.has(step.op)) {
        reasons.push(
            `${what}: masking droplets must never be written to (only ${[...NO_WRITE_OPS].join("/")} are safe)`,
        );
    }
    // A read (Droplet.get) is not managed, so it has no options to keep.
    const state = step.op === "read" ? undefined : step.newState;
    if (state) {
        const lost = [
            state.protect !== true && "protect: true",
            state.retainOnDelete !== true && "retainOnDelete: true",
            !frozen(state.ignoreChanges ?? []) && 'ignoreChanges: ["*"]',
        ].filter((x): x is string => typeof x === "string");
        if (lost.length > 0)
            reasons.push(`${what}: the masking droplet would lose ${lost.join(", ")}`);
    }
    return reasons;
}

/** ignoreChanges that freeze every input: "*", or the program's list of every input. */
function frozen(ignoreChanges: string[]): boolean {
    return (
        ignoreChanges.includes("*") ||
        FROZEN_DROPLET_INPUTS.every((input) => ignoreChanges.includes(input))
    );
}

/** Reasons for the properties an update changes beyond `free` and the --allow list. */
function changeReasons(
    step: PreviewStep,
    what: string,
    allow: Set<string>,
    allowed: string[],
    free: Set<string>,
): string[] {
    const properties = changedProperties(step);
    if (properties.length === 0) {
        // Seen after a failed update: the state then holds no outputs to diff against, until a refresh reads them.
        return [
            `${what}: pulumi did not say which properties change, so the change cannot be checked (usual after a failed or interrupted update: \`pulumi refresh --target '${step.urn}'\` reads it again, changing nothing; then retry)`,
        ];
    }
    const blocked = properties.filter((p) => !free.has(p) && !allow.has(p));
    const passed = properties.filter((p) => !free.has(p) && allow.has(p));
    if (passed.length > 0)
        allowed.push(`${stepName(step)}: ${step.op} ${passed.join(", ")} (--allow)`);
    if (blocked.length === 0) return [];
    // tlsCipherPolicy rides along with a resize as the LB has it live: not a change to offer.
    const changes = [...free].filter((p) => p !== TLS_CIPHER_POLICY_PROPERTY);
    const only =
        changes.length > 0 ? `only ${changes.join(", ")} may change` : "no change is expected here";
    return [
        `${what}: changes ${blocked.join(", ")}; ${only} (pass --allow ${blocked[0]} if intended)`,
    ];
}

/** sizeUnit before and after, from the proxy-lb step (or the only load balancer step). */
function loadBalancerChange(steps: PreviewStep[]): LoadBalancerChange | undefined {
    const lbSteps = steps.filter(isLb);
    const named = lbSteps.filter((s) => stepName(s) === LOAD_BALANCER_NAME);
    const candidates = named.length > 0 ? named : lbSteps;
    // An import is followed by the ordinary diff step for the same URN when the program asks
    // for another size than the live one (the real engine's preview does so): the last step wins,
    // and the load balancer is still being adopted.
    const step = candidates.at(-1);
    if (!step || LOSING_OPS.has(step.op)) return undefined;
    const adopted = candidates.some((s) => s.op === "import" && s.urn === step.urn)
        ? { adopted: true as const }
        : {};
    // Old: the provider's last known state (outputs), else the inputs it was given.
    // New: the program's inputs; a preview's newState carries no outputs yet.
    // An import has no old state: the load balancer is adopted as it is live, which is what the
    // provider read (newState's outputs, when the digest has them). Pulumi refuses an import whose
    // inputs differ from what it read, so without outputs the live size is the one asked for.
    const to = count(step.newState?.inputs?.[SIZE_PROPERTY]);
    if (step.op === "import") {
        const live = count(step.newState?.outputs?.[SIZE_PROPERTY]) ?? to;
        return {
            ...(live !== undefined ? { from: live } : {}),
            ...(to !== undefined ? { to } : {}),
            adopted: true,
        };
    }
    const from =
        step.op === "create"
            ? undefined
            : (count(step.oldState?.outputs?.[SIZE_PROPERTY]) ??
              count(step.oldState?.inputs?.[SIZE_PROPERTY]));
    const asked = to ?? (step.op === "same" ? from : undefined);
    if (from === undefined && asked === undefined) return undefined;
    return {
        ...(from !== undefined ? { from } : {}),
        ...(asked !== undefined ? { to: asked } : {}),
        ...adopted,
    };
}

/**
 * One reason per mandatory policy violation, which the preview digest leaves out (they are in
 * the event log): the policy, the resource and what the policy said.
 */
export function policyReasons(violations: PolicyViolation[]): string[] {
    return violations
        .filter((v) => v.enforcementLevel === "mandatory")
        .map((v) => {
            const on = v.resourceUrn
                ? ` on ${stepName({ urn: v.resourceUrn, op: "", detailedDiff: null })}`
                : "";
            return `policy ${v.policyName}${on}: ${oneLine(v.message) || "(no message)"}`;
        });
}

/** A preview exit status that the digest alone does not explain (e.g. a policy violation). */
export function previewFailure(
    status: number | null,
    stderr: string,
    verdict: GateVerdict,
): string | undefined {
    if (status === 0) return undefined;
    if (verdict.reasons.some((r) => r.startsWith("error") || r.startsWith("policy ")))
        return undefined; // already explained
    const last = stderr
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1);
    return `pulumi preview failed (exit ${status ?? "signal"})${last ? `: ${last}` : ""}`;
}

/**
 * The node change the gate reports, priced with the stack's capacity settings. The side that
 * matches the stack file is its real sizing; a size that only the state knows is priced as
 * that many nodes (sizing with minNodes = n and no demand: same price arithmetic).
 */
export function lbNodeChange(
    change: LoadBalancerChange & { to: number },
    settings: Settings,
): NodeChange {
    const at = (n: number): Sizing =>
        n === settings.sizing.sizeUnit ? settings.sizing : pricedNodes(n, settings);
    if (change.adopted && change.from === change.to) return adoption(at(change.to));
    return nodeChange(change.from === undefined ? null : at(change.from), at(change.to));
}

function pricedNodes(n: number, settings: Settings): Sizing {
    const { capacity, region } = settings.config;
    return size({
        region,
        demand: { users: 0, tasksPerUser: 0, connectionsPerTask: 1 },
        capacity: { ...capacity, minNodes: n, maxNodes: Math.max(n, capacity.maxNodes) },
    });
}

function isLb(step: PreviewStep): boolean {
    return stepType(step) === LOAD_BALANCER_TYPE;
}

function describe(step: PreviewStep): string {
    const properties = changedProperties(step);
    return `${stepName(step)}: ${step.op}${properties.length ? ` (${properties.join(", ")})` : ""}`;
}

function count(value: unknown): number | undefined {
    // An unknown value is the placeholder string UNKNOWN_VALUE, so it is not a count either.
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A diagnostic as one line: the digest's message is "error: " + text, possibly several lines. */
function oneLine(text: string): string {
    const line = text
        .replace(/^\s*error:\s*/, "")
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .join(" ");
    return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}

function unique(names: string[]): string[] {
    return [...new Set(names)];
}
