// Closed-loop metrics: a seeded demand shows as current connections capped at the limit, the
// limit follows resizes made through the API after the resize delay, all on the emulator's
// clock, which a test sets with PUT /_emulator/clock.
import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { type SeriesSpec } from "./metrics";
import { loadOpenApi } from "./openapi";
import { parseSeed, seedFromIds } from "./seed";
import { type EmulatorOptions, buildApp } from "./server";
import type { EmulatorState } from "./state";
import { MASKING_IDS, providerLbBody } from "./testkit";
import type { Seed } from "./seedTypes";

const spec = loadOpenApi();
const BASE = "/v2/monitoring/metrics/load_balancer";
const LB_ID = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
const T0 = 1_827_237_600; // 2027-11-26T14:00:00Z
const isoOf = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();
const AUTH = { authorization: "Bearer t" };

const lbSeed = (metrics: Record<string, unknown>, extra: Record<string, unknown> = {}): Seed =>
    parseSeed(
        JSON.stringify({
            ...seedFromIds(MASKING_IDS, {
                loadBalancers: [
                    {
                        id: LB_ID,
                        name: "proxy",
                        region: "nyc3",
                        size_unit: 3,
                        droplet_ids: MASKING_IDS,
                        forwarding_rules: [
                            {
                                entry_protocol: "tcp",
                                entry_port: 443,
                                target_protocol: "tcp",
                                target_port: 443,
                            },
                        ],
                    },
                ],
            }),
            metrics: { loadBalancers: { [LB_ID]: metrics }, ...extra },
        }),
        "json",
    );

/** Points every `step` seconds from `from` to `to` at a constant value. */
const flat = (from: number, to: number, step: number, value: number): SeriesSpec => {
    const points: [number, number][] = [];
    for (let t = from; t <= to; t += step) points.push([t, value]);
    return { points };
};

