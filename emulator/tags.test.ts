import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, MASKING_IDS, client, startTestEmulator } from "./testkit";

describe("GET /v2/tags/{tag} and /v2/tags (godo.Tag shape, counts from the store)", () => {
    let emu: Emulator;
    let api: Client;
    beforeEach(async () => ({ emu, api } = await startTestEmulator()));
    afterEach(() => emu.close());

    const zero = {
        images: { count: 0 },
        volumes: { count: 0 },
        volume_snapshots: { count: 0 },
        databases: { count: 0 },
    };
    const uri = (id: number) => `${emu.url}/v2/droplets/${id}`;

    it("a seeded tag reports its droplets; tagging and untagging move the counts and last_tagged_uri", async () => {
        const last = MASKING_IDS[MASKING_IDS.length - 1];
        const res = await api.get("/v2/tags/masking");
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
            tag: {
                name: "masking",
                resources: {
                    count: 3,
                    last_tagged_uri: uri(last),
                    droplets: { count: 3, last_tagged_uri: uri(last) },
                    ...zero,
                },
            },
        });

        const other = (
            await api.post("/v2/droplets", {
                name: "extra",
                region: "nyc3",
                size: "s-1vcpu-1gb",
                image: "debian-12-x64",
            })
        ).body.droplet.id;
        expect(
            (
                await api.post("/v2/tags/masking/resources", {
                    resources: [{ resource_id: String(other), resource_type: "droplet" }],
                })
            ).status,
        ).toBe(204);
        expect((await api.get("/v2/tags/masking")).body.tag.resources).toMatchObject({
            count: 4,
            last_tagged_uri: uri(other),
            droplets: { count: 4, last_tagged_uri: uri(other) },
        });

        expect(
            (
                await api.del("/v2/tags/masking/resources", {
                    resources: [{ resource_id: String(other), resource_type: "droplet" }],
                })
            ).status,
        ).toBe(204);
        const after = (await api.get("/v2/tags/masking")).body.tag.resources;
        expect(after.count).toBe(3);
        expect(MASKING_IDS.map(uri)).toContain(after.last_tagged_uri);
    });

    it("a created tag with nothing on it counts 0 and has no last_tagged_uri; unknown and deleted tags are 404", async () => {
        expect((await api.post("/v2/tags", { name: "drop-2026" })).status).toBe(201);
        expect((await api.get("/v2/tags/drop-2026")).body).toEqual({
            tag: { name: "drop-2026", resources: { count: 0, droplets: { count: 0 }, ...zero } },
        });

        const unknown = await api.get("/v2/tags/never-made");
        expect(unknown.status).toBe(404);
        expect(unknown.body).toEqual({
            id: "not_found",
            message: expect.any(String),
            request_id: expect.any(String),
        });

        expect((await api.del("/v2/tags/drop-2026")).status).toBe(204);
        expect((await api.get("/v2/tags/drop-2026")).status).toBe(404);
        expect((await api.del("/v2/tags/drop-2026")).status).toBe(404);
        expect((await api.post("/v2/tags", { name: "bad tag!" })).status).toBe(422);
    });

    it("the list pages over every tag, sorted by name; reads need a token and are not writes", async () => {
        await api.post("/v2/tags", { name: "alpha" });
        const all = await api.get("/v2/tags?per_page=200");
        expect(all.status).toBe(200);
        expect(all.body.tags.map((t: { name: string }) => t.name)).toEqual(["alpha", "masking"]);
        expect(all.body.meta).toEqual({ total: 2 });
        const p1 = await api.get("/v2/tags?page=1&per_page=1");
        expect(p1.body.tags).toHaveLength(1);
        expect(p1.body.links.pages.next).toMatch(/\/v2\/tags\?page=2&per_page=1$/);

        expect((await client(emu.url, null).get("/v2/tags/masking")).status).toBe(401);
        const reads = emu.state.log.filter((e) => e.method === "GET" && e.kind === "tag");
        expect(reads.map((e) => e.status)).toEqual([200, 200, 401]);
        expect(reads.every((e) => !e.write)).toBe(true);
    });
});
