import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DropCurve, LB_METRICS, dropCurvePoints, withDropCurve } from "./metrics";
import { METRICS_SPEC_PATH, loadOpenApi } from "./openapi";
import { parseSeed, seedFromIds } from "./seed";
import { type Emulator, buildApp, startEmulator } from "./server";
import {
    type Client,
    MASKING_IDS,
    TEST_CERTIFICATE,
    client,
    providerLbBody,
    startTestEmulator,
} from "./testkit";

const spec = loadOpenApi();
const BASE = "/v2/monitoring/metrics/load_balancer";
const LB_ID = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DROP: DropCurve = {
    start: T0,
    end: T0 + 7200,
    stepSeconds: 60,
    baseline: 2_000,
    peak: 42_000,
    peakAt: T0 + 3600,
    rampMinutes: 30,
};

const seededLb = (over: Record<string, unknown> = {}) => ({
    id: LB_ID,
    name: "proxy",
    region: "nyc3",
    size_unit: 3,
    droplet_ids: MASKING_IDS,
    forwarding_rules: [
        { entry_protocol: "tcp", entry_port: 443, target_protocol: "tcp", target_port: 443 },
    ],
    ...over,
});
const baseSeed = (lb = seededLb()) => seedFromIds(MASKING_IDS, { loadBalancers: [lb as any] });
const isoOf = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