describe("closed-loop metrics (demand, limit, resize delay, clock)", () => {
    let app: FastifyInstance | undefined;
    let store: EmulatorState | undefined;
    afterEach(async () => {
        await app?.close();
        app = undefined;
    });
    const build = (seed: Seed, opts: EmulatorOptions = {}) => {
        const built = buildApp({ seed, validateResponses: true, ...opts });
        app = built.app;
        store = built.store;
        return built;
    };
    const setClock = async (unixSeconds: number) => {
        const res = await app!.inject({
            method: "PUT",
            url: "/_emulator/clock",
            payload: { now: isoOf(unixSeconds) },
        });
        expect(res.statusCode, res.body).toBe(200);
    };
    /** A metric's single series as [t, number]; the answer is checked against the vendored spec too. */
    const series = async (
        metric: string,
        start: number,
        end: number,
    ): Promise<[number, number][]> => {
        const url = `${BASE}/${metric}`;
        const res = await app!.inject({
            method: "GET",
            url: `${url}?lb_id=${LB_ID}&start=${start}&end=${end}`,
            headers: AUTH,
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(spec.responseErrors("GET", url, res.statusCode, res.json())).toEqual([]);
        const result = res.json().data.result;
        expect(result.length).toBeLessThanOrEqual(1);
        return (result[0]?.values ?? []).map(([t, v]: [number, string]) => [t, Number(v)]);
    };
    const resize = async (sizeUnit: number) => {
        const res = await app!.inject({
            method: "PUT",
            url: `/v2/load_balancers/${LB_ID}`,
            headers: AUTH,
            payload: providerLbBody({ size_unit: sizeUnit }),
        });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().load_balancer.size_unit).toBe(sizeUnit); // the API shows the new size at once; the metrics lag
    };

    it.each([
        { case: "well below the limit shows the demand", demand: 12_000, current: 12_000 },
        { case: "one under the limit shows the demand", demand: 29_999, current: 29_999 },
        { case: "at the limit shows the limit", demand: 30_000, current: 30_000 },
        { case: "above the limit shows the limit", demand: 45_000, current: 30_000 },
        { case: "zero shows zero", demand: 0, current: 0 },
    ])("3 nodes, demand $demand: $case ($current)", async ({ demand, current }) => {
        build(
            lbSeed({
                demand: {
                    points: [
                        [T0, demand],
                        [T0 + 60, demand],
                    ],
                },
            }),
        );
        await setClock(T0 + 3600);
        expect(await series("frontend_connections_current", T0, T0 + 60)).toEqual([
            [T0, current],
            [T0 + 60, current],
        ]);
        expect(await series("frontend_connections_limit", T0, T0 + 60)).toEqual([
            [T0, 30_000],
            [T0 + 60, 30_000],
        ]);
    });

    it("a demand curve: current is min(demand, limit) at each of the curve's points", async () => {
        const curve = {
            start: T0,
            end: T0 + 7200,
            stepSeconds: 60,
            baseline: 5_000,
            peak: 42_000,
            peakAt: T0 + 3600,
            rampMinutes: 45,
        };
        const { store } = build(lbSeed({ demand: { curve } }));
        await setClock(T0 + 7200);
        const current = await series("frontend_connections_current", T0, T0 + 7200);
        expect(current).toHaveLength(121);
        expect(Math.max(...current.map(([, v]) => v))).toBe(30_000);
        expect(current.filter(([, v]) => v === 30_000).length).toBeGreaterThan(10);
        expect(current[0]).toEqual([T0, 5_000]);
        // Nothing DigitalOcean does not serve: the demand is not a metric.
        expect(
            store.lbMetric("frontend_connections_current", { lbId: LB_ID, start: T0, end: T0 }).data
                .result[0].metric,
        ).toEqual({ lb_id: LB_ID });
    });

    it.each([
        { case: "default delay (60 s)", seedDelay: undefined, optionDelay: undefined, delay: 60 },
        {
            case: "seed's metrics.resizeDelaySeconds",
            seedDelay: 300,
            optionDelay: undefined,
            delay: 300,
        },
        { case: "option wins over the seed", seedDelay: 300, optionDelay: 120, delay: 120 },
        { case: "no delay", seedDelay: 0, optionDelay: undefined, delay: 0 },
    ])(
        "a resize raises the limit only after the delay on the emulator's clock: $case",
        async ({ seedDelay, optionDelay, delay }) => {
            const resizedAt = T0 + 1800;
            build(
                lbSeed(
                    { demand: flat(T0, T0 + 7200, 30, 45_000) },
                    seedDelay === undefined ? {} : { resizeDelaySeconds: seedDelay },
                ),
                { resizeDelaySeconds: optionDelay },
            );
            await setClock(resizedAt);
            await resize(5);
            const last = async () =>
                (await series("frontend_connections_current", resizedAt - 60, resizedAt + 3600)).at(
                    -1,
                );
            const lastLimit = async () =>
                (await series("frontend_connections_limit", resizedAt - 60, resizedAt + 3600)).at(
                    -1,
                );
            if (delay > 0) {
                // Just before the delay is over: still 3 nodes, the crowd still capped at 30,000.
                await setClock(resizedAt + delay - 30);
                expect(await last()).toEqual([resizedAt + delay - 30, 30_000]);
                expect(await lastLimit()).toEqual([resizedAt + delay - 30, 30_000]);
            }
            await setClock(resizedAt + delay);
            expect(await last()).toEqual([resizedAt + delay, 45_000]);
            expect(await lastLimit()).toEqual([resizedAt + delay, 50_000]);
            // A scale-down takes the same delay (DigitalOcean's one-a-minute limit is another test's).
            store!.resizeIntervalSeconds = 0;
            await resize(2);
            await setClock(resizedAt + 2 * delay + 30);
            const limit = await series(
                "frontend_connections_limit",
                resizedAt + delay,
                resizedAt + 2 * delay + 30,
            );
            expect(limit.at(-1)).toEqual([resizedAt + 2 * delay + 30, 20_000]);
            expect(limit.find(([, v]) => v === 20_000)?.[0]).toBe(resizedAt + 2 * delay);
        },
    );

    it("the clock PUT moves the window: derived samples exist up to the emulator's now; explicit series are served as seeded", async () => {
        const { store } = build(
            lbSeed({
                demand: flat(T0, T0 + 3600, 60, 1_000),
                frontend_cpu_utilization: {
                    points: [
                        [T0, 10],
                        [T0 + 3600, 20],
                    ],
                },
            }),
        );
        const window = async (metric: string) =>
            (await series(metric, T0, T0 + 3600)).map(([t]) => t - T0);
        // Before the demand's first point: nothing measured yet.
        await setClock(T0 - 1);
        expect(await window("frontend_connections_current")).toEqual([]);
        expect(await window("frontend_connections_limit")).toEqual([]);
        await setClock(T0 + 120);
        expect(await window("frontend_connections_current")).toEqual([0, 60, 120]);
        expect(await window("frontend_connections_limit")).toEqual([0, 60, 120]);
        await setClock(T0 + 1800);
        expect((await window("frontend_connections_current")).at(-1)).toBe(1800);
        expect(await window("frontend_cpu_utilization")).toEqual([0, 3600]);
        expect(store.clock.nowMs()).toBe((T0 + 1800) * 1000);

        const clock = await app!.inject({ method: "GET", url: "/_emulator/clock" });
        expect(clock.json()).toEqual({ now: isoOf(T0 + 1800), set: true, resizeDelaySeconds: 60 });
        const back = await app!.inject({ method: "DELETE", url: "/_emulator/clock" });
        expect(back.json().set).toBe(false);
        expect(Math.abs(Date.parse(back.json().now) - Date.now())).toBeLessThan(5_000);
    });

    it("the clock drives what the API stamps: created_at, the size history, action times, out-of-band changes", async () => {
        const { store } = build(lbSeed({}));
        await setClock(T0);
        const created = await app!.inject({
            method: "POST",
            url: "/v2/load_balancers",
            headers: AUTH,
            payload: providerLbBody({ name: "made-now" }),
        });
        const lb = created.json().load_balancer;
        expect(lb.created_at).toBe("2027-11-26T14:00:00Z");
        await setClock(T0 + 600);
        const put = await app!.inject({
            method: "PUT",
            url: `/v2/load_balancers/${lb.id}`,
            headers: AUTH,
            payload: providerLbBody({ name: "made-now", size_unit: 4 }),
        });
        expect(put.statusCode, put.body).toBe(200);
        expect(store.lbs.get(lb.id)!.sizeHistory).toEqual([
            [T0, 2],
            [T0 + 600 + 60, 4],
        ]);
        const action = (
            await app!.inject({
                method: "POST",
                url: `/v2/droplets/${MASKING_IDS[0]}/actions`,
                headers: AUTH,
                payload: { type: "reboot" },
            })
        ).json().action;
        expect(action.started_at).toBe("2027-11-26T14:10:00Z");
        await app!.inject({
            method: "PATCH",
            url: `/_emulator/load_balancers/${LB_ID}`,
            payload: { size_unit: 6 },
        });
        expect(store.outOfBand.at(-1)?.time).toBe("2027-11-26T14:10:00.000Z");
        expect(store.lbs.get(LB_ID)!.sizeHistory?.at(-1)).toEqual([T0 + 600 + 60, 6]);
        // The seeded LB keeps its realistic, fixed creation time.
        expect(store.lbs.get(LB_ID)!.lb.created_at).toBe("2024-06-03T10:00:00Z");
    });

    it.each([
        { case: "an array", body: [], message: /body must be a JSON object \{"now"/ },
        {
            case: "no now",
            body: {},
            message: /now is required: an ISO-8601 time with an offset or Z/,
        },
        {
            case: "a number",
            body: { now: 1_827_237_600 },
            message: /now must be an ISO-8601 time with an offset or Z.*\(got 1827237600\)/,
        },
        {
            case: "no zone",
            body: { now: "2027-11-26T14:00:00" },
            message: /now must be .*\(got "2027-11-26T14:00:00"\)/,
        },
        {
            case: "a date that does not exist",
            body: { now: "2027-02-30T00:00:00Z" },
            message: /now must be .*\(got "2027-02-30T00:00:00Z"\)/,
        },
        { case: "words", body: { now: "tomorrow" }, message: /now must be .*\(got "tomorrow"\)/ },
        {
            case: "an unknown field",
            body: { now: "2027-11-26T14:00:00Z", speed: 2 },
            message: /unknown field "speed" \(only "now" is accepted\)/,
        },
    ])(
        "a bad clock body is refused with 400 naming the field: $case",
        async ({ body, message }) => {
            const { store } = build(lbSeed({}));
            await setClock(T0);
            const res = await app!.inject({
                method: "PUT",
                url: "/_emulator/clock",
                payload: body as object,
            });
            expect(res.statusCode).toBe(400);
            expect(res.json()).toEqual({
                id: "bad_request",
                message: expect.stringMatching(message),
                request_id: expect.any(String),
            });
            expect(store.clock.nowMs()).toBe(T0 * 1000); // unchanged
        },
    );

    it("the clock takes the times PROXY_LB_NOW takes (an offset or Z), at start too", async () => {
        build(lbSeed({}), { now: "2027-11-26T09:00:00-05:00" });
        expect((await app!.inject({ method: "GET", url: "/_emulator/clock" })).json().now).toBe(
            "2027-11-26T14:00:00.000Z",
        );
        const res = await app!.inject({
            method: "PUT",
            url: "/_emulator/clock",
            payload: { now: "2027-11-26T15:30:00.250+01:00" },
        });
        expect(res.json().now).toBe("2027-11-26T14:30:00.250Z");
        await app!.close();
        app = undefined;
        expect(() => buildApp({ seed: lbSeed({}), now: "2027-11-26 14:00" })).toThrow(
            /now must be an ISO-8601 time with an offset or Z.*got "2027-11-26 14:00"/,
        );
    });

    it.each([
        {
            case: "an explicit current wins over the demand; the limit follows the explicit current's timestamps",
            metrics: {
                demand: flat(T0, T0 + 120, 60, 45_000),
                frontend_connections_current: { points: [[T0 + 30, 33_000]] },
            },
            current: [[T0 + 30, 33_000]],
            limit: [[T0 + 30, 30_000]],
        },
        {
            case: "an explicit limit wins over the node count and caps the demand",
            metrics: {
                demand: flat(T0, T0 + 120, 60, 45_000),
                frontend_connections_limit: {
                    points: [
                        [T0, 20_000],
                        [T0 + 60, 40_000],
                    ],
                },
            },
            current: [
                [T0, 20_000],
                [T0 + 60, 40_000],
                [T0 + 120, 40_000],
            ],
            limit: [
                [T0, 20_000],
                [T0 + 60, 40_000],
            ],
        },
        {
            case: "both explicit: both served as seeded, the demand unused",
            metrics: {
                demand: flat(T0, T0 + 120, 60, 45_000),
                frontend_connections_current: { points: [[T0, 1]] },
                frontend_connections_limit: { points: [[T0, 2]] },
            },
            current: [[T0, 1]],
            limit: [[T0, 2]],
        },
    ])("seeds with a demand and explicit series: $case", async ({ metrics, current, limit }) => {
        build(lbSeed(metrics));
        await setClock(T0 + 3600);
        expect(await series("frontend_connections_current", T0, T0 + 120)).toEqual(current);
        expect(await series("frontend_connections_limit", T0, T0 + 120)).toEqual(limit);
    });

    it("a scale-down closes the removed nodes' connections after the one-minute drain, though the rest could carry them", async () => {
        const askedAt = T0 + 1800;
        build(lbSeed({ demand: flat(T0, T0 + 7200, 30, 15_000) }));
        await setClock(askedAt);
        await resize(2); // 3 -> 2 nodes: 20,000 connections still fit the 15,000 of the crowd
        await setClock(askedAt + 300);
        const points = await series("frontend_connections_current", askedAt - 60, askedAt + 300);
        // Before the drain ends: all held. At the drain's end: the removed node's third closed.
        // Next sample: the crowd has reconnected to the two nodes left.
        expect(points.filter(([t]) => t < askedAt + 60).every(([, v]) => v === 15_000)).toBe(true);
        expect(points.find(([t]) => t === askedAt + 60)).toEqual([askedAt + 60, 10_000]);
        expect(points.find(([t]) => t === askedAt + 90)).toEqual([askedAt + 90, 15_000]);
        expect(points.filter(([, v]) => v !== 15_000)).toHaveLength(1);
        // A scale-up closes nothing.
        await resize(3);
        await setClock(askedAt + 600);
        const after = await series("frontend_connections_current", askedAt + 301, askedAt + 600);
        expect(after.every(([, v]) => v === 15_000)).toBe(true);
    });

    it("a demand can be set on an LB created through the API", async () => {
        build(lbSeed({}));
        await setClock(T0);
        const lb = (
            await app!.inject({
                method: "POST",
                url: "/v2/load_balancers",
                headers: AUTH,
                payload: providerLbBody({ size_unit: 1 }),
            })
        ).json().load_balancer;
        const set = await app!.inject({
            method: "PUT",
            url: `/_emulator/metrics/load_balancers/${lb.id}`,
            payload: { demand: { points: [[T0, 25_000]] } },
        });
        expect(set.statusCode, set.body).toBe(200);
        const res = await app!.inject({
            method: "GET",
            url: `${BASE}/frontend_connections_current?lb_id=${lb.id}&start=${T0}&end=${T0}`,
            headers: AUTH,
        });
        expect(res.json().data.result[0].values).toEqual([[T0, "10000"]]);
    });

    it.each([
        {
            case: "demand as a list",
            metrics: { demand: [{ points: [] }] },
            extra: {},
            message:
                /metrics\.loadBalancers\..*\.demand must be one series \{points\} or \{curve\}, not a list/,
        },
        {
            case: "demand with labels",
            metrics: { demand: { points: [], labels: { a: "b" } } },
            extra: {},
            message: /\.demand\.labels: demand is not served/,
        },
        {
            case: "demand without a series",
            metrics: { demand: {} },
            extra: {},
            message: /\.demand needs exactly one of points or curve/,
        },
        {
            case: "a bad demand point",
            metrics: { demand: { points: [[T0, -0.5, 1]] } },
            extra: {},
            message: /\.demand\.points\[0\] must be \[unix seconds, number\]/,
        },
        {
            case: "a negative delay",
            metrics: {},
            extra: { resizeDelaySeconds: -1 },
            message:
                /seed: metrics\.resizeDelaySeconds must be whole seconds 0\.\.86400 \(got -1\)/,
        },
        {
            case: "a fractional delay",
            metrics: {},
            extra: { resizeDelaySeconds: 1.5 },
            message: /metrics\.resizeDelaySeconds must be whole seconds .*\(got 1\.5\)/,
        },
        {
            case: "a delay as text",
            metrics: {},
            extra: { resizeDelaySeconds: "60" },
            message: /metrics\.resizeDelaySeconds must be whole seconds .*\(got "60"\)/,
        },
    ])("a bad seed is refused naming the key: $case", ({ metrics, extra, message }) => {
        expect(() => lbSeed(metrics, extra)).toThrow(message);
    });
});
