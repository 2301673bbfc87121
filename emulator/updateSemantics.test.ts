// How the emulator updates a load balancer, as DigitalOcean documents it: a PUT resets what it
// omits, immutable attributes keep their value and refuse another, certificates are found by
// name, and a resize is refused while the previous one is processed or sooner than the
// resize interval, with DigitalOcean's bodies.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PROJECT_ID } from "./catalog";
import { BUSY_MESSAGE } from "./errors";
import type { Emulator } from "./server";
import {
    type Client,
    MASKING_IDS,
    TEST_CERTIFICATE,
    nonDefaultLbBody,
    providerLbBody,
    startTestEmulator,
} from "./testkit";
import { seedFromIds } from "./seed";
import type { Seed } from "./seedTypes";

const LB_ID = "0b0e7c9a-1f7e-4a55-9d3f-6c1b2a9e8d70";
const T0 = Date.parse("2027-11-26T14:00:00Z");
const SECOND_CERT = { id: "5f3c1f9e-3f35-4f0a-8f57-0c9c6d1c2b11", name: "other-cert" };

function consoleSeed(lb: Record<string, unknown>, extra: Partial<Seed> = {}): Seed {
    return {
        ...seedFromIds(MASKING_IDS, {
            tags: ["masking"],
            certificates: [TEST_CERTIFICATE, SECOND_CERT],
            loadBalancers: [{ ...lb, id: LB_ID } as never],
        }),
        ...extra,
    };
}

