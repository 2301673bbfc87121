import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSeedFile } from "./seed";
import { type Emulator, buildApp, seedFromIds, startEmulator } from "./server";
import { MASKING_IDS, TEST_CERTIFICATE, TEST_TOKEN, client, providerLbBody } from "./testkit";
import type { Seed, SeedLoadBalancer, SeedToken } from "./seedTypes";

const LB_ID = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORBIDDEN = {
    id: "forbidden",
    message: "you do not have access for the attempted action",
    request_id: expect.stringMatching(UUID),
};
const UNAUTHORIZED = {
    id: "unauthorized",
    message: "Unable to authenticate you.",
    request_id: expect.stringMatching(UUID),
};

const account = (tokens?: SeedToken[]): Seed => ({
    ...seedFromIds(MASKING_IDS, {
        tags: ["masking"],
        certificates: [TEST_CERTIFICATE],
        loadBalancers: [{ ...providerLbBody(), id: LB_ID, name: "existing" } as SeedLoadBalancer],
    }),
    metrics: {
        loadBalancers: {
            [LB_ID]: { frontend_connections_current: { points: [[1767225600, 2000]] } },
        },
    },
    ...(tokens ? { tokens } : {}),
});

const droplet = MASKING_IDS[0];
const tagBody = { resources: [{ resource_id: String(droplet), resource_type: "droplet" }] };

/** Each endpoint the emulator serves, the scope DigitalOcean's API reference names for it, and its answer when allowed. */
const ENDPOINTS: {
    method: string;
    path: string;
    body?: unknown;
    scope: string;
    alsoNeeds?: string;
    ok: number;
}[] = [
    { method: "GET", path: "/v2/load_balancers", scope: "load_balancer:read", ok: 200 },
    { method: "GET", path: `/v2/load_balancers/${LB_ID}`, scope: "load_balancer:read", ok: 200 },
    {
        method: "POST",
        path: "/v2/load_balancers",
        body: providerLbBody({ name: "new-lb" }),
        scope: "load_balancer:create",
        ok: 202,
    },
    {
        method: "PUT",
        path: `/v2/load_balancers/${LB_ID}`,
        body: providerLbBody({ size_unit: 5 }),
        scope: "load_balancer:update",
        ok: 200,
    },
    {
        method: "DELETE",
        path: `/v2/load_balancers/${LB_ID}`,
        scope: "load_balancer:delete",
        ok: 204,
    },
    { method: "GET", path: "/v2/droplets?tag_name=masking", scope: "droplet:read", ok: 200 },
    { method: "GET", path: `/v2/droplets/${droplet}`, scope: "droplet:read", ok: 200 },
    { method: "GET", path: `/v2/droplets/${droplet}/actions`, scope: "droplet:read", ok: 200 },
    {
        method: "POST",
        path: "/v2/droplets",
        body: { name: "x", region: "nyc3", size: "s-1vcpu-1gb", image: "ubuntu-22-04-x64" },
        scope: "droplet:create",
        ok: 202,
    },
    { method: "DELETE", path: `/v2/droplets/${droplet}`, scope: "droplet:delete", ok: 204 },
    { method: "DELETE", path: "/v2/droplets?tag_name=masking", scope: "droplet:delete", ok: 204 },
    {
        method: "POST",
        path: `/v2/droplets/${droplet}/actions`,
        body: { type: "power_off" },
        scope: "droplet:update",
        ok: 201,
    },
    { method: "GET", path: "/v2/actions/1", scope: "actions:read", ok: 404 },
    { method: "GET", path: "/v2/certificates", scope: "certificate:read", ok: 200 },
    {
        method: "GET",
        path: `/v2/certificates/${TEST_CERTIFICATE.id}`,
        scope: "certificate:read",
        ok: 200,
    },
    { method: "GET", path: "/v2/tags", scope: "tag:read", ok: 200 },
    { method: "GET", path: "/v2/tags/masking", scope: "tag:read", ok: 200 },
    { method: "POST", path: "/v2/tags", body: { name: "drop-day" }, scope: "tag:create", ok: 201 },
    { method: "DELETE", path: "/v2/tags/masking", scope: "tag:delete", ok: 204 },
    // "To tag a resource, you must have both tag:create and <resource type>:update" (untag: tag:delete).
    {
        method: "POST",
        path: "/v2/tags/masking/resources",
        body: tagBody,
        scope: "tag:create",
        alsoNeeds: "droplet:update",
        ok: 204,
    },
    {
        method: "POST",
        path: "/v2/tags/masking/resources",
        body: tagBody,
        scope: "droplet:update",
        alsoNeeds: "tag:create",
        ok: 204,
    },
    {
        method: "DELETE",
        path: "/v2/tags/masking/resources",
        body: tagBody,
        scope: "tag:delete",
        alsoNeeds: "droplet:update",
        ok: 204,
    },
    {
        method: "DELETE",
        path: "/v2/tags/masking/resources",
        body: tagBody,
        scope: "droplet:update",
        alsoNeeds: "tag:delete",
        ok: 204,
    },
    ...["frontend_connections_current", "frontend_connections_limit", "droplets_downtime"].map(
        (metric) => ({
            method: "GET",
            path: `/v2/monitoring/metrics/load_balancer/${metric}?lb_id=${LB_ID}&start=1767225600&end=1767229200`,
            scope: "monitoring:read",
            ok: 200,
        }),
    ),
];

