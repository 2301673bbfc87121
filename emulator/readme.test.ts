// The README's seed example is what a user copies first: it must load as written.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSeed } from "./seed";
import { buildApp } from "./server";

describe("emulator/README.md", () => {
    it("its seed example loads, with the LB's settings, the certificate and the drop curve", async () => {
        const readme = readFileSync(resolve(__dirname, "README.md"), "utf8");
        const block = /## Seed\s+```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
        expect(block).toBeDefined();
        const { app, store } = buildApp({ seed: parseSeed(block!, "yaml") });
        const id = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
        const auth = { authorization: "Bearer t" };
        const lb = (
            await app.inject({ method: "GET", url: `/v2/load_balancers/${id}`, headers: auth })
        ).json().load_balancer;
        expect(lb).toMatchObject({
            ip: "203.0.113.10",
            size_unit: 3,
            enable_proxy_protocol: true,
            sticky_sessions: { type: "cookies", cookie_name: "S" },
        });
        expect(store.certificates.size).toBe(1);
        const res = await app.inject({
            method: "GET",
            url: `/v2/monitoring/metrics/load_balancer/frontend_connections_current?lb_id=${id}&start=1767229200&end=1767229200`,
            headers: auth,
        });
        expect(res.json().data.result[0].values).toEqual([[1767229200, "42000"]]);
        await app.close();
    });

    it("its closed-loop example loads on the seed example's LB: the demand is capped at 3 nodes until a resize is in force", async () => {
        const readme = readFileSync(resolve(__dirname, "README.md"), "utf8");
        const seedBlock = /## Seed\s+```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
        const loopBlock = /### Closed loop[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
        expect(seedBlock && loopBlock).toBeTruthy();
        const seed = parseSeed(seedBlock!.replace(/^metrics:[\s\S]*$/m, loopBlock!), "yaml");
        const { app } = buildApp({ seed, now: "2027-11-26T17:00:00Z" });
        const id = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
        const auth = { authorization: "Bearer t" };
        const peak = async () =>
            (
                await app.inject({
                    method: "GET",
                    url: `/v2/monitoring/metrics/load_balancer/frontend_connections_current?lb_id=${id}&start=1827248400&end=1827248400`,
                    headers: auth,
                })
            ).json().data.result[0].values;
        expect(await peak()).toEqual([[1827248400, "30000"]]);
        await app.inject({
            method: "PUT",
            url: "/_emulator/clock",
            payload: { now: "2027-11-26T16:00:00Z" },
        });
        const lb = (
            await app.inject({ method: "GET", url: `/v2/load_balancers/${id}`, headers: auth })
        ).json().load_balancer;
        const { id: _id, ip: _ip, status: _s, created_at: _c, region, size: _size, ...body } = lb;
        const put = await app.inject({
            method: "PUT",
            url: `/v2/load_balancers/${id}`,
            headers: auth,
            payload: { ...body, region: region.slug, size_unit: 5 },
        });
        expect(put.statusCode, put.body).toBe(200);
        await app.inject({
            method: "PUT",
            url: "/_emulator/clock",
            payload: { now: "2027-11-26T17:00:00Z" },
        });
        expect(await peak()).toEqual([[1827248400, "45000"]]);
        await app.close();
    });

    it("its token example loads: the resize token resizes and reads metrics but cannot touch a droplet", async () => {
        const readme = readFileSync(resolve(__dirname, "README.md"), "utf8");
        const block = /## Tokens and scopes[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
        expect(block).toBeDefined();
        const { app } = buildApp({ seed: parseSeed(block!, "yaml") });
        const as = (token: string) => ({ authorization: `Bearer ${token}` });
        expect(
            (
                await app.inject({
                    method: "GET",
                    url: "/v2/droplets/310001",
                    headers: as("dop_v1_resize_only"),
                })
            ).statusCode,
        ).toBe(200);
        const off = await app.inject({
            method: "POST",
            url: "/v2/droplets/310001/actions",
            payload: { type: "power_off" },
            headers: as("dop_v1_resize_only"),
        });
        expect([off.statusCode, off.json().id]).toEqual([403, "forbidden"]);
        expect(
            (
                await app.inject({
                    method: "DELETE",
                    url: "/v2/droplets/310001",
                    headers: as("dop_v1_read_only"),
                })
            ).statusCode,
        ).toBe(403);
        expect(
            (
                await app.inject({
                    method: "GET",
                    url: "/v2/droplets/310001",
                    headers: as("dop_v1_other"),
                })
            ).statusCode,
        ).toBe(401);
        await app.close();
    });
});