describe("load balancer monitoring metrics", () => {
    let emu: Emulator | undefined;
    let api: Client;
    afterEach(async () => {
        await emu?.close();
        emu = undefined;
    });
    const start = async (seed = withDropCurve(baseSeed(), LB_ID, DROP)) => {
        const t = await startTestEmulator({ seed, validateResponses: true });
        emu = t.emu;
        api = t.api;
        return t;
    };
    /** GET a metric; the answer is checked against the vendored spec's operation. */
    const metric = async (name: string, q: Record<string, string | number>) => {
        const url = `${BASE}/${name}`;
        const res = await api.get(
            `${url}?${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)]))}`,
        );
        expect(
            spec.responseErrors("GET", url, res.status, res.body),
            JSON.stringify(res.body),
        ).toEqual([]);
        return res;
    };
    const values = (res: { body: any }) => res.body.data.result[0].values as [number, string][];

    it("serves exactly the load_balancer metrics of the vendored spec, which is kept unmodified with its notice", () => {
        const vendored = JSON.parse(readFileSync(METRICS_SPEC_PATH, "utf8"));
        expect(Object.keys(vendored.paths)).toEqual(LB_METRICS.map((m) => `${BASE}/${m}`));
        expect(vendored.info.description).toMatch(
            /digitalocean\/openapi repository \(Apache-2\.0\)/,
        );
        expect(
            readFileSync(
                METRICS_SPEC_PATH.replace(/do-openapi-lb-metrics\.json$/, "NOTICE.md"),
                "utf8",
            ),
        ).toMatch(/do-openapi-lb-metrics\.json/);
        for (const m of LB_METRICS)
            expect(spec.operation("GET", `${BASE}/${m}`)?.operationId).toBe(
                `monitoring_get_lb_${m}`,
            );
    });

    it("a seeded drop curve: Prometheus matrix, baseline -> smooth peak -> baseline, crossing the size_unit x 10,000 limit", async () => {
        await start();
        const cur = await metric("frontend_connections_current", {
            lb_id: LB_ID,
            start: DROP.start,
            end: DROP.end,
        });
        expect(cur.status).toBe(200);
        expect(cur.body).toEqual({
            status: "success",
            data: {
                resultType: "matrix",
                result: [{ metric: { lb_id: LB_ID }, values: expect.any(Array) }],
            },
        });
        const v = values(cur);
        expect(v).toHaveLength(121);
        expect(v[0]).toEqual([T0, "2000"]);
        expect(v[60]).toEqual([T0 + 3600, "42000"]);
        expect(v[120]).toEqual([T0 + 7200, "2000"]);
        const n = v.map(([, x]) => Number(x));
        for (let i = 1; i <= 60; i++) expect(n[i]).toBeGreaterThanOrEqual(n[i - 1]);
        for (let i = 61; i <= 120; i++) expect(n[i]).toBeLessThanOrEqual(n[i - 1]);
        expect(n.slice(0, 31).every((x) => x === 2000)).toBe(true); // flat until the ramp starts

        const limit = await metric("frontend_connections_limit", {
            lb_id: LB_ID,
            start: DROP.start,
            end: DROP.end,
        });
        const l = values(limit);
        expect(l.map(([t]) => t)).toEqual(v.map(([t]) => t));
        expect(new Set(l.map(([, x]) => x))).toEqual(new Set(["30000"]));
        const over = v.filter(([, x]) => Number(x) > 30_000);
        expect(over.length).toBeGreaterThan(0);
        expect(over.length).toBeLessThan(v.length);
    });

    it("start/end select the points inside the window (inclusive); a window outside the data is empty", async () => {
        await start();
        const v = values(
            await metric("frontend_connections_current", {
                lb_id: LB_ID,
                start: T0 + 3000,
                end: T0 + 3300,
            }),
        );
        expect(v.map(([t]) => t - T0)).toEqual([3000, 3060, 3120, 3180, 3240, 3300]);
        expect(
            values(
                await metric("frontend_connections_current", {
                    lb_id: LB_ID,
                    start: T0 - 100,
                    end: T0 - 1,
                }),
            ),
        ).toEqual([]);
    });

    it("the limit follows the node count: a resize shows 60 s (the default delay) after it was asked for; legacy size slugs count their nodes", async () => {
        const t = await start();
        const resizedAt = T0 + 86_400;
        expect((await t.control.put("/_emulator/clock", { now: isoOf(resizedAt) })).status).toBe(
            200,
        );
        const put = await api.put(
            `/v2/load_balancers/${LB_ID}`,
            providerLbBody({ size_unit: 5, droplet_ids: MASKING_IDS }),
        );
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        await t.control.put("/_emulator/clock", { now: isoOf(resizedAt + 600) });
        const l = values(
            await metric("frontend_connections_limit", {
                lb_id: LB_ID,
                start: resizedAt - 600,
                end: resizedAt + 600,
            }),
        );
        expect(l[0]).toEqual([resizedAt - 600, "30000"]);
        expect(l.find(([, x]) => x === "50000")?.[0]).toBe(resizedAt + 60);
        expect(l[l.length - 1]).toEqual([resizedAt + 600, "50000"]);
        await emu!.close();

        await start(
            baseSeed(
                seededLb({
                    region: "nyc2",
                    size_unit: undefined,
                    size: "lb-medium",
                    droplet_ids: [],
                }),
            ),
        );
        expect(
            new Set(
                values(
                    await metric("frontend_connections_limit", {
                        lb_id: LB_ID,
                        start: T0,
                        end: T0 + 600,
                    }),
                ).map(([, x]) => x),
            ),
        ).toEqual(new Set(["30000"]));
    });

    it("explicit points, extra labels and several series; an explicitly seeded limit wins; unseeded connections are 0 on the limit's timestamps; other unseeded metrics have no series", async () => {
        const seed = baseSeed();
        seed.metrics = {
            loadBalancers: {
                [LB_ID]: {
                    frontend_cpu_utilization: {
                        points: [
                            [T0 + 60, 37.5],
                            [T0, 12.25],
                        ],
                    },
                    frontend_connections_limit: { points: [[T0, 5000]] },
                    frontend_http_responses: [
                        { labels: { status: "2xx" }, points: [[T0, 100]] },
                        { labels: { status: "5xx" }, points: [[T0, 3]] },
                    ],
                },
            },
        };
        await start(seed);
        const q = { lb_id: LB_ID, start: T0, end: T0 + 60 };
        expect(values(await metric("frontend_cpu_utilization", q))).toEqual([
            [T0, "12.25"],
            [T0 + 60, "37.5"],
        ]);
        expect(values(await metric("frontend_connections_limit", q))).toEqual([[T0, "5000"]]);
        expect(
            (await metric("frontend_http_responses", q)).body.data.result.map((r: any) => r.metric),
        ).toEqual([
            { status: "2xx", lb_id: LB_ID },
            { status: "5xx", lb_id: LB_ID },
        ]);
        expect((await metric("droplets_downtime", q)).body).toEqual({
            status: "success",
            data: { resultType: "matrix", result: [] },
        });
        // A real load balancer reports its connections, 0 when idle: on the limit's timestamps.
        expect(values(await metric("frontend_connections_current", q))).toEqual([
            [T0, "0"],
            [T0 + 60, "0"],
        ]);
        await emu!.close();

        // With no seed at all the limit is derived, and the connections follow its timestamps.
        await start(baseSeed());
        const window = { lb_id: LB_ID, start: T0, end: T0 + 600 };
        const derivedLimit = values(await metric("frontend_connections_limit", window));
        expect(derivedLimit.length).toBeGreaterThan(0);
        expect(values(await metric("frontend_connections_current", window))).toEqual(
            derivedLimit.map(([t]) => [t, "0"]),
        );
        await emu!.close();

        // No sample at all (a load balancer that reports nothing) stays reachable: seed an empty series.
        const silent = baseSeed();
        silent.metrics = {
            loadBalancers: { [LB_ID]: { frontend_connections_current: { points: [] } } },
        };
        await start(silent);
        expect(
            (await metric("frontend_connections_current", window)).body.data.result.flatMap(
                (r: { values: unknown[] }) => r.values,
            ),
        ).toEqual([]);
    });

    it("bad or missing parameters are 400 in DigitalOcean's error shape; an unknown LB is 404; no token is 401", async () => {
        await start();
        const bad = async (q: Record<string, string | number>, msg: RegExp) => {
            const res = await metric("frontend_connections_current", q);
            expect(res.status, JSON.stringify(q)).toBe(400);
            expect(res.body).toEqual({
                id: "bad_request",
                message: expect.stringMatching(msg),
                request_id: expect.any(String),
            });
        };
        await bad({ start: T0, end: T0 + 60 }, /lb_id is required/);
        await bad({ lb_id: LB_ID, end: T0 + 60 }, /start is required/);
        await bad({ lb_id: LB_ID, start: T0 }, /end is required/);
        await bad(
            { lb_id: LB_ID, start: "yesterday", end: T0 },
            /start must be unix seconds \(got "yesterday"\)/,
        );
        await bad({ lb_id: LB_ID, start: T0 + 60, end: T0 }, /end .* must not be before start/);
        const unknown = await metric("frontend_connections_current", {
            lb_id: "00000000-0000-4000-8000-000000000000",
            start: T0,
            end: T0 + 60,
        });
        expect(unknown.status).toBe(404);
        const anon = await client(emu!.url, null).get(
            `${BASE}/frontend_connections_current?lb_id=${LB_ID}&start=${T0}&end=${T0 + 60}`,
        );
        expect(anon.status).toBe(401);
        expect(anon.body).toMatchObject({ id: "unauthorized" });
    });

    it("series can be set for an LB created through the API; bad series are refused naming the key", async () => {
        const t = await start(baseSeed());
        const lb = (await api.post("/v2/load_balancers", providerLbBody())).body.load_balancer;
        const set = await t.control.put(`/_emulator/metrics/load_balancers/${lb.id}`, {
            frontend_connections_current: { curve: { ...DROP, peak: 9_000 } },
        });
        expect(set.status, JSON.stringify(set.body)).toBe(200);
        expect(
            Math.max(
                ...values(
                    await metric("frontend_connections_current", {
                        lb_id: lb.id,
                        start: T0,
                        end: T0 + 7200,
                    }),
                ).map(([, x]) => Number(x)),
            ),
        ).toBe(9000);
        const refused = await t.control.put(`/_emulator/metrics/load_balancers/${lb.id}`, {
            frontend_connections_current: { curve: { ...DROP, stepSeconds: 0 } },
        });
        expect(refused.status).toBe(422);
        expect(refused.body.message).toMatch(
            /frontend_connections_current\.curve\.stepSeconds must be a positive integer \(got 0\)/,
        );
        expect((await t.control.put("/_emulator/metrics/load_balancers/nope", {})).status).toBe(
            404,
        );
    });
});