describe("load balancer updates on DigitalOcean's semantics", () => {
    let emu: Emulator | undefined;
    let api: Client;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
    });
    const start = async (seed: Seed) => {
        ({ emu, api } = await startTestEmulator({ seed, now: new Date(T0).toISOString() }));
    };
    const at = (seconds: number) => emu!.state.setClock(T0 + seconds * 1000);
    const put = (body: Record<string, unknown>) => api.put(`/v2/load_balancers/${LB_ID}`, body);
    const live = async () => (await api.get(`/v2/load_balancers/${LB_ID}`)).body.load_balancer;

    it("a PUT resets every attribute it omits to its documented default, project_id included", async () => {
        await start(consoleSeed(nonDefaultLbBody({ tag: undefined, droplet_ids: MASKING_IDS })));
        // Only what a body needs; everything else omitted.
        const res = await put({
            name: "console-made-lb",
            region: "nyc3",
            size_unit: 4,
            droplet_ids: MASKING_IDS,
            forwarding_rules: [
                {
                    entry_protocol: "tcp",
                    entry_port: 443,
                    target_protocol: "tcp",
                    target_port: 443,
                },
            ],
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(await live()).toMatchObject({
            algorithm: "round_robin",
            tls_cipher_policy: "DEFAULT",
            redirect_http_to_https: false,
            enable_proxy_protocol: false,
            enable_backend_keepalive: false,
            disable_lets_encrypt_dns_records: false,
            http_idle_timeout_seconds: 60,
            sticky_sessions: { type: "none" },
            firewall: { allow: [], deny: [] },
            project_id: DEFAULT_PROJECT_ID,
            health_check: { protocol: "http", port: 80, path: "/" },
            // Immutable: omitted keeps the value made at creation.
            network_stack: "DUALSTACK",
            network: "EXTERNAL",
            vpc_uuid: "c33931f2-a26a-4e61-b85c-4e95a2ec431b",
            type: "REGIONAL",
        });
    });

    it.each([
        ["network", "EXTERNAL"],
        ["network_stack", "IPV4"],
        ["type", "REGIONAL_NETWORK"],
        ["vpc_uuid", "0d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d"],
    ])(
        "an immutable %s keeps its value when omitted and refuses another (422, nothing changed)",
        async (key, other) => {
            const made = nonDefaultLbBody({
                tag: undefined,
                droplet_ids: MASKING_IDS,
                network: "INTERNAL",
                network_stack: "DUALSTACK",
            });
            await start(consoleSeed(made));
            const before = await live();
            const refused = await put({ ...made, [key]: other });
            expect(refused.status).toBe(422);
            expect(refused.body).toMatchObject({ id: "unprocessable_entity" });
            expect(refused.body.message).toContain(key);
            expect(await live()).toEqual(before);
            const omitted: Record<string, unknown> = { ...made };
            delete omitted[key];
            expect((await put(omitted)).status).toBe(200);
            expect((await live())[key]).toBe(before[key]);
        },
    );

    it("GET /v2/certificates?name= lists only the certificates of that name (the provider's FindCertificateByName)", async () => {
        await start(consoleSeed(providerLbBody()));
        const all = (await api.get("/v2/certificates")).body;
        expect(all.certificates.map((c: { name: string }) => c.name)).toEqual([
            "other-cert",
            "shop-cert",
        ]);
        const one = (await api.get(`/v2/certificates?name=${TEST_CERTIFICATE.name}`)).body;
        expect(one.certificates.map((c: { id: string }) => c.id)).toEqual([TEST_CERTIFICATE.id]);
        expect(one.meta.total).toBe(1);
        const none = (await api.get("/v2/certificates?name=nope")).body;
        expect(none).toMatchObject({ certificates: [], meta: { total: 0 } });
    });

    it("an update while a resize is processed (the resize delay) gets DigitalOcean's 403 and changes nothing", async () => {
        await start(consoleSeed(providerLbBody({ size_unit: 2 })));
        expect((await put(providerLbBody({ size_unit: 3 }))).status).toBe(200);
        at(59); // the default resize delay is a minute
        const busy = await put(providerLbBody({ size_unit: 3, http_idle_timeout_seconds: 90 }));
        expect(busy.status).toBe(403);
        expect(busy.body).toMatchObject({ id: "forbidden", message: BUSY_MESSAGE });
        expect(BUSY_MESSAGE).toBe(
            "Load Balancer can't be updated while it processes previous actions",
        );
        expect((await live()).http_idle_timeout_seconds).toBe(60);
        at(60);
        expect(
            (await put(providerLbBody({ size_unit: 3, http_idle_timeout_seconds: 90 }))).status,
        ).toBe(200);
        expect((await live()).http_idle_timeout_seconds).toBe(90);
    });

    it("a resize sooner than the seed's resizeIntervalSeconds is refused (422) naming the next available resize time", async () => {
        // A resize that is done in 10 s, and DigitalOcean's interval raised to five minutes.
        await start(
            consoleSeed(providerLbBody({ size_unit: 2 }), {
                resizeIntervalSeconds: 300,
                metrics: { loadBalancers: {}, resizeDelaySeconds: 10 },
            }),
        );
        expect((await put(providerLbBody({ size_unit: 3 }))).status).toBe(200);
        at(120);
        // Not a resize: allowed once the resize is processed.
        expect((await put(providerLbBody({ size_unit: 3, name: "renamed" }))).status).toBe(200);
        const refused = await put(providerLbBody({ size_unit: 1, name: "renamed" }));
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({
            id: "unprocessable_entity",
            message:
                "load balancer can not be resized this often, next available resize at: 2027-11-26 14:05:00 +0000 UTC",
        });
        expect((await live()).size_unit).toBe(3);
        at(300);
        expect((await put(providerLbBody({ size_unit: 1, name: "renamed" }))).status).toBe(200);
        expect((await live()).size_unit).toBe(1);
    });

    it("the default interval is one minute; 0 lifts it; the seed's busyWhileResizing: false lifts the busy window", async () => {
        await start(consoleSeed(providerLbBody({ size_unit: 2 }), { busyWhileResizing: false }));
        expect((await put(providerLbBody({ size_unit: 3 }))).status).toBe(200);
        at(30);
        const refused = await put(providerLbBody({ size_unit: 4 }));
        expect(refused.status).toBe(422);
        expect(refused.body.message).toContain(
            "next available resize at: 2027-11-26 14:01:00 +0000 UTC",
        );
        at(60);
        expect((await put(providerLbBody({ size_unit: 4 }))).status).toBe(200);
        emu!.state.resizeIntervalSeconds = 0;
        expect((await put(providerLbBody({ size_unit: 5 }))).status).toBe(200);
    });

    it("the cipher policy can be changed in the console (control PATCH), as drift's tests need", async () => {
        await start(consoleSeed(providerLbBody({ tls_cipher_policy: "STRONG" })));
        const control = (body: unknown) =>
            fetch(`${emu!.url}/_emulator/load_balancers/${LB_ID}`, {
                method: "PATCH",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(body),
            });
        expect((await control({ tls_cipher_policy: "default" })).status).toBe(200);
        expect((await live()).tls_cipher_policy).toBe("DEFAULT");
        expect((await control({ tls_cipher_policy: "WEAK" })).status).toBe(422);
        expect((await live()).tls_cipher_policy).toBe("DEFAULT");
    });
});
