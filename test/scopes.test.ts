// The token scopes per command (config/scopes.ts): DigitalOcean's required scopes are added, the
// recommended token can write to no droplet, and a 403 in pulumi's output becomes a line that
// names the missing scope (and never advises adding a droplet write scope).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENDPOINT_SCOPES as EMULATOR_ENDPOINT_SCOPES } from "../emulator/routes/scopes";
import { withRequiredScopes as emulatorWithRequired } from "../emulator/tokens";
import { getJson, withScopeHint } from "../infra/digitaloceanApi";
import type { HttpRequestFn } from "../infra/httpRequest";
import {
    COMMAND_SCOPES,
    DROPLET_WRITE_SCOPES,
    ENDPOINT_SCOPES,
    RECOMMENDED_SCOPES,
    REQUIRED_SCOPES,
    scopeForRequest,
    scopeHints,
    tokenScopes,
    withRequired,
    workflowScopes,
    type Command,
} from "../config/scopes";

const UPDATE_NEEDS = [
    "load_balancer:read",
    "regions:read",
    "sizes:read",
    "actions:read",
    "droplet:read",
    "image:read",
    "tag:read",
    "vpc:read",
];

describe("the scopes each command's token carries", () => {
    it("adds DigitalOcean's required scopes: load_balancer:update brings its eight", () => {
        expect(withRequired(["load_balancer:update"])).toEqual(
            ["load_balancer:update", ...UPDATE_NEEDS].sort(),
        );
        expect(withRequired(["tag:read"])).toEqual(["tag:read"]);
        expect(withRequired(["monitoring:read"])).toEqual([
            "actions:read",
            "droplet:read",
            "image:read",
            "monitoring:read",
            "regions:read",
            "sizes:read",
        ]);
    });

    it("the closure holds the scopes given, is closed and idempotent, whatever is asked for", () => {
        const known = [
            ...new Set([
                ...Object.keys(REQUIRED_SCOPES),
                ...Object.values(REQUIRED_SCOPES).flat(),
                "certificate:read",
                "tag:create",
            ]),
        ];
        fc.assert(
            fc.property(fc.subarray(known), (asked) => {
                const all = withRequired(asked);
                for (const scope of asked) expect(all).toContain(scope);
                for (const scope of all)
                    for (const required of REQUIRED_SCOPES[scope] ?? [])
                        expect(all).toContain(required);
                expect(withRequired(all)).toEqual(all);
                expect(new Set(all).size).toBe(all.length);
            }),
        );
    });

    it.each(Object.keys(COMMAND_SCOPES) as Command[])("%s: no droplet write scope", (command) => {
        for (const scope of DROPLET_WRITE_SCOPES) expect(tokenScopes(command)).not.toContain(scope);
    });

    it("the recommended token resizes the load balancer and reads, no more: every command but creating an LB runs on it", () => {
        expect(RECOMMENDED_SCOPES).toEqual(
            withRequired(["load_balancer:update", "certificate:read", "monitoring:read"]),
        );
        for (const command of Object.keys(COMMAND_SCOPES) as Command[]) {
            if (command !== "programCreate")
                for (const scope of tokenScopes(command))
                    expect(RECOMMENDED_SCOPES).toContain(scope);
        }
        expect(RECOMMENDED_SCOPES).not.toContain("load_balancer:create");
        for (const scope of DROPLET_WRITE_SCOPES) expect(RECOMMENDED_SCOPES).not.toContain(scope);
    });

    it("the program's token resizes and only reads otherwise; the gate, drift, forget and discover only read", () => {
        expect(tokenScopes("program").filter((s) => !s.endsWith(":read"))).toEqual([
            "load_balancer:update",
        ]);
        expect(tokenScopes("programCreate").filter((s) => !s.endsWith(":read"))).toEqual([
            "load_balancer:create",
            "load_balancer:update",
        ]);
        for (const command of ["gate", "drift", "forget", "discover", "observe"] as const)
            expect(tokenScopes(command).every((s) => s.endsWith(":read"))).toBe(true);
        expect(tokenScopes("observe")).not.toContain("load_balancer:read");
        expect(workflowScopes("deploy.yml")).toEqual(tokenScopes("program"));
        expect(workflowScopes("pull-request.yml")).toEqual(tokenScopes("gate"));
    });
});

