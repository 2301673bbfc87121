// Fastify app wiring: auth, request log, faults, response validation, error bodies.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { ApiError, BUSY_MESSAGE, forbiddenForScope, notFound } from "./errors";
import { FileBackend, type StateBackend } from "./backend";
import { type AppContext, apiErrorOf, classify, ctxOf as ctxOfReq, toSpecPath } from "./http";
import { parseInstant } from "./clock";
import { requestChecks } from "./requestChecks";
import { type OpenApi, SpecUnavailableError, loadOpenApi } from "./openapi";
import { registerApiRoutes } from "./routes/api";
import { endpointScopes } from "./routes/scopes";
import { missingScopes, tokenSha256 } from "./tokens";
import { registerControlRoutes } from "./routes/control";
import { registerMetricsRoutes } from "./routes/metrics";
import { EmulatorState } from "./state";
import type { Fault } from "./faultTypes";
import type { LogEntry } from "./logTypes";
import type { Seed } from "./seedTypes";

export type { Seed } from "./seedTypes";
export { seedFromIds, loadSeedFile } from "./seed";
export { EmulatorState } from "./state";
export { FileBackend, MemoryBackend } from "./backend";

export interface EmulatorOptions {
    /** 0 (default) picks a free port. */
    port?: number;
    /** Only loopback is allowed: the emulator has no real auth. */
    host?: "127.0.0.1";
    seed?: Seed;
    /** Shorthand for `backend: new FileBackend(stateFile)`: loaded if present, rewritten after every request. */
    stateFile?: string;
    /** Where the state is saved (e.g. a MemoryBackend shared by two emulators to simulate a restart). */
    backend?: StateBackend;
    /** Check every /v2 response against the OpenAPI schema (+ provider contract); a mismatch becomes a 500. Default: off, unless $DO_EMULATOR_VALIDATE_RESPONSES is 1. */
    validateResponses?: boolean;
    /** Path of do-openapi-subset.json; else $DO_OPENAPI_SPEC, else the copy in emulator/openapi/. */
    specPath?: string;
    /** GETs before a new LB turns active (default 1: the first GET after creation). */
    activateAfterGets?: number;
    /** Seconds before a resize shows in the derived metrics (default: the seed's metrics.resizeDelaySeconds, else 60). */
    resizeDelaySeconds?: number;
    /** Start with the clock set to this ISO time (as PUT /_emulator/clock); default: real time (or a saved state's clock). */
    now?: string;
    /** Reads kept in full in the request log (default 10,000); older ones are only counted, in the summary. */
    readsKept?: number;
    /** Called once per finished API request (the CLI prints these). */
    onRequestLogged?: (entry: LogEntry) => void;
}

export interface Emulator {
    url: string;
    port: number;
    state: EmulatorState;
    app: FastifyInstance;
    close(): Promise<void>;
}

/**
 * Set to 1 to make response validation the default: every test run sets it, so each emulator a
 * test starts checks its answers; a run for use (`npm run emulator`, the sandbox, the bench) is
 * spared the cost.
 */
export const VALIDATE_RESPONSES_ENV = "DO_EMULATOR_VALIDATE_RESPONSES";

/** DigitalOcean's hourly request quota, as its ratelimit-limit header says. */
const RATE_LIMIT = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isControl = (path: string): boolean =>
    path.startsWith("/_emulator/") || path === "/_emulator";

function resolveOpenApi(opts: EmulatorOptions, validateResponses: boolean): OpenApi | undefined {
    try {
        return loadOpenApi(opts.specPath);
    } catch (e) {
        if (!(e instanceof SpecUnavailableError)) throw e;
        // Response validation was asked for: refuse to pretend it is happening.
        if (validateResponses) throw e;
        process.emitWarning(
            `${e.message} Request bodies get semantic checks only; responses are not validated.`,
        );
        return undefined;
    }
}

function parseJsonBody(
    _req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
): void {
    const text = body.toString();
    // godo sends Content-Type: application/json with an empty body on GET/DELETE.
    if (text.trim() === "") return done(null, undefined);
    try {
        done(null, JSON.parse(text));
    } catch (e) {
        done(new ApiError(400, `invalid JSON body: ${(e as Error).message}`));
    }
}

