// Static reference data (regions, sizes, images) used to fill realistic droplet and
// load balancer objects. Values are plausible, not authoritative prices.
import { createHash } from "node:crypto";
import type { DropletImage, RegionObject, SizeObject } from "./wireTypes";

export const CURRENT_REGIONS: Record<string, string> = {
    nyc1: "New York 1",
    nyc3: "New York 3",
    ams3: "Amsterdam 3",
    sfo2: "San Francisco 2",
    sfo3: "San Francisco 3",
    sgp1: "Singapore 1",
    lon1: "London 1",
    fra1: "Frankfurt 1",
    tor1: "Toronto 1",
    blr1: "Bangalore 1",
    syd1: "Sydney 1",
    atl1: "Atlanta 1",
};

/** Legacy regions: load balancers there cannot scale past one node (they use `size`). */
export const LEGACY_REGIONS: Record<string, string> = {
    ams2: "Amsterdam 2",
    nyc2: "New York 2",
    sfo1: "San Francisco 1",
};

export const LB_SIZE_SLUG_NODES: Record<string, number> = {
    "lb-small": 1,
    "lb-medium": 3,
    "lb-large": 6,
};

export function isKnownRegion(slug: string): boolean {
    return slug in CURRENT_REGIONS || slug in LEGACY_REGIONS;
}

export function isLegacyRegion(slug: string): boolean {
    return slug in LEGACY_REGIONS;
}

const REGION_FEATURES = [
    "backups",
    "ipv6",
    "metadata",
    "install_agent",
    "storage",
    "image_transfer",
];

interface SizeRow {
    memory: number;
    vcpus: number;
    disk: number;
    transfer: number;
    price_monthly: number;
    description: string;
}

const SIZES: Record<string, SizeRow> = {
    "s-1vcpu-512mb-10gb": {
        memory: 512,
        vcpus: 1,
        disk: 10,
        transfer: 0.5,
        price_monthly: 4,
        description: "Basic",
    },
    "s-1vcpu-1gb": {
        memory: 1024,
        vcpus: 1,
        disk: 25,
        transfer: 1,
        price_monthly: 6,
        description: "Basic",
    },
    "s-1vcpu-2gb": {
        memory: 2048,
        vcpus: 1,
        disk: 50,
        transfer: 2,
        price_monthly: 12,
        description: "Basic",
    },
    "s-2vcpu-2gb": {
        memory: 2048,
        vcpus: 2,
        disk: 60,
        transfer: 3,
        price_monthly: 18,
        description: "Basic",
    },
    "s-2vcpu-4gb": {
        memory: 4096,
        vcpus: 2,
        disk: 80,
        transfer: 4,
        price_monthly: 24,
        description: "Basic",
    },
    "s-4vcpu-8gb": {
        memory: 8192,
        vcpus: 4,
        disk: 160,
        transfer: 5,
        price_monthly: 48,
        description: "Basic",
    },
    "s-8vcpu-16gb": {
        memory: 16384,
        vcpus: 8,
        disk: 320,
        transfer: 6,
        price_monthly: 96,
        description: "Basic",
    },
    "c-2": {
        memory: 4096,
        vcpus: 2,
        disk: 25,
        transfer: 4,
        price_monthly: 42,
        description: "CPU-Optimized",
    },
    "c-4": {
        memory: 8192,
        vcpus: 4,
        disk: 50,
        transfer: 5,
        price_monthly: 84,
        description: "CPU-Optimized",
    },
    "g-2vcpu-8gb": {
        memory: 8192,
        vcpus: 2,
        disk: 25,
        transfer: 4,
        price_monthly: 63,
        description: "General Purpose",
    },
};

export const SIZE_SLUGS = Object.keys(SIZES);

export function regionObject(slug: string): RegionObject {
    const name = CURRENT_REGIONS[slug] ?? LEGACY_REGIONS[slug];
    if (!name) throw new Error(`unknown region "${slug}"`);
    return { name, slug, features: [...REGION_FEATURES], available: true, sizes: [...SIZE_SLUGS] };
}

