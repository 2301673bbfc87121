// Custom-scoped tokens: which scope each endpoint the emulator serves requires, and what a
// token's scopes grant. The HTTP layer checks every /v2 request against ENDPOINT_SCOPES
// (401 for a token the account does not know, 403 for a missing scope).
//
// Sources: the `security: bearer_auth: [...]` of each operation in DigitalOcean's OpenAPI
// description (openapi/do-openapi-subset.json, openapi/do-openapi-lb-metrics.json), the API
// reference pages for tags and certificates, and the scope reference
// (docs.digitalocean.com/reference/api/scopes/<type>/<verb>) for required scopes.
import { createHash } from "node:crypto";
import type { SeedToken } from "./types";

export interface EndpointScope {
    method: string;
    /** Fastify route template; a trailing `/*` matches every route below it. */
    route: string;
    /** Every scope listed is needed. */
    scopes: string[];
}

/** The one endpoint -> scope table. */
export const ENDPOINT_SCOPES: EndpointScope[] = [
    { method: "GET", route: "/v2/load_balancers", scopes: ["load_balancer:read"] },
    { method: "GET", route: "/v2/load_balancers/:lb_id", scopes: ["load_balancer:read"] },
    { method: "POST", route: "/v2/load_balancers", scopes: ["load_balancer:create"] },
    { method: "PUT", route: "/v2/load_balancers/:lb_id", scopes: ["load_balancer:update"] },
    { method: "DELETE", route: "/v2/load_balancers/:lb_id", scopes: ["load_balancer:delete"] },
    { method: "GET", route: "/v2/droplets", scopes: ["droplet:read"] },
    { method: "GET", route: "/v2/droplets/:droplet_id", scopes: ["droplet:read"] },
    { method: "GET", route: "/v2/droplets/:droplet_id/actions", scopes: ["droplet:read"] },
    { method: "POST", route: "/v2/droplets", scopes: ["droplet:create"] },
    { method: "DELETE", route: "/v2/droplets", scopes: ["droplet:delete"] },
    { method: "DELETE", route: "/v2/droplets/:droplet_id", scopes: ["droplet:delete"] },
    { method: "POST", route: "/v2/droplets/:droplet_id/actions", scopes: ["droplet:update"] },
    { method: "GET", route: "/v2/actions/:action_id", scopes: ["actions:read"] },
    { method: "GET", route: "/v2/certificates", scopes: ["certificate:read"] },
    { method: "GET", route: "/v2/certificates/:cert_id", scopes: ["certificate:read"] },
    { method: "GET", route: "/v2/tags", scopes: ["tag:read"] },
    { method: "GET", route: "/v2/tags/:tag", scopes: ["tag:read"] },
    { method: "POST", route: "/v2/tags", scopes: ["tag:create"] },
    { method: "DELETE", route: "/v2/tags/:tag", scopes: ["tag:delete"] },
    // "To tag a resource, you must have both tag:create and <resource type>:update" (only droplets carry tags here).
    { method: "POST", route: "/v2/tags/:tag/resources", scopes: ["tag:create", "droplet:update"] },
    { method: "DELETE", route: "/v2/tags/:tag/resources", scopes: ["tag:delete", "droplet:update"] },
    { method: "GET", route: "/v2/monitoring/metrics/load_balancer/*", scopes: ["monitoring:read"] },
];

const LB_READS = ["regions:read", "sizes:read", "actions:read", "droplet:read", "image:read", "tag:read", "vpc:read"];
const DROPLET_READS = ["regions:read", "sizes:read", "actions:read", "image:read"];

/**
 * Scopes a scope requires (the scope reference's "Required Scopes"). A token cannot be made
 * without them (the console selects them with the scope), so a token's scopes are always
 * closed under this relation. Types not listed require their own read scope for any other
 * verb ("to add a non-read scope for a resource type, you must also add the read scope").
 */
export const REQUIRED_SCOPES: Record<string, string[]> = {
    "load_balancer:read": LB_READS,
    "load_balancer:create": ["load_balancer:read", ...LB_READS],
    "load_balancer:update": ["load_balancer:read", ...LB_READS],
    "load_balancer:delete": ["load_balancer:read", ...LB_READS],
    "droplet:read": DROPLET_READS,
    "droplet:create": ["droplet:read", ...DROPLET_READS],
    "droplet:update": ["droplet:read", ...DROPLET_READS],
    "droplet:delete": ["droplet:read", ...DROPLET_READS],
    "image:read": ["droplet:read", "regions:read", "sizes:read", "actions:read"],
    "certificate:read": [],
};

const SCOPE_FORM = /^[a-z0-9_]+:[a-z_]+$/;
/** The two scopes of tokens made before custom scopes: every `*:read`, and full access. */
const LEGACY = ["read", "write"];

export function requiredScopes(scope: string): string[] {
    const listed = REQUIRED_SCOPES[scope];
    if (listed) return listed;
    const [type, verb] = scope.split(":");
    return verb && verb !== "read" ? [`${type}:read`] : [];
}

/** A token's scopes with everything they require. */
export function withRequiredScopes(scopes: string[]): Set<string> {
    const out = new Set<string>();
    const todo = [...scopes];
    while (todo.length) {
        const s = todo.pop()!;
        if (out.has(s)) continue;
        out.add(s);
        if (!LEGACY.includes(s)) todo.push(...requiredScopes(s));
    }
    return out;
}

export const tokenSha256 = (token: string): string => createHash("sha256").update(token).digest("hex");

/** Seeded tokens by SHA-256 (the token itself is never kept), each with its closed scope set. */
export type TokenScopes = Map<string, string[]>;

export function tokenScopesFromSeed(tokens: unknown): TokenScopes | undefined {
    if (tokens === undefined) return undefined;
    if (!Array.isArray(tokens)) throw new Error("seed: `tokens` must be an array of { token, scopes }");
    const out: TokenScopes = new Map();
    tokens.forEach((t: SeedToken, i) => {
        const where = `seed: tokens[${i}]`;
        if (typeof t?.token !== "string" || !t.token.trim()) throw new Error(`${where}.token must be a non-empty string`);
        if (!Array.isArray(t.scopes) || !t.scopes.every((s) => typeof s === "string")) throw new Error(`${where}.scopes must be an array of scope names`);
        const bad = t.scopes.filter((s) => !SCOPE_FORM.test(s) && !LEGACY.includes(s));
        if (bad.length) throw new Error(`${where}.scopes: ${bad.map((s) => JSON.stringify(s)).join(", ")} is not a scope (<resource>:<verb>, e.g. load_balancer:update)`);
        const sha = tokenSha256(t.token);
        if (out.has(sha)) throw new Error(`${where}: the same token is listed twice`);
        out.set(sha, [...withRequiredScopes(t.scopes)].sort());
    });
    return out;
}

export function endpointScopes(method: string, route: string | undefined): string[] {
    if (!route) return [];
    const m = method.toUpperCase();
    const hit = ENDPOINT_SCOPES.find((e) => e.method === m && (e.route.endsWith("/*") ? route.startsWith(e.route.slice(0, -1)) : e.route === route));
    return hit?.scopes ?? [];
}

/** The scopes among `needed` that `granted` (a closed scope set) does not cover. */
export function missingScopes(needed: string[], granted: readonly string[]): string[] {
    if (granted.includes("write")) return [];
    const readAll = granted.includes("read");
    return needed.filter((s) => !granted.includes(s) && !(readAll && s.endsWith(":read")));
}
