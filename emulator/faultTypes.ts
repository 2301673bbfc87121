// Faults a test injects (an error, a busy answer, a dropped connection, a delay, a load balancer
// stuck in "new"), as asked and as held until used up.

export type FaultKind = "error" | "busy" | "stuckNew" | "drop" | "delay";

/** "before": the request is not applied; "after": it is applied, then the answer is lost (drop) or replaced (error). */
export type FaultWhen = "before" | "after";

export interface FaultSpec {
    /** `path`: a prefix; a template with `{name}` segments (`/v2/load_balancers/{id}`); or a regular expression starting with "^". */
    match?: { method?: string; path?: string };
    count?: number;
    status?: number;
    message?: string;
    delayMs?: number;
    kind?: Exclude<FaultKind, "delay">;
    when?: FaultWhen;
    /** Sent as Retry-After; default 1 for 429. */
    retryAfterSeconds?: number;
}

export interface Fault {
    id: number;
    method?: string;
    path?: string;
    remaining: number;
    kind: FaultKind;
    when: FaultWhen;
    status?: number;
    message?: string;
    delayMs?: number;
    retryAfterSeconds?: number;
}