function round(n: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(n * f) / f;
}

/** Size object for a slug; unknown "s-Nvcpu-Mgb"-style slugs are synthesised so real inventories load. */
export function sizeObject(slug: string): SizeObject {
    let row = SIZES[slug];
    if (!row) {
        const m = /(\d+)vcpu-(\d+)gb/.exec(slug);
        if (!m)
            throw new Error(
                `unknown droplet size "${slug}" (known: ${SIZE_SLUGS.join(", ")}, or any "*-<N>vcpu-<M>gb")`,
            );
        const vcpus = Number(m[1]);
        const gb = Number(m[2]);
        row = {
            memory: gb * 1024,
            vcpus,
            disk: gb * 20,
            transfer: Math.max(1, gb),
            price_monthly: gb * 6,
            description: "Basic",
        };
    }
    return {
        slug,
        memory: row.memory,
        vcpus: row.vcpus,
        disk: row.disk,
        transfer: row.transfer,
        price_monthly: row.price_monthly,
        // DigitalOcean caps a month at 672 hours.
        price_hourly: round(row.price_monthly / 672, 5),
        regions: Object.keys(CURRENT_REGIONS),
        available: true,
        description: row.description,
        disk_info: [{ type: "local", size: { amount: row.disk, unit: "gib" } }],
    };
}

const IMAGES: Record<string, { id: number; name: string; distribution: string }> = {
    "ubuntu-24-04-x64": { id: 161899231, name: "24.04 (LTS) x64", distribution: "Ubuntu" },
    "ubuntu-22-04-x64": { id: 129211873, name: "22.04 (LTS) x64", distribution: "Ubuntu" },
    "ubuntu-20-04-x64": { id: 112929454, name: "20.04 (LTS) x64", distribution: "Ubuntu" },
    "debian-12-x64": { id: 145862387, name: "12 x64", distribution: "Debian" },
    "rockylinux-9-x64": { id: 148521379, name: "9 x64", distribution: "Rocky Linux" },
};

export function imageObject(image: string | number | Partial<DropletImage>): DropletImage {
    const base: DropletImage = {
        id: 0,
        name: "",
        distribution: "Unknown",
        slug: null,
        public: true,
        regions: Object.keys(CURRENT_REGIONS),
        created_at: "2024-04-25T14:40:12Z",
        type: "base",
        min_disk_size: 7,
        size_gigabytes: 2.36,
        description: "",
        tags: [],
        status: "available",
        error_message: "",
    };
    if (typeof image === "string") {
        const known = IMAGES[image];
        return known
            ? { ...base, ...known, slug: image }
            : { ...base, id: hashInt(`image:${image}`), name: image, slug: image };
    }
    if (typeof image === "number") {
        const entry = Object.entries(IMAGES).find(([, v]) => v.id === image);
        return entry
            ? { ...base, ...entry[1], slug: entry[0] }
            : { ...base, id: image, name: `snapshot-${image}`, type: "snapshot", public: false };
    }
    const fromSlug = image.slug
        ? imageObject(image.slug)
        : image.id !== undefined
          ? imageObject(image.id)
          : base;
    return { ...fromSlug, ...image };
}

export function hashInt(s: string): number {
    return createHash("sha1").update(s).digest().readUInt32BE(0) & 0x7fffffff;
}

/** Deterministic UUID-shaped id, so seeded objects look the same across runs. */
export function stableUuid(s: string): string {
    const h = createHash("sha1").update(s).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function defaultVpcUuid(region: string): string {
    return stableUuid(`vpc:default:${region}`);
}

export const DEFAULT_PROJECT_ID = stableUuid("project:default");

/** ISO8601 without milliseconds, as the API prints it. */
export function apiTime(d: Date = new Date()): string {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
