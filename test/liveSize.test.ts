// infra/liveSize.ts: what every path reads before the one decision (a fake API: these are the
// reads' rules; the real provider and emulator are test/e2e's).
import { describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import type { HttpRequestFn } from "../infra/httpRequest";
import { findLiveLoadBalancer, readObservedMetrics, sizeNow } from "../infra/liveSize";
import { readLiveLoad } from "../ops/gatedPreview";
import { rollbackSizeNow } from "../ops/rollbackRun";

const AT = Date.parse("2027-01-01T12:00:00Z");
const LB_ID = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
const stack = (extra: Record<string, unknown> = {}) =>
    loadSettings(
        Object.fromEntries(
            Object.entries({
                region: "nyc3",
                loadBalancer: {
                    name: "proxy-lb",
                    forwarding: [{ port: 8080 }],
                    healthCheck: { port: 8080 },
                },
                maskingServers: { ids: [501] },
                demand: { users: 12, tasksPerUser: 2000 }, // 24,000 connections: 3 nodes with 25% headroom
                ...extra,
            }).map(([k, v]) => [`proxy-lb:${k}`, v]),
        ),
        { now: AT },
    );

type Answer = { status: number; body: unknown };
/** A fake API answering by path; records every request. */
function fakeApi(answers: Record<string, Answer | ((url: URL) => Answer)>) {
    const requests: string[] = [];
    const request: HttpRequestFn = async (sent) => {
        const url = new URL(sent.url);
        requests.push(`${url.pathname}${url.search}`);
        const answer = answers[url.pathname];
        const { status, body } =
            typeof answer === "function"
                ? answer(url)
                : (answer ?? {
                      status: 404,
                      body: {
                          id: "not_found",
                          message: "The resource you were accessing could not be found.",
                      },
                  });
        return {
            status,
            ok: status >= 200 && status < 300,
            statusText: "",
            headers: { get: () => null },
            text: JSON.stringify(body),
        };
    };
    return { read: { api: "http://127.0.0.1:1", token: "t", request }, requests };
}

const lb = (id: string, name: string, sizeUnit: number) => ({
    id,
    name,
    size_unit: sizeUnit,
    droplet_ids: [501],
    region: { slug: "nyc3" },
});
const list = (...lbs: unknown[]) => ({ status: 200, body: { load_balancers: lbs, links: {} } });
const matrix = (values: [number, number][]) => ({
    status: 200,
    body: {
        status: "success",
        data: {
            resultType: "matrix",
            result: [{ metric: { lb_id: LB_ID }, values: values.map(([t, v]) => [t, String(v)]) }],
        },
    },
});
const minutesBefore = (m: number) => Math.floor(AT / 1000) - m * 60;

describe("findLiveLoadBalancer", () => {
    it("finds the stack's LB by name when it was created by the program, by id when adopted", async () => {
        const byName = fakeApi({
            "/v2/load_balancers": list(lb("other", "another-lb", 1), lb(LB_ID, "proxy-lb", 4)),
        });
        expect(await findLiveLoadBalancer(byName.read, stack())).toEqual({
            id: LB_ID,
            name: "proxy-lb",
            sizeUnit: 4,
        });
        const byId = fakeApi({
            [`/v2/load_balancers/${LB_ID}`]: {
                status: 200,
                body: { load_balancer: lb(LB_ID, "console-made", 2) },
            },
        });
        expect(
            await findLiveLoadBalancer(
                byId.read,
                stack({ loadBalancer: { name: "x", id: LB_ID } }),
            ),
        ).toEqual({ id: LB_ID, name: "console-made", sizeUnit: 2 });
        expect(byId.requests).toEqual([`/v2/load_balancers/${LB_ID}`]);
    });

    it("says there is none (first deploy), and refuses an ambiguous name naming the key and the ids", async () => {
        expect(
            await findLiveLoadBalancer(fakeApi({ "/v2/load_balancers": list() }).read, stack()),
        ).toBeNull();
        expect(
            await findLiveLoadBalancer(
                fakeApi({}).read,
                stack({ loadBalancer: { name: "x", id: LB_ID } }),
            ),
        ).toBeNull();
        const twice = fakeApi({
            "/v2/load_balancers": list(lb("a", "proxy-lb", 1), lb("b", "proxy-lb", 2)),
        });
        await expect(findLiveLoadBalancer(twice.read, stack())).rejects.toThrow(
            'proxy-lb:loadBalancer.name "proxy-lb" names 2 load balancers (a, b): set proxy-lb:loadBalancer.id',
        );
    });
});

describe("readObservedMetrics", () => {
    it("reads connections and their limit over the window (and the staleness margin), ending at the moment", async () => {
        const api = fakeApi({
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": matrix([
                [minutesBefore(1), 500],
            ]),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_limit": matrix([
                [minutesBefore(1), 30_000],
            ]),
        });
        expect(await readObservedMetrics(api.read, LB_ID, AT, 30)).toEqual({
            ok: true,
            connections: [[minutesBefore(1), 500]],
            limit: [[minutesBefore(1), 30_000]],
        });
        const start = minutesBefore(31);
        expect(api.requests.sort()).toEqual([
            `/v2/monitoring/metrics/load_balancer/frontend_connections_current?lb_id=${LB_ID}&start=${start}&end=${AT / 1000}`,
            `/v2/monitoring/metrics/load_balancer/frontend_connections_limit?lb_id=${LB_ID}&start=${start}&end=${AT / 1000}`,
        ]);
    });

    it("never throws: a refusal becomes unreadable metrics naming what the API said", async () => {
        const api = fakeApi({
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": {
                status: 403,
                body: {
                    id: "forbidden",
                    message: "you do not have access for the attempted action",
                },
            },
        });
        const metrics = await readObservedMetrics(api.read, LB_ID, AT, 30);
        expect(metrics.ok).toBe(false);
        expect(!metrics.ok && metrics.error).toContain(
            "answered 403 (forbidden: you do not have access for the attempted action)",
        );
    });
});

