// The drift a refresh cannot see: what the provider never reads back (the load balancer's
// cipher policy), read with the project's own client and compared with what the last
// `pulumi up` recorded. Reads only.
import type { ApiRead } from "../infra/digitaloceanApi";
import { getLoadBalancer } from "../infra/loadBalancers";
import { type DriftReport, recordedCipherPolicy, withCipherPolicyDrift } from "./drift";
import type { PreviewDigest } from "./pulumiJson";

/** `report` plus a cipher policy changed in the console since the last up; unchanged when the state records none. */
export async function withLiveSettingsDrift(
    report: DriftReport,
    refreshPreview: PreviewDigest,
    read: () => ApiRead,
): Promise<DriftReport> {
    const recorded = recordedCipherPolicy(refreshPreview);
    if (!recorded) return report;
    const live = await getLoadBalancer(read(), recorded.id);
    return live ? withCipherPolicyDrift(report, recorded.policy, live.tls_cipher_policy) : report;
}
