// proxy-lb's own HTTP calls (its DigitalOcean API reads, the webhooks, the heartbeat) made with
// node:http and node:https, not the global fetch: fetch loads Node.js's bundled undici and its
// WASM parser on first use, 30 MB or more of resident memory in a controller that idles on a few
// GETs. One request, its whole answer read (capped), no redirect followed, no connection kept.
import * as http from "node:http";
import * as https from "node:https";

/** An answer's body is read whole; past this a server is misbehaving and the request fails. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface HttpRequest {
    url: URL | string;
    /** default GET */
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** the whole request's bound, body included: it fails with a TimeoutError past it */
    timeoutMs?: number;
    /** an abort fails the request with the signal's reason */
    signal?: AbortSignal;
    maxBodyBytes?: number;
}

export interface HttpAnswer {
    status: number;
    /** 2xx */
    ok: boolean;
    statusText: string;
    headers: { get(name: string): string | null };
    text: string;
}

export type HttpRequestFn = (request: HttpRequest) => Promise<HttpAnswer>;

/** An Error with Node.js's network error code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…). */
function codedError(message: string, code: string, name = "Error"): Error {
    const err = new Error(message) as Error & { code: string };
    err.name = name;
    err.code = code;
    return err;
}

/**
 * Sends one request and reads its whole answer. Any status is an answer (a 3xx too: a redirect is
 * never followed, since following a webhook's would send the message elsewhere); a network error
 * rejects with Node.js's own error, its `code` and message kept.
 */
export const httpRequest: HttpRequestFn = (request) =>
    new Promise<HttpAnswer>((resolve, reject) => {
        const { signal, timeoutMs } = request;
        const max = request.maxBodyBytes ?? MAX_BODY_BYTES;
        let url: URL;
        try {
            url = new URL(request.url);
        } catch (err) {
            reject(err as Error);
            return;
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") {
            reject(
                new Error(`cannot send a request to a ${url.protocol} URL (http or https only)`),
            );
            return;
        }
        if (signal?.aborted) {
            reject(signal.reason as Error);
            return;
        }
        let settled = false;
        let timer: NodeJS.Timeout | undefined;
        const finish = (err: Error | undefined, answer?: HttpAnswer): void => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            if (err) {
                req.destroy();
                reject(err);
            } else resolve(answer!);
        };
        const onAbort = (): void => finish(signal!.reason as Error);
        const headers: Record<string, string | number> = { ...request.headers };
        if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body);
        // agent: false, a connection of its own closed after the answer: an idle kept-alive
        // socket would hold a CLI open after its work is done, and a tick's few calls gain nothing.
        const req = (url.protocol === "https:" ? https : http).request(
            url,
            { method: request.method ?? "GET", headers, agent: false },
            (res) => {
                const chunks: Buffer[] = [];
                let size = 0;
                res.on("data", (chunk: Buffer) => {
                    size += chunk.length;
                    if (size > max)
                        finish(new Error(`the answer's body is larger than ${max} bytes`));
                    else chunks.push(chunk);
                });
                res.on("error", (err) => finish(err));
                res.on("end", () => {
                    const status = res.statusCode ?? 0;
                    finish(undefined, {
                        status,
                        ok: status >= 200 && status < 300,
                        statusText: res.statusMessage ?? "",
                        headers: {
                            get: (name) => {
                                const value = res.headers[name.toLowerCase()];
                                return value === undefined
                                    ? null
                                    : Array.isArray(value)
                                      ? value.join(", ")
                                      : value;
                            },
                        },
                        // As fetch's text(): UTF-8, a byte order mark dropped.
                        text: new TextDecoder().decode(Buffer.concat(chunks)),
                    });
                });
            },
        );
        req.on("error", (err) => finish(err));
        if (timeoutMs !== undefined)
            timer = setTimeout(() => {
                const why = `no answer within ${timeoutMs} ms`;
                finish(codedError(why, "ETIMEDOUT", "TimeoutError"));
            }, timeoutMs);
        signal?.addEventListener("abort", onAbort, { once: true });
        req.end(request.body);
    });

/** The host a failure names: never the URL, whose path or query may be the secret. */
export function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return "an unreadable URL";
    }
}

/** Why a request failed, in a few words: the timeout, or the network error with its code. */
export function requestFailure(err: unknown, timeoutMs: number): string {
    const e = err as { name?: string; message?: string; code?: unknown };
    if (e?.name === "TimeoutError" || e?.name === "AbortError")
        return `no answer within ${timeoutMs} ms`;
    const message = e?.message ?? String(err);
    const code = typeof e?.code === "string" && !message.includes(e.code) ? ` (${e.code})` : "";
    return `${message}${code}`;
}