/** Every scope the endpoints above involve, with those their scopes require. */
const ALL = [
    ...new Set([
        ...ENDPOINTS.map((e) => e.scope),
        "regions:read",
        "sizes:read",
        "image:read",
        "vpc:read",
    ]),
];
/** Scopes DigitalOcean lists as required by another: a token with the latter always holds them. */
const REQUIRES: Record<string, string[]> = {
    "load_balancer:create": ["load_balancer:read"],
    "load_balancer:update": ["load_balancer:read"],
    "load_balancer:delete": ["load_balancer:read"],
    "load_balancer:read": [
        "droplet:read",
        "tag:read",
        "actions:read",
        "image:read",
        "regions:read",
        "sizes:read",
        "vpc:read",
    ],
    "droplet:create": ["droplet:read"],
    "droplet:update": ["droplet:read"],
    "droplet:delete": ["droplet:read"],
    "droplet:read": ["actions:read", "image:read", "regions:read", "sizes:read"],
    "image:read": ["droplet:read"],
    "monitoring:read": ["droplet:read", "image:read"],
    "tag:create": ["tag:read"],
    "tag:delete": ["tag:read"],
    "vpc:read": ["actions:read", "regions:read", "sizes:read"],
};
const implies = (held: string, wanted: string, seen = new Set<string>()): boolean =>
    held === wanted ||
    (!seen.has(held) &&
        (seen.add(held), (REQUIRES[held] ?? []).some((r) => implies(r, wanted, seen))));
/** The broadest token that still lacks `scope`: every scope that does not bring it along. */
const allBut = (scope: string): string[] => ALL.filter((s) => !implies(s, scope));

const inject = (seed: Seed, e: { method: string; path: string; body?: unknown }, token: string) => {
    const { app, store } = buildApp({ seed });
    const res = app.inject({
        method: e.method as "GET",
        url: e.path,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(e.body !== undefined ? { payload: JSON.stringify(e.body) } : {}),
    });
    return res.then(async (r) => ({
        status: r.statusCode,
        body: r.body ? JSON.parse(r.body) : undefined,
        store,
        close: () => app.close(),
    }));
};

