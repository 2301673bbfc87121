// Forgetting departed masking servers, run: a real preview says which servers left the config,
// and with `apply` exactly those are unprotected in the state, so the next `up` drops them with
// no API call. Nothing is unprotected when any droplet would really change.
import { forgetPlan, type ForgetPlan } from "./forget";
import { CommandError, pulumiFromToolchain, type Pulumi } from "./pulumiCli";
import { parsePreviewDigest } from "./pulumiJson";

export interface ForgetResult {
    plan: ForgetPlan;
    /** the departed servers were unprotected (asked for, none refused, at least one) */
    unprotected: boolean;
}

export function forgetDeparted(
    stack: string,
    opts: { apply: boolean; pulumi?: Pulumi },
): ForgetResult {
    const pulumi = opts.pulumi ?? pulumiFromToolchain();
    const preview = pulumi.json(
        ["preview", "--json", "--non-interactive", "--stack", stack],
        parsePreviewDigest,
    );
    const plan = forgetPlan(preview.value);
    if (!opts.apply || plan.refused.length > 0 || plan.departed.length === 0)
        return { plan, unprotected: false };
    for (const server of plan.departed) {
        const run = pulumi.capture(unprotectArgs(stack, server.urn));
        if (run.status !== 0)
            throw new CommandError(
                [
                    `forget: pulumi state unprotect failed for droplet ${server.id}:`,
                    `  ${run.stderr.trim()}`,
                ],
                1,
            );
    }
    return { plan, unprotected: true };
}

export function unprotectArgs(stack: string, urn: string): string[] {
    return ["state", "unprotect", urn, "--yes", "--non-interactive", "--stack", stack];
}
