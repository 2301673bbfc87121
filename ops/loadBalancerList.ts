// Reads the account's load balancers for `npm run discover`: the listing is infra/loadBalancers.ts's,
// with the missing-scope hint a command's user needs on a 403.
import { type LiveLoadBalancer, listLoadBalancers as list } from "../infra/loadBalancers";
import type { ApiRead } from "../infra/digitaloceanApi";
import { withScopeHint } from "./scopes";

/** Every load balancer of the account; a refusal names the scope to add. */
export async function listLoadBalancers(read: ApiRead): Promise<LiveLoadBalancer[]> {
    return list(read).catch(withScopeHint);
}
