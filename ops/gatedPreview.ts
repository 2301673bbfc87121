// One gated preview for every path that changes the load balancer (gate before a deploy,
// rollback, the controller): run `pulumi preview` with its event log, then one verdict from the
// gate's rules on the digest, the policy pack's violations (only in the event log) and the
// preview's own failure. Every path applies the same gate because each calls this, not a copy.
// A scale-down is also checked against what the load balancer carries (read once, or the load
// the caller already read): never scale down into a live crowd, whichever path asks.
import { ConfigError, type Settings } from "../config";
import type { ApiRead } from "../infra/digitaloceanApi";
import { readObservedLoad } from "../infra/liveSize";
import type { NeedSettings } from "../sizing/autopilot";
import type { ObservedLoad } from "../sizing/observedLoad";
import {
    gateVerdict,
    isScaleDown,
    loadCheck,
    loadReason,
    policyReasons,
    previewFailure,
    scaleDownClosing,
    type GateVerdict,
    type LoadBalancerChange,
} from "./gate";
import { runWithEventLogAsync, type EventLogRun, type Pulumi } from "./pulumiCli";
import { parsePreviewDigest, policyViolationsFromEventLog, type PreviewDigest } from "./pulumiJson";

export interface PreviewOptions {
    stack: string;
    /** a stack file to preview with instead of Pulumi.<stack>.yaml (rollback's restored config) */
    configFile?: string;
    /** a policy pack directory to run the preview with */
    policyPack?: string;
    /** URNs to target (a resize-only preview targets the load balancer alone) */
    target?: readonly string[];
}

/** The preview the gate reads; --show-sames: an unchanged load balancer must be visible to notice a second one being created. */
export function previewArgs(opts: PreviewOptions): string[] {
    return [
        "preview",
        "--json",
        "--show-sames",
        "--non-interactive",
        "--stack",
        opts.stack,
        ...(opts.configFile ? ["--config-file", opts.configFile] : []),
        ...(opts.policyPack ? ["--policy-pack", opts.policyPack] : []),
        ...(opts.target ?? []).flatMap((urn) => ["--target", urn]),
    ];
}

export type PreviewRun = EventLogRun<PreviewDigest>;

export interface VerdictOptions {
    allow: string[];
    /** the load read for the change (null when none was: a scale-down is then refused, as on unreadable metrics) */
    load: ObservedLoad | null;
    /** the window and capacity the scale-down's need is computed with */
    need: NeedSettings;
}

/**
 * The verdict on one preview run: the gate's rules, the live-load check of a scale-down, then each
 * mandatory policy violation, then a failure nothing above explains. Pure: an Automation API
 * preview gives the same verdict from its digest, the events its onEvent saw, its exit status and
 * stderr, and the load read for its change.
 */
export function gatedVerdict(run: PreviewRun, opts: VerdictOptions): GateVerdict {
    return judged(run, gateVerdict(run.value, opts), opts);
}

/** The verdict, given the gate's rules on the digest (`verdict`, computed once per preview). */
function judged(run: PreviewRun, verdict: GateVerdict, opts: VerdictOptions): GateVerdict {
    const scaleDown = loadCheck(verdict.lbChange, opts.load, opts.need);
    const closing = scaleDownClosing(verdict.lbChange, opts.load);
    const { reason, allowed } = loadReason(scaleDown, opts.allow);
    const reasons = [
        ...verdict.reasons,
        ...(reason ? [reason] : []),
        ...policyReasons(policyViolationsFromEventLog(run.events)),
    ];
    const failure = previewFailure(run.status, run.stderr, { ...verdict, reasons });
    if (failure) reasons.push(failure);
    return {
        ...verdict,
        ok: reasons.length === 0,
        reasons,
        allowed: [...verdict.allowed, ...(allowed ? [allowed] : [])],
        ...(scaleDown ? { scaleDown } : {}),
        ...(closing ? { closing } : {}),
    };
}

/** Where the live load is read from: the stack's settings (for `at`), and the API read (lazily: only a scale-down needs it). */
export interface LoadSource {
    settings: Settings;
    /** epoch ms: the moment the preview sizes for (PROXY_LB_NOW or the clock) */
    at: number;
    /** the API read; it may throw (no token), which the check then reports as unreadable metrics */
    read: () => ApiRead;
    /** the load already read for this moment and settings, with its metrics (the controller's tick, rollback's decision): not read again */
    seen?: ObservedLoad;
}

/** The window and capacity a scale-down's need is computed with, from the stack's settings. */
function needSettings(settings: Settings): NeedSettings {
    return {
        scaleDownAfterMinutes: settings.autopilot.scaleDownAfterMinutes,
        capacity: settings.config.capacity,
    };
}

/**
 * What the load balancer carries now, for a scale-down only (null otherwise: nothing is read).
 * The same read as the program's, so the gate and `up` judge one crowd. Never throws: a load
 * balancer or metrics that cannot be read come back as metrics `{ ok: false }`, which the check
 * refuses on.
 */
export async function readLiveLoad(
    change: LoadBalancerChange | undefined,
    source: LoadSource,
): Promise<ObservedLoad | null> {
    if (!isScaleDown(change)) return null;
    const { settings, at } = source;
    try {
        return source.seen ?? (await readObservedLoad(source.read(), settings, at));
    } catch (err) {
        return {
            at,
            live: null,
            metrics: {
                ok: false,
                error:
                    err instanceof ConfigError ? err.problems.join("; ") : (err as Error).message,
            },
        };
    }
}

export interface GatedPreview {
    preview: PreviewRun;
    verdict: GateVerdict;
}

/** Runs the preview, reads the live load when it scales down, and judges it. */
export async function gatedPreview(
    pulumi: Pulumi,
    opts: PreviewOptions & { allow?: string[]; load: LoadSource },
): Promise<GatedPreview> {
    const preview = await runWithEventLogAsync(pulumi, previewArgs(opts), parsePreviewDigest);
    const allow = opts.allow ?? [];
    const rules = gateVerdict(preview.value, { allow });
    const load = await readLiveLoad(rules.lbChange, opts.load);
    const need = needSettings(opts.load.settings);
    return { preview, verdict: judged(preview, rules, { allow, load, need }) };
}
