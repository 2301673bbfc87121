// Fault injection: the next N API requests matching {method, path} misbehave.
import type { Fault, FaultSpec } from "./faultTypes";

export class FaultError extends Error {}

/** `{name}` stands for one path segment, e.g. /v2/load_balancers/{id} matches any LB's own path. */
function templateRegex(template: string): RegExp {
    const escaped = template
        .split(/\{[^/{}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${escaped.join("[^/]+")}$`);
}

/** `path` beginning with "^" is a regular expression, one with `{name}` segments a template; anything else is a prefix. */
function pathMatches(pattern: string | undefined, path: string): boolean {
    if (!pattern) return true;
    if (pattern.startsWith("^")) return new RegExp(pattern).test(path);
    if (/\{[^/{}]+\}/.test(pattern)) return templateRegex(pattern).test(path);
    return path.startsWith(pattern);
}

export class Faults {
    private faults: Fault[] = [];
    private nextId = 1;

    add(spec: FaultSpec): Fault {
        const count = spec.count ?? 1;
        if (!Number.isInteger(count) || count < 1)
            throw new FaultError("count must be a positive integer");
        if (
            spec.status !== undefined &&
            (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)
        ) {
            throw new FaultError("status must be an HTTP status code");
        }
        if (spec.delayMs !== undefined && (typeof spec.delayMs !== "number" || spec.delayMs < 0)) {
            throw new FaultError("delayMs must be a non-negative number");
        }
        const kind =
            spec.kind ??
            (spec.status !== undefined
                ? "error"
                : spec.delayMs !== undefined
                  ? "delay"
                  : undefined);
        if (!kind || !["error", "busy", "stuckNew", "drop", "delay"].includes(kind)) {
            throw new FaultError(
                'give a status, a delayMs, or kind "error" | "busy" | "stuckNew" | "drop"',
            );
        }
        if (kind === "error" && spec.status === undefined)
            throw new FaultError('kind "error" needs a status');
        const when = spec.when ?? "before";
        if (when !== "before" && when !== "after")
            throw new FaultError('when must be "before" or "after"');
        if (when === "after" && kind !== "drop" && kind !== "error")
            throw new FaultError('when "after" applies to kind "drop" or "error"');
        if (
            spec.retryAfterSeconds !== undefined &&
            (!Number.isInteger(spec.retryAfterSeconds) || spec.retryAfterSeconds < 0)
        ) {
            throw new FaultError("retryAfterSeconds must be a non-negative integer");
        }
        if (spec.match?.path?.startsWith("^")) {
            try {
                new RegExp(spec.match.path);
            } catch (e) {
                throw new FaultError(`bad path regex: ${(e as Error).message}`);
            }
        }
        const fault: Fault = {
            id: this.nextId++,
            method: spec.match?.method?.toUpperCase(),
            path: spec.match?.path,
            remaining: count,
            kind,
            when,
            status: kind === "busy" ? 403 : spec.status,
            message: spec.message,
            delayMs: spec.delayMs,
            retryAfterSeconds: spec.retryAfterSeconds ?? (spec.status === 429 ? 1 : undefined),
        };
        this.faults.push(fault);
        return fault;
    }

    /** First armed fault matching the request; consumes one of its occurrences. */
    take(method: string, path: string): Fault | undefined {
        const f = this.faults.find(
            (x) => (!x.method || x.method === method.toUpperCase()) && pathMatches(x.path, path),
        );
        if (!f) return undefined;
        f.remaining--;
        if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
        return { ...f };
    }

    clear(): void {
        this.faults = [];
    }

    list(): Fault[] {
        return this.faults.map((f) => ({ ...f }));
    }
}
