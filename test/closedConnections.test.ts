// What a scale-down closes (sizing/closedConnections.ts) and DigitalOcean's pace refusals read
// from the engine's output (ops/resizeErrors.ts): tables and fast-check properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    closedConnections,
    currentConnections,
    scaleDownCost,
    scaleDownPace,
} from "../sizing/closedConnections";
import { scaleDownClosing } from "../ops/gate";
import { isBusyError, resizeRefusalHint, tooOftenRefusal } from "../ops/resizeErrors";
import { observedLoad } from "../sizing/observedLoad";

const AT = Date.parse("2027-11-24T11:20:00Z");
const MIN = 60_000;

describe("closedConnections: the removed nodes' share of the live crowd", () => {
    it.each([
        // [current, from, to, closed]
        [3_000, 4, 1, 2_250], // 3 of 4 nodes: three quarters
        [3_000, 3, 1, 2_000],
        [100, 2, 1, 50],
        [101, 2, 1, 51], // rounded up: never says fewer than it closes
        [1, 200, 199, 1],
        [0, 10, 1, 0], // nobody there: nothing closed
        [5_000, 4, 4, 0], // not a scale-down
        [5_000, 2, 6, 0], // a scale-up
    ])("%i connections, %i → %i nodes: %i closed", (current, from, to, closed) => {
        expect(closedConnections(current, from, to)).toBe(closed);
    });

    it("is the exact ceiling of current × removed / live, never more than the crowd, and grows with the nodes removed", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 2_000_000 }),
                fc.integer({ min: 1, max: 200 }),
                fc.integer({ min: 1, max: 200 }),
                (current, from, to) => {
                    const closed = closedConnections(current, from, to);
                    if (to >= from) return closed === 0;
                    const share = current * (from - to);
                    return (
                        closed * from >= share &&
                        (closed - 1) * from < share &&
                        closed <= current &&
                        (to === 1 || closedConnections(current, from, to - 1) >= closed)
                    );
                },
            ),
        );
    });

    it("says it in words, naming the removed nodes' share and the drain", () => {
        expect(scaleDownCost(3_000, 4, 1)?.text).toBe(
            "closes 2,250 of the 3,000 live connections (the 3 removed nodes' share, after DigitalOcean's one-minute drain)",
        );
        expect(scaleDownCost(3_000, 2, 1)?.text).toContain("(the removed node's share");
        expect(scaleDownCost(3_000, 2, 2)).toBeNull();
    });
});

describe("currentConnections: the latest sample at or before the moment", () => {
    it("takes the latest one not after the moment, skipping bad samples; null without metrics", () => {
        const metrics = {
            ok: true as const,
            connections: [
                [(AT - 2 * MIN) / 1000, 900],
                [(AT - MIN) / 1000, 700],
                [(AT - MIN / 2) / 1000, Number.NaN],
                [(AT + MIN) / 1000, 5], // after the moment
            ] as [number, number][],
        };
        const at = (m: Parameters<typeof observedLoad>[2]) =>
            currentConnections(observedLoad(AT, null, m));
        expect(at(metrics)).toEqual({ connections: 700, at: AT - MIN });
        expect(at({ ok: false, error: "503" })).toBeNull();
        expect(at(null)).toBeNull();
        expect(at({ ok: true, connections: [] })).toBeNull();
    });
});

describe("scaleDownPace: go, wait for the crowd, or go anyway after the bound", () => {
    const base = {
        from: 4,
        to: 1,
        maxClosedConnections: 100,
        maxScaleDownWaitMinutes: 60,
        at: AT,
    };
    it.each([
        { case: "a thin crowd: go", current: 120, heldSince: null, kind: "go" }, // 90 closed
        { case: "exactly the limit: go", current: 133, heldSince: null, kind: "go" }, // 100 closed
        { case: "one over: hold from now", current: 134, heldSince: null, kind: "hold" }, // 101
        { case: "held 59 min: still hold", current: 3_000, heldSince: AT - 59 * MIN, kind: "hold" },
        {
            case: "held 60 min: go anyway",
            current: 3_000,
            heldSince: AT - 60 * MIN,
            kind: "forced",
        },
        { case: "held, then thinned: go", current: 100, heldSince: AT - 10 * MIN, kind: "go" },
    ])("$case", ({ current, heldSince, kind }) => {
        expect(scaleDownPace({ ...base, current, heldSince })?.kind).toBe(kind);
    });

    it("says what it waits for and until when, and what it closed when it goes anyway", () => {
        expect(scaleDownPace({ ...base, current: 3_000, heldSince: AT - 10 * MIN })?.text).toBe(
            "closes 2,250 of the 3,000 live connections (the 3 removed nodes' share, after DigitalOcean's one-minute drain): above proxy-lb:autopilot.maxClosedConnections (100); waiting for the crowd to thin (held since 2027-11-24T11:10Z), at the latest until 2027-11-24T12:10Z (proxy-lb:autopilot.maxScaleDownWaitMinutes)",
        );
        expect(scaleDownPace({ ...base, current: 3_000, heldSince: AT - 60 * MIN })?.text).toBe(
            "closes 2,250 of the 3,000 live connections (the 3 removed nodes' share, after DigitalOcean's one-minute drain): above proxy-lb:autopilot.maxClosedConnections (100), but the crowd has not thinned in 60 min (held since 2027-11-24T10:20Z; proxy-lb:autopilot.maxScaleDownWaitMinutes), so it scales down anyway",
        );
        expect(scaleDownPace({ ...base, to: 4, current: 3_000, heldSince: null })).toBeNull();
    });

    it("never waits forever: a hold ends at the bound, and goes only when within the limit or past the bound", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 500_000 }),
                fc.integer({ min: 2, max: 200 }),
                fc.integer({ min: 0, max: 5_000 }),
                fc.integer({ min: 0, max: 1_440 }),
                fc.option(fc.integer({ min: 0, max: 3 * 1_440 })),
                (current, from, max, wait, heldMinutesAgo) => {
                    const to = Math.max(1, from - 1 - (current % from));
                    const heldSince = heldMinutesAgo === null ? null : AT - heldMinutesAgo * MIN;
                    const pace = scaleDownPace({
                        from,
                        to,
                        current,
                        maxClosedConnections: max,
                        maxScaleDownWaitMinutes: wait,
                        heldSince,
                        at: AT,
                    })!;
                    const closed = closedConnections(current, from, to);
                    const waited = AT - (heldSince ?? AT);
                    if (closed <= max) return pace.kind === "go";
                    if (waited >= wait * MIN) return pace.kind === "forced";
                    return (
                        pace.kind === "hold" &&
                        pace.until === (heldSince ?? AT) + wait * MIN &&
                        pace.until > AT
                    );
                },
            ),
        );
    });
});

