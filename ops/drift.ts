// Drift: what changed outside the program, from a `pulumi refresh --preview-only --json` digest.
// Pure.
//
// How a refresh preview shows a change (pkg/backend/display/json.go ShowPreviewDigest and
// pkg/resource/deploy/step.go RefreshStep): every resource first gets a step with op
// "refresh" whose newState is still the old state; once the provider's Read returns, a
// resource that changed has that step replaced by one with op "update" (oldState = state,
// newState = what Read returned), and one that is gone by op "delete" (no newState). A
// resource that did not change keeps its "refresh" step. So drift is oldState.outputs vs
// newState.outputs on each step, and a "delete" means deleted outside the program.
import { isDeepStrictEqual } from "node:util";
import {
    DROPLET_TYPE,
    LOAD_BALANCER_NAME,
    LOAD_BALANCER_TYPE,
    maskingServerId,
} from "../infra/names";
import {
    type PreviewDigest,
    type PreviewStep,
    type ResourceV3,
    stepName,
    stepType,
    stepsFromEventLog,
} from "./pulumiJson";

export interface PropertyChange {
    property: string;
    from: unknown;
    to: unknown;
}

export interface MaskingServerDrift {
    /** The droplet id (the state's id; else from the resource name masking-server-<id>). */
    id: string;
    /** The droplet's name in DigitalOcean, as the state had it. */
    name: string;
    /** The program's resource name (masking-server-<id>). */
    resource: string;
    /** The droplet is gone (Read found nothing). */
    deleted: boolean;
    changes: PropertyChange[];
}

export interface DriftReport {
    /** Drifted masking droplets only. */
    maskingServers: MaskingServerDrift[];
    /** How many masking droplets the refresh read. */
    maskingServersChecked: number;
    loadBalancer: PropertyChange[];
    loadBalancerDeleted: boolean;
    /** Error diagnostics: the refresh could not read everything, so the report is incomplete. */
    errors: string[];
}

// What an operator looks at first; everything else that changed follows, alphabetically.
const HEADLINE = ["name", "size", "sizeUnit", "image", "tags", "status", "region", "id"];

export function driftReport(refreshPreview: PreviewDigest): DriftReport {
    const report: DriftReport = {
        maskingServers: [],
        maskingServersChecked: 0,
        loadBalancer: [],
        loadBalancerDeleted: false,
        errors: [],
    };
    const steps = latestPerUrn(refreshPreview.steps ?? []);
    const lbSteps = steps.filter((s) => stepType(s) === LOAD_BALANCER_TYPE);
    const lb = lbSteps.find((s) => stepName(s) === LOAD_BALANCER_NAME) ?? lbSteps[0];

    for (const step of steps) {
        const type = stepType(step);
        if (type === DROPLET_TYPE) {
            report.maskingServersChecked++;
            const deleted = step.op === "delete";
            const changes = deleted ? [] : stateChanges(step.oldState, step.newState);
            if (!deleted && changes.length === 0) continue;
            const resource = stepName(step);
            const old = step.oldState ?? step.newState;
            report.maskingServers.push({
                id: old?.id ?? maskingServerId(resource) ?? resource,
                name: typeof old?.outputs?.name === "string" ? old.outputs.name : resource,
                resource,
                deleted,
                changes,
            });
        } else if (step === lb) {
            report.loadBalancerDeleted = step.op === "delete";
            if (!report.loadBalancerDeleted)
                report.loadBalancer = stateChanges(step.oldState, step.newState);
        }
    }
    for (const d of refreshPreview.diagnostics ?? []) {
        if (d.severity === "error")
            report.errors.push(
                (d.message ?? "")
                    .replace(/^\s*error:\s*/, "")
                    .trim()
                    .split("\n")[0],
            );
    }
    return report;
}

/** Exit codes: a scheduled job alerts on anything but 0, and can tell drift (4) from a failed check. */
export const DRIFT_EXIT = { noDrift: 0, error: 1, drift: 4 } as const;

/**
 * The report of a `pulumi refresh --preview-only --json --event-log` run. The digest alone
 * hides drift on a masking droplet: a refresh's diff honours ignoreChanges (every input, for
 * them), so its step stays unchanged; the event log has what Read returned, and its step,
 * later per URN, wins. A failed run whose digest names no error still fails the check.
 */
