// Everything the provider's LoadBalancer resource can send is accepted, stored and served
// back unchanged, and a resize-only update keeps every other setting.
import { afterEach, describe, expect, it } from "vitest";
import { loadOpenApi } from "./openapi";
import { type Emulator, buildApp } from "./server";
import {
    type Client,
    MASKING_IDS,
    TEST_CERTIFICATE,
    nonDefaultLbBody,
    startTestEmulator,
} from "./testkit";
import { seedFromIds } from "./seed";

const spec = loadOpenApi();
const { tag: _tag, ...byIds } = nonDefaultLbBody({ droplet_ids: [...MASKING_IDS] });

/** The served LB must show every setting of the body (plus server-chosen fields). */
function expectShows(lb: Record<string, any>, body: Record<string, any>): void {
    const { tag, droplet_ids, region, ...rest } = body;
    expect(lb).toMatchObject(rest);
    expect(lb.region.slug).toBe(region);
    if (tag) expect(lb.tag).toBe(tag);
    // Tag-targeted LBs list the droplets currently carrying the tag.
    expect(lb.droplet_ids).toEqual(droplet_ids ?? MASKING_IDS);
    // Served forwarding rules carry every field (certificate_id "" and tls_passthrough false when unset).
    for (const r of lb.forwarding_rules)
        expect(Object.keys(r).sort()).toEqual([
            "certificate_id",
            "entry_port",
            "entry_protocol",
            "target_port",
            "target_protocol",
            "tls_passthrough",
        ]);
}

