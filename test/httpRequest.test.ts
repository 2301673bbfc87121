// infra/httpRequest.ts against real servers on 127.0.0.1: what proxy-lb's own calls (its API
// reads, the webhooks, the heartbeat) rely on — the answer read whole, a redirect never
// followed, a bound that holds, network errors with their code, a body cap, TLS verified — and
// getJson's failure lines on top of it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getJson } from "../infra/digitaloceanApi";
import { httpRequest, requestFailure } from "../infra/httpRequest";
import { TOKEN_REFUSED } from "../infra/userFailure";

interface Seen {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
    body: string;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server on 127.0.0.1 (port 0) that records each request, body included, then `answer`s it. */
async function serve(
    answer: (res: ServerResponse, seen: Seen) => void,
): Promise<{ base: string; seen: Seen[]; close: () => Promise<void> }> {
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
            const one = {
                method: req.method ?? "",
                path: req.url ?? "",
                headers: req.headers,
                body,
            };
            seen.push(one);
            answer(res, one);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const close = () =>
        new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        });
    closers.push(close);
    const { port } = server.address() as AddressInfo;
    return { base: `http://127.0.0.1:${port}`, seen, close };
}

/** A base URL where nothing listens: a server's port, the server closed. */
async function refusingBase(): Promise<string> {
    const { base, close } = await serve(() => undefined);
    await close();
    return base;
}

