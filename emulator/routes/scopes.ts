// Which scope each endpoint the emulator serves requires: the one endpoint -> scope table,
// checked on every /v2 request (401 for a token the account does not know, 403 for a missing
// scope).
//
// Sources: the `security: bearer_auth: [...]` of each operation in DigitalOcean's OpenAPI
// description (openapi/do-openapi-subset.json, openapi/do-openapi-lb-metrics.json) and the
// API reference's tags and certificates pages.

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
    {
        method: "DELETE",
        route: "/v2/tags/:tag/resources",
        scopes: ["tag:delete", "droplet:update"],
    },
    { method: "GET", route: "/v2/monitoring/metrics/load_balancer/*", scopes: ["monitoring:read"] },
];

export function endpointScopes(method: string, route: string | undefined): string[] {
    if (!route) return [];
    const m = method.toUpperCase();
    const hit = ENDPOINT_SCOPES.find(
        (e) =>
            e.method === m &&
            (e.route.endsWith("/*") ? route.startsWith(e.route.slice(0, -1)) : e.route === route),
    );
    return hit?.scopes ?? [];
}
