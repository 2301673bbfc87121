// The HTTP layer's shared pieces: per-request context, request classification, the JSON
// body, the mapping of store errors to statuses, paging.
import type { FastifyRequest } from "fastify";
import {
    ApiError,
    BUSY_MESSAGE,
    BusyError,
    InvalidError,
    NotFoundError,
    ResizeTooOftenError,
    notFound,
    unprocessable,
} from "./errors";
import { withoutNulls } from "./nulls";
import type { OpenApi } from "./openapi";
import type { EmulatorState } from "./state";
import type { Fault } from "./faultTypes";
import type { LogEntry, RequestKind } from "./logTypes";

export interface RequestContext {
    entry: LogEntry;
    requestId: string;
    started: number;
    /** Set by a stuckNew fault: LBs touched by this request stay "new". */
    holdNew: boolean;
    /** A fault to apply once the request has been handled (its change applied). */
    afterFault?: Fault;
    /** Digest of the stored state before a write was handled, to tell effective writes from attempts. */
    stateBefore?: string;
}

declare module "fastify" {
    interface FastifyRequest {
        emu: RequestContext | null;
    }
}

export interface AppContext {
    /** The account plus the request log and faults; API routes use only the account's operations. */
    store: EmulatorState;
    /** Present when the OpenAPI spec could be loaded; request bodies are then schema-checked. */
    openapi?: OpenApi;
    validateResponses: boolean;
}

/** A store error as the API answers it (404 not_found, 422 unprocessable_entity, 403 busy); other errors are not the store's. */
export function apiErrorOf(err: unknown): ApiError | undefined {
    if (err instanceof ApiError) return err;
    if (err instanceof NotFoundError) return new ApiError(404, err.message || undefined);
    if (err instanceof InvalidError) return unprocessable(err.problems);
    if (err instanceof BusyError) return new ApiError(403, BUSY_MESSAGE, "forbidden");
    if (err instanceof ResizeTooOftenError) return new ApiError(422, err.message);
    return undefined;
}

/** What the request log records about a request: resource kind, id (the path segment after the collection), write or not. */
export function classify(
    method: string,
    path: string,
): { kind: RequestKind; id?: string; write: boolean } {
    const write = !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
    const seg = path.split("?")[0].split("/").filter(Boolean); // ["v2", collection, id?, ...]
    if (seg[0] !== "v2") return { kind: "other", write };
    const id = seg[2] ? decodeURIComponent(seg[2]) : undefined;
    const kinds: Record<string, RequestKind> = {
        load_balancers: "load_balancer",
        droplets: "droplet",
        actions: "action",
        certificates: "certificate",
        tags: "tag",
    };
    const kind = kinds[seg[1]];
    return kind ? { kind, id, write } : { kind: "other", write };
}

export function ctxOf(req: FastifyRequest): RequestContext {
    if (!req.emu) throw new Error("emulator request context missing");
    return req.emu;
}

/**
 * A JSON object body with null members removed at every depth. godo serialises unset
 * slices and pointers without `omitempty` as null (`"ssh_keys": null`, `"tags": null`,
 * `glb_settings.cdn: null`) and the API treats them as absent, so the schema check and the
 * store must too; a required member sent as null then reads as missing. Nulls inside
 * arrays are kept (they are values, not unset fields). The request log keeps the raw body.
 */
export function objectBody(req: FastifyRequest): Record<string, unknown> {
    const b = req.body;
    if (!b || typeof b !== "object" || Array.isArray(b))
        throw new ApiError(400, "request body must be a JSON object");
    return withoutNulls(b as Record<string, unknown>);
}

export function toSpecPath(template: string): string {
    return template.replace(/:([A-Za-z_]+)/g, "{$1}");
}

export function intParam(v: string): number {
    if (!/^\d+$/.test(v)) throw notFound();
    return Number(v);
}

export interface Paged<T> {
    items: T[];
    links: { pages?: Record<string, string> };
    meta: { total: number };
}

/** DigitalOcean-style paging; clients stop when links.pages.next is absent. */
export function paginate<T>(
    req: FastifyRequest,
    all: T[],
    keep: Record<string, string | undefined> = {},
): Paged<T> {
    const q = req.query as Record<string, string | undefined>;
    const page = Math.max(1, parseInt(q.page ?? "", 10) || 1);
    const perPage = Math.min(200, Math.max(1, parseInt(q.per_page ?? "", 10) || 20));
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const path = req.url.split("?")[0];
    const url = (p: number): string => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(keep)) if (v !== undefined) params.set(k, v);
        params.set("page", String(p));
        params.set("per_page", String(perPage));
        return `http://${req.headers.host ?? "127.0.0.1"}${path}?${params}`;
    };
    const pages: Record<string, string> = {};
    if (page > 1) Object.assign(pages, { first: url(1), prev: url(Math.min(page - 1, last)) });
    if (page < last) Object.assign(pages, { next: url(page + 1), last: url(last) });
    return {
        items: all.slice((page - 1) * perPage, page * perPage),
        links: Object.keys(pages).length ? { pages } : {},
        meta: { total: all.length },
    };
}
