// DigitalOcean's load balancers as the API lists them: the fields discover and the live-size read
// use (the rest pass through), every page of GET /v2/load_balancers, and one by id. Reads only:
// the shape, not what it means, so both readers share it.
import { z } from "zod";
import { ConfigError } from "../config";
import { ApiAnswerError, type ApiRead, getJson } from "./digitaloceanApi";

const liveLoadBalancerSchema = z.looseObject({
    id: z.string(),
    name: z.string(),
    ip: z.string().optional().default(""),
    // A GLOBAL load balancer has no region.
    region: z.looseObject({ slug: z.string() }).optional(),
    size_unit: z.number().int().optional(),
    size: z.string().optional(),
    type: z.string().optional().default("REGIONAL"),
    status: z.string().optional().default(""),
    droplet_ids: z
        .array(z.number().int())
        .nullable()
        .optional()
        .transform((ids) => ids ?? []),
    tag: z
        .string()
        .nullable()
        .optional()
        .transform((tag) => tag ?? ""),
    forwarding_rules: z
        .array(
            z.looseObject({
                entry_protocol: z.string(),
                entry_port: z.number(),
                target_protocol: z.string(),
                target_port: z.number(),
                certificate_id: z.string().nullable().optional(),
            }),
        )
        .optional()
        .default([]),
    health_check: z.looseObject({ protocol: z.string(), port: z.number() }).optional(),
    // Never read back by the provider: the program carries them from this read.
    tls_cipher_policy: z.string().optional(),
    network: z.string().optional(),
    network_stack: z.string().optional(),
});

export type LiveLoadBalancer = z.infer<typeof liveLoadBalancerSchema>;

export const listPageSchema = z.looseObject({
    load_balancers: z.array(liveLoadBalancerSchema),
    links: z
        .looseObject({ pages: z.looseObject({ next: z.string().optional() }).optional() })
        .optional(),
});

/** One page of GET /v2/load_balancers; throws naming the first field that does not fit. */
export function parseListPage(json: unknown): { loadBalancers: LiveLoadBalancer[]; next?: string } {
    const result = listPageSchema.safeParse(json);
    if (!result.success) {
        const issue = result.error.issues[0];
        throw new Error(
            `not a list of load balancers: ${issue.path.join(".") || "the answer"}: ${issue.message}`,
        );
    }
    return {
        loadBalancers: result.data.load_balancers,
        ...(result.data.links?.pages?.next ? { next: result.data.links.pages.next } : {}),
    };
}

/** Nodes per legacy size slug (DigitalOcean's load balancer docs). */
const LEGACY_SIZE_NODES: Readonly<Record<string, number>> = {
    "lb-small": 1,
    "lb-medium": 3,
    "lb-large": 6,
};

/** The live node count: size_unit, or a legacy `size` slug's nodes. */
export function liveNodes(lb: LiveLoadBalancer): number | undefined {
    if (lb.size_unit !== undefined && lb.size_unit > 0) return lb.size_unit;
    return lb.size === undefined ? undefined : LEGACY_SIZE_NODES[lb.size];
}

const PER_PAGE = 200; // the API's maximum
const MAX_PAGES = 100; // 20,000 load balancers: far beyond any account's limit

/** Every load balancer of the account, page by page until the API gives no next page. */
export async function listLoadBalancers(read: ApiRead): Promise<LiveLoadBalancer[]> {
    const all: LiveLoadBalancer[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
        const url = new URL(`${read.api}/v2/load_balancers`);
        url.searchParams.set("page", String(page));
        url.searchParams.set("per_page", String(PER_PAGE));
        const json = await getJson(read, url);
        let parsed: ReturnType<typeof parseListPage>;
        try {
            parsed = parseListPage(json);
        } catch (err) {
            throw new ConfigError([
                `GET /v2/load_balancers on ${read.api}: ${(err as Error).message}`,
            ]);
        }
        all.push(...parsed.loadBalancers);
        if (!parsed.next || parsed.loadBalancers.length === 0) return all;
    }
    throw new ConfigError([
        `GET /v2/load_balancers on ${read.api} still had a next page after ${MAX_PAGES} pages`,
    ]);
}

/** The load balancer with this id, or null when the API answers 404. */
export async function getLoadBalancer(read: ApiRead, id: string): Promise<LiveLoadBalancer | null> {
    const url = new URL(`${read.api}/v2/load_balancers/${encodeURIComponent(id)}`);
    let json: unknown;
    try {
        json = await getJson(read, url);
    } catch (err) {
        if (err instanceof ApiAnswerError && err.status === 404) return null;
        throw err;
    }
    const result = z.looseObject({ load_balancer: liveLoadBalancerSchema }).safeParse(json);
    if (!result.success)
        throw new ConfigError([
            `GET ${url.pathname} answered something that is not a load balancer: ${result.error.issues[0].path.join(".")}: ${result.error.issues[0].message}`,
        ]);
    return result.data.load_balancer;
}

/** How many certificates of the account are named `name` (GET /v2/certificates?name=, as the provider looks them up). */
export async function certificatesNamed(read: ApiRead, name: string): Promise<number> {
    const url = new URL(`${read.api}/v2/certificates`);
    url.searchParams.set("name", name);
    url.searchParams.set("per_page", String(PER_PAGE));
    const json = await getJson(read, url);
    const result = z
        .looseObject({
            certificates: z.array(z.looseObject({ name: z.string() })),
        })
        .safeParse(json);
    if (!result.success)
        throw new ConfigError([
            `GET /v2/certificates?name=${name} answered something that is not a list of certificates`,
        ]);
    // Only "more than one" matters, so the first page (up to 200) is enough.
    return result.data.certificates.filter((c) => c.name === name).length;
}
