import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./server";
import { type Client, MASKING_IDS, providerLbBody, startTestEmulator } from "./testkit";

describe("fault injection", () => {
    let emu: Emulator;
    let api: Client;
    let control: Client;
    beforeEach(async () => ({ emu, api, control } = await startTestEmulator()));
    afterEach(() => emu.close());

    const fault = async (spec: Record<string, unknown>) => {
        const res = await control.post("/_emulator/faults", spec);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body.fault;
    };
    const createLb = async () => (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;

    it("a status burst hits the next N matching requests, then service is normal", async () => {
        const lb = await createLb();
        await fault({ match: { method: "GET", path: "/v2/load_balancers/" }, count: 2, status: 500 });
        await fault({ match: { path: "/v2/droplets" }, count: 1, status: 429, message: "slow down" });
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await api.get(`/v2/load_balancers/${lb.id}`)).status);
        expect(statuses).toEqual([500, 500, 200]);
        const limited = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(limited.status).toBe(429);
        expect(limited.body).toEqual({ id: "too_many_requests", message: "slow down", request_id: expect.any(String) });
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(200);
        // Exhausted faults disarm themselves.
        expect((await control.get("/_emulator/faults")).body.faults).toEqual([]);
        const log = (await control.get("/_emulator/requests")).body.requests;
        expect(log.filter((e: any) => e.fault === "error").map((e: any) => e.status)).toEqual([500, 500, 429]);
    });

    it("busy: 403 forbidden with DigitalOcean's message, and the update is not applied", async () => {
        const lb = await createLb();
        await fault({ match: { method: "PUT" }, kind: "busy" });
        const res = await api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 7 }));
        expect(res.status).toBe(403);
        expect(res.body).toEqual({
            id: "forbidden",
            message: "Load Balancer can't be updated while it processes previous actions",
            request_id: expect.any(String),
        });
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.size_unit).toBe(2);
        expect((await api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 7 }))).body.load_balancer.size_unit).toBe(7);
    });

    it("stuckNew on reads: matching GETs keep the LB new; afterwards it activates", async () => {
        const lb = await createLb();
        await fault({ match: { method: "GET", path: "^/v2/load_balancers/[0-9a-f-]+$" }, count: 2, kind: "stuckNew" });
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status);
        expect(statuses).toEqual(["new", "new", "active"]);
    });

    it("stuckNew on create: the LB never activates by itself until changed out of band", async () => {
        await fault({ match: { method: "POST", path: "/v2/load_balancers" }, kind: "stuckNew" });
        const lb = await createLb();
        for (let i = 0; i < 4; i++) expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe("new");
        expect((await control.patch(`/_emulator/load_balancers/${lb.id}`, { status: "errored" })).status).toBe(200);
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe("errored");
    });

    it("delay: the response is late but normal", async () => {
        await fault({ match: { path: "/v2/droplets/" }, delayMs: 300 });
        const t0 = Date.now();
        const res = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
        expect(res.status).toBe(200);
        const t1 = Date.now();
        await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(Date.now() - t1).toBeLessThan(280);
        // A delay can precede an error too.
        await fault({ match: { path: "/v2/droplets/" }, delayMs: 100, status: 503 });
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(503);
    });

    it("drop: the connection is destroyed without a response; the client sees a socket error", async () => {
        await fault({ match: { method: "GET", path: "/v2/droplets" }, kind: "drop" });
        const err = await fetch(`${emu.url}/v2/droplets/${MASKING_IDS[0]}`, { headers: { authorization: "Bearer t" } }).then(
            () => undefined,
            (e: Error & { cause?: { code?: string } }) => e,
        );
        expect(err).toBeInstanceOf(TypeError);
        expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(err?.cause?.code);
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(200);
        const s = (await control.get("/_emulator/summary")).body;
        expect(s.totals).toMatchObject({ requests: 2, dropped: 1 });
        expect((await control.get("/_emulator/requests")).body.requests[0]).toMatchObject({ status: 0, fault: "drop" });
    });

    it("faults can be listed and cleared; bad fault specs are refused", async () => {
        await fault({ status: 500, count: 5 });
        expect((await control.get("/_emulator/faults")).body.faults).toEqual([expect.objectContaining({ remaining: 5, kind: "error", status: 500 })]);
        expect((await control.del("/_emulator/faults")).status).toBe(204);
        expect((await api.get("/v2/load_balancers")).status).toBe(200);
        for (const bad of [{ kind: "error" }, { count: 0, status: 500 }, { status: 42 }, {}, { kind: "bogus" }, { status: 500, match: { path: "^(" } }]) {
            const res = await control.post("/_emulator/faults", bad);
            expect(res.status, JSON.stringify(bad)).toBe(422);
        }
    });
});