describe("load balancer settings round-trip", () => {
    let emu: Emulator | undefined;
    let api: Client;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
    });
    const start = async (opts = {}) => {
        const t = await startTestEmulator({ validateResponses: true, ...opts });
        emu = t.emu;
        api = t.api;
        return t;
    };
    const L = "/v2/load_balancers/{lb_id}";

    for (const [label, body] of [
        ["droplet_tag target", nonDefaultLbBody()],
        ["droplet_ids target", byIds],
    ] as const) {
        it(`create with non-default settings (${label}); GET returns them all; responses match the spec`, async () => {
            expect(
                spec.requestErrors("POST", "/v2/load_balancers", body, { wholeSchema: true }),
            ).toEqual([]);
            await start();
            const created = await api.post("/v2/load_balancers", body);
            expect(created.status, JSON.stringify(created.body)).toBe(202);
            expect(spec.responseErrors("POST", "/v2/load_balancers", 202, created.body)).toEqual(
                [],
            );
            const got = await api.get(`/v2/load_balancers/${created.body.load_balancer.id}`);
            expect(spec.responseErrors("GET", L, 200, got.body)).toEqual([]);
            expectShows(got.body.load_balancer, body);
            expect(got.body.load_balancer.ipv6).toMatch(/:/); // DUALSTACK
            const listed = (await api.get("/v2/load_balancers")).body.load_balancers[0];
            expect(listed).toEqual(got.body.load_balancer);
        });
    }

    it("PUT changing only size_unit keeps every other setting, identity and status", async () => {
        await start();
        const lb = (await api.post("/v2/load_balancers", nonDefaultLbBody())).body.load_balancer;
        const before = (await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer;
        const put = await api.put(
            `/v2/load_balancers/${lb.id}`,
            nonDefaultLbBody({ size_unit: 9 }),
        );
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        expect(spec.responseErrors("PUT", L, 200, put.body)).toEqual([]);
        const after = (await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer;
        expect(after).toEqual({ ...before, size_unit: 9 });
        expect(put.body.load_balancer).toEqual(after);
    });

    it("the seed describes such an LB (made in the console): served as active with every setting, id and IP", async () => {
        const seeded = {
            id: "4de7ac8b-495b-4884-9a69-1050c6793cd6",
            ip: "203.0.113.40",
            ...nonDefaultLbBody(),
        };
        await start({
            seed: seedFromIds(MASKING_IDS, {
                tags: ["masking"],
                certificates: [TEST_CERTIFICATE],
                loadBalancers: [seeded as any],
            }),
        });
        const got = await api.get(`/v2/load_balancers/${seeded.id}`);
        expect(got.status).toBe(200);
        expect(got.body.load_balancer).toMatchObject({
            id: seeded.id,
            ip: seeded.ip,
            status: "active",
        });
        expectShows(got.body.load_balancer, nonDefaultLbBody());
        // The program adopting it and resizing keeps the console's settings.
        const put = await api.put(
            `/v2/load_balancers/${seeded.id}`,
            nonDefaultLbBody({ size_unit: 6 }),
        );
        expect(put.body.load_balancer).toEqual({ ...got.body.load_balancer, size_unit: 6 });
    });

    it("a seed LB the API would refuse is rejected at start, naming the field", () => {
        const bad = (o: Record<string, unknown>) => () =>
            buildApp({
                seed: seedFromIds(MASKING_IDS, {
                    tags: ["masking"],
                    certificates: [TEST_CERTIFICATE],
                    loadBalancers: [nonDefaultLbBody(o) as any],
                }),
            });
        expect(bad({ http_idle_timeout_seconds: 5 })).toThrow(
            /loadBalancers\[0\].*http_idle_timeout_seconds must be >= 30/,
        );
        expect(bad({ sticky_sessions: { type: "sometimes" } })).toThrow(/sticky_sessions.type/);
        expect(
            bad({
                forwarding_rules: [
                    {
                        entry_protocol: "tcp",
                        entry_port: 70000,
                        target_protocol: "tcp",
                        target_port: 1,
                    },
                ],
            }),
        ).toThrow(/entry_port/);
    });

    it("TLS rules need a certificate in the account; the provider reads it by id and by listing", async () => {
        await start();
        const unknown = "0f0f0f0f-0000-4000-8000-000000000000";
        const rules = [
            {
                entry_protocol: "https",
                entry_port: 443,
                target_protocol: "http",
                target_port: 80,
                certificate_id: unknown,
            },
        ];
        const refused = await api.post(
            "/v2/load_balancers",
            nonDefaultLbBody({ forwarding_rules: rules }),
        );
        expect(refused.status).toBe(422);
        expect(refused.body.message).toMatch(
            new RegExp(`forwarding_rules\\[0\\].certificate_id: certificate ${unknown} not found`),
        );
        const cert = await api.get(`/v2/certificates/${TEST_CERTIFICATE.id}`);
        expect(cert.status).toBe(200);
        expect(cert.body.certificate).toMatchObject({
            id: TEST_CERTIFICATE.id,
            name: "shop-cert",
            dns_names: ["shop.example.com"],
            state: "verified",
            type: "custom",
        });
        expect((await api.get(`/v2/certificates/${unknown}`)).status).toBe(404);
        const list = await api.get("/v2/certificates?page=1&per_page=200");
        expect(list.body).toMatchObject({
            certificates: [{ id: TEST_CERTIFICATE.id }],
            meta: { total: 1 },
        });
    });

    it("refuses what the API refuses: bad enums, out-of-range values, udp on one side only", async () => {
        await start();
        for (const [o, msg] of [
            [{ sticky_sessions: { type: "sometimes" } }, /sticky_sessions.type/],
            [{ http_idle_timeout_seconds: 601 }, /http_idle_timeout_seconds/],
            [{ tls_cipher_policy: "WEAK" }, /tls_cipher_policy/],
            [
                { health_check: { protocol: "http", port: 8080, check_interval_seconds: 2 } },
                /check_interval_seconds/,
            ],
            [
                {
                    forwarding_rules: [
                        {
                            entry_protocol: "udp",
                            entry_port: 53,
                            target_protocol: "tcp",
                            target_port: 53,
                        },
                    ],
                },
                /udp/,
            ],
            [{ firewall: { allow: "ip:1.2.3.4" } }, /firewall.allow/],
        ] as const) {
            const res = await api.post("/v2/load_balancers", nonDefaultLbBody(o));
            expect(res.status, JSON.stringify(o)).toBe(422);
            expect(res.body).toEqual({
                id: "unprocessable_entity",
                message: expect.stringMatching(msg),
                request_id: expect.any(String),
            });
        }
    });
});
