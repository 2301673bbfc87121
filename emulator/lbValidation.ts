// The one check of a load balancer body (create, update, seeded LB): semantic checks with
// messages a human can act on, then DigitalOcean's OpenAPI schema for type/enum/shape problems.
import { LB_SIZE_SLUG_NODES, isKnownRegion, isLegacyRegion } from "./catalog";
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
    for (const k of UPPERCASE_ENUMS) if (typeof out[k] === "string") out[k] = (out[k] as string).toUpperCase();
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
    if (!regionless && (typeof region !== "string" || !region)) errs.push("region is required (except for type GLOBAL)");
    else if (typeof region === "string" && !isKnownRegion(region)) errs.push(`region "${region}" is not a valid region`);
    else if (ctx.existingRegion !== undefined && (region ?? "") !== ctx.existingRegion) {
        errs.push(`region cannot be changed (is ${ctx.existingRegion || "none"}); create a new load balancer instead`);
    }

    if (present(body.size_unit)) {
        if (!inRange(body.size_unit, 1, SIZE_UNIT_MAX)) {
            errs.push(`size_unit must be an integer between 1 and ${SIZE_UNIT_MAX}, got ${JSON.stringify(body.size_unit)}`);
        } else if (typeof region === "string" && isLegacyRegion(region) && body.size_unit !== 1) {
            errs.push(`size_unit must be 1 in legacy region ${region}; scale with size (lb-small, lb-medium, lb-large)`);
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
                if (!inRange(r[k], 1, 65535)) errs.push(`${p}.${k} must be an integer between 1 and 65535`);
            }
            if (typeof r.certificate_id === "string" && r.certificate_id && ctx.certificateExists && !ctx.certificateExists(r.certificate_id)) {
                errs.push(`${p}.certificate_id: certificate ${r.certificate_id} not found`);
            }
            if ((r.entry_protocol === "udp") !== (r.target_protocol === "udp")) {
                errs.push(`${p}: udp must be used as both entry_protocol and target_protocol`);
            }
        });
    }

    const hc = body.health_check;
    if (present(hc)) {
        if (typeof hc !== "object" || Array.isArray(hc)) errs.push("health_check must be an object");
        else {
            const h = hc as Record<string, unknown>;
            if (present(h.protocol) && !HEALTH_PROTOCOLS.includes(h.protocol as string)) {
                errs.push(`health_check.protocol must be one of ${HEALTH_PROTOCOLS.join(", ")}`);
            }
            if (present(h.port) && !inRange(h.port, 1, 65535)) errs.push("health_check.port must be an integer between 1 and 65535");
            const bounds: [string, number, number][] = [
                ["check_interval_seconds", 3, 300],
                ["response_timeout_seconds", 3, 300],
                ["unhealthy_threshold", 2, 10],
                ["healthy_threshold", 2, 10],
            ];
            for (const [k, lo, hi] of bounds) {
                if (present(h[k]) && !inRange(h[k], lo, hi)) errs.push(`health_check.${k} must be an integer between ${lo} and ${hi}`);
            }
        }
    }

    const ids = body.droplet_ids;
    const hasIds = Array.isArray(ids) && ids.length > 0;
    if (present(ids)) {
        if (!Array.isArray(ids) || !ids.every(isInt)) errs.push("droplet_ids must be an array of integers");
        else {
            if (ids.length > MAX_DROPLET_IDS) {
                errs.push(`a load balancer can target at most ${MAX_DROPLET_IDS} droplets by ID (got ${ids.length}); use a tag instead`);
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

/** Problems with an LB body in the account described by `ctx` (an update when `ctx.existingRegion` is set); none: accepted. */
export type LbBodyCheck = (body: Record<string, unknown>, ctx: LbCheckContext) => string[];

/** Semantic checks first; the schema (when the spec is loaded) only for a body that passes them. */
export function lbBodyCheck(openapi: OpenApi | undefined): LbBodyCheck {
    return (body, ctx) => {
        const errs = lbSemanticErrors(body, ctx);
        if (errs.length || !openapi) return errs;
        const [method, path] = ctx.existingRegion === undefined ? ["POST", "/v2/load_balancers"] : ["PUT", "/v2/load_balancers/{lb_id}"];
        return openapi.requestErrors(method, path, forOneOf(body));
    };
}