describe("which scope a request needs", () => {
    it.each([
        ["GET", "/v2/load_balancers", "load_balancer:read"],
        ["GET", "/v2/load_balancers/6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40", "load_balancer:read"],
        ["PUT", "/v2/load_balancers/6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40", "load_balancer:update"],
        ["POST", "/v2/load_balancers", "load_balancer:create"],
        ["GET", "/v2/droplets?page=1&per_page=200&tag_name=masking", "droplet:read"],
        ["POST", "/v2/droplets/501000101/actions", "droplet:update"],
        ["DELETE", "/v2/droplets/501000101", "droplet:delete"],
        ["GET", "/v2/certificates/892071a0-bb95-49bc-8021-3afd67a210bf", "certificate:read"],
        [
            "GET",
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current",
            "monitoring:read",
        ],
        ["POST", "/v2/tags/masking/resources", "tag:create"],
    ])("%s %s: %s", (method, path, scope) => {
        expect(scopeForRequest(method, path)?.scope).toBe(scope);
    });

    it("none for an endpoint it does not know", () => {
        expect(scopeForRequest("GET", "/v2/account")).toBeUndefined();
        expect(scopeForRequest("PATCH", "/v2/load_balancers/x")).toBeUndefined();
    });

    it("agrees with the emulator, which enforces DigitalOcean's table: each endpoint needs the same scope there, and a scope brings the same scopes with it", () => {
        const routePattern = (route: string) =>
            new RegExp(`^${route.replace(/\/\*$/, "/[^/]+").replace(/:[a-z_]+/g, "[^/]+")}$`);
        for (const endpoint of ENDPOINT_SCOPES) {
            const sample = endpoint.path.replace(/\{[^}]+\}/g, "x");
            const theirs = EMULATOR_ENDPOINT_SCOPES.find(
                (e) => e.method === endpoint.method && routePattern(e.route).test(sample),
            );
            expect(theirs?.scopes, `${endpoint.method} ${endpoint.path}`).toContain(endpoint.scope);
        }
        // Compared as closures (one table may list what a required scope requires in turn), for
        // every scope this project's table knows or a command's token carries.
        const commandScopes = Object.values(COMMAND_SCOPES).flatMap(
            (command) => command.scopes as readonly string[],
        );
        for (const scope of new Set([
            ...Object.keys(REQUIRED_SCOPES),
            ...commandScopes,
            ...DROPLET_WRITE_SCOPES,
        ])) {
            expect(withRequired([scope]).sort(), scope).toEqual(
                [...emulatorWithRequired([scope])].sort(),
            );
        }
    });

    it("every endpoint listed is distinct", () => {
        const keys = ENDPOINT_SCOPES.map((e) => `${e.method} ${e.path}`);
        expect(new Set(keys).size).toBe(keys.length);
    });
});