describe("sizeNow", () => {
    it("with the autopilot off, is the calendar's size and calls no API", async () => {
        const api = fakeApi({});
        const now = await sizeNow(stack(), api.read, AT);
        expect(now.decision).toMatchObject({ sizeUnit: 3, bound: "calendar" });
        expect(now.live).toBeNull();
        expect(api.requests).toEqual([]);
    });

    it("with the autopilot on, grows for the observed peak and names it; holds the live size when the metrics fail", async () => {
        const on = stack({ autopilot: { enabled: true } });
        const surge = fakeApi({
            "/v2/load_balancers": list(lb(LB_ID, "proxy-lb", 3)),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": matrix([
                [minutesBefore(10), 24_001],
                [minutesBefore(1), 20_000],
            ]),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_limit": matrix([
                [minutesBefore(10), 30_000],
            ]),
        });
        // The peak 10 minutes ago, inside the 30-minute window: 24,001 × 1.25 = 30,001.25 connections, one over 3 nodes.
        const grown = await sizeNow(on, surge.read, AT);
        expect(grown.decision).toMatchObject({
            sizeUnit: 4,
            bound: "observedPeak",
            calendarSizeUnit: 3,
            change: "up",
        });
        expect(grown.decision.why).toContain("24,001");
        expect(grown.live).toEqual({ id: LB_ID, name: "proxy-lb", sizeUnit: 3 });

        const outage = fakeApi({
            "/v2/load_balancers": list(lb(LB_ID, "proxy-lb", 7)),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": {
                status: 500,
                body: { id: "server_error", message: "boom" },
            },
        });
        const held = await sizeNow(on, outage.read, AT);
        expect(held.decision).toMatchObject({ sizeUnit: 7, bound: "holding", change: "none" });
        expect(held.decision.why).toContain("never scales down on missing data");
    });
});

describe("rollbackSizeNow: the size a rollback's preview must show", () => {
    it("is the restored calendar's without the autopilot, and the one decision's with it, saying why", async () => {
        expect(await rollbackSizeNow(stack(), 3, () => fakeApi({}).read, AT)).toEqual({
            sizeUnit: 3,
        });
        const surge = fakeApi({
            "/v2/load_balancers": list(lb(LB_ID, "proxy-lb", 10)),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": matrix([
                [minutesBefore(2), 60_000],
            ]),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_limit": matrix([
                [minutesBefore(2), 100_000],
            ]),
        });
        // 60,000 × 1.25 = 75,000: 8 nodes while the crowd is there, not the restored calendar's 3.
        const now = await rollbackSizeNow(
            stack({ autopilot: { enabled: true } }),
            3,
            () => surge.read,
            AT,
        );
        expect(now.sizeUnit).toBe(8);
        expect(now.note).toMatch(
            /^autopilot: the restored config sizes for 8 nodes now, not 3: observed peak 60,000 connections/,
        );
    });
});

describe("the gate's live load (ops/gatedPreview.ts readLiveLoad): read once per moment", () => {
    const surgeApi = () =>
        fakeApi({
            "/v2/load_balancers": list(lb(LB_ID, "proxy-lb", 10)),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_current": matrix([
                [minutesBefore(2), 60_000],
            ]),
            "/v2/monitoring/metrics/load_balancer/frontend_connections_limit": matrix([
                [minutesBefore(2), 100_000],
            ]),
        });
    const down = { from: 10, to: 3 };

    it("reads the load balancer and its metrics for a scale-down only", async () => {
        const api = surgeApi();
        expect(
            await readLiveLoad(
                { from: 3, to: 10 },
                { settings: stack(), at: AT, read: () => api.read },
            ),
        ).toBeNull();
        expect(api.requests).toEqual([]);
        const load = await readLiveLoad(down, { settings: stack(), at: AT, read: () => api.read });
        expect(load).toMatchObject({
            live: { sizeUnit: 10 },
            metrics: { ok: true, connections: [[minutesBefore(2), 60_000]] },
        });
        expect(api.requests).toHaveLength(3);
    });

    it("judges what the decision already read (the controller's tick, rollback), with no second read", async () => {
        const api = surgeApi();
        const on = stack({ autopilot: { enabled: true } });
        const decided = await rollbackSizeNow(on, 3, () => api.read, AT);
        expect(api.requests).toHaveLength(3);
        const again = fakeApi({});
        const load = await readLiveLoad(down, {
            settings: on,
            at: AT,
            read: () => again.read,
            seen: decided.seen,
        });
        expect(load).toMatchObject({
            live: { sizeUnit: 10 },
            metrics: { ok: true, connections: [[minutesBefore(2), 60_000]] },
        });
        expect(again.requests).toEqual([]);
    });
});
