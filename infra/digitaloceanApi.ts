// The one way proxy-lb reads DigitalOcean's API itself (outside the provider): the API base,
// the token from the environment, and a GET that turns every failure into a message naming
// the endpoint and what the API said. Thin on purpose: what the answers mean is decided by the
// callers. Reads only; no Pulumi here.
import { ConfigError } from "../config";
import { missingScopeHint, scopeForRequest } from "../config/scopes";
import { httpRequest, type HttpAnswer, type HttpRequestFn } from "./httpRequest";
import { errorText, TOKEN_REFUSED, userFailure } from "./userFailure";

export const DEFAULT_API = "https://api.digitalocean.com";

export interface ApiRead {
    /** API base, e.g. https://api.digitalocean.com */
    api: string;
    token: string;
    /** how the request is sent; tests answer it themselves */
    request?: HttpRequestFn;
}

/** A bound, so an API that never answers cannot hold a tick forever (as fetch's 300 s did). */
export const API_READ_TIMEOUT_MS = 300_000;

/** The API base: DIGITALOCEAN_API_URL, else the stack's digitalocean:apiEndpoint, else DigitalOcean's. */
export function apiBase(
    env: Record<string, string | undefined>,
    stackEntries: Record<string, unknown>,
): string {
    const endpoint = stackEntries["digitalocean:apiEndpoint"];
    const base =
        env.DIGITALOCEAN_API_URL ||
        (typeof endpoint === "string" && endpoint !== "" ? endpoint : DEFAULT_API);
    return base.replace(/\/+$/, "");
}

/** The bearer token, from DIGITALOCEAN_TOKEN only (never from a file); `scopes` say what it needs. */
export function tokenFrom(
    env: Record<string, string | undefined>,
    scopes: readonly string[],
): string {
    const token = env.DIGITALOCEAN_TOKEN;
    if (!token)
        throw new ConfigError([
            `DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token with ${scopes.join(", ")}`,
        ]);
    return token;
}

/**
 * How the program reads the API itself (outside the provider), as the provider is configured: the
 * stack's digitalocean:apiEndpoint, and its token from DIGITALOCEAN_TOKEN or digitalocean:token.
 */
export function programApiRead(
    env: Record<string, string | undefined>,
    stackEntries: Record<string, unknown>,
    scopes: readonly string[],
): ApiRead {
    const fromConfig = stackEntries["digitalocean:token"];
    const token =
        env.DIGITALOCEAN_TOKEN ||
        (typeof fromConfig === "string" && fromConfig !== "" ? fromConfig : tokenFrom(env, scopes));
    return { api: apiBase(env, stackEntries), token };
}

/** The API answered with an error status: the status is kept so a caller can say more (a 403's missing scope). */
export class ApiAnswerError extends ConfigError {
    constructor(
        problems: string[],
        readonly status: number,
        readonly path: string,
    ) {
        super(problems);
        this.name = "ApiAnswerError";
    }
}

/** GET `url` with the token; its JSON, or an error naming the endpoint and what the API said. */
export async function getJson(read: ApiRead, url: URL): Promise<unknown> {
    let response: HttpAnswer;
    try {
        response = await (read.request ?? httpRequest)({
            url,
            headers: { Authorization: `Bearer ${read.token}`, Accept: "application/json" },
            timeoutMs: API_READ_TIMEOUT_MS,
        });
    } catch (err) {
        const cause = errorText(err).replace(/\s*\n\s*/g, ": ");
        throw new ConfigError([
            userFailure(`${cause} ${read.api}`) ??
                `GET ${url.pathname} on ${read.api} failed: ${cause}`,
        ]);
    }
    const text = response.text;
    if (!response.ok) {
        let said = text.slice(0, 200);
        try {
            const body = JSON.parse(text) as { id?: string; message?: string };
            said = [body.id, body.message].filter(Boolean).join(": ") || said;
        } catch {
            // not JSON: the text as it came
        }
        const answered = `GET ${url.pathname} answered ${response.status}${said ? ` (${said})` : ""}`;
        throw new ApiAnswerError(
            // A refused token is one line saying what to do, as everywhere.
            [response.status === 401 ? TOKEN_REFUSED : answered],
            response.status,
            url.pathname,
        );
    }
    try {
        return JSON.parse(text);
    } catch {
        throw new ConfigError([
            `GET ${url.pathname} answered something that is not JSON: ${text.slice(0, 120)}`,
        ]);
    }
}

/**
 * For a caller's own API reads (`getJson(...).catch(withScopeHint)`): a 403 gets the line that
 * names the scope to add; anything else is rethrown as it is.
 */
export function withScopeHint(err: unknown): never {
    if (err instanceof ApiAnswerError && err.status === 403) {
        const endpoint = scopeForRequest("GET", err.path);
        if (endpoint) throw new ConfigError([...err.problems, missingScopeHint(endpoint)]);
    }
    throw err;
}
