// Reads the account's load balancers, with the missing-scope hint a command's user needs on a 403.
import { type LiveLoadBalancer, listLoadBalancers as list } from "../infra/loadBalancers";
import { withScopeHint, type ApiRead } from "../infra/digitaloceanApi";

/** Every load balancer of the account; a refusal names the scope to add. */
export async function listLoadBalancers(read: ApiRead): Promise<LiveLoadBalancer[]> {
    return list(read).catch(withScopeHint);
}
