// Small helpers for emulator tests (and for other suites that drive the emulator).
import { type Emulator, type EmulatorOptions, startEmulator } from "./server";
import { seedFromIds } from "./seed";
import type { SeedCertificate } from "./seedTypes";

/** Looks like a real personal access token so a leak would be easy to grep for. */
export const TEST_TOKEN = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
export const MASKING_IDS = [310001, 310002, 310003];
/** Seeded by startTestEmulator; nonDefaultLbBody's TLS rules use it. */
export const TEST_CERTIFICATE: SeedCertificate = {
    id: "892071a0-bb95-49bc-8021-3afd67a210bf",
    name: "shop-cert",
    dns_names: ["shop.example.com"],
};

export interface Res<T = any> {
    status: number;
    body: T;
    headers: Headers;
}

export interface Client {
    get<T = any>(path: string): Promise<Res<T>>;
    post<T = any>(path: string, body?: unknown): Promise<Res<T>>;
    put<T = any>(path: string, body?: unknown): Promise<Res<T>>;
    patch<T = any>(path: string, body?: unknown): Promise<Res<T>>;
    del<T = any>(path: string, body?: unknown): Promise<Res<T>>;
}

/** fetch wrapper; sends the bearer token unless `token` is null (like godo, always JSON). */
export function client(baseUrl: string, token: string | null = TEST_TOKEN): Client {
    const call = async (method: string, path: string, body?: unknown): Promise<Res> => {
        const headers: Record<string, string> = {
            "content-type": "application/json",
            accept: "application/json",
        };
        if (token !== null) headers.authorization = `Bearer ${token}`;
        const res = await fetch(baseUrl + path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return {
            status: res.status,
            body: text ? JSON.parse(text) : undefined,
            headers: res.headers,
        };
    };
    return {
        get: (p) => call("GET", p),
        post: (p, b) => call("POST", p, b),
        put: (p, b) => call("PUT", p, b),
        patch: (p, b) => call("PATCH", p, b),
        del: (p, b) => call("DELETE", p, b),
    };
}

/** The body the Terraform/Pulumi provider sends for a TCP proxy LB (godo omits empty fields). */
export function providerLbBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "proxy-lb",
        region: "nyc3",
        algorithm: "round_robin",
        size_unit: 2,
        forwarding_rules: [
            { entry_protocol: "tcp", entry_port: 443, target_protocol: "tcp", target_port: 443 },
        ],
        health_check: {
            protocol: "tcp",
            port: 443,
            check_interval_seconds: 10,
            response_timeout_seconds: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 3,
        },
        sticky_sessions: { type: "none" },
        droplet_ids: [...MASKING_IDS],
        disable_lets_encrypt_dns_records: false,
        http_idle_timeout_seconds: 60,
        type: "REGIONAL",
        network: "EXTERNAL",
        network_stack: "IPV4",
        ...overrides,
    };
}

/**
 * Every setting the provider's LoadBalancer resource can send, none at its default, as godo
 * serialises it (omitempty: no empty strings, zeros or empty lists). Target is the masking tag;
 * pass `droplet_ids` and `tag: undefined` to target ids. Used as a seed it is "an LB made in the
 * console" with non-default settings.
 */
export function nonDefaultLbBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "console-made-lb",
        algorithm: "least_connections",
        region: "nyc3",
        size_unit: 4,
        type: "REGIONAL",
        forwarding_rules: [
            { entry_protocol: "tcp", entry_port: 443, target_protocol: "tcp", target_port: 443 },
            { entry_protocol: "udp", entry_port: 53, target_protocol: "udp", target_port: 5353 },
            { entry_protocol: "http", entry_port: 80, target_protocol: "http", target_port: 8080 },
            {
                entry_protocol: "https",
                entry_port: 8443,
                target_protocol: "http",
                target_port: 8080,
                certificate_id: TEST_CERTIFICATE.id,
            },
            {
                entry_protocol: "http2",
                entry_port: 9443,
                target_protocol: "http2",
                target_port: 9443,
                certificate_id: TEST_CERTIFICATE.id,
            },
            {
                entry_protocol: "http3",
                entry_port: 10443,
                target_protocol: "http",
                target_port: 8080,
                certificate_id: TEST_CERTIFICATE.id,
            },
            {
                entry_protocol: "https",
                entry_port: 11443,
                target_protocol: "https",
                target_port: 11443,
                tls_passthrough: true,
            },
        ],
        health_check: {
            protocol: "http",
            port: 8080,
            path: "/healthz",
            check_interval_seconds: 15,
            response_timeout_seconds: 7,
            healthy_threshold: 4,
            unhealthy_threshold: 2,
        },
        sticky_sessions: { type: "cookies", cookie_name: "PROXYSESSION", cookie_ttl_seconds: 900 },
        tag: "masking",
        redirect_http_to_https: true,
        enable_proxy_protocol: true,
        enable_backend_keepalive: true,
        vpc_uuid: "c33931f2-a26a-4e61-b85c-4e95a2ec431b",
        disable_lets_encrypt_dns_records: true,
        project_id: "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30",
        http_idle_timeout_seconds: 120,
        firewall: { allow: ["ip:198.51.100.7", "cidr:203.0.113.0/24"], deny: ["ip:192.0.2.66"] },
        network: "EXTERNAL",
        network_stack: "DUALSTACK",
        tls_cipher_policy: "STRONG",
        ...overrides,
    };
}

export async function startTestEmulator(
    opts: EmulatorOptions = {},
): Promise<{ emu: Emulator; api: Client; control: Client }> {
    const emu = await startEmulator({
        port: 0,
        seed: seedFromIds(MASKING_IDS, { tags: ["masking"], certificates: [TEST_CERTIFICATE] }),
        ...opts,
    });
    return { emu, api: client(emu.url), control: client(emu.url, null) };
}
