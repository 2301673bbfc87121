// Shapes shared by the emulator's store, routes and tests. API objects use the
// DigitalOcean wire names (snake_case) so they can be served as-is.

import type { SeedMetrics } from "./metrics";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

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
    /** Monitoring series per seeded LB id (see metrics.ts). */
    metrics?: SeedMetrics;
    /** When given, only these tokens authenticate (others get 401), each limited to its scopes (403). Absent: any non-empty token has every scope. */
    tokens?: SeedToken[];
    /** Seconds DigitalOcean makes a load balancer wait between two resizes (default 60; 0: no limit). */
    resizeIntervalSeconds?: number;
    /** An update while a resize is in progress (the resize delay) gets 403 busy (default true). */
    busyWhileResizing?: boolean;
}

/** godo.Certificate as GET /v2/certificates/{id} serves it. */
export interface Certificate {
    id: string;
    name: string;
    dns_names: string[];
    not_after: string;
    sha1_fingerprint: string;
    created_at: string;
    state: "verified";
    type: "custom" | "lets_encrypt";
}

export interface RegionObject {
    name: string;
    slug: string;
    features: string[];
    available: boolean;
    sizes: string[];
}

export interface SizeObject {
    slug: string;
    memory: number;
    vcpus: number;
    disk: number;
    transfer: number;
    price_monthly: number;
    price_hourly: number;
    regions: string[];
    available: boolean;
    description: string;
    disk_info: { type: "local"; size: { amount: number; unit: string } }[];
}

export interface DropletImage {
    id: number;
    name: string;
    distribution: string;
    slug: string | null;
    public: boolean;
    regions: string[];
    created_at: string;
    type: "base" | "snapshot" | "backup" | "custom" | "admin";
    min_disk_size: number;
    size_gigabytes: number;
    description: string;
    tags: string[];
    status: "available";
    error_message: string;
}

export interface NetworkV4 {
    ip_address: string;
    netmask: string;
    gateway: string;
    type: "public" | "private";
}

export interface NetworkV6 {
    ip_address: string;
    netmask: number;
    gateway: string;
    type: "public";
}

export interface Droplet {
    id: number;
    name: string;
    memory: number;
    vcpus: number;
    disk: number;
    disk_info: SizeObject["disk_info"];
    locked: boolean;
    status: "new" | "active" | "off" | "archive";
    kernel: null;
    created_at: string;
    features: string[];
    backup_ids: number[];
    next_backup_window: null | { start: string; end: string };
    snapshot_ids: number[];
    image: DropletImage;
    volume_ids: string[];
    size: SizeObject;
    size_slug: string;
    networks: { v4: NetworkV4[]; v6: NetworkV6[] };
    region: RegionObject;
    tags: string[];
    vpc_uuid: string;
}

export type LbStatus = "new" | "active" | "errored";

export interface ForwardingRule {
    entry_protocol: string;
    entry_port: number;
    target_protocol: string;
    target_port: number;
    certificate_id?: string;
    tls_passthrough?: boolean;
}

export interface HealthCheck {
    protocol: "http" | "https" | "tcp";
    port: number;
    path?: string;
    check_interval_seconds: number;
    response_timeout_seconds: number;
    unhealthy_threshold: number;
    healthy_threshold: number;
}

/** Domain of a GLOBAL load balancer. */
export interface LbDomain {
    name: string;
    is_managed: boolean;
    certificate_id?: string;
}

/** Forwarding settings of a GLOBAL load balancer (godo sends `cdn: null` when unset). */
export interface GlbSettings {
    target_protocol: string;
    target_port: number;
    cdn?: { is_enabled: boolean };
    region_priorities?: Record<string, number>;
    failover_threshold?: number;
}

export interface LoadBalancer {
    id: string;
    name: string;
    ip: string;
    ipv6: string;
    /** Absent in legacy regions (ams2, nyc2, sfo1), which only know `size`. */
    size_unit?: number;
    size: string;
    type: string;
    algorithm: string;
    status: LbStatus;
    created_at: string;
    forwarding_rules: ForwardingRule[];
    health_check: HealthCheck;
    sticky_sessions: {
        type: "none" | "cookies";
        cookie_name?: string;
        cookie_ttl_seconds?: number;
    };
    /** Absent on a GLOBAL load balancer created without one. */
    region?: RegionObject;
    droplet_ids: number[];
    tag: string;
    redirect_http_to_https: boolean;
    enable_proxy_protocol: boolean;
    enable_backend_keepalive: boolean;
    /** Absent with `region`. */
    vpc_uuid?: string;
    disable_lets_encrypt_dns_records: boolean;
    project_id: string;
    http_idle_timeout_seconds: number;
    firewall: { allow: string[]; deny: string[] };
    network: string;
    network_stack: string;
    tls_cipher_policy: string;
    /** Only on GLOBAL load balancers (served when the body had them). */
    domains?: LbDomain[];
    glb_settings?: GlbSettings;
    target_load_balancer_ids?: string[];
}

