import { afterEach, describe, expect, it, vi } from "vitest";
import { SPEC_ENV, SpecUnavailableError, loadOpenApi } from "./openapi";
import type { Emulator } from "./server";
import { startEmulator, VALIDATE_RESPONSES_ENV } from "./server";
import { MASKING_IDS, providerLbBody, startTestEmulator } from "./testkit";

const spec = loadOpenApi();

describe("OpenAPI spec", () => {
    let emu: Emulator | undefined;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
    });

    it("is DigitalOcean's own spec, patched where it is known to be wrong", () => {
        expect(spec.path).toMatch(/emulator[/\\]openapi[/\\]do-openapi-subset\.json$/);
        expect(spec.patches.sizeUnitMax).toBeGreaterThan(0);
        expect(spec.patches.regionEnums).toBeGreaterThan(0);
        expect(spec.patches.lbRegionOptional).toBeGreaterThan(0);
    });

    it("every response of the provider-facing endpoints validates against its OpenAPI response schema", async () => {
        const t = await startTestEmulator({ validateResponses: true });
        emu = t.emu;
        const { api } = t;
        const checked: string[] = [];
        const check = async (
            method: string,
            template: string,
            p: Promise<{ status: number; body: unknown }>,
            status: number,
        ) => {
            const res = await p;
            expect(res.status, `${method} ${template}: ${JSON.stringify(res.body)}`).toBe(status);
            expect(
                spec.responseErrors(method, template, res.status, res.body),
                `${method} ${template} ${status}`,
            ).toEqual([]);
            checked.push(`${method} ${template} ${status}`);
            return res.body as any;
        };
        const lb = (
            await check(
                "POST",
                "/v2/load_balancers",
                api.post("/v2/load_balancers", providerLbBody()),
                202,
            )
        ).load_balancer;
        await check(
            "GET",
            "/v2/load_balancers/{lb_id}",
            api.get(`/v2/load_balancers/${lb.id}`),
            200,
        );
        await check(
            "GET",
            "/v2/load_balancers",
            api.get("/v2/load_balancers?page=1&per_page=200"),
            200,
        );
        await check(
            "PUT",
            "/v2/load_balancers/{lb_id}",
            api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 150 })),
            200,
        );
        await check(
            "PUT",
            "/v2/load_balancers/{lb_id}",
            api.put(`/v2/load_balancers/${lb.id}`, providerLbBody({ size_unit: 0 })),
            422,
        );
        await check(
            "POST",
            "/v2/load_balancers",
            api.post("/v2/load_balancers", {
                ...providerLbBody(),
                droplet_ids: undefined,
                tag: "masking",
                region: "atl1",
            }),
            202,
        );
        await check(
            "DELETE",
            "/v2/load_balancers/{lb_id}",
            api.del(`/v2/load_balancers/${lb.id}`),
            204,
        );
        await check(
            "GET",
            "/v2/load_balancers/{lb_id}",
            api.get(`/v2/load_balancers/${lb.id}`),
            404,
        );
        await check(
            "DELETE",
            "/v2/load_balancers/{lb_id}",
            api.del(`/v2/load_balancers/${lb.id}`),
            404,
        );
        await check(
            "GET",
            "/v2/droplets/{droplet_id}",
            api.get(`/v2/droplets/${MASKING_IDS[0]}`),
            200,
        );
        await check("GET", "/v2/droplets/{droplet_id}", api.get("/v2/droplets/999"), 404);
        await check("GET", "/v2/droplets", api.get("/v2/droplets?page=1&per_page=2"), 200);
        await check("GET", "/v2/droplets", api.get("/v2/droplets?tag_name=masking"), 200);
        const created = await check(
            "POST",
            "/v2/droplets",
            api.post("/v2/droplets", {
                name: "new-one",
                region: "nyc3",
                size: "s-1vcpu-1gb",
                image: "ubuntu-24-04-x64",
            }),
            202,
        );
        const action = (
            await check(
                "POST",
                "/v2/droplets/{droplet_id}/actions",
                api.post(`/v2/droplets/${created.droplet.id}/actions`, { type: "reboot" }),
                201,
            )
        ).action;
        await check("GET", "/v2/actions/{action_id}", api.get(`/v2/actions/${action.id}`), 200);
        await check(
            "GET",
            "/v2/droplets/{droplet_id}/actions",
            api.get(`/v2/droplets/${created.droplet.id}/actions`),
            200,
        );
        await check(
            "DELETE",
            "/v2/droplets/{droplet_id}",
            api.del(`/v2/droplets/${created.droplet.id}`),
            204,
        );
        expect(checked).toHaveLength(18);
        // The server-side check (validateResponses) never had to turn a response into a 500.
        expect(emu.state.log.filter((e) => e.status >= 500)).toEqual([]);
    });

    it("the response check fails when a required or provider-dereferenced field is missing", async () => {
        const t = await startTestEmulator();
        emu = t.emu;
        const droplet = (await t.api.get(`/v2/droplets/${MASKING_IDS[0]}`)).body;
        const lb = (await t.api.post("/v2/load_balancers", providerLbBody())).body;
        const D = "/v2/droplets/{droplet_id}";
        const L = "/v2/load_balancers/{lb_id}";
        expect(spec.responseErrors("GET", D, 200, droplet)).toEqual([]);
        expect(spec.responseErrors("GET", L, 200, lb)).toEqual([]);

        const without = (obj: any, path: string[]) => {
            const copy = structuredClone(obj);
            let o = copy;
            for (const k of path.slice(0, -1)) o = o[k];
            delete o[path[path.length - 1]];
            return copy;
        };
        expect(
            spec
                .responseErrors(
                    "GET",
                    D,
                    200,
                    without(droplet, ["droplet", "size", "price_hourly"]),
                )
                .join(),
        ).toMatch(/'price_hourly'/);
        expect(
            spec.responseErrors("GET", D, 200, without(droplet, ["droplet", "networks"])).join(),
        ).toMatch(/'networks'/);
        expect(
            spec
                .responseErrors("GET", D, 200, without(droplet, ["droplet", "region", "slug"]))
                .join(),
        ).toMatch(/'slug'/);
        expect(spec.responseErrors("GET", D, 200, {}).join()).toMatch(/'droplet'/);
        expect(
            spec.responseErrors("GET", L, 200, without(lb, ["load_balancer", "region"])).join(),
        ).toMatch(/'region'/);
        expect(
            spec.responseErrors("GET", L, 200, without(lb, ["load_balancer", "ip"])).join(),
        ).toMatch(/'ip'/);
        expect(
            spec
                .responseErrors(
                    "GET",
                    L,
                    200,
                    without(lb, ["load_balancer", "health_check", "port"]),
                )
                .join(),
        ).toMatch(/'port'/);
        expect(
            spec.responseErrors("GET", L, 404, { id: "not_found", message: "x" }).join(),
        ).toMatch(/'request_id'/);
    });

    it("with validateResponses, a response that breaks the schema becomes a 500 instead of reaching the client", async () => {
        const t = await startTestEmulator({ validateResponses: true });
        emu = t.emu;
        delete (t.emu.state.droplets.get(MASKING_IDS[0]) as any).networks;
        const res = await t.api.get(`/v2/droplets/${MASKING_IDS[0]}`);
        expect(res.status).toBe(500);
        expect(res.body).toMatchObject({
            id: "emulator_invalid_response",
            message: expect.stringMatching(/networks/),
        });
    });

    it("a realistic provider-style create body validates against the request schema", () => {
        const P = "/v2/load_balancers";
        expect(spec.requestErrors("POST", P, providerLbBody(), { wholeSchema: true })).toEqual([]);
        const { droplet_ids: _ids, ...byTag } = providerLbBody();
        expect(
            spec.requestErrors("POST", P, { ...byTag, tag: "masking" }, { wholeSchema: true }),
        ).toEqual([]);
        expect(
            spec.requestErrors("PUT", `${P}/{lb_id}`, providerLbBody({ size_unit: 200 }), {
                wholeSchema: true,
            }),
        ).toEqual([]);
        // The schema itself is still strict where it should be.
        expect(spec.requestErrors("POST", P, providerLbBody({ size_unit: 201 })).join()).toMatch(
            /size_unit must be <= 200/,
        );
        expect(spec.requestErrors("POST", P, providerLbBody({ type: "regional" })).join()).toMatch(
            /type must be equal to one of the allowed values/,
        );
        expect(
            spec
                .requestErrors(
                    "POST",
                    P,
                    providerLbBody({ forwarding_rules: [{ entry_protocol: "tcp" }] }),
                )
                .join(),
        ).toMatch(/entry_port/);
    });

    it("a missing spec gives a clear error, and is fatal only when response validation is asked for", async () => {
        const missing = "/nonexistent/do-openapi-subset.json";
        expect(() => loadOpenApi(missing)).toThrow(SpecUnavailableError);
        expect(() => loadOpenApi(missing)).toThrow(
            new RegExp(`not found at ${missing}.*${SPEC_ENV}`),
        );
        await expect(startEmulator({ specPath: missing, validateResponses: true })).rejects.toThrow(
            SPEC_ENV,
        );
        emu = await startEmulator({
            specPath: missing,
            validateResponses: false,
            seed: { droplets: [] },
        });
        const res = await fetch(`${emu.url}/v2/load_balancers`, {
            headers: { authorization: "Bearer t" },
        });
        expect(res.status).toBe(200);
    });

    it("responses are validated only when asked: off by default (npm run emulator, the sandbox), on with DO_EMULATOR_VALIDATE_RESPONSES=1 as every test run sets it", async () => {
        // A missing spec is fatal exactly when validation is on: the default shows through it.
        const missing = "/nonexistent/do-openapi-subset.json";
        vi.stubEnv(VALIDATE_RESPONSES_ENV, "1");
        await expect(startEmulator({ specPath: missing })).rejects.toThrow(SPEC_ENV);
        vi.stubEnv(VALIDATE_RESPONSES_ENV, undefined);
        emu = await startEmulator({ specPath: missing, seed: { droplets: [] } });
        const res = await fetch(`${emu.url}/v2/load_balancers`, {
            headers: { authorization: "Bearer t" },
        });
        expect(res.status).toBe(200);
    });
});