describe("httpRequest", () => {
    it("sends the method, headers and body; answers the status, its text, headers by any case and the whole body", async () => {
        const { base, seen } = await serve((res) =>
            res
                .writeHead(201, "Made", { "Retry-After": "7", "content-type": "text/plain" })
                .end("héllo ".repeat(20_000)),
        );
        const answer = await httpRequest({
            url: `${base}/api/x?y=1`,
            method: "POST",
            headers: { "content-type": "application/json" },
            body: '{"a":"é"}',
        });
        expect(answer).toMatchObject({ status: 201, ok: true, statusText: "Made" });
        expect(answer.text).toBe("héllo ".repeat(20_000));
        expect(answer.headers.get("retry-after")).toBe("7");
        expect(answer.headers.get("Retry-After")).toBe("7");
        expect(answer.headers.get("x-none")).toBeNull();
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ method: "POST", path: "/api/x?y=1", body: '{"a":"é"}' });
        expect(seen[0].headers["content-type"]).toBe("application/json");
        expect(seen[0].headers["content-length"]).toBe(String(Buffer.byteLength('{"a":"é"}')));

        // GET by default, a URL object as well as a string
        await httpRequest({ url: new URL(`${base}/ping`) });
        expect(seen[1]).toMatchObject({ method: "GET", path: "/ping", body: "" });
    });

    it("an error status is an answer, not a rejection", async () => {
        const { base } = await serve((res) => res.writeHead(503).end("busy"));
        expect(await httpRequest({ url: base })).toMatchObject({
            status: 503,
            ok: false,
            statusText: "Service Unavailable",
            text: "busy",
        });
    });

    it("a redirect is the answer, never followed: nothing reaches where it points", async () => {
        const { base, seen } = await serve((res, one) =>
            one.path === "/webhook"
                ? res.writeHead(302, { location: "/elsewhere" }).end()
                : res.writeHead(200).end("taken"),
        );
        const answer = await httpRequest({ url: `${base}/webhook`, method: "POST", body: "{}" });
        expect(answer).toMatchObject({ status: 302, ok: false });
        expect(answer.headers.get("location")).toBe("/elsewhere");
        expect(seen.map((s) => s.path)).toEqual(["/webhook"]);
    });

    it("gives up at its bound with a TimeoutError naming it; an abort rejects with the signal's reason", async () => {
        const { base } = await serve(() => undefined); // never answers
        const started = Date.now();
        const err = (await httpRequest({ url: base, timeoutMs: 300 }).catch((e) => e)) as Error & {
            code?: string;
        };
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(290);
        expect(took).toBeLessThan(2_000);
        expect(err).toMatchObject({
            name: "TimeoutError",
            code: "ETIMEDOUT",
            message: "no answer within 300 ms",
        });
        expect(requestFailure(err, 300)).toBe("no answer within 300 ms");

        const aborted = await httpRequest({
            url: base,
            signal: AbortSignal.timeout(200),
        }).catch((e: Error) => e);
        expect((aborted as Error).name).toBe("TimeoutError");
        expect(requestFailure(aborted, 200)).toBe("no answer within 200 ms");
        const already = new AbortController();
        already.abort(new Error("stopped"));
        await expect(httpRequest({ url: base, signal: already.signal })).rejects.toThrow("stopped");
    });

    it("a refused connection rejects with Node.js's error, its code kept", async () => {
        const base = await refusingBase();
        const err = (await httpRequest({ url: `${base}/ping/s3cr3t` }).catch((e) => e)) as Error & {
            code?: string;
        };
        expect(err.code).toBe("ECONNREFUSED");
        expect(err.message).toBe(`connect ECONNREFUSED ${new URL(base).host}`);
        expect(requestFailure(err, 1000)).toBe(`connect ECONNREFUSED ${new URL(base).host}`);
        expect(
            requestFailure(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), 1),
        ).toBe("socket hang up (ECONNRESET)");
    });

    it("a connection cut in the middle of the answer rejects with ECONNRESET, never hangs", async () => {
        const { base } = await serve((res) => {
            res.writeHead(200, { "content-length": "100" }).write("abc");
            setTimeout(() => res.socket?.destroy(), 50);
        });
        const err = (await httpRequest({ url: base, timeoutMs: 5_000 }).catch(
            (e) => e,
        )) as Error & {
            code?: string;
        };
        expect(err.code).toBe("ECONNRESET");
        expect(requestFailure(err, 5_000)).toBe("aborted (ECONNRESET)");
    });

    it("a body past the cap fails the request instead of filling memory", async () => {
        const { base } = await serve((res) => res.writeHead(200).end("x".repeat(5_000)));
        await expect(httpRequest({ url: base, maxBodyBytes: 4_096 })).rejects.toThrow(
            "the answer's body is larger than 4096 bytes",
        );
        expect((await httpRequest({ url: base, maxBodyBytes: 5_000 })).text).toHaveLength(5_000);
    });

    it("only http and https", async () => {
        await expect(httpRequest({ url: "ftp://127.0.0.1/x" })).rejects.toThrow(
            "cannot send a request to a ftp: URL (http or https only)",
        );
    });

    it("https: the server's certificate is verified (a self-signed one is refused)", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-https-"));
        try {
            execFileSync(
                "openssl",
                [
                    ...[
                        "req",
                        "-x509",
                        "-newkey",
                        "ec",
                        "-pkeyopt",
                        "ec_paramgen_curve:prime256v1",
                    ],
                    ...["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
                    ...["-addext", "subjectAltName=IP:127.0.0.1"],
                    ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
                ],
                { stdio: "ignore" },
            );
            let reached = 0;
            const server = createTlsServer(
                {
                    key: readFileSync(path.join(dir, "key.pem")),
                    cert: readFileSync(path.join(dir, "cert.pem")),
                },
                (_req, res) => {
                    reached++;
                    res.end("ok");
                },
            );
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
            const { port } = server.address() as AddressInfo;
            const err = (await httpRequest({ url: `https://127.0.0.1:${port}/` }).catch(
                (e) => e,
            )) as Error & { code?: string };
            expect(err.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
            expect(reached).toBe(0);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("getJson over httpRequest: the same lines for the user", () => {
    it("an API that cannot be reached: one line naming its address", async () => {
        const base = await refusingBase();
        const err = (await getJson(
            { api: base, token: "t" },
            new URL(`${base}/v2/load_balancers`),
        ).catch((e) => e)) as { problems: string[] };
        expect(err.problems).toEqual([
            `the DigitalOcean API at ${base} cannot be reached: check DIGITALOCEAN_API_URL (or the stack's digitalocean:apiEndpoint) and the network (offline: is the emulator running?)`,
        ]);
    });

    it("sends the token; a 401 is the refused-token line, a 404 names the endpoint and what the API said, a 200 its JSON", async () => {
        const { base, seen } = await serve((res, one) => {
            const status = one.path === "/v2/account" ? 401 : one.path === "/v2/x" ? 404 : 200;
            const body =
                status === 401
                    ? { id: "Unauthorized", message: "Unable to authenticate you" }
                    : status === 404
                      ? {
                            id: "not_found",
                            message: "The resource you were accessing could not be found.",
                        }
                      : { load_balancers: [] };
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        });
        const read = { api: base, token: "tok-123" };
        expect(await getJson(read, new URL(`${base}/v2/load_balancers`))).toEqual({
            load_balancers: [],
        });
        expect(seen[0].headers.authorization).toBe("Bearer tok-123");
        expect(seen[0].headers.accept).toBe("application/json");
        const refused = (await getJson(read, new URL(`${base}/v2/account`)).catch((e) => e)) as {
            problems: string[];
        };
        expect(refused.problems).toEqual([TOKEN_REFUSED]);
        const missing = (await getJson(read, new URL(`${base}/v2/x`)).catch((e) => e)) as {
            problems: string[];
        };
        expect(missing.problems).toEqual([
            "GET /v2/x answered 404 (not_found: The resource you were accessing could not be found.)",
        ]);
    });
});
