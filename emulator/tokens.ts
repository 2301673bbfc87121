// The account's personal access tokens and what their custom scopes grant: each scope with
// the scopes DigitalOcean requires with it (docs.digitalocean.com/reference/api/scopes/<type>/<verb>),
// and the legacy `read`/`write` scopes. Which scope an endpoint needs is the HTTP layer's
// table, not this module's.
import { createHash } from "node:crypto";
import type { SeedToken } from "./seedTypes";

const LB_READS = [
    "regions:read",
    "sizes:read",
    "actions:read",
    "droplet:read",
    "image:read",
    "tag:read",
    "vpc:read",
];
const DROPLET_READS = ["regions:read", "sizes:read", "actions:read", "image:read"];

/**
 * Scopes a scope requires (the scope reference's "Required Scopes" pages for load_balancer:*,
 * droplet:*, image:read, certificate:read, tag:create; monitoring:read from the matching
 * team-permission page). "To add a scope to an API token, you must also add its required
 * scopes": no real token lacks them, so a seeded token's scopes are closed under this relation. Types not listed require their own read scope for any other
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
    "vpc:read": ["regions:read", "sizes:read", "actions:read"], // docs.digitalocean.com/reference/api/scopes/vpc/read
    "certificate:read": [],
    "monitoring:read": ["droplet:read", "image:read"],
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

export const tokenSha256 = (token: string): string =>
    createHash("sha256").update(token).digest("hex");

/** Seeded tokens by SHA-256 (the token itself is never kept), each with its closed scope set. */
export type TokenScopes = Map<string, string[]>;

export function tokenScopesFromSeed(tokens: unknown): TokenScopes | undefined {
    if (tokens === undefined) return undefined;
    if (!Array.isArray(tokens))
        throw new Error("seed: `tokens` must be an array of { token, scopes }");
    const out: TokenScopes = new Map();
    tokens.forEach((t: SeedToken, i) => {
        const where = `seed: tokens[${i}]`;
        if (typeof t?.token !== "string" || !t.token.trim())
            throw new Error(`${where}.token must be a non-empty string`);
        if (!Array.isArray(t.scopes) || !t.scopes.every((s) => typeof s === "string"))
            throw new Error(`${where}.scopes must be an array of scope names`);
        const bad = t.scopes.filter((s) => !SCOPE_FORM.test(s) && !LEGACY.includes(s));
        if (bad.length)
            throw new Error(
                `${where}.scopes: ${bad.map((s) => JSON.stringify(s)).join(", ")} is not a scope (<resource>:<verb>, e.g. load_balancer:update)`,
            );
        const sha = tokenSha256(t.token);
        if (out.has(sha)) throw new Error(`${where}: the same token is listed twice`);
        out.set(sha, [...withRequiredScopes(t.scopes)].sort());
    });
    return out;
}

/** The scopes among `needed` that `granted` (a closed scope set) does not cover. */
export function missingScopes(needed: string[], granted: readonly string[]): string[] {
    if (granted.includes("write")) return [];
    const readAll = granted.includes("read");
    return needed.filter((s) => !granted.includes(s) && !(readAll && s.endsWith(":read")));
}