function refused(entry: LogEntry, err: ApiError): ApiError {
    if (entry.write) entry.changed = false;
    return err;
}

export function buildApp(opts: EmulatorOptions = {}): {
    app: FastifyInstance;
    store: EmulatorState;
    ctx: AppContext;
} {
    const validateResponses = opts.validateResponses ?? process.env[VALIDATE_RESPONSES_ENV] === "1";
    const openapi = resolveOpenApi(opts, validateResponses);
    const nowMs = opts.now === undefined ? undefined : parseInstant(opts.now);
    if (opts.now !== undefined && nowMs === undefined)
        throw new Error(
            `now must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z (got ${JSON.stringify(opts.now)})`,
        );
    const store = new EmulatorState({
        seed: opts.seed,
        backend: opts.backend ?? (opts.stateFile ? new FileBackend(opts.stateFile) : undefined),
        activateAfterGets: opts.activateAfterGets,
        checks: requestChecks(openapi),
        resizeDelaySeconds: opts.resizeDelaySeconds,
        nowMs,
        readsKept: opts.readsKept,
    });
    const ctx: AppContext = { store, openapi, validateResponses };
    // No fastify logger: it would print request headers, i.e. the bearer token.
    const app = Fastify({ logger: false, forceCloseConnections: true });
    app.decorateRequest("emu", null);

    app.removeContentTypeParser(["application/json", "text/plain"]);
    app.addContentTypeParser("application/json", { parseAs: "string" }, parseJsonBody);
    app.addContentTypeParser("*", { parseAs: "string" }, parseJsonBody);

    app.addHook("onRequest", async (req) => {
        const path = req.url.split("?")[0];
        if (isControl(path)) return;
        const bearer = /^bearer\s+(\S+)/i.exec(req.headers.authorization ?? "")?.[1];
        const sha = bearer === undefined ? undefined : tokenSha256(bearer);
        if (sha) store.requests.countBearer(sha);
        // Without a token list any token has every scope; with one, only listed tokens authenticate.
        const granted = sha && store.tokens ? store.tokens.get(sha) : undefined;
        const authenticated = sha !== undefined && (!store.tokens || granted !== undefined);
        const requestId = randomUUID();
        const entry = store.requests.begin({
            requestId,
            method: req.method,
            path,
            query: { ...(req.query as Record<string, string>) },
            ...classify(req.method, path),
            authenticated,
        });
        req.emu = { entry, requestId, started: Date.now(), holdNew: false };
        // A refused write changes nothing (the summary's effectiveWrites leaves it out).
        if (!authenticated && path.startsWith("/v2/")) throw refused(entry, new ApiError(401));
        if (granted) {
            const missing = missingScopes(
                endpointScopes(req.method, req.routeOptions.url),
                granted,
            );
            if (missing.length)
                throw refused(
                    Object.assign(entry, { missingScopes: missing }),
                    forbiddenForScope(),
                );
        }
    });

    app.addHook("preHandler", async (req, reply) => {
        const emu = req.emu;
        if (!emu) return;
        if (req.body !== undefined) emu.entry.body = structuredClone(req.body);
        const fault = store.faults.take(req.method, emu.entry.path);
        if (emu.entry.write) emu.stateBefore = store.digest();
        if (!fault) return;
        emu.entry.fault = fault.kind;
        if (fault.delayMs) await sleep(fault.delayMs);
        if (fault.when === "after") {
            emu.afterFault = fault;
            return;
        }
        switch (fault.kind) {
            case "error":
                setRetryHeaders(reply, fault);
                throw new ApiError(fault.status ?? 500, fault.message);
            case "busy":
                throw new ApiError(403, fault.message ?? BUSY_MESSAGE, "forbidden");
            case "stuckNew":
                emu.holdNew = true;
                return;
            case "drop":
                return dropConnection(req, reply);
            case "delay":
                return;
        }
    });

    /** 429 (or any fault with retryAfterSeconds): Retry-After plus DigitalOcean's ratelimit-* headers showing the quota spent. */
    function setRetryHeaders(reply: FastifyReply, fault: Fault): void {
        if (fault.retryAfterSeconds === undefined) return;
        reply.header("retry-after", fault.retryAfterSeconds);
        if (fault.status === 429) {
            reply.header("ratelimit-limit", RATE_LIMIT);
            reply.header("ratelimit-remaining", 0);
            reply.header(
                "ratelimit-reset",
                Math.floor(Date.now() / 1000) + fault.retryAfterSeconds,
            );
        }
    }

    function dropConnection(req: FastifyRequest, reply: FastifyReply): FastifyReply {
        reply.hijack();
        if (req.emu?.stateBefore !== undefined) req.emu.entry.changed = false;
        req.raw.socket.destroy();
        finish(req, 0);
        store.persist();
        return reply;
    }

    function finish(req: FastifyRequest, status: number): void {
        const emu = req.emu;
        if (!emu || emu.entry.durationMs !== undefined) return;
        emu.entry.status = status;
        emu.entry.durationMs = Date.now() - emu.started;
        opts.onRequestLogged?.(emu.entry);
    }

    app.addHook("onSend", async (req, reply, payload) => {
        const emu = req.emu;
        if (emu?.stateBefore !== undefined) emu.entry.changed = store.digest() !== emu.stateBefore;
        const after = emu?.afterFault;
        if (after?.kind === "drop") {
            // The change is applied; the client never hears about it.
            req.raw.socket.destroy();
            finish(req, 0);
            store.persist();
            return payload;
        }
        if (after?.kind === "error") {
            setRetryHeaders(reply, after);
            reply.code(after.status ?? 500);
            reply.header("content-type", "application/json; charset=utf-8"); // the real answer may have been a bodiless 204
            payload = JSON.stringify(
                new ApiError(after.status ?? 500, after.message).body(emu!.requestId),
            );
        }
        const out = emu ? checkedPayload(req, reply, payload) : payload;
        if (emu) emu.entry.status = reply.statusCode;
        // Persist before the response leaves, so a client that got an answer can read the file.
        store.persist();
        return out;
    });

    function checkedPayload(req: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
        if (!reply.hasHeader("ratelimit-remaining")) {
            reply.header("ratelimit-limit", RATE_LIMIT);
            reply.header(
                "ratelimit-remaining",
                Math.max(0, RATE_LIMIT - (store.requests.count % RATE_LIMIT)),
            );
            reply.header("ratelimit-reset", Math.floor(Date.now() / 1000) + 60);
        }
        const route = req.routeOptions.url;
        if (!ctx.validateResponses || !ctx.openapi || !route || !route.startsWith("/v2/"))
            return payload;
        const body =
            typeof payload === "string" && payload !== "" ? JSON.parse(payload) : undefined;
        const errs = ctx.openapi.responseErrors(
            req.method,
            toSpecPath(route),
            reply.statusCode,
            body,
        );
        if (!errs.length) return payload;
        const msg = `emulator response to ${req.method} ${route} (${reply.statusCode}) violates the OpenAPI schema: ${errs.join("; ")}`;
        reply.code(500);
        return JSON.stringify(
            new ApiError(500, msg, "emulator_invalid_response").body(ctxOfReq(req).requestId),
        );
    }

    app.addHook("onResponse", async (req, reply) => finish(req, reply.statusCode));

    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
        const requestId = req.emu?.requestId ?? randomUUID();
        const api = apiErrorOf(err);
        if (api) return reply.code(api.status).send(api.body(requestId));
        const status =
            err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        return reply.code(status).send(new ApiError(status, err.message).body(requestId));
    });

    app.setNotFoundHandler((req, reply) => {
        reply.code(404).send(notFound().body(req.emu?.requestId ?? randomUUID()));
    });

    registerApiRoutes(app, ctx);
    registerMetricsRoutes(app, ctx);
    registerControlRoutes(app, ctx);
    return { app, store, ctx };
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
    const host = opts.host ?? "127.0.0.1";
    if (host !== "127.0.0.1") throw new Error("the emulator only binds to 127.0.0.1");
    const { app, store } = buildApp(opts);
    await app.listen({ port: opts.port ?? 0, host });
    const port = (app.server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        state: store,
        app,
        close: async () => {
            await app.close();
        },
    };
}