export function driftOfRefresh(run: {
    value: PreviewDigest;
    events: readonly unknown[];
    status: number | null;
    stderr: string;
}): DriftReport {
    const report = driftReport({
        ...run.value,
        steps: [...(run.value.steps ?? []), ...stepsFromEventLog(run.events)],
    });
    if (run.status !== 0 && report.errors.length === 0) {
        report.errors.push(
            `pulumi refresh --preview-only failed (exit ${run.status}): ${run.stderr.trim().split("\n").at(-1) ?? ""}`,
        );
    }
    return report;
}

/** 1 when the check is incomplete (even with drift found), else 4 for drift, 0 for none. */
export function driftExit(report: DriftReport): number {
    if (report.errors.length > 0) return DRIFT_EXIT.error;
    const drifted =
        report.maskingServers.length > 0 ||
        report.loadBalancer.length > 0 ||
        report.loadBalancerDeleted;
    return drifted ? DRIFT_EXIT.drift : DRIFT_EXIT.noDrift;
}

/** Top-level properties whose values differ: outputs (what the provider read), else inputs. */
export function stateChanges(
    before: ResourceV3 | undefined,
    after: ResourceV3 | undefined,
): PropertyChange[] {
    if (!before || !after) return [];
    const useOutputs = before.outputs !== undefined || after.outputs !== undefined;
    const a = (useOutputs ? before.outputs : before.inputs) ?? {};
    const b = (useOutputs ? after.outputs : after.inputs) ?? {};
    const changes: PropertyChange[] = [];
    for (const property of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (property.startsWith("__")) continue; // bridge bookkeeping (__meta, __defaults)
        if (!isDeepStrictEqual(a[property], b[property]))
            changes.push({ property, from: a[property], to: b[property] });
    }
    if (before.id !== after.id && !changes.some((c) => c.property === "id"))
        changes.push({ property: "id", from: before.id, to: after.id });
    return changes.sort(byHeadline);
}

function byHeadline(x: PropertyChange, y: PropertyChange): number {
    const rank = (p: string) => (HEADLINE.includes(p) ? HEADLINE.indexOf(p) : HEADLINE.length);
    return rank(x.property) - rank(y.property) || x.property.localeCompare(y.property);
}

// A URN can appear twice (a preview --refresh also lists the ordinary step); the last says most.
function latestPerUrn(steps: PreviewStep[]): PreviewStep[] {
    const last = new Map<string, PreviewStep>();
    for (const step of steps) last.set(step.urn, step);
    return [...last.values()];
}

/** The stack output where the program records the cipher policy it read live. */
export const CIPHER_POLICY_OUTPUT = "tlsCipherPolicy";

/**
 * The load balancer's id and the cipher policy the last `pulumi up` read live (the stack's
 * `tlsCipherPolicy` output), from a refresh preview; undefined for a state without them.
 */
export function recordedCipherPolicy(
    refreshPreview: PreviewDigest,
): { id: string; policy: string } | undefined {
    const steps = latestPerUrn(refreshPreview.steps ?? []);
    const stack = steps.find((s) => stepType(s) === "pulumi:pulumi:Stack");
    const lbSteps = steps.filter((s) => stepType(s) === LOAD_BALANCER_TYPE);
    const lb = lbSteps.find((s) => stepName(s) === LOAD_BALANCER_NAME) ?? lbSteps[0];
    const policy = stack?.oldState?.outputs?.[CIPHER_POLICY_OUTPUT];
    const id = lb?.oldState?.id;
    return typeof policy === "string" && typeof id === "string" ? { id, policy } : undefined;
}

/**
 * The report with the cipher policy changed outside the program: the provider never reads
 * `tls_cipher_policy` back, so a refresh cannot see it; `live` is the project's own read.
 */
export function withCipherPolicyDrift(
    report: DriftReport,
    recorded: string,
    live: string | undefined,
): DriftReport {
    const now = (live || "DEFAULT").toUpperCase();
    if (now === recorded.toUpperCase()) return report;
    const change = { property: CIPHER_POLICY_OUTPUT, from: recorded, to: now };
    return { ...report, loadBalancer: [...report.loadBalancer, change].sort(byHeadline) };
}
