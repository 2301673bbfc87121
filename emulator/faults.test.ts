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
    const createLb = async () =>
        (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
    const reset = async () => expect((await control.post("/_emulator/reset-log")).status).toBe(200);

    it("a status burst hits the next N matching requests, then service is normal", async () => {
        const lb = await createLb();
        await fault({
            match: { method: "GET", path: "/v2/load_balancers/" },
            count: 2,
            status: 500,
        });
        await fault({
            match: { path: "/v2/droplets" },
            count: 1,
            status: 429,
            message: "slow down",
        });
        const statuses = [];
        for (let i = 0; i < 3; i++)
            statuses.push((await api.get(`/v2/load_balancers/${lb.id}`)).status);
        expect(statuses).toEqual([500, 500, 200]);
        const limited = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(limited.status).toBe(429);
        expect(limited.body).toEqual({
            id: "too_many_requests",
            message: "slow down",
            request_id: expect.any(String),
        });
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(200);
        // Exhausted faults disarm themselves.
        expect((await control.get("/_emulator/faults")).body.faults).toEqual([]);
        const log = (await control.get("/_emulator/requests")).body.requests;
        expect(log.filter((e: any) => e.fault === "error").map((e: any) => e.status)).toEqual([
            500, 500, 429,
        ]);
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
        expect(
            (await api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 7 }))).body
                .load_balancer.size_unit,
        ).toBe(7);
    });

    it("stuckNew on reads: matching GETs keep the LB new; afterwards it activates", async () => {
        const lb = await createLb();
        await fault({
            match: { method: "GET", path: "^/v2/load_balancers/[0-9a-f-]+$" },
            count: 2,
            kind: "stuckNew",
        });
        const statuses = [];
        for (let i = 0; i < 3; i++)
            statuses.push((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status);
        expect(statuses).toEqual(["new", "new", "active"]);
    });

    it("stuckNew on create: the LB never activates by itself until changed out of band", async () => {
        await fault({ match: { method: "POST", path: "/v2/load_balancers" }, kind: "stuckNew" });
        const lb = await createLb();
        for (let i = 0; i < 4; i++)
            expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe(
                "new",
            );
        expect(
            (await control.patch(`/_emulator/load_balancers/${lb.id}`, { status: "errored" }))
                .status,
        ).toBe(200);
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe(
            "errored",
        );
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
        const err = await fetch(`${emu.url}/v2/droplets/${MASKING_IDS[0]}`, {
            headers: { authorization: "Bearer t" },
        }).then(
            () => undefined,
            (e: Error & { cause?: { code?: string } }) => e,
        );
        expect(err).toBeInstanceOf(TypeError);
        expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(err?.cause?.code);
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(200);
        const s = (await control.get("/_emulator/summary")).body;
        expect(s.totals).toMatchObject({ requests: 2, dropped: 1 });
        expect((await control.get("/_emulator/requests")).body.requests[0]).toMatchObject({
            status: 0,
            fault: "drop",
        });
    });

    it("faults can be listed and cleared; bad fault specs are refused", async () => {
        await fault({ status: 500, count: 5 });
        expect((await control.get("/_emulator/faults")).body.faults).toEqual([
            expect.objectContaining({ remaining: 5, kind: "error", status: 500 }),
        ]);
        expect((await control.del("/_emulator/faults")).status).toBe(204);
        expect((await api.get("/v2/load_balancers")).status).toBe(200);
        for (const bad of [
            { kind: "error" },
            { count: 0, status: 500 },
            { status: 42 },
            {},
            { kind: "bogus" },
            { status: 500, match: { path: "^(" } },
        ]) {
            const res = await control.post("/_emulator/faults", bad);
            expect(res.status, JSON.stringify(bad)).toBe(422);
        }
    });
    const put = (id: string, sizeUnit: number) =>
        api.put(`/v2/load_balancers/${id}`, providerLbBody({ size_unit: sizeUnit }));
    const lbWrites = async (id: string) => {
        const s = (await control.get("/_emulator/summary")).body;
        return {
            attempts: s.writes.load_balancer?.[id] ?? 0,
            effective: s.effectiveWrites.load_balancer?.[id] ?? 0,
        };
    };
    const socketError = (p: Promise<unknown>) =>
        p.then(
            () => undefined,
            (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
        );

    it("a 5xx burst on a path template (PUT /v2/load_balancers/{id}) hits only that LB write; the log tells attempts from effective writes", async () => {
        const lb = await createLb();
        await reset();
        await fault({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            count: 3,
            status: 503,
        });
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await put(lb.id, 5)).status);
        expect(statuses).toEqual([503, 503, 503, 200]);
        // A template matches one segment: a GET of the same LB and the collection are not hit.
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).status).toBe(200);
        // Re-sending the same body, once the resize is done (inside its delay the LB is busy:
        // 403), is a write attempt that changes nothing.
        emu.state.setClock(Date.now() + 61_000);
        expect((await put(lb.id, 5)).status).toBe(200);
        expect(await lbWrites(lb.id)).toEqual({ attempts: 5, effective: 1 });
        const log = (await control.get("/_emulator/requests")).body.requests.filter(
            (e: any) => e.write,
        );
        expect(log.map((e: any) => [e.status, e.changed])).toEqual([
            [503, false],
            [503, false],
            [503, false],
            [200, true],
            [200, false],
        ]);
        expect((await control.get("/_emulator/summary")).body.totals).toMatchObject({
            writes: 5,
            effectiveWrites: 1,
        });
    });

    it("429 carries Retry-After and DigitalOcean's ratelimit-* headers; normal answers carry the quota headers too", async () => {
        await fault({
            match: { method: "GET", path: "/v2/droplets/{id}" },
            count: 2,
            status: 429,
            retryAfterSeconds: 7,
        });
        const t0 = Math.floor(Date.now() / 1000);
        const res = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(res.status).toBe(429);
        expect(res.body).toEqual({
            id: "too_many_requests",
            message: "API Rate limit exceeded.",
            request_id: expect.any(String),
        });
        expect(res.headers.get("retry-after")).toBe("7");
        expect(res.headers.get("ratelimit-limit")).toBe("5000");
        expect(res.headers.get("ratelimit-remaining")).toBe("0");
        expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(t0 + 7);
        expect((await api.get(`/v2/droplets/${MASKING_IDS[0]}`)).status).toBe(429);
        const ok = await api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(ok.status).toBe(200);
        expect(ok.headers.get("retry-after")).toBeNull();
        expect(Number(ok.headers.get("ratelimit-remaining"))).toBeGreaterThan(0);
        // Without retryAfterSeconds a 429 still says when to retry.
        await fault({ status: 429 });
        expect((await api.get("/v2/load_balancers")).headers.get("retry-after")).toBe("1");
    });

    it("busy for N attempts: each 403 leaves the LB unchanged, the next attempt applies", async () => {
        const lb = await createLb();
        await reset();
        await fault({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            kind: "busy",
            count: 3,
        });
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await put(lb.id, 6));
        expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 200]);
        expect(answers[0].body).toMatchObject({
            id: "forbidden",
            message: "Load Balancer can't be updated while it processes previous actions",
        });
        expect(await lbWrites(lb.id)).toEqual({ attempts: 4, effective: 1 });
    });

    it("stuck in new: a created LB never turns active however often it is read", async () => {
        await fault({ match: { method: "POST", path: "/v2/load_balancers" }, kind: "stuckNew" });
        const lb = await createLb();
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++)
            seen.add((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status);
        expect([...seen]).toEqual(["new"]);
    });

    it("stuck in new out of band: a seeded/adopted LB held in new stays new until released", async () => {
        const lb = await createLb();
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe(
            "active",
        );
        expect(
            (
                await control.patch(`/_emulator/load_balancers/${lb.id}`, {
                    status: "new",
                    stuck: true,
                })
            ).status,
        ).toBe(200);
        for (let i = 0; i < 5; i++)
            expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe(
                "new",
            );
        expect(
            (await control.patch(`/_emulator/load_balancers/${lb.id}`, { stuck: false })).status,
        ).toBe(200);
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.status).toBe(
            "active",
        );
        expect(
            (await control.patch(`/_emulator/load_balancers/${lb.id}`, { stuck: "yes" })).status,
        ).toBe(422);
    });

    it("drop before vs after: the same lost answer, but only 'after' applied the change (so a retry must be idempotent)", async () => {
        const lb = await createLb();
        await reset();
        await fault({ match: { method: "PUT", path: "/v2/load_balancers/{id}" }, kind: "drop" });
        expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(await socketError(put(lb.id, 8)));
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.size_unit).toBe(2);
        expect(await lbWrites(lb.id)).toEqual({ attempts: 1, effective: 0 });

        await fault({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            kind: "drop",
            when: "after",
        });
        expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(await socketError(put(lb.id, 8)));
        const after = (await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer;
        expect(after).toMatchObject({ id: lb.id, ip: lb.ip, size_unit: 8 });
        // The client's retry of the same body, once the resize is done (inside its delay the LB
        // is busy: 403), is answered normally and changes nothing more.
        emu.state.setClock(Date.now() + 61_000);
        expect((await put(lb.id, 8)).status).toBe(200);
        expect(await lbWrites(lb.id)).toEqual({ attempts: 3, effective: 1 });
        const writes = (await control.get("/_emulator/requests")).body.requests.filter(
            (e: any) => e.write,
        );
        expect(writes.map((e: any) => [e.status, e.fault ?? null, e.changed])).toEqual([
            [0, "drop", false],
            [0, "drop", true],
            [200, null, false],
        ]);
        // A create dropped after it was applied leaves an LB the client never heard of.
        await fault({
            match: { method: "POST", path: "/v2/load_balancers" },
            kind: "drop",
            when: "after",
        });
        expect(["UND_ERR_SOCKET", "ECONNRESET"]).toContain(
            await socketError(api.post("/v2/load_balancers", providerLbBody({ name: "orphan" }))),
        );
        expect(
            (await api.get("/v2/load_balancers")).body.load_balancers.map((l: any) => l.name),
        ).toContain("orphan");
    });

    it("an error after the change was applied: the client sees a 500, the LB is resized anyway", async () => {
        const lb = await createLb();
        await fault({
            match: { method: "PUT", path: "/v2/load_balancers/{id}" },
            status: 500,
            when: "after",
        });
        const res = await put(lb.id, 4);
        expect(res.status).toBe(500);
        expect(res.body).toEqual({
            id: "server_error",
            message: expect.any(String),
            request_id: expect.any(String),
        });
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).body.load_balancer.size_unit).toBe(4);
        // A delete answered with an error after it happened: gone, though the client saw a 502.
        await fault({
            match: { method: "DELETE", path: "/v2/load_balancers/{id}" },
            status: 502,
            when: "after",
        });
        const del = await api.del(`/v2/load_balancers/${lb.id}`);
        expect([del.status, del.headers.get("content-type"), del.body.id]).toEqual([
            502,
            "application/json; charset=utf-8",
            "bad_gateway",
        ]);
        expect((await api.get(`/v2/load_balancers/${lb.id}`)).status).toBe(404);
        for (const bad of [
            { kind: "busy", when: "after" },
            { kind: "drop", when: "later" },
            { status: 429, retryAfterSeconds: -1 },
        ]) {
            expect((await control.post("/_emulator/faults", bad)).status, JSON.stringify(bad)).toBe(
                422,
            );
        }
    });
});
