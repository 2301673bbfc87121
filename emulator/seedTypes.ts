// A seed file: the account the emulator starts with (droplets, load balancers, certificates,
// tokens, metrics) and the API's limits it may change; every field the API has but a seed leaves
// out gets a realistic default.
import type { SeedMetrics } from "./metrics";
import type { DropletImage, ForwardingRule, HealthCheck, LbStatus } from "./wireTypes";

/** Minimal droplet description accepted in a seed file; everything else gets realistic defaults. */
export interface SeedDroplet {
    id: number;
    name: string;
    region: string;
    /** Size slug, e.g. "s-2vcpu-4gb". */
    size: string;
    /** Image slug, numeric id, or a partial image object. */
    image: string | number | Partial<DropletImage>;
    tags?: string[];
    status?: "new" | "active" | "off" | "archive";
    created_at?: string;
    vpc_uuid?: string;
    /** Public IPv4; derived from the id when absent. */
    ip?: string;
    private_ip?: string;
    features?: string[];
    volume_ids?: string[];
    locked?: boolean;
}

export interface SeedLoadBalancer {
    id?: string;
    name: string;
    region: string;
    size_unit?: number;
    size?: string;
    forwarding_rules: ForwardingRule[];
    health_check?: Partial<HealthCheck>;
    droplet_ids?: number[];
    tag?: string;
    ip?: string;
    status?: LbStatus;
    [k: string]: unknown;
}

/** A TLS certificate in the account (forwarding rules and GLOBAL domains refer to it by id). */
export interface SeedCertificate {
    id: string;
    name: string;
    type?: "custom" | "lets_encrypt";
    dns_names?: string[];
    not_after?: string;
}

/** A personal access token of the account with its custom scopes (each scope's required scopes are added: no real token lacks them). */
export interface SeedToken {
    token: string;
    scopes: string[];
}

export interface Seed {
    droplets: SeedDroplet[];
    loadBalancers?: SeedLoadBalancer[];
    certificates?: SeedCertificate[];
    /** Monitoring series per seeded LB id: explicit points or a described drop curve. */
    metrics?: SeedMetrics;
    /** When given, only these tokens authenticate (others get 401), each limited to its scopes (403). Absent: any non-empty token has every scope. */
    tokens?: SeedToken[];
    /** Seconds DigitalOcean makes a load balancer wait between two resizes (default 60; 0: no limit). */
    resizeIntervalSeconds?: number;
    /** An update while a resize is in progress (the resize delay) gets 403 busy (default true). */
    busyWhileResizing?: boolean;
}
