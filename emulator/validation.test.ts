import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, providerLbBody, startTestEmulator } from "./testkit";

describe("load balancer validation (422 unprocessable_entity)", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(
        async () =>
            ({ emu, api } = await startTestEmulator({
                seed: {
                    droplets: Array.from({ length: 11 }, (_, i) => ({
                        id: 900 + i,
                        name: `d${i}`,
                        region: "nyc3",
                        size: "s-1vcpu-1gb",
                        image: "ubuntu-22-04-x64",
                    })),
                },
            })),
    );
    afterEach(() => emu.close());

    const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => 900 + i);
    const expect422 = async (body: Record<string, unknown>, message: RegExp): Promise<void> => {
        const res = await api.post("/v2/load_balancers", body);
        expect(res.status, JSON.stringify(res.body)).toBe(422);
        expect(res.body).toEqual({
            id: "unprocessable_entity",
            message: expect.stringMatching(message),
            request_id: expect.any(String),
        });
    };
    const ok = { droplet_ids: ids(2) };

    it("size_unit must be 1..200 (200 accepted despite the spec's outdated max 100)", async () => {
        await expect422(
            providerLbBody({ ...ok, size_unit: 0 }),
            /size_unit must be an integer between 1 and 200, got 0/,
        );
        await expect422(
            providerLbBody({ ...ok, size_unit: 201 }),
            /size_unit must be an integer between 1 and 200, got 201/,
        );
        await expect422(providerLbBody({ ...ok, size_unit: 2.5 }), /size_unit/);
        expect(
            (await api.post("/v2/load_balancers", providerLbBody({ ...ok, size_unit: 200 })))
                .status,
        ).toBe(202);
        expect(
            (await api.post("/v2/load_balancers", providerLbBody({ ...ok, size_unit: 101 })))
                .status,
        ).toBe(202);
    });

    it("at most 10 droplet ids; every id must exist; ids and tag are exclusive", async () => {
        await expect422(
            providerLbBody({ droplet_ids: ids(11) }),
            /at most 10 droplets by ID \(got 11\); use a tag/,
        );
        expect(
            (await api.post("/v2/load_balancers", providerLbBody({ droplet_ids: ids(10) }))).status,
        ).toBe(202);
        await expect422(
            providerLbBody({ droplet_ids: [900, 123456] }),
            /droplet\(s\) not found: 123456/,
        );
        await expect422(
            providerLbBody({ droplet_ids: [900], tag: "masking" }),
            /droplet_ids and tag are mutually exclusive/,
        );
        expect(
            (
                await api.post(
                    "/v2/load_balancers",
                    providerLbBody({ droplet_ids: undefined, tag: "masking" }),
                )
            ).status,
        ).toBe(202);
        expect(
            (await api.post("/v2/load_balancers", providerLbBody({ droplet_ids: undefined })))
                .status,
        ).toBe(202);
    });

    it("health check protocol and bounds", async () => {
        const hc = (h: Record<string, unknown>) =>
            providerLbBody({ ...ok, health_check: { protocol: "tcp", port: 443, ...h } });
        await expect422(
            hc({ protocol: "udp" }),
            /health_check.protocol must be one of http, https, tcp/,
        );
        await expect422(
            hc({ check_interval_seconds: 2 }),
            /health_check.check_interval_seconds must be an integer between 3 and 300/,
        );
        await expect422(
            hc({ response_timeout_seconds: 301 }),
            /health_check.response_timeout_seconds must be an integer between 3 and 300/,
        );
        await expect422(
            hc({ unhealthy_threshold: 1 }),
            /health_check.unhealthy_threshold must be an integer between 2 and 10/,
        );
        await expect422(
            hc({ healthy_threshold: 11 }),
            /health_check.healthy_threshold must be an integer between 2 and 10/,
        );
        await expect422(
            hc({ port: 70000 }),
            /health_check.port must be an integer between 1 and 65535/,
        );
        const many = await api.post(
            "/v2/load_balancers",
            hc({ check_interval_seconds: 1, healthy_threshold: 99 }),
        );
        expect(many.body.message).toMatch(/check_interval_seconds.*; .*healthy_threshold/);
    });

    it("forwarding rules: protocols, ports, at least one rule", async () => {
        const rule = (r: Record<string, unknown>) =>
            providerLbBody({
                ...ok,
                forwarding_rules: [
                    {
                        entry_protocol: "tcp",
                        entry_port: 443,
                        target_protocol: "tcp",
                        target_port: 443,
                        ...r,
                    },
                ],
            });
        await expect422(
            rule({ entry_protocol: "ftp" }),
            /forwarding_rules\[0\].entry_protocol must be one of http, https, http2, http3, tcp, udp/,
        );
        await expect422(
            rule({ target_protocol: "http3" }),
            /forwarding_rules\[0\].target_protocol must be one of http, https, http2, tcp, udp/,
        );
        await expect422(
            rule({ entry_port: 0 }),
            /entry_port must be an integer between 1 and 65535/,
        );
        await expect422(
            rule({ target_port: 65536 }),
            /target_port must be an integer between 1 and 65535/,
        );
        await expect422(
            providerLbBody({ ...ok, forwarding_rules: [] }),
            /forwarding_rules must contain at least one rule/,
        );
        expect(
            (
                await api.post(
                    "/v2/load_balancers",
                    rule({
                        entry_protocol: "http3",
                        entry_port: 443,
                        target_protocol: "http",
                        target_port: 80,
                    }),
                )
            ).status,
        ).toBe(202);
    });

    it("regions: unknown rejected, current and legacy accepted, legacy limited to one node", async () => {
        await expect422(
            providerLbBody({ ...ok, region: "mars1" }),
            /region "mars1" is not a valid region/,
        );
        await expect422(providerLbBody({ ...ok, region: undefined }), /region is required/);
        for (const region of [
            "nyc1",
            "nyc3",
            "ams3",
            "sfo2",
            "sfo3",
            "sgp1",
            "lon1",
            "fra1",
            "tor1",
            "blr1",
            "syd1",
            "atl1",
        ]) {
            const res = await api.post(
                "/v2/load_balancers",
                providerLbBody({ droplet_ids: undefined, region }),
            );
            expect(res.status, `${region}: ${JSON.stringify(res.body)}`).toBe(202);
        }
        await expect422(
            providerLbBody({ droplet_ids: undefined, region: "ams2", size_unit: 2 }),
            /size_unit must be 1 in legacy region ams2/,
        );
        expect(
            (
                await api.post(
                    "/v2/load_balancers",
                    providerLbBody({ droplet_ids: undefined, region: "sfo1", size_unit: 1 }),
                )
            ).status,
        ).toBe(202);
    });

    it("schema-level problems (types, enums) come back as 422 too, and PUT is validated like POST", async () => {
        await expect422(
            providerLbBody({ ...ok, sticky_sessions: { type: "sometimes" } }),
            /sticky_sessions.type must be equal to one of the allowed values/,
        );
        await expect422(
            providerLbBody({ ...ok, http_idle_timeout_seconds: 5 }),
            /http_idle_timeout_seconds must be >= 30/,
        );
        await expect422(providerLbBody({ ...ok, name: 42 }), /name must be string/);
        const lb = (await api.post("/v2/load_balancers", providerLbBody({ droplet_ids: ids(1) })))
            .body.load_balancer;
        const put = await api.put(
            `/v2/load_balancers/${lb.id}`,
            providerLbBody({ ...ok, size_unit: 201 }),
        );
        expect(put.status).toBe(422);
        expect(put.body.message).toMatch(/size_unit/);
    });

    it("malformed JSON is a 400 bad_request", async () => {
        const res = await fetch(`${emu.url}/v2/load_balancers`, {
            method: "POST",
            headers: { authorization: "Bearer t", "content-type": "application/json" },
            body: "{not json",
        });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({
            id: "bad_request",
            message: expect.stringMatching(/invalid JSON/),
        });
    });

    it("a refused create leaves no load balancer behind", async () => {
        await expect422(providerLbBody({ droplet_ids: ids(11) }), /at most 10/);
        expect(emu.state.lbs.size).toBe(0);
    });
});

