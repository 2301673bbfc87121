import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { buildApp, startEmulator } from "./server";
import { type Client, client, startTestEmulator } from "./testkit";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("authentication", () => {
    let emu: Emulator;
    let control: Client;
    beforeEach(async () => ({ emu, control } = await startTestEmulator()));
    afterEach(() => emu.close());

    it("binds to 127.0.0.1 only", async () => {
        expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await expect(startEmulator({ host: "0.0.0.0" as "127.0.0.1" })).rejects.toThrow(
            /127\.0\.0\.1/,
        );
    });

    it.each([
        ["no header", null],
        ["empty bearer", ""],
    ])("rejects /v2 requests with %s: 401 and DigitalOcean's error body", async (_label, token) => {
        for (const path of [
            "/v2/droplets/310001",
            "/v2/load_balancers",
            "/v2/actions/1",
            "/v2/unknown",
        ]) {
            const res = await client(emu.url, token).get(path);
            expect(res.status).toBe(401);
            expect(res.body).toEqual({
                id: "unauthorized",
                message: "Unable to authenticate you.",
                request_id: expect.stringMatching(UUID),
            });
        }
    });

    it("rejects a non-Bearer scheme, and writes are refused before they touch state", async () => {
        const res = await fetch(`${emu.url}/v2/droplets/310001`, {
            method: "DELETE",
            headers: { authorization: "Basic dXNlcjpwYXNz" },
        });
        expect(res.status).toBe(401);
        expect(emu.state.droplets.has(310001)).toBe(true);
        const log = (await control.get("/_emulator/requests")).body.requests;
        expect(log.map((e: any) => [e.method, e.status, e.authenticated, e.write])).toEqual([
            ["DELETE", 401, false, true],
        ]);
    });

    it("control endpoints need no token and are not logged as API traffic", async () => {
        expect((await control.get("/_emulator/summary")).status).toBe(200);
        expect((await control.get("/_emulator/state")).status).toBe(200);
        expect((await control.get("/_emulator/requests")).body.requests).toEqual([]);
    });

    it("buildApp works with fastify inject() without listening", async () => {
        const { app } = buildApp({
            seed: {
                droplets: [
                    {
                        id: 1,
                        name: "a",
                        region: "sgp1",
                        size: "s-1vcpu-1gb",
                        image: "ubuntu-24-04-x64",
                    },
                ],
            },
        });
        const denied = await app.inject({ method: "GET", url: "/v2/droplets/1" });
        expect(denied.statusCode).toBe(401);
        const ok = await app.inject({
            method: "GET",
            url: "/v2/droplets/1",
            headers: { authorization: "Bearer t" },
        });
        expect(ok.statusCode).toBe(200);
        expect(ok.json().droplet.region.slug).toBe("sgp1");
        await app.close();
    });
});