describe("DigitalOcean's pace refusals in the engine's output", () => {
    const tooOften =
        'error: updating urn:pulumi:drop::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb: 1 error occurred:\n\t* Error updating Load Balancer: PUT http://127.0.0.1:4000/v2/load_balancers/4de7ac8b: 422 (request "c0ffee") load balancer can not be resized this often, next available resize at: 2027-11-24 11:21:00 +0000 UTC';
    it.each([
        [tooOften, Date.parse("2027-11-24T11:21:00Z")],
        [
            "Load balancer can not be resized this often, next available resize at: 2027-11-24T11:21:30Z",
            Date.parse("2027-11-24T11:21:30Z"),
        ],
        [
            "load balancer can not be resized this often, next available resize at: 2027-11-24 13:21:00 +0200 EET",
            Date.parse("2027-11-24T11:21:00Z"),
        ],
        ["load balancer can not be resized this often", null],
    ])("%s → next at %s", (text, nextAt) => {
        expect(tooOftenRefusal(text)).toEqual({ nextAt });
    });

    it("other errors are not that refusal; busy is its own", () => {
        expect(
            tooOftenRefusal(
                "403 Load Balancer can't be updated while it processes previous actions",
            ),
        ).toBeNull();
        expect(
            isBusyError("403 Load Balancer can't be updated while it processes previous actions"),
        ).toBe(true);
        expect(isBusyError(tooOften)).toBe(false);
    });

    it("the hint line a deploy, scheduled run or rollback adds: when to run again, once", () => {
        expect(resizeRefusalHint(tooOften)).toBe(
            "DigitalOcean refused the resize: the load balancer was resized too recently. Nothing changed; run again after 2027-11-24T11:21:00Z, the next available resize DigitalOcean names.",
        );
        expect(
            resizeRefusalHint(
                "403 Load Balancer can't be updated while it processes previous actions",
            ),
        ).toMatch(/^DigitalOcean refused the update: the load balancer is still processing/);
        expect(resizeRefusalHint("error: 500 internal error")).toBeNull();
    });
});

describe("the gate shows the controller's figure (ops/gate.ts scaleDownClosing)", () => {
    const load = (connections: number, liveSizeUnit?: number) =>
        observedLoad(
            AT,
            liveSizeUnit === undefined
                ? null
                : { id: "lb", name: "proxy-lb", sizeUnit: liveSizeUnit },
            {
                ok: true,
                connections: [
                    [(AT - 2 * MIN) / 1000, 9_000],
                    [(AT - MIN) / 1000, connections],
                ],
            },
        );
    it("closes the removed nodes' share of the latest sample, from the live size when it is larger than the state's", () => {
        expect(scaleDownClosing({ from: 4, to: 1 }, load(3_000))?.closed).toBe(2_250);
        expect(scaleDownClosing({ from: 4, to: 1 }, load(3_000, 6))?.closed).toBe(2_500);
        expect(scaleDownClosing({ from: 1, to: 4 }, load(3_000))).toBeUndefined();
        expect(scaleDownClosing({ from: 4, to: 1 }, null)).toBeUndefined();
        expect(
            scaleDownClosing(
                { from: 4, to: 1 },
                observedLoad(AT, null, { ok: false, error: "503" }),
            ),
        ).toBeUndefined();
    });
    it("is the same figure as the controller's pace for the same crowd", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 1_000_000 }),
                fc.integer({ min: 2, max: 200 }),
                fc.integer({ min: 1, max: 199 }),
                (current, from, cut) => {
                    const to = Math.max(1, from - cut);
                    if (to >= from) return true;
                    const gate = scaleDownClosing({ from, to }, load(current))!;
                    const pace = scaleDownPace({
                        from,
                        to,
                        current,
                        maxClosedConnections: 0,
                        maxScaleDownWaitMinutes: 60,
                        heldSince: null,
                        at: AT,
                    })!;
                    return gate.closed === pace.cost.closed && gate.text === pace.cost.text;
                },
            ),
        );
    });
});
