import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { MASKING_IDS, TEST_TOKEN, providerLbBody, startTestEmulator } from "./testkit";

describe("request log and summary", () => {
    let emu: Emulator | undefined;
    let dir: string | undefined;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
        if (dir) rmSync(dir, { recursive: true, force: true });
        dir = undefined;
    });

    it("records every API request and counts reads/writes per kind and id", async () => {
        const t = await startTestEmulator();
        emu = t.emu;
        const { api, control } = t;
        const lb = (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
        await api.get(`/v2/load_balancers/${lb.id}`);
        await api.get(`/v2/load_balancers/${lb.id}`);
        await api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 3 }));
        await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        await api.get("/v2/droplets?tag_name=masking&per_page=200");
        await api.post("/v2/load_balancers", providerLbBody({ size_unit: 0 })); // refused: still a write attempt

        const log = (await control.get("/_emulator/requests")).body.requests;
        expect(log.map((e: any) => [e.seq, e.method, e.path, e.status, e.kind, e.write])).toEqual([
            [1, "POST", "/v2/load_balancers", 202, "load_balancer", true],
            [2, "GET", `/v2/load_balancers/${lb.id}`, 200, "load_balancer", false],
            [3, "GET", `/v2/load_balancers/${lb.id}`, 200, "load_balancer", false],
            [4, "PUT", `/v2/load_balancers/${lb.id}`, 200, "load_balancer", true],
            [5, "GET", `/v2/droplets/${MASKING_IDS[0]}`, 200, "droplet", false],
            [6, "GET", "/v2/droplets", 200, "droplet", false],
            [7, "POST", "/v2/load_balancers", 422, "load_balancer", true],
        ]);
        expect(log[0]).toMatchObject({
            id: lb.id,
            authenticated: true,
            body: providerLbBody(),
            time: expect.any(String),
        });
        expect(log[3].body.size_unit).toBe(3);
        expect(log[5].query).toEqual({ tag_name: "masking", per_page: "200" });

        const summary = (await control.get("/_emulator/summary")).body;
        expect(summary).toEqual({
            reads: { load_balancer: { [lb.id]: 2 }, droplet: { [MASKING_IDS[0]]: 1, "*": 1 } },
            writes: { load_balancer: { [lb.id]: 2, "*": 1 } },
            // The refused create changed nothing: an attempt, not an effective write.
            effectiveWrites: { load_balancer: { [lb.id]: 2 } },
            totals: { requests: 7, reads: 4, writes: 3, effectiveWrites: 2, errors: 1, dropped: 0 },
            dropletWrites: 0,
            dropletWritesById: {},
            outOfBandChanges: 0,
        });

        await control.post("/_emulator/reset-log");
        expect((await control.get("/_emulator/requests")).body.requests).toEqual([]);
        expect((await control.get("/_emulator/summary")).body.totals.requests).toBe(0);
        await api.get(`/v2/load_balancers/${lb.id}`);
        expect((await control.get("/_emulator/requests")).body.requests[0].seq).toBe(8);
    });

    it("keeps every write and the last reads; older reads are counted, across a restart too", async () => {
        dir = mkdtempSync(join(tmpdir(), "emu-reads-kept-"));
        const stateFile = join(dir, "state.json");
        let t = await startTestEmulator({ stateFile, readsKept: 4 });
        emu = t.emu;
        const lb = (await t.api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
        for (let i = 0; i < 10; i++) await t.api.get(`/v2/load_balancers/${lb.id}`);
        await t.api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 3 }));
        for (let i = 0; i < 10; i++) await t.api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        await emu.close();
        t = await startTestEmulator({ stateFile, readsKept: 4 });
        emu = t.emu;
        await t.api.get(`/v2/droplets/${MASKING_IDS[1]}`);

        const log = (await t.control.get("/_emulator/requests")).body.requests;
        // Both writes, and never more than 1.5 × readsKept reads (they are folded in batches).
        expect(log.filter((e: any) => e.write).map((e: any) => [e.seq, e.method])).toEqual([
            [1, "POST"],
            [12, "PUT"],
        ]);
        const reads = log.filter((e: any) => !e.write);
        expect(reads.length).toBeLessThanOrEqual(6);
        expect(reads.at(-1)).toMatchObject({ seq: 23, path: `/v2/droplets/${MASKING_IDS[1]}` });
        const s = (await t.control.get("/_emulator/summary")).body;
        expect(s.totals).toEqual({
            requests: 23,
            reads: 21,
            writes: 2,
            effectiveWrites: 2,
            errors: 0,
            dropped: 0,
        });
        expect(s.reads).toEqual({
            load_balancer: { [lb.id]: 10 },
            droplet: { [MASKING_IDS[0]]: 10, [MASKING_IDS[1]]: 1 },
        });
    });

    it("counts every droplet write attempt: create, delete, actions, tag writes on droplet resources", async () => {
        const t = await startTestEmulator();
        emu = t.emu;
        const { api, control } = t;
        const [a, b, c] = MASKING_IDS;
        const created = await api.post("/v2/droplets", {
            name: "oops",
            region: "nyc3",
            size: "s-1vcpu-1gb",
            image: "ubuntu-24-04-x64",
        });
        expect(created.status).toBe(202);
        expect(created.body.links.actions[0]).toMatchObject({ rel: "create" });
        expect(
            (await api.post(`/v2/droplets/${a}/actions`, { type: "resize", size: "s-2vcpu-4gb" }))
                .status,
        ).toBe(201);
        expect((await api.get(`/v2/droplets/${a}`)).body.droplet.size_slug).toBe("s-2vcpu-4gb");
        expect(
            (await api.post(`/v2/droplets/${a}/actions`, { type: "rename", name: "renamed" }))
                .status,
        ).toBe(201);
        expect(
            (
                await api.post(`/v2/tags/proxy/resources`, {
                    resources: [{ resource_id: String(b), resource_type: "droplet" }],
                })
            ).status,
        ).toBe(204);
        expect((await api.get(`/v2/droplets/${b}`)).body.droplet.tags).toContain("proxy");
        expect(
            (
                await api.del(`/v2/tags/proxy/resources`, {
                    resources: [{ resource_id: String(b), resource_type: "droplet" }],
                })
            ).status,
        ).toBe(204);
        expect((await api.del(`/v2/droplets/${c}`)).status).toBe(204);
        expect((await api.get(`/v2/droplets/${c}`)).status).toBe(404);
        expect((await api.del(`/v2/droplets/${c}`)).status).toBe(404); // failed attempt still counts
        expect((await api.post("/v2/tags", { name: "unrelated" })).status).toBe(201); // tag write, no droplet
        expect((await api.del("/v2/droplets?tag_name=masking")).status).toBe(204); // deletes a and b
        expect((await api.get("/v2/droplets?tag_name=masking")).body.meta.total).toBe(0);

        const s = (await control.get("/_emulator/summary")).body;
        expect(s.dropletWrites).toBe(8);
        expect(s.dropletWritesById).toEqual({
            [created.body.droplet.id]: 1,
            [a]: 3,
            [b]: 3,
            [c]: 2,
        });
        expect(s.writes.tag).toEqual({ proxy: 2, unrelated: 1 });
        expect(s.writes.droplet).toEqual({ [created.body.droplet.id]: 1, [a]: 2, [c]: 2, "*": 1 });
    });

    it("never keeps the token: not in log, summary, state, state file or the CLI line", async () => {
        dir = mkdtempSync(join(tmpdir(), "emu-token-"));
        const stateFile = join(dir, "state.json");
        const lines: string[] = [];
        const t = await startTestEmulator({
            stateFile,
            onRequestLogged: (e) => lines.push(JSON.stringify(e)),
        });
        emu = t.emu;
        const lb = (await t.api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
        await t.api.get(`/v2/load_balancers/${lb.id}`);
        await t.api.post(`/v2/droplets/${MASKING_IDS[0]}/actions`, { type: "power_off" });
        await fetch(`${emu.url}/v2/droplets`, {
            headers: { authorization: `bearer ${TEST_TOKEN}`, "x-auth-token": TEST_TOKEN },
        });

        const secret = TEST_TOKEN.slice(8, 40); // any recognisable chunk
        const dumps = {
            log: JSON.stringify((await t.control.get("/_emulator/requests")).body),
            summary: JSON.stringify((await t.control.get("/_emulator/summary")).body),
            state: JSON.stringify((await t.control.get("/_emulator/state")).body),
            file: readFileSync(stateFile, "utf8"),
            lines: lines.join("\n"),
        };
        for (const [where, text] of Object.entries(dumps)) {
            expect(text.length, where).toBeGreaterThan(10);
            expect(text.includes(secret), `token found in ${where}`).toBe(false);
            expect(/bearer/i.test(text), `auth header found in ${where}`).toBe(false);
        }
        expect(JSON.parse(dumps.log).requests.every((e: any) => e.authenticated === true)).toBe(
            true,
        );
    });
});
