// The controller's HTTP endpoint (--listen): GET /healthz (200 or 503, a line per stack) and
// GET /metrics (Prometheus text). Nothing else, nothing that writes, no secret in any answer.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../config";

export interface WatchEndpoints {
    health(): { ok: boolean; body: string };
    metrics(): Promise<string>;
    metricsContentType: string;
}

export interface Listening {
    /** http://host:port, the port the system gave when 0 was asked for */
    url: string;
    close(): Promise<void>;
}

/** Serves the endpoints on host:port; a refusal (address in use, no such address) is one line naming --listen. */
export async function serveWatch(
    host: string,
    port: number,
    endpoints: WatchEndpoints,
): Promise<Listening> {
    const server: Server = createServer((req, res) => {
        const path = (req.url ?? "/").replace(/\?.*$/, "");
        if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
            res.end("only GET\n");
            return;
        }
        if (path === "/healthz") {
            const { ok, body } = endpoints.health();
            res.writeHead(ok ? 200 : 503, {
                "content-type": "text/plain; charset=utf-8",
                "cache-control": "no-store",
            });
            res.end(`${body}\n`);
            return;
        }
        if (path === "/metrics") {
            endpoints.metrics().then(
                (text) => {
                    res.writeHead(200, { "content-type": endpoints.metricsContentType });
                    res.end(text);
                },
                (err: unknown) => {
                    res.writeHead(500, { "content-type": "text/plain" });
                    res.end(`metrics failed: ${(err as Error).message}\n`);
                },
            );
            return;
        }
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found: /healthz or /metrics\n");
    });
    // A scraper's idle keep-alive connection must not hold the process open at its stop.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
        const refuse = (err: NodeJS.ErrnoException) =>
            reject(
                new ConfigError([
                    `--listen ${host}:${port}: cannot listen there (${err.code ?? err.message}); choose another address or port`,
                ]),
            );
        server.once("error", refuse);
        server.listen(port, host, () => {
            server.off("error", refuse);
            resolve();
        });
    });
    const { port: bound } = server.address() as AddressInfo;
    const shown = host.includes(":") ? `[${host}]` : host;
    return {
        url: `http://${shown}:${bound}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
