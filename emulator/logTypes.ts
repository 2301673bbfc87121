// The request log (one entry per request, the token never kept), changes made outside the API,
// and the log's summary: what a test proves "no write to a droplet" against.
import type { FaultKind } from "./faultTypes";

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
