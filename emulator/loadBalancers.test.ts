import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, MASKING_IDS, providerLbBody, startTestEmulator } from "./testkit";

describe("load balancers", () => {
    let emu: Emulator | undefined;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
    });
    const start = async (opts = {}): Promise<{ api: Client; control: Client }> => {
        const t = await startTestEmulator(opts);
        emu = t.emu;
        return t;
    };

    it("create -> new, first GET active, PUT resize keeps id and IP, DELETE -> 404", async () => {
        const { api } = await start();
        const created = await api.post("/v2/load_balancers", providerLbBody());
        expect(created.status).toBe(202);
        const lb = created.body.load_balancer;
        expect(lb).toMatchObject({
            name: "proxy-lb",
            status: "new",
            size_unit: 2,
            size: "lb-small",
            type: "REGIONAL",
            algorithm: "round_robin",
            droplet_ids: MASKING_IDS,
            tag: "",
            sticky_sessions: { type: "none" },
            region: { slug: "nyc3", name: "New York 3", available: true },
            health_check: {
                protocol: "tcp",
                port: 443,
                check_interval_seconds: 10,
                response_timeout_seconds: 5,
                unhealthy_threshold: 3,
                healthy_threshold: 5,
            },
            http_idle_timeout_seconds: 60,
            firewall: { allow: [], deny: [] },
            network: "EXTERNAL",
            network_stack: "IPV4",
            tls_cipher_policy: "DEFAULT",
        });
        expect(lb.health_check).not.toHaveProperty("path");
        expect(lb.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(lb.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

        const got = await api.get(`/v2/load_balancers/${lb.id}`);
        expect(got.status).toBe(200);
        expect(got.body.load_balancer.status).toBe("active");

        const resized = await api.put(
            `/v2/load_balancers/${lb.id}`,
            providerLbBody({ size_unit: 5, name: "proxy-lb-2" }),
        );
        expect(resized.status).toBe(200);
        expect(resized.body.load_balancer).toMatchObject({
            id: lb.id,
            ip: lb.ip,
            created_at: lb.created_at,
            size_unit: 5,
            name: "proxy-lb-2",
            status: "active",
        });
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer).toMatchObject({
            id: lb.id,
            ip: lb.ip,
            size_unit: 5,
        });

        const del = await api.del(`/v2/load_balancers/${lb.id}`);
        expect(del.status).toBe(204);
        expect(del.body).toBeUndefined();
        const gone = await api.get(`/v2/load_balancers/${lb.id}`);
        expect(gone.status).toBe(404);
        expect(gone.body).toMatchObject({
            id: "not_found",
            message: expect.any(String),
            request_id: expect.any(String),
        });
        expect((await api.del(`/v2/load_balancers/${lb.id}`)).status).toBe(404);
        expect((await api.put(`/v2/load_balancers/${lb.id}`, providerLbBody())).status).toBe(404);
    });

    it("PUT replaces the config in full (omitted droplet_ids empties the pool) but never the identity", async () => {
        const { api } = await start();
        const lb = (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
        const { droplet_ids: _omit, ...rest } = providerLbBody();
        const put = await api.put(`/v2/load_balancers/${lb.id}`, {
            ...rest,
            ip: "1.2.3.4",
            status: "errored",
        });
        expect(put.status).toBe(200);
        expect(put.body.load_balancer).toMatchObject({
            id: lb.id,
            ip: lb.ip,
            droplet_ids: [],
            status: "new",
        });
        const moved = await api.put(
            `/v2/load_balancers/${lb.id}`,
            providerLbBody({ region: "fra1" }),
        );
        expect(moved.status).toBe(422);
        expect(moved.body.message).toMatch(/region cannot be changed/);
    });

    it("activation is configurable: activateAfterGets 3 needs three GETs, 0 is active right after the POST", async () => {
        const { api } = await start({ activateAfterGets: 3 });
        const id = (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer.id;
        const statuses = [];
        for (let i = 0; i < 3; i++)
            statuses.push((await api.get(`/v2/load_balancers/${id}`)).body.load_balancer.status);
        expect(statuses).toEqual(["new", "new", "active"]);
        await emu!.close();

        const t = await start({ activateAfterGets: 0 });
        const created = await t.api.post("/v2/load_balancers", providerLbBody());
        expect(created.body.load_balancer.status).toBe("new");
        expect(
            (await t.api.get(`/v2/load_balancers/${created.body.load_balancer.id}`)).body
                .load_balancer.status,
        ).toBe("active");
    });

    it("lists with paging links and meta", async () => {
        const { api } = await start();
        const ids = [];
        for (let i = 0; i < 3; i++)
            ids.push(
                (await api.post("/v2/load_balancers", providerLbBody({ name: `lb-${i}` }))).body
                    .load_balancer.id,
            );
        const p1 = await api.get("/v2/load_balancers?page=1&per_page=2");
        expect(p1.status).toBe(200);
        expect(p1.body.meta).toEqual({ total: 3 });
        expect(p1.body.load_balancers).toHaveLength(2);
        expect(p1.body.links.pages.next).toMatch(/\/v2\/load_balancers\?page=2&per_page=2$/);
        const p2 = await api.get("/v2/load_balancers?page=2&per_page=2");
        expect(p2.body.load_balancers).toHaveLength(1);
        expect(p2.body.links.pages.next).toBeUndefined();
        expect(p2.body.links.pages.prev).toMatch(/page=1/);
        const all = await api.get("/v2/load_balancers?per_page=200");
        expect(all.body.load_balancers.map((l: any) => l.id).sort()).toEqual([...ids].sort());
        expect(all.body.links).toEqual({});
    });

    it("tag-targeted LBs report the droplets carrying the tag; lowercase enums are answered in uppercase", async () => {
        const { api } = await start();
        const { droplet_ids: _omit, ...rest } = providerLbBody();
        const res = await api.post("/v2/load_balancers", {
            ...rest,
            tag: "masking",
            type: "regional",
            network_stack: "ipv4",
        });
        expect(res.status).toBe(202);
        expect(res.body.load_balancer).toMatchObject({
            tag: "masking",
            droplet_ids: MASKING_IDS,
            type: "REGIONAL",
            network_stack: "IPV4",
        });
    });

    it("http health checks default their path; tcp checks drop one (the API does, which makes such programs diff)", async () => {
        const { api } = await start();
        const http = await api.post(
            "/v2/load_balancers",
            providerLbBody({ health_check: { protocol: "http", port: 80 } }),
        );
        expect(http.body.load_balancer.health_check).toMatchObject({
            protocol: "http",
            path: "/",
            check_interval_seconds: 10,
        });
        const tcp = await api.post(
            "/v2/load_balancers",
            providerLbBody({ health_check: { protocol: "tcp", port: 443, path: "/x" } }),
        );
        expect(tcp.body.load_balancer.health_check).not.toHaveProperty("path");
    });

    it("legacy regions accept size slugs and report no size_unit", async () => {
        const { api } = await start();
        const res = await api.post(
            "/v2/load_balancers",
            providerLbBody({
                region: "nyc2",
                size_unit: undefined,
                size: "lb-medium",
                droplet_ids: [],
            }),
        );
        expect(res.status).toBe(202);
        expect(res.body.load_balancer.size).toBe("lb-medium");
        expect(res.body.load_balancer).not.toHaveProperty("size_unit");
    });

    it("serves seeded load balancers as active with their fixed IP", async () => {
        const { api } = await start({
            seed: {
                droplets: [
                    {
                        id: 7,
                        name: "m",
                        region: "fra1",
                        size: "s-1vcpu-1gb",
                        image: "debian-12-x64",
                    },
                ],
                loadBalancers: [
                    {
                        name: "seeded",
                        region: "fra1",
                        size_unit: 4,
                        ip: "203.0.113.9",
                        droplet_ids: [7],
                        forwarding_rules: [
                            {
                                entry_protocol: "tcp",
                                entry_port: 443,
                                target_protocol: "tcp",
                                target_port: 443,
                            },
                        ],
                    },
                ],
            },
        });
        const list = await api.get("/v2/load_balancers");
        expect(list.body.load_balancers).toHaveLength(1);
        expect(list.body.load_balancers[0]).toMatchObject({
            name: "seeded",
            ip: "203.0.113.9",
            status: "active",
            size_unit: 4,
            droplet_ids: [7],
        });
    });
});
