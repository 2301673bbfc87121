// Reads the account's load balancers from DigitalOcean's API for `npm run discover`: reads only
// (GET /v2/load_balancers, every page), thin on purpose; what they mean is ops/discover.ts.
// The API base, the token and the GET are infra/digitaloceanApi.ts's: one convention for every
// command that calls DigitalOcean itself.
import { ConfigError } from "../config";
import { type LiveLoadBalancer, parseListPage } from "./discover";
import { type ApiRead, getJson } from "../infra/digitaloceanApi";
import { withScopeHint } from "./scopes";

const PER_PAGE = 200; // the API's maximum
const MAX_PAGES = 100; // 20,000 load balancers: far beyond any account's limit

/** Every load balancer of the account, page by page until the API gives no next page. */
export async function listLoadBalancers(read: ApiRead): Promise<LiveLoadBalancer[]> {
    const all: LiveLoadBalancer[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
        const url = new URL(`${read.api}/v2/load_balancers`);
        url.searchParams.set("page", String(page));
        url.searchParams.set("per_page", String(PER_PAGE));
        const json = await getJson(read, url).catch(withScopeHint);
        let parsed: ReturnType<typeof parseListPage>;
        try {
            parsed = parseListPage(json);
        } catch (err) {
            throw new ConfigError([`GET /v2/load_balancers on ${read.api}: ${(err as Error).message}`]);
        }
        all.push(...parsed.loadBalancers);
        if (!parsed.next || parsed.loadBalancers.length === 0) return all;
    }
    throw new ConfigError([`GET /v2/load_balancers on ${read.api} still had a next page after ${MAX_PAGES} pages`]);
}
