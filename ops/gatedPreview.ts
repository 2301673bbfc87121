// One gated preview for every path that changes the load balancer (gate before a deploy,
// rollback, the autopilot later): run `pulumi preview` with its event log, then one verdict
// from the gate's rules on the digest, the policy pack's violations (only in the event log)
// and the preview's own failure. Deploy and rollback apply the same gate because both call
// this, not a copy. The run with an event log (ops/pulumiCli.ts) is drift's too.
import { gateVerdict, policyReasons, previewFailure, type GateVerdict } from "./gate";
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
        "preview", "--json", "--show-sames", "--non-interactive", "--stack", opts.stack,
        ...(opts.configFile ? ["--config-file", opts.configFile] : []),
        ...(opts.policyPack ? ["--policy-pack", opts.policyPack] : []),
        ...(opts.target ?? []).flatMap((urn) => ["--target", urn]),
    ];
}

export type PreviewRun = EventLogRun<PreviewDigest>;

/**
 * The verdict on one preview run: the gate's rules, then each mandatory policy violation, then a
 * failure nothing above explains. Pure: an Automation API preview gives the same verdict from its
 * digest, the events its onEvent saw, its exit status and stderr.
 */
export function gatedVerdict(run: PreviewRun, opts: { allow: string[] }): GateVerdict {
    const verdict = gateVerdict(run.value, opts);
    const reasons = [...verdict.reasons, ...policyReasons(policyViolationsFromEventLog(run.events))];
    const failure = previewFailure(run.status, run.stderr, { ...verdict, reasons });
    if (failure) reasons.push(failure);
    return { ...verdict, ok: reasons.length === 0, reasons };
}

export interface GatedPreview {
    preview: PreviewRun;
    verdict: GateVerdict;
}

/** Runs the preview and judges it. */
export function gatedPreview(pulumi: Pulumi, opts: PreviewOptions & { allow?: string[] }): GatedPreview {
    const preview = runWithEventLog(pulumi, previewArgs(opts), parsePreviewDigest);
    return { preview, verdict: gatedVerdict(preview, { allow: opts.allow ?? [] }) };
}
