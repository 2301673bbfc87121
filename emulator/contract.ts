// Stricter "provider contract" checks layered on top of the OpenAPI response schemas.
// The spec marks almost nothing as required on load balancers and does not even require
// the `load_balancer` / `droplet` wrapper keys, so a response missing fields the
// Terraform/Pulumi provider dereferences would still pass it. These overlays close that
// gap (see shared/reference/digitalocean.md, "HTTP API the provider uses").

type Schema = Record<string, unknown>;

const lb: Schema = {
    type: "object",
    required: [
        "id",
        "name",
        "ip",
        "size",
        "type",
        "algorithm",
        "status",
        "created_at",
        "forwarding_rules",
        "health_check",
        "sticky_sessions",
        "droplet_ids",
        "tag",
        "redirect_http_to_https",
        "enable_proxy_protocol",
        "enable_backend_keepalive",
        "disable_lets_encrypt_dns_records",
        "project_id",
        "http_idle_timeout_seconds",
        "firewall",
    ],
    // Only a GLOBAL LB may lack a region (and so a VPC); the provider checks Region for nil.
    if: { properties: { type: { const: "GLOBAL" } }, required: ["type"] },
    else: { required: ["region", "vpc_uuid"] },
    properties: {
        region: { type: "object", required: ["slug"] },
        health_check: {
            type: "object",
            required: [
                "protocol",
                "port",
                "check_interval_seconds",
                "response_timeout_seconds",
                "unhealthy_threshold",
                "healthy_threshold",
            ],
        },
        sticky_sessions: { type: "object", required: ["type"] },
        firewall: { type: "object", required: ["allow", "deny"] },
    },
};

const networkItem = { type: "object", required: ["ip_address", "type"] };

const droplet: Schema = {
    type: "object",
    // The spec already requires most droplet fields; these are the nested ones Read dereferences.
    properties: {
        networks: {
            type: "object",
            required: ["v4", "v6"],
            properties: {
                v4: { type: "array", items: networkItem },
                v6: { type: "array", items: networkItem },
            },
        },
        image: { type: "object", required: ["id", "slug"] },
    },
};

const action: Schema = {
    type: "object",
    required: [
        "id",
        "status",
        "type",
        "started_at",
        "completed_at",
        "resource_id",
        "resource_type",
        "region_slug",
    ],
};

const list = (key: string, item: Schema): Schema => ({
    type: "object",
    required: [key, "links", "meta"],
    properties: {
        [key]: { type: "array", items: item },
        meta: { type: "object", required: ["total"] },
    },
});

const wrap = (key: string, inner: Schema, extra: string[] = []): Schema => ({
    type: "object",
    required: [key, ...extra],
    properties: { [key]: inner },
});

const error: Schema = { type: "object", required: ["id", "message", "request_id"] };

/** Overlay for an operation's response, keyed by operationId and status ("4xx"/"5xx" for errors). */
export function contractFor(operationId: string, status: number): Schema | undefined {
    if (status >= 400) return error;
    switch (operationId) {
        case "loadBalancers_create":
        case "loadBalancers_get":
        case "loadBalancers_update":
            return wrap("load_balancer", lb);
        case "loadBalancers_list":
            return list("load_balancers", lb);
        case "droplets_get":
            return wrap("droplet", droplet);
        case "droplets_list":
            return list("droplets", droplet);
        case "droplets_create":
            // One name -> {droplet}, `names` -> {droplets}.
            return {
                anyOf: [
                    wrap("droplet", droplet, ["links"]),
                    wrap("droplets", { type: "array", items: droplet }, ["links"]),
                ],
            };
        case "actions_get":
        case "dropletActions_post":
            return wrap("action", action);
        case "dropletActions_list":
            return list("actions", action);
        default:
            return undefined;
    }
}
