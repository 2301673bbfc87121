// The resize-only mode: what the autopilot and the schedule run to change the load balancer's
// size. Declaring the masking droplets costs the engine a Check and a Diff each (about 45 ms a
// droplet), so in this mode the program declares only the load balancer and the update must be
// targeted at it: the engine then carries every droplet over in the state untouched (the end-to-
// end tests show it). Run without the target, the engine would plan deleting the undeclared
// droplets, which their protect flag refuses before any API call and the gate refuses too; the
// full preview and `pulumi up` of a deploy (no variable set) still declare every droplet.
import { LOAD_BALANCER_NAME, LOAD_BALANCER_TYPE } from "./names";

export const RESIZE_ONLY_VARIABLE = "PROXY_LB_RESIZE_ONLY";

/** True when the run is the resize-only one; anything but unset, "", "true" or "false" is an error naming the variable. */
export function resizeOnlyFromEnvironment(
    env: Record<string, string | undefined> = process.env,
): boolean {
    const value = env[RESIZE_ONLY_VARIABLE];
    if (value === undefined || value === "" || value === "false") return false;
    if (value === "true") return true;
    throw new Error(
        `${RESIZE_ONLY_VARIABLE} must be "true" or "false" (got ${JSON.stringify(value)})`,
    );
}

/** The load balancer's URN, for `pulumi up --target` (the project is the one in Pulumi.yaml). */
export function loadBalancerUrn(stack: string, project = "proxy-lb"): string {
    return `urn:pulumi:${stack}::${project}::${LOAD_BALANCER_TYPE}::${LOAD_BALANCER_NAME}`;
}

/**
 * The environment and arguments of a resize-only `pulumi up` (CLI or Automation API's
 * `target`): the one mode where the program leaves the droplets out, never without the target.
 */
export function resizeOnlyUp(
    stack: string,
    project = "proxy-lb",
): { env: Record<string, string>; target: string[]; args: string[] } {
    const target = [loadBalancerUrn(stack, project)];
    return {
        env: { [RESIZE_ONLY_VARIABLE]: "true" },
        target,
        args: target.flatMap((urn) => ["--target", urn]),
    };
}
