// Reads the account's load balancers from DigitalOcean's API for `npm run discover`: reads only
// (GET /v2/load_balancers, every page), thin on purpose; what they mean is ops/discover.ts.
// The API base and the token come from the caller (cli/metrics.ts's apiBase and tokenFrom: one
// convention for every command that calls DigitalOcean itself).
import { ConfigError } from "../config";
import { type LiveLoadBalancer, parseListPage } from "./discover";
import { missingScopeHint, scopeForRequest } from "./scopes";

export interface ApiRead {
    /** API base, e.g. https://api.digitalocean.com */
    api: string;
    token: string;
    fetch?: typeof fetch;
}

const PER_PAGE = 200; // the API's maximum
const MAX_PAGES = 100; // 20,000 load balancers: far beyond any account's limit

/** Every load balancer of the account, page by page until the API gives no next page. */
export async function listLoadBalancers(read: ApiRead): Promise<LiveLoadBalancer[]> {
    const all: LiveLoadBalancer[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
        const url = new URL(`${read.api}/v2/load_balancers`);
        url.searchParams.set("page", String(page));
        url.searchParams.set("per_page", String(PER_PAGE));
        const json = await getJson(read, url);
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

async function getJson(read: ApiRead, url: URL): Promise<unknown> {
    let response: Response;
    try {
        response = await (read.fetch ?? fetch)(url, { headers: { Authorization: `Bearer ${read.token}`, Accept: "application/json" } });
    } catch (err) {
        throw new ConfigError([`GET ${url.pathname} on ${read.api} failed: ${(err as Error).message}`]);
    }
    const text = await response.text();
    if (!response.ok) {
        let said = text.slice(0, 200);
        try {
            const body = JSON.parse(text) as { id?: string; message?: string };
            said = [body.id, body.message].filter(Boolean).join(": ") || said;
        } catch {
            // not JSON: the text as it came
        }
        const endpoint = response.status === 403 ? scopeForRequest("GET", url.pathname) : undefined;
        throw new ConfigError([
            `GET ${url.pathname} answered ${response.status}${said ? ` (${said})` : ""}`,
            ...(endpoint ? [missingScopeHint(endpoint)] : []),
            ...(response.status === 401 ? ["DIGITALOCEAN_TOKEN is not a valid DigitalOcean token (revoked, expired or mistyped)"] : []),
        ]);
    }
    try {
        return JSON.parse(text);
    } catch {
        throw new ConfigError([`GET ${url.pathname} answered something that is not JSON: ${text.slice(0, 120)}`]);
    }
}