describe("scopeHints: a 403 in pulumi's output names the missing scope", () => {
    // godo's ErrorResponse.Error(): "<METHOD> <URL>: <status> (request \"<id>\") <message>", as the provider passes it on.
    const godo = (method: string, url: string, status: number, message: string) =>
        `${method} ${url}: ${status} (request "3f1d2c4b-9a1e-4d7c-8b6f-0e2a5c7d9b11") ${message}`;
    const API = "http://127.0.0.1:40111";
    const LB = `${API}/v2/load_balancers/6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40`;

    it.each([
        [
            "a resize without load_balancer:update",
            `error: 1 error occurred:\n\t* Error updating Load Balancer: ${godo("PUT", LB, 403, "You are not authorized to perform this operation.")}`,
            [
                "the token lacks load_balancer:update (needed for PUT /v2/load_balancers/{id}): add it (console: API > Tokens > edit scopes)",
            ],
        ],
        [
            "a read without certificate:read, in preview --json (quotes escaped)",
            JSON.stringify({
                diagnostics: [
                    {
                        message: `error: reading certificate: ${godo("GET", `${API}/v2/certificates/892071a0`, 403, "You are not authorized to perform this operation.")}`,
                    },
                ],
            }),
            [
                "the token lacks certificate:read (needed for GET /v2/certificates/{id}): add it (console: API > Tokens > edit scopes)",
            ],
        ],
        [
            "the same scope twice: one line",
            [
                godo("GET", `${API}/v2/droplets/1`, 403, "forbidden"),
                godo("GET", `${API}/v2/droplets/2`, 403, "forbidden"),
            ].join("\n"),
            [
                "the token lacks droplet:read (needed for GET /v2/droplets/{id}): add it (console: API > Tokens > edit scopes)",
            ],
        ],
        [
            "a droplet write refused: the token did its job, the scope is not to be added",
            godo(
                "POST",
                `${API}/v2/droplets/501000101/actions`,
                403,
                "You are not authorized to perform this operation.",
            ),
            [
                expect.stringMatching(
                    /^DigitalOcean refused POST \/v2\/droplets\/\{id\}\/actions: the token has no droplet:update, on purpose .* Do not add the scope/,
                ),
            ],
        ],
        [
            "a load balancer busy with a previous change is not a scope",
            godo(
                "PUT",
                LB,
                403,
                "Load Balancer can't be updated while it processes previous actions",
            ),
            [],
        ],
        ["another status", godo("PUT", LB, 422, "size_unit must be at most 200"), []],
        ["no API error", "error: update failed", []],
    ])("%s", (_what, output, hints) => {
        expect(scopeHints(output)).toEqual(hints);
    });

    it("never a line for text without a 403 from the API, whatever it says", () => {
        fc.assert(
            fc.property(
                fc.string(),
                fc.constantFrom("GET", "PUT", "POST", "DELETE"),
                (text, method) => {
                    expect(
                        scopeHints(
                            `${method} http://127.0.0.1:1/v2/droplets/1: ${text.replace(/403/g, "40x")}`,
                        ),
                    ).toEqual([]);
                },
            ),
        );
    });
});

describe("withScopeHint: our own API reads name the missing scope too", () => {
    const answering =
        (status: number, body: object): HttpRequestFn =>
        async () => ({
            status,
            ok: status >= 200 && status < 300,
            statusText: "",
            headers: { get: () => null },
            text: JSON.stringify(body),
        });
    const read = (status: number, path: string) =>
        getJson(
            {
                api: "http://127.0.0.1:9",
                token: "t",
                request: answering(status, {
                    id: "forbidden",
                    message: "you do not have access for the attempted action",
                }),
            },
            new URL(`http://127.0.0.1:9${path}`),
        ).catch(withScopeHint);

    it.each([
        [
            "/v2/load_balancers",
            "the token lacks load_balancer:read (needed for GET /v2/load_balancers)",
        ],
        [
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current",
            "the token lacks monitoring:read",
        ],
    ])("a 403 on %s", async (path, hint) => {
        const err = await read(403, path).then(
            () => undefined,
            (e: { problems: string[] }) => e,
        );
        expect(err?.problems[0]).toBe(
            `GET ${path} answered 403 (forbidden: you do not have access for the attempted action)`,
        );
        expect(err?.problems[1]).toContain(hint);
    });

    it("another status, or a 403 on an endpoint it does not know: the error as it was", async () => {
        const other = await read(500, "/v2/load_balancers").then(
            () => undefined,
            (e: { problems: string[] }) => e,
        );
        expect(other?.problems).toEqual([
            "GET /v2/load_balancers answered 500 (forbidden: you do not have access for the attempted action)",
        ]);
        const unknown = await read(403, "/v2/unknown").then(
            () => undefined,
            (e: { problems: string[] }) => e,
        );
        expect(unknown?.problems).toHaveLength(1);
    });
});