describe("custom-scoped tokens (seed `tokens`)", () => {
    describe.each(ENDPOINTS)("$method $path needs $scope", (e) => {
        it("refuses a token without it: 403, DigitalOcean's body, nothing changed, the refusal logged", async () => {
            const seed = account([{ token: "narrow", scopes: allBut(e.scope) }]);
            expect(allBut(e.scope)).toContain(e.alsoNeeds ?? allBut(e.scope)[0]);
            const r = await inject(seed, e, "narrow");
            const before = buildApp({ seed }).store.digest();
            expect(r.status).toBe(403);
            expect(r.body).toEqual(FORBIDDEN);
            expect(r.store.digest()).toBe(before);
            expect(r.store.log.map((l) => [l.status, l.missingScopes, l.authenticated])).toEqual([
                [403, expect.arrayContaining([e.scope]), true],
            ]);
            expect(r.store.summary().totals.errors).toBe(1);
            await r.close();
        });

        it("serves a token holding just that scope (and what it requires)", async () => {
            const r = await inject(
                account([
                    {
                        token: "just-this",
                        scopes: [e.scope, ...(e.alsoNeeds ? [e.alsoNeeds] : [])],
                    },
                ]),
                e,
                "just-this",
            );
            expect(r.status).toBe(e.ok);
            expect(r.store.log[0].missingScopes).toBeUndefined();
            await r.close();
        });
    });

    it("a token that is not in the list gets 401 and DigitalOcean's body; a listed token is served", async () => {
        const seed = account([{ token: TEST_TOKEN, scopes: ["droplet:read"] }]);
        const unknown = await inject(
            seed,
            { method: "GET", path: `/v2/droplets/${droplet}` },
            "dop_v1_not_in_the_account",
        );
        expect(unknown.status).toBe(401);
        expect(unknown.body).toEqual(UNAUTHORIZED);
        expect(unknown.store.log.map((l) => [l.status, l.authenticated])).toEqual([[401, false]]);
        await unknown.close();
        const listed = await inject(
            seed,
            { method: "GET", path: `/v2/droplets/${droplet}` },
            TEST_TOKEN,
        );
        expect(listed.status).toBe(200);
        await listed.close();
    });

    it("without a token list every non-empty token has every scope", async () => {
        for (const e of ENDPOINTS) {
            const r = await inject(account(), e, `any-token-${e.scope}`);
            expect([e.method, e.path, r.status]).toEqual([e.method, e.path, e.ok]);
            await r.close();
        }
    });

    it("a scope brings the scopes it requires, as a token made in the console does; no more", async () => {
        const seed = account([{ token: "lb-update", scopes: ["load_balancer:update"] }]);
        for (const [e, status] of [
            [{ method: "GET", path: `/v2/droplets/${droplet}` }, 200],
            [{ method: "GET", path: "/v2/tags/masking" }, 200],
            [{ method: "GET", path: "/v2/actions/1" }, 404],
            [
                {
                    method: "PUT",
                    path: `/v2/load_balancers/${LB_ID}`,
                    body: providerLbBody({ size_unit: 4 }),
                },
                200,
            ],
            [
                {
                    method: "POST",
                    path: `/v2/droplets/${droplet}/actions`,
                    body: { type: "power_off" },
                },
                403,
            ],
            [{ method: "DELETE", path: `/v2/load_balancers/${LB_ID}` }, 403],
            [{ method: "GET", path: `/v2/certificates/${TEST_CERTIFICATE.id}` }, 403],
            [
                {
                    method: "GET",
                    path: `/v2/monitoring/metrics/load_balancer/frontend_connections_current?lb_id=${LB_ID}&start=1&end=2`,
                },
                403,
            ],
        ] as const) {
            const r = await inject(seed, e, "lb-update");
            expect([e.method, e.path, r.status]).toEqual([e.method, e.path, status]);
            await r.close();
        }
    });

    it("a legacy read-only token (scope `read`) reads everything and writes nothing", async () => {
        const seed = account([{ token: "ro", scopes: ["read"] }]);
        for (const e of ENDPOINTS) {
            const r = await inject(seed, e, "ro");
            expect([e.method, e.path, r.status]).toEqual([
                e.method,
                e.path,
                e.method === "GET" ? e.ok : 403,
            ]);
            await r.close();
        }
    });

    it("the summary and the request log count refusals over a real server", async () => {
        const emu: Emulator = await startEmulator({
            seed: account([{ token: "lb-only", scopes: ["load_balancer:update"] }]),
        });
        try {
            const api = client(emu.url, "lb-only");
            expect(
                (await api.put(`/v2/load_balancers/${LB_ID}`, providerLbBody({ size_unit: 3 })))
                    .status,
            ).toBe(200);
            expect(
                (await api.post(`/v2/droplets/${droplet}/actions`, { type: "power_off" })).status,
            ).toBe(403);
            expect((await api.del(`/v2/droplets/${droplet}`)).status).toBe(403);
            const log = (await client(emu.url, null).get("/_emulator/requests")).body.requests;
            expect(
                log
                    .filter((l: any) => l.missingScopes)
                    .map((l: any) => [l.method, l.path, l.missingScopes]),
            ).toEqual([
                ["POST", `/v2/droplets/${droplet}/actions`, ["droplet:update"]],
                ["DELETE", `/v2/droplets/${droplet}`, ["droplet:delete"]],
            ]);
            const summary = (await client(emu.url, null).get("/_emulator/summary")).body;
            expect(summary).toMatchObject({
                dropletWrites: 2,
                totals: { writes: 3, effectiveWrites: 1, errors: 2 },
            });
            expect(emu.state.getDroplet(droplet).status).toBe("active");
        } finally {
            await emu.close();
        }
    });

    it("seed files carry tokens; the state file keeps only their SHA-256 and still enforces them after a restart", async () => {
        const dir = mkdtempSync(join(tmpdir(), "emu-scopes-"));
        const seedFile = join(dir, "seed.yaml");
        writeFileSync(
            seedFile,
            `droplets:\n  - { id: 7, name: a, region: nyc3, size: s-1vcpu-1gb, image: ubuntu-22-04-x64 }\ntokens:\n  - { token: ${TEST_TOKEN}, scopes: [droplet:read] }\n`,
        );
        const stateFile = join(dir, "state.json");
        const first = buildApp({ seed: loadSeedFile(seedFile), stateFile });
        const ok = await first.app.inject({
            method: "GET",
            url: "/v2/droplets/7",
            headers: { authorization: `Bearer ${TEST_TOKEN}` },
        });
        expect(ok.statusCode).toBe(200);
        await first.app.close();
        expect(readFileSync(stateFile, "utf8")).not.toContain(TEST_TOKEN);
        const again = buildApp({ stateFile });
        const refused = await again.app.inject({
            method: "POST",
            url: "/v2/droplets/7/actions",
            payload: { type: "reboot" },
            headers: { authorization: `Bearer ${TEST_TOKEN}` },
        });
        expect(refused.statusCode).toBe(403);
        const stranger = await again.app.inject({
            method: "GET",
            url: "/v2/droplets/7",
            headers: { authorization: "Bearer other" },
        });
        expect(stranger.statusCode).toBe(401);
        await again.app.close();
    });

    it("setTokens changes the token list of a running emulator (a token made after start), and undefined lifts it", async () => {
        const emu: Emulator = await startEmulator({ seed: account() });
        try {
            const api = client(emu.url, "made-later");
            expect(
                (await api.post(`/v2/droplets/${droplet}/actions`, { type: "reboot" })).status,
            ).toBe(201);
            emu.state.setTokens([{ token: "made-later", scopes: ["droplet:read"] }]);
            expect(
                (await api.post(`/v2/droplets/${droplet}/actions`, { type: "reboot" })).status,
            ).toBe(403);
            expect((await api.get(`/v2/droplets/${droplet}`)).status).toBe(200);
            expect((await client(emu.url, "other").get(`/v2/droplets/${droplet}`)).status).toBe(
                401,
            );
            expect(() => emu.state.setTokens([{ token: "", scopes: [] }])).toThrow(
                /tokens\[0\]\.token/,
            );
            emu.state.setTokens(undefined);
            expect((await client(emu.url, "other").get(`/v2/droplets/${droplet}`)).status).toBe(
                200,
            );
        } finally {
            await emu.close();
        }
    });

    it.each([
        [{ tokens: "t" }, /seed: `tokens` must be an array/],
        [
            { tokens: [{ token: "", scopes: [] }] },
            /seed: tokens\[0\]\.token must be a non-empty string/,
        ],
        [
            { tokens: [{ token: "t", scopes: "droplet:read" }] },
            /seed: tokens\[0\]\.scopes must be an array/,
        ],
        [
            { tokens: [{ token: "t", scopes: ["load-balancer update"] }] },
            /seed: tokens\[0\]\.scopes: "load-balancer update" is not a scope/,
        ],
        [
            {
                tokens: [
                    { token: "t", scopes: [] },
                    { token: "t", scopes: ["read"] },
                ],
            },
            /seed: tokens\[1\]: the same token is listed twice/,
        ],
    ])("a bad token list is refused before start, naming the key: %j", (extra, message) => {
        expect(() => buildApp({ seed: { droplets: [], ...(extra as object) } as Seed })).toThrow(
            message,
        );
    });
});
