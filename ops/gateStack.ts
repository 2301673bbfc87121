// The deploy gate for a stack as it is committed: the gated preview of its own stack file, and,
// once it passes, the live load balancer's size for a note beside the change (never failing it).
import type { Settings } from "../config";
import { COMMAND_SCOPES } from "../config/scopes";
import { programApiRead, type ApiRead } from "../infra/digitaloceanApi";
import { findLiveLoadBalancer } from "../infra/liveSize";
import type { GateVerdict } from "./gate";
import { gatedPreview } from "./gatedPreview";
import { pulumiFromToolchain, type Pulumi } from "./pulumiCli";

export interface GateRequest {
    stack: string;
    settings: Settings;
    stackEntries: Record<string, unknown>;
    /** epoch ms: the moment the settings were sized for and the live load is judged at */
    at: number;
    allow: string[];
    policyPack?: string;
    env?: Record<string, string | undefined>;
    pulumi?: Pulumi;
}

export interface GateResult {
    verdict: GateVerdict;
    /** the live load balancer's size_unit, read after a pass; undefined when there is none or it could not be read */
    liveSizeUnit?: number;
}

export async function gateStack(req: GateRequest): Promise<GateResult> {
    const { stack, settings, at } = req;
    const env = req.env ?? process.env;
    const read = () => programApiRead(env, req.stackEntries, COMMAND_SCOPES.gate.scopes);
    const { verdict } = await gatedPreview(req.pulumi ?? pulumiFromToolchain(), {
        stack,
        policyPack: req.policyPack,
        allow: req.allow,
        load: { settings, at, read },
    });
    if (!verdict.ok) return { verdict };
    const live = await liveSizeUnit(read, settings);
    return { verdict, ...(live === undefined ? {} : { liveSizeUnit: live }) };
}

/** The live load balancer's size_unit (one GET); undefined when there is none or it cannot be read: a note only. */
async function liveSizeUnit(read: () => ApiRead, settings: Settings): Promise<number | undefined> {
    try {
        return (await findLiveLoadBalancer(read(), settings))?.sizeUnit;
    } catch {
        return undefined;
    }
}
