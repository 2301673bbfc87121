// DigitalOcean's error body: {"id": "...", "message": "...", "request_id": "..."}.

const ERROR_IDS: Record<number, string> = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
};

export function errorIdFor(status: number): string {
    return ERROR_IDS[status] ?? (status >= 500 ? "server_error" : "bad_request");
}

const DEFAULT_MESSAGES: Record<string, string> = {
    // The API's own wording (its OpenAPI 401 example, and bodies quoted in clients' issues).
    unauthorized: "Unable to authenticate you.",
    not_found: "The resource you requested could not be found.",
    too_many_requests: "API Rate limit exceeded.",
    server_error: "Server was unable to give you a response.",
    service_unavailable: "The service is temporarily unavailable.",
};

export class ApiError extends Error {
    readonly id: string;
    constructor(
        readonly status: number,
        message?: string,
        id?: string,
    ) {
        const errId = id ?? errorIdFor(status);
        super(message ?? DEFAULT_MESSAGES[errId] ?? errId.replace(/_/g, " "));
        this.id = errId;
    }

    body(requestId: string): { id: string; message: string; request_id: string } {
        return { id: this.id, message: this.message, request_id: requestId };
    }
}

export const notFound = (): ApiError => new ApiError(404);
export const unprocessable = (messages: string[]): ApiError =>
    new ApiError(422, messages.join("; "));
export const BUSY_MESSAGE = "Load Balancer can't be updated while it processes previous actions";
/** What the API answers a token that lacks an endpoint's scope (as quoted by doctl, digitalocean/action-doctl#83). */
export const SCOPE_FORBIDDEN_MESSAGE = "you do not have access for the attempted action";
export const forbiddenForScope = (): ApiError =>
    new ApiError(403, SCOPE_FORBIDDEN_MESSAGE, "forbidden");

/** The store's errors, in the account's terms (fake-gcs-server's backend errors); the HTTP layer maps them to statuses. */
export class NotFoundError extends Error {}
export class InvalidError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("; "));
    }
}
/** An update while the LB still processes a resize (403 forbidden, BUSY_MESSAGE). */
export class BusyError extends Error {}
/** A resize sooner than DigitalOcean allows after the previous one; `nextAt` is unix seconds. */
export class ResizeTooOftenError extends Error {
    constructor(readonly nextAt: number) {
        super(resizeTooOftenMessage(nextAt));
    }
}

/**
 * The refusal of a resize that comes too often. Reconstructed from client code, not a quoted
 * response: doks-lb-scale (a DigitalOcean autoscaler for DOKS) matches "load balancer can not
 * be resized this often" and parses "next available resize at: <Go time.String()>", e.g.
 * "2025-08-13 20:09:13 +0000 UTC".
 */
export function resizeTooOftenMessage(nextAt: number): string {
    const iso = new Date(nextAt * 1000).toISOString();
    const goTime = `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000 UTC`;
    return `load balancer can not be resized this often, next available resize at: ${goTime}`;
}
