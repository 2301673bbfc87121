// DigitalOcean's objects as the API serves them, under their wire names (snake_case), so the
// store keeps and serves them as they are.

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
