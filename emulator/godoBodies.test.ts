// Request bodies exactly as godo v1.172.0 serialises them (struct tags read from its
// droplets.go / load_balancers.go): fields without `omitempty` go out as null when unset.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, MASKING_IDS, startTestEmulator } from "./testkit";

/** godo.DropletCreateRequest for `name/region/size/image` plus the three flags; SSHKeys and Tags nil -> null. */
const godoDropletCreate = (
    flags: { monitoring?: boolean; ipv6?: boolean; backups?: boolean } = {},
) => ({
    name: "web-1",
    region: "nyc3",
    size: "s-1vcpu-1gb",
    image: "ubuntu-22-04-x64",
    ssh_keys: null,
    backups: flags.backups ?? false,
    ipv6: flags.ipv6 ?? false,
    private_networking: false,
    monitoring: flags.monitoring ?? false,
    tags: null,
});

/** What the provider's Read derives from a droplet: the attributes that would diff. */
const providerReadFlags = (d: {
    features: string[];
    networks: { v6: { type: string; ip_address: string }[] };
}) => ({
    backups: d.features.includes("backups"),
    ipv6: d.features.includes("ipv6"),
    monitoring: d.features.includes("monitoring"),
    ipv6_address: d.networks.v6.find((n) => n.type === "public")?.ip_address ?? "",
});

describe("godo request bodies (nulls for unset fields)", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(async () => ({ emu, api } = await startTestEmulator()));
    afterEach(() => emu.close());

    it("droplet create with ssh_keys: null and tags: null is accepted (the spec alone would refuse ssh_keys: null)", async () => {
        const body = godoDropletCreate();
        expect(emu.state.log).toHaveLength(0);
        const res = await api.post("/v2/droplets", body);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.droplet).toMatchObject({ name: "web-1", tags: [] });
        // The log keeps what the client really sent.
        expect(emu.state.log[0].body).toEqual(body);
    });

    it("multi-create (godo.DropletMultiCreateRequest) with nulls is accepted", async () => {
        const { name: _name, ...rest } = godoDropletCreate();
        const res = await api.post("/v2/droplets", { names: ["a-1", "a-2"], ...rest });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect(res.body.droplets.map((d: { name: string }) => d.name)).toEqual(["a-1", "a-2"]);
    });

    it("a required field sent as null is refused as missing, in DigitalOcean's error shape", async () => {
        const res = await api.post("/v2/droplets", {
            ...godoDropletCreate(),
            name: null,
            size: null,
        });
        expect(res.status).toBe(422);
        expect(res.body).toEqual({
            id: "unprocessable_entity",
            message: expect.stringMatching(/size/),
            request_id: expect.any(String),
        });
        const lb = await api.post("/v2/load_balancers", {
            name: "x",
            region: "nyc3",
            forwarding_rules: null,
            disable_lets_encrypt_dns_records: false,
        });
        expect(lb.status).toBe(422);
        expect(lb.body.message).toMatch(/forwarding_rules/);
    });

    it("an LB body as godo sends it for a GLOBAL load balancer (glb_settings.cdn: null, empty firewall) is accepted", async () => {
        // godo.LoadBalancerRequest: everything omitempty except GLBSettings.CDN (`json:"cdn"`).
        const body = {
            name: "glb",
            algorithm: "round_robin",
            region: "nyc3",
            size_unit: 1,
            type: "GLOBAL",
            forwarding_rules: [
                {
                    entry_protocol: "http",
                    entry_port: 80,
                    target_protocol: "http",
                    target_port: 80,
                },
            ],
            health_check: {
                protocol: "http",
                port: 80,
                path: "/",
                check_interval_seconds: 10,
                response_timeout_seconds: 5,
                healthy_threshold: 5,
                unhealthy_threshold: 3,
            },
            sticky_sessions: { type: "none" },
            droplet_ids: [...MASKING_IDS],
            disable_lets_encrypt_dns_records: false,
            firewall: {},
            domains: [{ name: "shop.example.com", is_managed: false }],
            glb_settings: { target_protocol: "http", target_port: 80, cdn: null },
        };
        const res = await api.post("/v2/load_balancers", body);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const got = (await api.get(`/v2/load_balancers/${res.body.load_balancer.id}`)).body
            .load_balancer;
        expect(got).toMatchObject({
            type: "GLOBAL",
            domains: [{ name: "shop.example.com", is_managed: false }],
            glb_settings: { target_protocol: "http", target_port: 80 },
            firewall: { allow: [], deny: [] },
        });
        expect(got.glb_settings).not.toHaveProperty("cdn");
    });

    it("a GLOBAL load balancer may have no region (the provider's region is optional for it); any other type may not", async () => {
        const { region: _region, ...global } = {
            name: "glb-no-region",
            algorithm: "round_robin",
            region: "",
            type: "GLOBAL",
            forwarding_rules: [
                {
                    entry_protocol: "http",
                    entry_port: 80,
                    target_protocol: "http",
                    target_port: 80,
                },
            ],
            disable_lets_encrypt_dns_records: false,
            target_load_balancer_ids: ["7dbf91fe-cbdb-48dc-8290-c3a181554905"],
            glb_settings: { target_protocol: "http", target_port: 80, cdn: { is_enabled: true } },
        };
        const res = await api.post("/v2/load_balancers", global);
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        const got = (await api.get(`/v2/load_balancers/${res.body.load_balancer.id}`)).body
            .load_balancer;
        expect(got).not.toHaveProperty("region");
        expect(got).toMatchObject({
            type: "GLOBAL",
            target_load_balancer_ids: ["7dbf91fe-cbdb-48dc-8290-c3a181554905"],
            glb_settings: { cdn: { is_enabled: true } },
        });
        const moved = await api.put(`/v2/load_balancers/${got.id}`, { ...global, region: "nyc3" });
        expect(moved.status).toBe(422);
        expect(moved.body.message).toMatch(/region cannot be changed \(is none\)/);
        const regional = await api.post("/v2/load_balancers", { ...global, type: "REGIONAL" });
        expect(regional.status).toBe(422);
        expect(regional.body.message).toMatch(/region is required \(except for type GLOBAL\)/);
    });
});