describe("droplet create and droplet action validation (422, nothing applied)", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(async () => ({ emu, api } = await startTestEmulator()));
    afterEach(() => emu.close());
    const create = {
        name: "web-1",
        region: "nyc3",
        size: "s-1vcpu-1gb",
        image: "ubuntu-22-04-x64",
    };

    it.each([
        [{ ...create, region: "mars1" }, /region is not valid/],
        [{ ...create, size: "s-99vcpu" }, /s-99vcpu/],
        [{ ...create, name: "" }, /name is required/],
        [{ ...create, image: undefined }, /image is required/],
        [{ ...create, monitoring: "yes" }, /monitoring must be boolean/],
    ])("POST /v2/droplets %j -> 422", async (body, message) => {
        const before = emu.state.digest();
        const res = await api.post("/v2/droplets", body);
        expect([res.status, res.body.id]).toEqual([422, "unprocessable_entity"]);
        expect(res.body.message).toMatch(message);
        expect(emu.state.digest()).toBe(before);
    });

    it.each([
        [{ type: "explode" }, /type "explode" is not a valid droplet action/],
        [{ type: "resize" }, /size is required/],
        [{ type: "resize", size: "s-99vcpu" }, /s-99vcpu/],
        [{ type: "rename" }, /name is required/],
        [{ type: "rebuild" }, /image is required/],
    ])("POST /v2/droplets/{id}/actions %j -> 422", async (body, message) => {
        const before = emu.state.digest();
        const res = await api.post("/v2/droplets/310001/actions", body);
        expect([res.status, res.body.id]).toEqual([422, "unprocessable_entity"]);
        expect(res.body.message).toMatch(message);
        expect(emu.state.digest()).toBe(before);
        expect((await api.post("/v2/droplets/999/actions", body)).status).toBe(404);
    });
});
