// Small helpers for emulator tests (and for other suites that drive the emulator).
import { type Emulator, type EmulatorOptions, startEmulator } from "./server";
import { seedFromIds } from "./seed";

/** Looks like a real personal access token so a leak would be easy to grep for. */
export const TEST_TOKEN = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab";
export const MASKING_IDS = [310001, 310002, 310003];

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
        const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
        if (token !== null) headers.authorization = `Bearer ${token}`;
        const res = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
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
        forwarding_rules: [{ entry_protocol: "tcp", entry_port: 443, target_protocol: "tcp", target_port: 443 }],
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

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<{ emu: Emulator; api: Client; control: Client }> {
    const emu = await startEmulator({ port: 0, seed: seedFromIds(MASKING_IDS, { tags: ["masking"] }), ...opts });
    return { emu, api: client(emu.url), control: client(emu.url, null) };
}