describe("droplet create flags round-trip into features (no diff on the next read)", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(async () => ({ emu, api } = await startTestEmulator()));
    afterEach(() => emu.close());

    for (const flags of [
        { monitoring: true, ipv6: true, backups: true },
        { monitoring: false, ipv6: false, backups: false },
        { monitoring: true, ipv6: false, backups: true },
    ]) {
        it(`monitoring=${flags.monitoring} ipv6=${flags.ipv6} backups=${flags.backups}`, async () => {
            const created = await api.post("/v2/droplets", godoDropletCreate(flags));
            expect(created.status, JSON.stringify(created.body)).toBe(202);
            const read = (await api.get(`/v2/droplets/${created.body.droplet.id}`)).body.droplet;
            const seen = providerReadFlags(read);
            expect({ monitoring: seen.monitoring, ipv6: seen.ipv6, backups: seen.backups }).toEqual(
                flags,
            );
            if (flags.ipv6) expect(seen.ipv6_address).toMatch(/^[0-9a-f:]+$/);
            else expect(read.networks.v6).toEqual([]);
            // Every droplet is in a VPC; the agent is installed unless with_droplet_agent is false.
            expect(read.features).toEqual(
                expect.arrayContaining(["private_networking", "droplet_agent"]),
            );
            expect(read.backup_ids).toEqual([]);
            if (flags.backups) {
                const w = read.next_backup_window;
                expect(Date.parse(w.end) - Date.parse(w.start)).toBe(23 * 3600_000);
                expect(Date.parse(w.start)).toBeGreaterThan(Date.now());
            } else expect(read.next_backup_window).toBeNull();
        });
    }

    it("with_droplet_agent: false leaves droplet_agent out; enable_ipv6/enable_backups actions show up on the next read", async () => {
        const id = (
            await api.post("/v2/droplets", { ...godoDropletCreate(), with_droplet_agent: false })
        ).body.droplet.id;
        expect((await api.get(`/v2/droplets/${id}`)).body.droplet.features).toEqual([
            "private_networking",
        ]);
        expect((await api.post(`/v2/droplets/${id}/actions`, { type: "enable_ipv6" })).status).toBe(
            201,
        );
        expect(
            (await api.post(`/v2/droplets/${id}/actions`, { type: "enable_backups" })).status,
        ).toBe(201);
        const read = (await api.get(`/v2/droplets/${id}`)).body.droplet;
        expect(providerReadFlags(read)).toMatchObject({
            ipv6: true,
            backups: true,
            ipv6_address: expect.stringMatching(/:/),
        });
        expect(read.next_backup_window).not.toBeNull();
        expect(
            (await api.post(`/v2/droplets/${id}/actions`, { type: "disable_backups" })).status,
        ).toBe(201);
        expect((await api.get(`/v2/droplets/${id}`)).body.droplet).toMatchObject({
            next_backup_window: null,
        });
    });
});
