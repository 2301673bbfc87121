// One gated preview for every path that changes the load balancer (gate before a deploy,
// rollback, the controller): run `pulumi preview` with its event log, then one verdict from the
// gate's rules on the digest, the policy pack's violations (only in the event log) and the
// preview's own failure. Every path applies the same gate because each calls this, not a copy.
// A scale-down is also checked against what the load balancer carries (readLiveLoad, then the
// pure loadCheck in the verdict): never scale down into a live crowd, whichever path asks.
import { ConfigError, type Settings } from "../config";
import type { ApiRead } from "../infra/digitaloceanApi";
import { readObservedLoad, type ObservedLoad } from "../infra/liveSize";
import {
    gateVerdict,
    isScaleDown,
    loadCheck,
    loadReason,
    policyReasons,
    previewFailure,
    scaleDownClosing,
    type GateVerdict,
    type LiveLoad,
    type LoadBalancerChange,
} from "./gate";
import { runWithEventLog, type EventLogRun, type Pulumi } from "./pulumiCli";
import { parsePreviewDigest, policyViolationsFromEventLog, type PreviewDigest } from "./pulumiJson";

export interface PreviewOptions {
    stack: string;
    /** a stack file to preview with instead of Pulumi.<stack>.yaml (rollback's restored config) */
    configFile?: string;
    /** a policy pack directory to run the preview with */
    policyPack?: string;
    /** URNs to target (the resize-only preview: infra/resizeOnly.ts resizeOnlyUp) */
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

/**
 * The verdict on one preview run: the gate's rules, the live-load check of a scale-down, then each
 * mandatory policy violation, then a failure nothing above explains. Pure: an Automation API
 * preview gives the same verdict from its digest, the events its onEvent saw, its exit status and
 * stderr, and the load readLiveLoad read for its change (null when it read none: a scale-down is
 * then refused, as on unreadable metrics).
 */
export function gatedVerdict(
    run: PreviewRun,
    opts: { allow: string[]; load: LiveLoad | null },
): GateVerdict {
    const verdict = gateVerdict(run.value, opts);
    const scaleDown = loadCheck(verdict.lbChange, opts.load);
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
    /** the load already read for this moment and settings (the controller's tick, rollback's decision): not read again */
    seen?: ObservedLoad;
}

/**
 * What the load balancer carries now, for a scale-down only (null otherwise: nothing is read).
 * The same reads as the program's (infra/liveSize.ts). Never throws: a load balancer or metrics
 * that cannot be read come back as metrics `{ ok: false }`, which the check refuses on.
 */
export async function readLiveLoad(
    change: LoadBalancerChange | undefined,
    source: LoadSource,
): Promise<LiveLoad | null> {
    if (!isScaleDown(change)) return null;
    const { settings, at } = source;
    const base = {
        at,
        scaleDownAfterMinutes: settings.autopilot.scaleDownAfterMinutes,
        capacity: settings.config.capacity,
    };
    try {
        const { live, metrics } =
            source.seen ?? (await readObservedLoad(source.read(), settings, at));
        return { ...base, ...(live === null ? {} : { liveSizeUnit: live.sizeUnit }), metrics };
    } catch (err) {
        return {
            ...base,
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
    const preview = runWithEventLog(pulumi, previewArgs(opts), parsePreviewDigest);
    const change = gateVerdict(preview.value, { allow: opts.allow ?? [] }).lbChange;
    const load = await readLiveLoad(change, opts.load);
    return { preview, verdict: gatedVerdict(preview, { allow: opts.allow ?? [], load }) };
}
