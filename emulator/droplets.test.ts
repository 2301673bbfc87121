import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, MASKING_IDS, type Res, startTestEmulator } from "./testkit";
import { seedFromIds } from "./seed";

describe("droplet reads", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(async () => {
        const seed = seedFromIds(MASKING_IDS, {
            tags: ["masking"],
            region: "fra1",
            size: "s-2vcpu-4gb",
        });
        seed.droplets.push(
            {
                id: 42,
                name: "bastion",
                region: "nyc3",
                size: "s-1vcpu-1gb",
                image: "debian-12-x64",
                tags: ["ops"],
                features: ["ipv6", "monitoring"],
            },
            {
                id: 43,
                name: "worker",
                region: "nyc3",
                size: "c-2",
                image: 129211873,
                status: "off",
            },
        );
        ({ emu, api } = await startTestEmulator({ seed }));
    });
    afterEach(() => emu.close());

    it("GET /v2/droplets/{id} returns everything the provider dereferences", async () => {
        const res = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(res.status).toBe(200);
        const d = res.body.droplet;
        expect(d).toMatchObject({
            id: MASKING_IDS[0],
            name: "mask-1",
            status: "active",
            locked: false,
            memory: 4096,
            vcpus: 2,
            disk: 80,
            size_slug: "s-2vcpu-4gb",
            size: {
                slug: "s-2vcpu-4gb",
                price_monthly: 24,
                price_hourly: expect.any(Number),
                memory: 4096,
                vcpus: 2,
                disk: 80,
            },
            region: { slug: "fra1", name: "Frankfurt 1", available: true },
            image: { id: expect.any(Number), slug: "ubuntu-22-04-x64", distribution: "Ubuntu" },
            tags: ["masking"],
            volume_ids: [],
            vpc_uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
            created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        });
        expect(d.size.price_hourly).toBeCloseTo(24 / 672, 4);
        expect(d.networks.v4.map((n: any) => n.type).sort()).toEqual(["private", "public"]);
        for (const n of d.networks.v4)
            expect(n).toMatchObject({
                ip_address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
                netmask: expect.any(String),
                gateway: expect.any(String),
            });
        expect(d.networks.v6).toEqual([]);
        expect(d.features).toEqual(expect.arrayContaining(["private_networking"]));

        const bastion = (await api.get("/v2/droplets/42")).body.droplet;
        expect(bastion.networks.v6).toEqual([
            expect.objectContaining({ type: "public", netmask: 64 }),
        ]);
        expect((await api.get("/v2/droplets/43")).body.droplet).toMatchObject({
            status: "off",
            image: { slug: "ubuntu-22-04-x64" },
            size: { slug: "c-2" },
        });
    });

    it("404 for unknown or malformed ids", async () => {
        for (const path of ["/v2/droplets/1", "/v2/droplets/abc"]) {
            const res = await api.get(path);
            expect(res.status).toBe(404);
            expect(res.body).toMatchObject({ id: "not_found" });
        }
    });

    it("lists with paging (links.pages.next until the last page) and filters by tag_name", async () => {
        const seen: number[] = [];
        let path: string | undefined = "/v2/droplets?page=1&per_page=2";
        let pages = 0;
        while (path) {
            const res: Res = await api.get(path);
            expect(res.status).toBe(200);
            expect(res.body.meta).toEqual({ total: 5 });
            seen.push(...res.body.droplets.map((d: any) => d.id));
            const next: string | undefined = res.body.links?.pages?.next;
            path = next ? new URL(next).pathname + new URL(next).search : undefined;
            pages++;
        }
        expect(pages).toBe(3);
        expect(seen).toEqual([42, 43, ...MASKING_IDS]);

        const tagged = await api.get("/v2/droplets?tag_name=masking&per_page=2");
        expect(tagged.body.meta.total).toBe(3);
        expect(tagged.body.links.pages.next).toMatch(/tag_name=masking/);
        expect(tagged.body.droplets.every((d: any) => d.tags.includes("masking"))).toBe(true);
        expect((await api.get("/v2/droplets?tag_name=nope")).body).toEqual({
            droplets: [],
            links: {},
            meta: { total: 0 },
        });
        expect(
            (await api.get("/v2/droplets?name=bastion")).body.droplets.map((d: any) => d.id),
        ).toEqual([42]);
    });

    it("GET /v2/actions/{id}: in-progress when created, completed on a later read", async () => {
        const action = (await api.post("/v2/droplets/42/actions", { type: "power_off" })).body
            .action;
        expect(action).toMatchObject({
            status: "in-progress",
            type: "power_off",
            resource_id: 42,
            resource_type: "droplet",
            region_slug: "nyc3",
        });
        const read = await api.get(`/v2/actions/${action.id}`);
        expect(read.body.action).toMatchObject({
            id: action.id,
            status: "completed",
            completed_at: expect.any(String),
        });
        expect((await api.get("/v2/actions/1")).status).toBe(404);
    });
});
