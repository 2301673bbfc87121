// The wire shapes (model -> DigitalOcean JSON), in one place as fake-gcs-server's response.go:
// a load balancer as the API stores and answers it, and a tag object.
import {
    DEFAULT_PROJECT_ID,
    LB_SIZE_SLUG_NODES,
    defaultVpcUuid,
    isLegacyRegion,
    regionObject,
} from "./catalog";
import type {
    ForwardingRule,
    GlbSettings,
    HealthCheck,
    LbDomain,
    LbStatus,
    LoadBalancer,
    TagObject,
} from "./wireTypes";

type Body = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** Nodes of an LB: size_unit, or the legacy size slug's node count. */
export function nodesOf(lb: LoadBalancer): number {
    return lb.size_unit ?? LB_SIZE_SLUG_NODES[lb.size] ?? 1;
}

/**
 * The LB the API keeps for an accepted create/update body: its defaults filled in (algorithm,
 * health check, sticky sessions, firewall...), `path` dropped on tcp health checks, and the
 * identity the API assigns.
 */
export function lbFromBody(
    body: Body,
    identity: { id: string; ip: string; created_at: string; status: LbStatus },
): LoadBalancer {
    const region = body.region as string | undefined;
    const legacy = region !== undefined && isLegacyRegion(region);
    const sizeSlug = typeof body.size === "string" ? body.size : undefined;
    const networkStack = (body.network_stack as string) ?? "IPV4";
    const hcIn = (body.health_check ?? {}) as Partial<HealthCheck>;
    const protocol = hcIn.protocol ?? "http";
    const health_check: HealthCheck = {
        protocol,
        port: hcIn.port ?? 80,
        // The API drops `path` on tcp checks (a program that sets one diffs on every run).
        ...(protocol === "tcp" ? {} : { path: hcIn.path || "/" }),
        check_interval_seconds: hcIn.check_interval_seconds ?? 10,
        response_timeout_seconds: hcIn.response_timeout_seconds ?? 5,
        unhealthy_threshold: hcIn.unhealthy_threshold ?? 3,
        healthy_threshold: hcIn.healthy_threshold ?? 5,
    };
    const ss = (body.sticky_sessions ?? {}) as LoadBalancer["sticky_sessions"];
    const sticky_sessions: LoadBalancer["sticky_sessions"] =
        ss.type === "cookies"
            ? {
                  type: "cookies",
                  cookie_name: ss.cookie_name ?? "DO-LB",
                  cookie_ttl_seconds: ss.cookie_ttl_seconds ?? 300,
              }
            : { type: "none" };
    const fw = (body.firewall ?? {}) as Partial<LoadBalancer["firewall"]>;
    const lb: LoadBalancer = {
        id: identity.id,
        name:
            typeof body.name === "string" && body.name
                ? body.name
                : `lb-${identity.id.slice(0, 8)}`,
        ip: identity.ip,
        ipv6:
            networkStack === "DUALSTACK"
                ? `2604:a880:800:14::${identity.ip.split(".").slice(2).join(":")}:c000`
                : "",
        size_unit: sizeUnitOf(body),
        size: legacy ? (sizeSlug ?? "lb-small") : "lb-small",
        type: (body.type as string) ?? "REGIONAL",
        algorithm: (body.algorithm as string) || "round_robin",
        status: identity.status,
        created_at: identity.created_at,
        forwarding_rules: (body.forwarding_rules as ForwardingRule[]).map((r) => ({
            entry_protocol: r.entry_protocol,
            entry_port: r.entry_port,
            target_protocol: r.target_protocol,
            target_port: r.target_port,
            certificate_id: r.certificate_id ?? "",
            tls_passthrough: r.tls_passthrough ?? false,
        })),
        health_check,
        sticky_sessions,
        ...(region !== undefined ? { region: regionObject(region) } : {}),
        droplet_ids: Array.isArray(body.droplet_ids) ? [...(body.droplet_ids as number[])] : [],
        tag: typeof body.tag === "string" ? body.tag : "",
        redirect_http_to_https: body.redirect_http_to_https === true,
        enable_proxy_protocol: body.enable_proxy_protocol === true,
        enable_backend_keepalive: body.enable_backend_keepalive === true,
        ...(region !== undefined || body.vpc_uuid
            ? { vpc_uuid: (body.vpc_uuid as string) || defaultVpcUuid(region!) }
            : {}),
        disable_lets_encrypt_dns_records: body.disable_lets_encrypt_dns_records === true,
        project_id: (body.project_id as string) || DEFAULT_PROJECT_ID,
        http_idle_timeout_seconds: (body.http_idle_timeout_seconds as number) ?? 60,
        firewall: { allow: fw.allow ?? [], deny: fw.deny ?? [] },
        network: (body.network as string) ?? "EXTERNAL",
        network_stack: networkStack,
        tls_cipher_policy: (body.tls_cipher_policy as string) ?? "DEFAULT",
    };
    if (Array.isArray(body.domains) && body.domains.length) {
        lb.domains = (body.domains as LbDomain[]).map((d) => ({
            name: d.name,
            is_managed: d.is_managed === true,
            ...(d.certificate_id ? { certificate_id: d.certificate_id } : {}),
        }));
    }
    if (body.glb_settings && typeof body.glb_settings === "object")
        lb.glb_settings = clone(body.glb_settings as GlbSettings);
    if (Array.isArray(body.target_load_balancer_ids) && body.target_load_balancer_ids.length) {
        lb.target_load_balancer_ids = [...(body.target_load_balancer_ids as string[])];
    }
    if (legacy) delete lb.size_unit;
    return lb;
}

function sizeUnitOf(body: Body): number {
    if (typeof body.size_unit === "number") return body.size_unit;
    if (typeof body.size === "string" && body.size in LB_SIZE_SLUG_NODES)
        return LB_SIZE_SLUG_NODES[body.size];
    return 1;
}

/** Served form of a stored LB: a tag-targeted LB reports the droplets carrying the tag now, as the API does. */
export function lbToWire(
    lb: LoadBalancer,
    dropletsWithTag: (tag: string) => number[],
): LoadBalancer {
    const out = clone(lb);
    if (out.tag) out.droplet_ids = dropletsWithTag(out.tag);
    return out;
}

/**
 * The API's tag object: counts per resource type and the URI of the resource tagged last.
 * Only droplets carry tags here, so the other types count 0. URIs are absolute, as the API's
 * are, on `apiBase` (the emulator's own URL).
 */
export function tagToWire(
    name: string,
    carriers: number[],
    lastTagged: number | undefined,
    apiBase: string,
): TagObject {
    const last =
        lastTagged !== undefined && carriers.includes(lastTagged)
            ? lastTagged
            : carriers[carriers.length - 1];
    const uri = last === undefined ? undefined : `${apiBase}/v2/droplets/${last}`;
    const droplets = { count: carriers.length, ...(uri ? { last_tagged_uri: uri } : {}) };
    return {
        name,
        resources: {
            count: carriers.length,
            ...(uri ? { last_tagged_uri: uri } : {}),
            droplets,
            images: { count: 0 },
            volumes: { count: 0 },
            volume_snapshots: { count: 0 },
            databases: { count: 0 },
        },
    };
}
