// Seed files (JSON or YAML) describe the account the emulator starts with. Seeds are
// minimal on purpose; this module expands them into complete API objects.
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import YAML from "yaml";
import {
    apiTime,
    defaultVpcUuid,
    imageObject,
    isKnownRegion,
    regionObject,
    sizeObject,
} from "./catalog";
import { createHash } from "node:crypto";
import { checkResizeDelay, checkSeedMetrics } from "./metrics";
import { tokenScopesFromSeed } from "./tokens";
import type { Seed, SeedCertificate, SeedDroplet, SeedLoadBalancer, SeedToken } from "./seedTypes";
import type { Certificate, Droplet, NetworkV6 } from "./wireTypes";

export type { Seed, SeedDroplet, SeedLoadBalancer } from "./seedTypes";

export function parseSeed(text: string, format: "json" | "yaml"): Seed {
    const raw: unknown = format === "json" ? JSON.parse(text) : YAML.parse(text);
    return checkSeed(raw);
}

export function loadSeedFile(path: string): Seed {
    const text = readFileSync(path, "utf8");
    const ext = extname(path).toLowerCase();
    return parseSeed(text, ext === ".yaml" || ext === ".yml" ? "yaml" : "json");
}

function checkSeed(raw: unknown): Seed {
    if (!raw || typeof raw !== "object")
        throw new Error("seed: expected an object with a `droplets` array");
    const r = raw as Record<string, unknown>;
    const droplets = r.droplets ?? [];
    if (!Array.isArray(droplets)) throw new Error("seed: `droplets` must be an array");
    const seen = new Set<number>();
    droplets.forEach((d: SeedDroplet, i) => {
        const where = `seed: droplets[${i}]`;
        if (!Number.isInteger(d?.id) || d.id < 1)
            throw new Error(`${where}.id must be a positive integer`);
        if (seen.has(d.id)) throw new Error(`${where}: duplicate id ${d.id}`);
        seen.add(d.id);
        if (typeof d.name !== "string" || !d.name) throw new Error(`${where}.name is required`);
        if (typeof d.region !== "string" || !isKnownRegion(d.region))
            throw new Error(`${where}.region "${d.region}" is unknown`);
        if (typeof d.size !== "string") throw new Error(`${where}.size (slug) is required`);
        if (d.image === undefined) throw new Error(`${where}.image is required`);
    });
    const lbs = r.loadBalancers ?? [];
    if (!Array.isArray(lbs)) throw new Error("seed: `loadBalancers` must be an array");
    const certs = r.certificates ?? [];
    if (!Array.isArray(certs)) throw new Error("seed: `certificates` must be an array");
    certs.forEach((c: SeedCertificate, i) => {
        if (typeof c?.id !== "string" || !c.id || typeof c.name !== "string" || !c.name)
            throw new Error(`seed: certificates[${i}] needs an id and a name`);
    });
    const metrics = r.metrics === undefined ? undefined : checkSeedMetrics(r.metrics);
    if (r.tokens !== undefined) tokenScopesFromSeed(r.tokens);
    if (r.resizeIntervalSeconds !== undefined)
        checkResizeDelay("seed: resizeIntervalSeconds", r.resizeIntervalSeconds);
    if (r.busyWhileResizing !== undefined && typeof r.busyWhileResizing !== "boolean")
        throw new Error("seed: busyWhileResizing must be true or false");
    return {
        droplets: droplets as SeedDroplet[],
        loadBalancers: lbs as SeedLoadBalancer[],
        certificates: certs as SeedCertificate[],
        ...(metrics ? { metrics } : {}),
        ...(r.tokens !== undefined ? { tokens: r.tokens as SeedToken[] } : {}),
        ...(r.resizeIntervalSeconds !== undefined
            ? { resizeIntervalSeconds: r.resizeIntervalSeconds as number }
            : {}),
        ...(r.busyWhileResizing !== undefined
            ? { busyWhileResizing: r.busyWhileResizing as boolean }
            : {}),
    };
}

/** Public IPv4 derived from the id so seeded droplets look stable across runs. */
function derivedIps(id: number): { pub: string; priv: string; third: number } {
    const third = Math.floor(id / 253) % 256;
    const fourth = (id % 253) + 2;
    return { pub: `164.90.${third}.${fourth}`, priv: `10.116.${third}.${fourth}`, third };
}

