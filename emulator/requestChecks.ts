// Every check of an API request body, in one place: for a load balancer (create, update, a
// seeded LB), a droplet create, a droplet action and the tag writes, semantic checks with messages a human can
// act on, then DigitalOcean's OpenAPI schema for type/enum/shape problems. The store runs them
// once, before it changes anything; routes check nothing.
import { LB_SIZE_SLUG_NODES, isKnownRegion, isLegacyRegion, sizeObject } from "./catalog";
import type { OpenApi } from "./openapi";

export const ENTRY_PROTOCOLS = ["http", "https", "http2", "http3", "tcp", "udp"];
export const TARGET_PROTOCOLS = ["http", "https", "http2", "tcp", "udp"];
export const HEALTH_PROTOCOLS = ["http", "https", "tcp"];
export const MAX_DROPLET_IDS = 10;
export const SIZE_UNIT_MAX = 200;

const UPPERCASE_ENUMS = ["type", "network", "network_stack", "tls_cipher_policy"];

/**
 * The API accepts these enums in any case and answers in uppercase (which is why a
 * lowercase `type` in a program diffs and replaces on every run). Normalise before
 * validating and storing.
 */
export function normalizeLbBody(body: Record<string, unknown>): Record<string, unknown> {
    const out = { ...body };
    for (const k of UPPERCASE_ENUMS)
        if (typeof out[k] === "string") out[k] = (out[k] as string).toUpperCase();
    return out;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const inRange = (v: unknown, lo: number, hi: number): boolean => isInt(v) && v >= lo && v <= hi;
const present = (v: unknown): boolean => v !== undefined && v !== null;

export interface LbCheckContext {
    dropletExists(id: number): boolean;
    certificateExists?(id: string): boolean;
    /** Region of the LB being updated ("" for a GLOBAL LB without one); region cannot change in place. */
    existingRegion?: string;
}

export function lbSemanticErrors(body: Record<string, unknown>, ctx: LbCheckContext): string[] {
    const errs: string[] = [];
    const region = body.region;
    // GLOBAL load balancers need no region (the provider's `region` is optional for them).
    const regionless = region === undefined && body.type === "GLOBAL";
    if (!regionless && (typeof region !== "string" || !region))
        errs.push("region is required (except for type GLOBAL)");
    else if (typeof region === "string" && !isKnownRegion(region))
        errs.push(`region "${region}" is not a valid region`);
    else if (ctx.existingRegion !== undefined && (region ?? "") !== ctx.existingRegion) {
        errs.push(
            `region cannot be changed (is ${ctx.existingRegion || "none"}); create a new load balancer instead`,
        );
    }

    if (present(body.size_unit)) {
        if (!inRange(body.size_unit, 1, SIZE_UNIT_MAX)) {
            errs.push(
                `size_unit must be an integer between 1 and ${SIZE_UNIT_MAX}, got ${JSON.stringify(body.size_unit)}`,
            );
        } else if (typeof region === "string" && isLegacyRegion(region) && body.size_unit !== 1) {
            errs.push(
                `size_unit must be 1 in legacy region ${region}; scale with size (lb-small, lb-medium, lb-large)`,
            );
        }
    }
    if (present(body.size) && !(typeof body.size === "string" && body.size in LB_SIZE_SLUG_NODES)) {
        errs.push(`size must be one of ${Object.keys(LB_SIZE_SLUG_NODES).join(", ")}`);
    }

    const rules = body.forwarding_rules;
    if (!Array.isArray(rules) || rules.length === 0) {
        errs.push("forwarding_rules must contain at least one rule");
    } else {
        rules.forEach((r: Record<string, unknown>, i) => {
            const p = `forwarding_rules[${i}]`;
            if (!r || typeof r !== "object") return void errs.push(`${p} must be an object`);
            if (!ENTRY_PROTOCOLS.includes(r.entry_protocol as string)) {
                errs.push(`${p}.entry_protocol must be one of ${ENTRY_PROTOCOLS.join(", ")}`);
            }
            if (!TARGET_PROTOCOLS.includes(r.target_protocol as string)) {
                errs.push(`${p}.target_protocol must be one of ${TARGET_PROTOCOLS.join(", ")}`);
            }
            for (const k of ["entry_port", "target_port"]) {
                if (!inRange(r[k], 1, 65535))
                    errs.push(`${p}.${k} must be an integer between 1 and 65535`);
            }
            if (
                typeof r.certificate_id === "string" &&
                r.certificate_id &&
                ctx.certificateExists &&
                !ctx.certificateExists(r.certificate_id)
            ) {
                errs.push(`${p}.certificate_id: certificate ${r.certificate_id} not found`);
            }
            if ((r.entry_protocol === "udp") !== (r.target_protocol === "udp")) {
                errs.push(`${p}: udp must be used as both entry_protocol and target_protocol`);
            }
        });
    }

    const hc = body.health_check;
    if (present(hc)) {
        if (typeof hc !== "object" || Array.isArray(hc))
            errs.push("health_check must be an object");
        else {
            const h = hc as Record<string, unknown>;
            if (present(h.protocol) && !HEALTH_PROTOCOLS.includes(h.protocol as string)) {
                errs.push(`health_check.protocol must be one of ${HEALTH_PROTOCOLS.join(", ")}`);
            }
            if (present(h.port) && !inRange(h.port, 1, 65535))
                errs.push("health_check.port must be an integer between 1 and 65535");
            const bounds: [string, number, number][] = [
                ["check_interval_seconds", 3, 300],
                ["response_timeout_seconds", 3, 300],
                ["unhealthy_threshold", 2, 10],
                ["healthy_threshold", 2, 10],
            ];
            for (const [k, lo, hi] of bounds) {
                if (present(h[k]) && !inRange(h[k], lo, hi))
                    errs.push(`health_check.${k} must be an integer between ${lo} and ${hi}`);
            }
        }
    }

    const ids = body.droplet_ids;
    const hasIds = Array.isArray(ids) && ids.length > 0;
    if (present(ids)) {
        if (!Array.isArray(ids) || !ids.every(isInt))
            errs.push("droplet_ids must be an array of integers");
        else {
            if (ids.length > MAX_DROPLET_IDS) {
                errs.push(
                    `a load balancer can target at most ${MAX_DROPLET_IDS} droplets by ID (got ${ids.length}); use a tag instead`,
                );
            }
            const missing = ids.filter((id) => !ctx.dropletExists(id));
            if (missing.length) errs.push(`droplet(s) not found: ${missing.join(", ")}`);
        }
    }
    if (present(body.tag) && typeof body.tag !== "string") errs.push("tag must be a string");
    if (hasIds && typeof body.tag === "string" && body.tag !== "") {
        errs.push("droplet_ids and tag are mutually exclusive; specify only one");
    }
    return errs;
}

/**
 * The spec's oneOf demands exactly one of droplet_ids/tag, but the API accepts a load
 * balancer with no targets and godo omits empty values, so check the variant in use.
 */
export function forOneOf(body: Record<string, unknown>): Record<string, unknown> {
    const b = { ...body };
    if (Array.isArray(b.droplet_ids) && b.droplet_ids.length === 0) delete b.droplet_ids;
    if (b.tag === "" || b.tag === null) delete b.tag;
    if (b.droplet_ids === undefined && b.tag === undefined) b.droplet_ids = [];
    return b;
}

type Body = Record<string, unknown>;

/** A body's problems (none: accepted); `ctx` describes the account, an LB update when `ctx.existingRegion` is set. */
export interface RequestChecks {
    loadBalancer(body: Body, ctx: LbCheckContext): string[];
    /** POST /v2/droplets (one `name` or `names`). */
    droplet(body: Body): string[];
    /** POST /v2/droplets/{id}/actions. */
    dropletAction(body: Body): string[];
    /** POST /v2/tags. */
    tag(body: Body): string[];
    /** POST and DELETE /v2/tags/{tag}/resources. */
    tagResources(body: Body): string[];
}

const sizeProblem = (slug: string): string | undefined => {
    try {
        sizeObject(slug);
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
};

export function dropletSemanticErrors(body: Body): string[] {
    const names = Array.isArray(body.names) ? body.names : [body.name];
    const errs: string[] = [];
    if (!names.every((n) => typeof n === "string" && n)) errs.push("name is required");
    if (typeof body.region !== "string" || !isKnownRegion(body.region))
        errs.push("region is not valid");
    if (typeof body.size !== "string") errs.push("size is required");
    if (body.image === undefined) errs.push("image is required");
    if (errs.length) return errs;
    const size = sizeProblem(body.size as string);
    return size ? [size] : [];
}

/** The droplet actions the emulator applies. */
export const DROPLET_ACTIONS = [
    "power_off",
    "shutdown",
    "power_on",
    "reboot",
    "power_cycle",
    "rename",
    "resize",
    "rebuild",
    "enable_backups",
    "disable_backups",
    "snapshot",
    "enable_ipv6",
    "password_reset",
    "change_kernel",
    "restore",
];

export function dropletActionSemanticErrors(body: Body): string[] {
    const type = body.type;
    if (typeof type !== "string" || !DROPLET_ACTIONS.includes(type))
        return [`type "${String(type)}" is not a valid droplet action`];
    if (type === "rename" && (typeof body.name !== "string" || !body.name))
        return ["name is required"];
    if (type === "resize") {
        if (typeof body.size !== "string") return ["size is required"];
        const size = sizeProblem(body.size);
        if (size) return [size];
    }
    if (type === "rebuild" && body.image === undefined) return ["image is required"];
    return [];
}

export function tagErrors(body: Body): string[] {
    const name = body.name;
    if (typeof name !== "string" || !name) return ["name is required"];
    // DigitalOcean: up to 255 letters, numbers, colons, dashes and underscores.
    if (!/^[A-Za-z0-9:_-]{1,255}$/.test(name))
        return [`tag name "${name}" must be 1-255 letters, numbers, colons, dashes or underscores`];
    return [];
}

export function tagResourcesErrors(body: Body): string[] {
    const resources = body.resources;
    return Array.isArray(resources) && resources.length > 0
        ? []
        : ["resources must be a non-empty array"];
}

/** Semantic checks first; the schema (when the spec is loaded) only for a body that passes them. */
export function requestChecks(openapi: OpenApi | undefined): RequestChecks {
    const schema = (method: string, path: string, body: Body): string[] =>
        openapi?.requestErrors(method, path, body) ?? [];
    const then = (errs: string[], next: () => string[]): string[] => (errs.length ? errs : next());
    return {
        loadBalancer: (body, ctx) =>
            then(lbSemanticErrors(body, ctx), () =>
                ctx.existingRegion === undefined
                    ? schema("POST", "/v2/load_balancers", forOneOf(body))
                    : schema("PUT", "/v2/load_balancers/{lb_id}", forOneOf(body)),
            ),
        droplet: (body) =>
            then(dropletSemanticErrors(body), () => schema("POST", "/v2/droplets", body)),
        dropletAction: (body) =>
            then(dropletActionSemanticErrors(body), () =>
                schema("POST", "/v2/droplets/{droplet_id}/actions", body),
            ),
        // The tag endpoints are not in the spec subset: semantic checks only.
        tag: tagErrors,
        tagResources: tagResourcesErrors,
    };
}
