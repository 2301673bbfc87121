import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadSeedFile } from "./seed";
import { type Emulator, MemoryBackend, buildApp, seedFromIds } from "./server";
import { MASKING_IDS, client, providerLbBody, startTestEmulator } from "./testkit";

describe("state: out-of-band changes, persistence, seeds, CLI", () => {
    let emu: Emulator | undefined;
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "emu-state-"));
    });
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
        rmSync(dir, { recursive: true, force: true });
    });

    it("an out-of-band droplet change is visible via GET and is not an API write", async () => {
        const t = await startTestEmulator();
        emu = t.emu;
        const id = MASKING_IDS[1];
        const patched = await t.control.patch(`/_emulator/droplets/${id}`, {
            name: "renamed-in-console",
            size: "s-4vcpu-8gb",
            tags: ["masking", "manual"],
            status: "off",
            image: "debian-12-x64",
        });
        expect(patched.status).toBe(200);
        const d = (await t.api.get(`/v2/droplets/${id}`)).body.droplet;
        expect(d).toMatchObject({
            name: "renamed-in-console",
            size_slug: "s-4vcpu-8gb",
            memory: 8192,
            vcpus: 4,
            size: { slug: "s-4vcpu-8gb" },
            tags: ["masking", "manual"],
            status: "off",
            image: { slug: "debian-12-x64" },
        });
        const s = (await t.control.get("/_emulator/summary")).body;
        expect(s).toMatchObject({
            dropletWrites: 0,
            writes: {},
            outOfBandChanges: 1,
            totals: { requests: 1, writes: 0 },
        });
        const state = (await t.control.get("/_emulator/state")).body;
        expect(state.outOfBand).toEqual([
            expect.objectContaining({
                resource: "droplet",
                id: String(id),
                changes: expect.objectContaining({ name: "renamed-in-console" }),
            }),
        ]);
        expect((await t.control.patch(`/_emulator/droplets/${id}`, { id: 5 })).status).toBe(422);
        expect((await t.control.patch(`/_emulator/droplets/${id}`, { size: "nope" })).status).toBe(
            422,
        );
        expect((await t.control.patch("/_emulator/droplets/1", { name: "x" })).status).toBe(404);
    });

    it("state file round-trip: restart restores droplets, LBs (same id and IP), actions and the log", async () => {
        const stateFile = join(dir, "state.json");
        const first = await startTestEmulator({ stateFile });
        emu = first.emu;
        const lb = (await first.api.post("/v2/load_balancers", providerLbBody())).body
            .load_balancer;
        await first.api.get(`/v2/load_balancers/${lb.id}`);
        await first.control.patch(`/_emulator/droplets/${MASKING_IDS[0]}`, { name: "changed" });
        const onDisk = JSON.parse(readFileSync(stateFile, "utf8"));
        expect(onDisk.version).toBe(1);
        expect(onDisk.loadBalancers[0].lb).toMatchObject({
            id: lb.id,
            ip: lb.ip,
            status: "active",
        });
        await first.emu.close();

        // A different seed is ignored: the state file wins.
        const second = await startTestEmulator({ stateFile, seed: { droplets: [] } });
        emu = second.emu;
        const again = (await second.api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer;
        expect(again).toMatchObject({
            id: lb.id,
            ip: lb.ip,
            status: "active",
            droplet_ids: MASKING_IDS,
        });
        expect((await second.api.get(`/v2/droplets/${MASKING_IDS[0]}`)).body.droplet.name).toBe(
            "changed",
        );
        const log = (await second.control.get("/_emulator/requests")).body.requests;
        expect(log.map((e: any) => e.seq)).toEqual([1, 2, 3, 4]);
        const next = (
            await second.api.post("/v2/load_balancers", providerLbBody({ name: "second" }))
        ).body.load_balancer;
        expect(next.ip).not.toBe(lb.ip);
    });

    it("a memory backend restarts an emulator in-process from the last saved state; no backend keeps nothing", async () => {
        const backend = new MemoryBackend();
        const seed = seedFromIds(MASKING_IDS);
        const first = buildApp({ seed, backend });
        const auth = { authorization: "Bearer t", "content-type": "application/json" };
        const created = await first.app.inject({
            method: "POST",
            url: "/v2/load_balancers",
            headers: auth,
            payload: JSON.stringify(providerLbBody()),
        });
        const lb = created.json().load_balancer;
        await first.app.close();

        const second = buildApp({ seed: { droplets: [] }, backend });
        const again = await second.app.inject({
            method: "GET",
            url: `/v2/load_balancers/${lb.id}`,
            headers: auth,
        });
        expect(again.json().load_balancer).toMatchObject({ id: lb.id, ip: lb.ip });
        expect(second.store.log.map((e) => [e.seq, e.method])).toEqual([
            [1, "POST"],
            [2, "GET"],
        ]);
        await second.app.close();

        const fresh = buildApp({ seed });
        expect(
            (
                await fresh.app.inject({
                    method: "GET",
                    url: `/v2/load_balancers/${lb.id}`,
                    headers: auth,
                })
            ).statusCode,
        ).toBe(404);
        await fresh.app.close();
    });

    it("seed files may be YAML or JSON", () => {
        const yamlFile = join(dir, "seed.yaml");
        writeFileSync(
            yamlFile,
            "droplets:\n  - { id: 7, name: m-7, region: ams3, size: s-1vcpu-2gb, image: ubuntu-24-04-x64, tags: [masking] }\n",
        );
        const jsonFile = join(dir, "seed.json");
        writeFileSync(
            jsonFile,
            JSON.stringify({
                droplets: [
                    {
                        id: 7,
                        name: "m-7",
                        region: "ams3",
                        size: "s-1vcpu-2gb",
                        image: "ubuntu-24-04-x64",
                        tags: ["masking"],
                    },
                ],
            }),
        );
        expect(loadSeedFile(yamlFile)).toEqual(loadSeedFile(jsonFile));
        writeFileSync(
            jsonFile,
            JSON.stringify({
                droplets: [{ id: 7, name: "x", region: "moon1", size: "s-1vcpu-1gb", image: "x" }],
            }),
        );
        expect(() => loadSeedFile(jsonFile)).toThrow(/region "moon1" is unknown/);
    });

    it("CLI: prints the URL, serves the seed, persists state, starts its clock at $PROXY_LB_NOW, stops on SIGTERM", async () => {
        const seedFile = join(dir, "seed.json");
        const stateFile = join(dir, "state.json");
        writeFileSync(
            seedFile,
            JSON.stringify({
                droplets: [
                    {
                        id: 11,
                        name: "m-11",
                        region: "lon1",
                        size: "s-1vcpu-1gb",
                        image: "ubuntu-22-04-x64",
                    },
                ],
            }),
        );
        const root = resolve(__dirname, "..");
        const child = spawn(
            process.execPath,
            [
                "--require",
                "tsx/cjs",
                "emulator/main.ts",
                "--port",
                "0",
                "--seed",
                seedFile,
                "--state",
                stateFile,
                "--resize-delay-seconds",
                "45",
                "--quiet",
            ],
            {
                cwd: root,
                env: { ...process.env, PROXY_LB_NOW: "2027-11-26T09:00:00-05:00" },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        try {
            const url = await new Promise<string>((res, rej) => {
                let out = "";
                child.stdout.on("data", (b) => {
                    out += b;
                    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
                    if (m) res(m[0]);
                });
                child.on("exit", (code) => rej(new Error(`CLI exited early (${code})`)));
                setTimeout(() => rej(new Error("CLI did not print its URL")), 15_000);
            });
            const res = await client(url).get("/v2/droplets/11");
            expect(res.status).toBe(200);
            expect(res.body.droplet.region.slug).toBe("lon1");
            expect(JSON.parse(readFileSync(stateFile, "utf8")).log).toHaveLength(1);
            expect((await client(url, null).get("/_emulator/clock")).body).toEqual({
                now: "2027-11-26T14:00:00.000Z",
                set: true,
                resizeDelaySeconds: 45,
            });
        } finally {
            const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
            child.kill("SIGTERM");
            expect(await exited).toBe(0);
        }
    });
});