/** The public IPv6 network a droplet with the "ipv6" feature shows. */
export function ipv6Network(id: number): NetworkV6 {
    // Two 16-bit groups: a droplet id can exceed 0xffff and one group holds at most four hex digits.
    const groups = `${(id >>> 16).toString(16)}:${(id & 0xffff).toString(16)}`;
    return {
        ip_address: `2604:a880:400:d1::${groups}:1`,
        netmask: 64,
        gateway: "2604:a880:400:d1::1",
        type: "public",
    };
}

/** With backups enabled the API shows the next daily window (next UTC midnight, 23 hours long); backup_ids stay empty until one runs. */
export function nextBackupWindow(now: Date = new Date()): { start: string; end: string } {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    return { start: apiTime(start), end: apiTime(new Date(start.getTime() + 23 * 3600_000)) };
}

/**
 * Features of a droplet created with these flags, as the API reports them: every droplet is
 * in a VPC ("private_networking"), the agent is installed unless with_droplet_agent is false.
 */
export function createdDropletFeatures(body: {
    monitoring?: unknown;
    ipv6?: unknown;
    backups?: unknown;
    with_droplet_agent?: unknown;
}): string[] {
    const features = ["private_networking"];
    if (body.backups === true) features.push("backups");
    if (body.ipv6 === true) features.push("ipv6");
    if (body.monitoring === true) features.push("monitoring");
    if (body.with_droplet_agent !== false) features.push("droplet_agent");
    return features;
}

export function expandCertificate(c: SeedCertificate): Certificate {
    return {
        id: c.id,
        name: c.name,
        dns_names: c.dns_names ?? [],
        not_after: c.not_after ?? "2027-06-03T09:14:07Z",
        sha1_fingerprint: createHash("sha1").update(`cert:${c.id}`).digest("hex"),
        created_at: "2024-06-03T09:00:00Z",
        state: "verified",
        type: c.type ?? "custom",
    };
}

/** `now`: the emulator's clock, for the next backup window. */
export function expandDroplet(d: SeedDroplet, now: Date = new Date()): Droplet {
    const size = sizeObject(d.size);
    const ips = derivedIps(d.id);
    const features = d.features ?? ["monitoring", "droplet_agent", "private_networking"];
    const v6 = features.includes("ipv6") ? [ipv6Network(d.id)] : [];
    return {
        id: d.id,
        name: d.name,
        memory: size.memory,
        vcpus: size.vcpus,
        disk: size.disk,
        disk_info: size.disk_info,
        locked: d.locked ?? false,
        status: d.status ?? "active",
        kernel: null,
        created_at: d.created_at ?? "2024-06-03T09:14:07Z",
        features,
        backup_ids: [],
        next_backup_window: features.includes("backups") ? nextBackupWindow(now) : null,
        snapshot_ids: [],
        image: imageObject(d.image),
        volume_ids: d.volume_ids ?? [],
        size,
        size_slug: size.slug,
        networks: {
            v4: [
                {
                    ip_address: d.private_ip ?? ips.priv,
                    netmask: "255.255.240.0",
                    gateway: "10.116.0.1",
                    type: "private",
                },
                {
                    ip_address: d.ip ?? ips.pub,
                    netmask: "255.255.240.0",
                    gateway: `164.90.${ips.third & 0xf0}.1`,
                    type: "public",
                },
            ],
            v6,
        },
        region: regionObject(d.region),
        tags: d.tags ?? [],
        vpc_uuid: d.vpc_uuid ?? defaultVpcUuid(d.region),
    };
}

export interface SeedFromIdsOptions {
    region?: string;
    size?: string;
    image?: string;
    /** Droplet names become `${namePrefix}-${index + 1}`. */
    namePrefix?: string;
    tags?: string[];
    loadBalancers?: SeedLoadBalancer[];
    certificates?: SeedCertificate[];
}

/** Realistic droplets for the given ids (e.g. the masking servers a test must never write to). */
export function seedFromIds(ids: number[], opts: SeedFromIdsOptions = {}): Seed {
    return {
        droplets: ids.map((id, i) => ({
            id,
            name: `${opts.namePrefix ?? "mask"}-${i + 1}`,
            region: opts.region ?? "nyc3",
            size: opts.size ?? "s-1vcpu-1gb",
            image: opts.image ?? "ubuntu-22-04-x64",
            tags: opts.tags ?? [],
            status: "active",
            created_at: apiTime(new Date(Date.UTC(2024, 5, 3, 9, 14, 7))),
        })),
        loadBalancers: opts.loadBalancers ?? [],
        certificates: opts.certificates ?? [],
    };
}