describe("metrics in the state file", () => {
    it("a restart from the state file keeps the series, the node history (with its delay), the clock, tags and certificates", async () => {
        const dir = mkdtempSync(join(tmpdir(), "emu-metrics-"));
        try {
            const stateFile = join(dir, "state.json");
            const seed = withDropCurve(
                seedFromIds(MASKING_IDS, {
                    tags: ["masking"],
                    certificates: [TEST_CERTIFICATE],
                    loadBalancers: [seededLb() as any],
                }),
                LB_ID,
                DROP,
            );
            seed.metrics!.resizeDelaySeconds = 90;
            const resizedAt = T0 + 86_400;
            const first = await startEmulator({ port: 0, seed, stateFile, now: isoOf(resizedAt) });
            expect(
                (
                    await client(first.url).put(
                        `/v2/load_balancers/${LB_ID}`,
                        providerLbBody({ size_unit: 7, droplet_ids: MASKING_IDS }),
                    )
                ).status,
            ).toBe(200);
            await first.close();
            const saved = JSON.parse(readFileSync(stateFile, "utf8"));
            expect(saved.loadBalancers[0].sizeHistory).toEqual([
                [0, 3],
                [resizedAt + 90, 7],
            ]);
            expect([saved.clock, saved.resizeDelaySeconds]).toEqual([isoOf(resizedAt), 90]);
            const second = await startEmulator({ port: 0, stateFile });
            try {
                const api = client(second.url);
                expect((await client(second.url, null).get("/_emulator/clock")).body).toEqual({
                    now: isoOf(resizedAt),
                    set: true,
                    resizeDelaySeconds: 90,
                });
                await client(second.url, null).put("/_emulator/clock", {
                    now: isoOf(resizedAt + 120),
                });
                const q = (m: string, a: number, b: number) =>
                    api.get(`${BASE}/${m}?lb_id=${LB_ID}&start=${a}&end=${b}`);
                expect(
                    (await q("frontend_connections_current", DROP.peakAt, DROP.peakAt)).body.data
                        .result[0].values,
                ).toEqual([[DROP.peakAt, "42000"]]);
                const limit = (
                    await q("frontend_connections_limit", resizedAt - 120, resizedAt + 120)
                ).body.data.result[0].values;
                expect([limit[0][1], limit[limit.length - 1][1]]).toEqual(["30000", "70000"]);
                expect(
                    limit
                        .filter(([t]: [number, string]) => t >= resizedAt + 90)
                        .every(([, x]: [number, string]) => x === "70000"),
                ).toBe(true);
                expect(
                    limit
                        .filter(([t]: [number, string]) => t < resizedAt + 90)
                        .every(([, x]: [number, string]) => x === "30000"),
                ).toBe(true);
                expect((await api.get("/v2/tags/masking")).body.tag.resources.count).toBe(3);
                expect((await api.get(`/v2/certificates/${TEST_CERTIFICATE.id}`)).status).toBe(200);
            } finally {
                await second.close();
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("metrics in seed files", () => {
    it("a YAML seed describes a drop curve; mistakes name the key and value", () => {
        const yaml = (metrics: string) => `
droplets:
  - { id: 310001, name: mask-1, region: nyc3, size: s-1vcpu-1gb, image: ubuntu-22-04-x64 }
loadBalancers:
  - { id: ${LB_ID}, name: proxy, region: nyc3, size_unit: 2, droplet_ids: [310001],
      forwarding_rules: [{ entry_protocol: tcp, entry_port: 443, target_protocol: tcp, target_port: 443 }] }
metrics:
  loadBalancers:
    ${metrics}
`;
        const seed = parseSeed(
            yaml(
                `${LB_ID}: { frontend_connections_current: { curve: { start: ${T0}, end: ${T0 + 600}, stepSeconds: 300, baseline: 10, peak: 20, peakAt: ${T0 + 300}, rampMinutes: 5 } } }`,
            ),
            "yaml",
        );
        const { store } = buildApp({ seed });
        expect(
            store.lbMetric("frontend_connections_current", {
                lbId: LB_ID,
                start: T0,
                end: T0 + 600,
            }).data.result[0].values,
        ).toEqual([
            [T0, "10"],
            [T0 + 300, "20"],
            [T0 + 600, "10"],
        ]);
        expect(() =>
            parseSeed(
                yaml(
                    `${LB_ID}: { frontend_connections_current: { curve: { start: ${T0}, end: ${T0}, stepSeconds: 60, baseline: -1, peak: 2, peakAt: ${T0}, rampMinutes: 1 } } }`,
                ),
                "yaml",
            ),
        ).toThrow(/frontend_connections_current\.curve\.baseline must be a number ≥ 0 \(got -1\)/);
        expect(() =>
            parseSeed(yaml(`${LB_ID}: { frontend_connections: { points: [] } }`), "yaml"),
        ).toThrow(/frontend_connections is not a load_balancer metric/);
        expect(() =>
            parseSeed(
                yaml(`${LB_ID}: { frontend_cpu_utilization: { points: [[1, "x"]] } }`),
                "yaml",
            ),
        ).toThrow(/points\[0\] must be \[unix seconds, number\] \(got \[1,"x"\]\)/);
        expect(() =>
            buildApp({
                seed: parseSeed(
                    yaml(`other-lb: { frontend_cpu_utilization: { points: [] } }`),
                    "yaml",
                ),
            }),
        ).toThrow(/metrics\.loadBalancers\.other-lb: no seeded load balancer/);
    });

    it("drop curves: baseline outside the ramp, the peak at peakAt, never outside [baseline, peak], symmetric", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 50_000 }),
                fc.integer({ min: 0, max: 200_000 }),
                fc.integer({ min: 1, max: 120 }),
                fc.integer({ min: 15, max: 600 }),
                (baseline, peak, rampMinutes, stepSeconds) => {
                    const peakAt = T0 + 3 * 3600;
                    const c: DropCurve = {
                        start: T0,
                        end: T0 + 6 * 3600,
                        stepSeconds,
                        baseline,
                        peak,
                        peakAt,
                        rampMinutes,
                    };
                    const pts = dropCurvePoints(c);
                    const lo = Math.min(baseline, peak);
                    const hi = Math.max(baseline, peak);
                    const byT = new Map(pts);
                    return pts.every(
                        ([t, v]) =>
                            v >= lo &&
                            v <= hi &&
                            (Math.abs(t - peakAt) < rampMinutes * 60 || v === baseline) &&
                            (t !== peakAt || v === peak) &&
                            (!byT.has(2 * peakAt - t) || byT.get(2 * peakAt - t) === v),
                    );
                },
            ),
            { numRuns: 150 },
        );
    });
});