/** Emulator-only bookkeeping kept next to each LB, never served. */
export interface LbRecord {
    lb: LoadBalancer;
    /** GETs still needed before a "new" LB turns "active". */
    getsUntilActive: number;
    /** Set by a stuckNew fault on create: never activates by itself. */
    stuck: boolean;
    /** [unix seconds from which it is in force, nodes]: what the derived frontend_connections_limit follows (a resize: its time + the resize delay). */
    sizeHistory?: [number, number][];
    /** Unix seconds (emulator clock) of the last resize asked for: the busy window and the resize interval start there. */
    lastResizeAt?: number;
    /** Scale-downs: [unix seconds when the removed nodes' connections close (asked + the drain minute), nodes before, nodes after]. */
    drains?: [number, number, number][];
}

export interface Action {
    id: number;
    status: "in-progress" | "completed" | "errored";
    type: string;
    started_at: string;
    completed_at: string | null;
    resource_id: number | null;
    resource_type: string;
    region: RegionObject;
    region_slug: string | null;
}

export type RequestKind = "load_balancer" | "droplet" | "action" | "tag" | "certificate" | "other";

export interface LogEntry {
    seq: number;
    time: string;
    requestId: string;
    method: string;
    path: string;
    query: Record<string, string>;
    /** 0 while in flight or when the connection was dropped by a fault. */
    status: number;
    kind: RequestKind;
    id?: string;
    write: boolean;
    /** Whether the bearer token was accepted (present, and listed when the seed lists tokens); the token itself is never kept. */
    authenticated: boolean;
    /** Set on a 403 for a token without the endpoint's scope: the scopes it lacked. */
    missingScopes?: string[];
    body?: unknown;
    /** Droplets a tag write touched (resources of type "droplet"). */
    dropletIds?: number[];
    fault?: FaultKind;
    /** On writes: whether the request changed stored state (false for refused, faulted-before and no-op writes). */
    changed?: boolean;
    durationMs?: number;
}

export interface OutOfBandChange {
    time: string;
    resource: "droplet" | "load_balancer";
    id: string;
    changes: Record<string, unknown>;
}

export type FaultKind = "error" | "busy" | "stuckNew" | "drop" | "delay";

/** "before": the request is not applied; "after": it is applied, then the answer is lost (drop) or replaced (error). */
export type FaultWhen = "before" | "after";

export interface FaultSpec {
    /** `path`: a prefix; a template with `{name}` segments (`/v2/load_balancers/{id}`); or a regular expression starting with "^". */
    match?: { method?: string; path?: string };
    count?: number;
    status?: number;
    message?: string;
    delayMs?: number;
    kind?: Exclude<FaultKind, "delay">;
    when?: FaultWhen;
    /** Sent as Retry-After; default 1 for 429. */
    retryAfterSeconds?: number;
}

export interface Fault {
    id: number;
    method?: string;
    path?: string;
    remaining: number;
    kind: FaultKind;
    when: FaultWhen;
    status?: number;
    message?: string;
    delayMs?: number;
    retryAfterSeconds?: number;
}

export interface Summary {
    reads: Partial<Record<RequestKind, Record<string, number>>>;
    writes: Partial<Record<RequestKind, Record<string, number>>>;
    /** Writes that changed stored state, per kind and id (attempts are in `writes`). */
    effectiveWrites: Partial<Record<RequestKind, Record<string, number>>>;
    totals: {
        requests: number;
        reads: number;
        writes: number;
        effectiveWrites: number;
        errors: number;
        dropped: number;
    };
    /** Write attempts (any status) aimed at droplets: droplet create/delete/actions and tag writes on droplet resources. */
    dropletWrites: number;
    dropletWritesById: Record<string, number>;
    outOfBandChanges: number;
}

interface TaggedCount {
    count: number;
    last_tagged_uri?: string;
}

/** GET /v2/tags/{tag}: `{tag: TagObject}` (godo.Tag). */
export interface TagObject {
    name: string;
    resources: TaggedCount & {
        droplets: TaggedCount;
        images: TaggedCount;
        volumes: TaggedCount;
        volume_snapshots: TaggedCount;
        databases: TaggedCount;
    };
}
