// The node change (sizing/nodeChange.ts) plan, gate, rollback and the sandbox print: table
// tests over the runbook's sizes, and properties of the differences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CAPACITY_DEFAULTS, size, type Sizing } from "../sizing";
import { adoption, nodeChange } from "../sizing/nodeChange";

/** The sizing of exactly `n` nodes at the default $12 per node per month. */
const nodes = (n: number, pricePerNodeMonthly = 12): Sizing =>
    size({
        region: "nyc3",
        demand: { users: 0, tasksPerUser: 0, connectionsPerTask: 1 },
        capacity: { ...CAPACITY_DEFAULTS, minNodes: n, pricePerNodeMonthly },
    });

describe("nodeChange", () => {
    // [case, before, after, hours, nodes, hourly, monthly, window cost]
    const cases: [
        string,
        number | null,
        number,
        number | undefined,
        number,
        number,
        number,
        number | undefined,
    ][] = [
        ["baseline to the runbook's drop", 3, 10, undefined, 7, 0.125, 84, undefined],
        ["back down", 10, 3, undefined, -7, -0.125, -84, undefined],
        ["a new load balancer", null, 3, undefined, 3, 0.053571, 36, undefined],
        ["no change", 3, 3, undefined, 0, 0, 0, undefined],
        ["with a 6-hour window", 3, 10, 6, 7, 0.125, 84, 0.75],
        ["a one-node step, one hour", 1, 2, 1, 1, 0.017857, 12, 0.02],
    ];
    it.each(cases)("%s", (_what, before, after, hours, n, hourly, monthly, windowCost) => {
        const change = nodeChange(before === null ? null : nodes(before), nodes(after), hours);
        expect(change).toMatchObject({ nodes: n, hourly, monthly });
        expect(change.window).toEqual(
            windowCost === undefined ? undefined : { hours, cost: windowCost },
        );
        expect(change.adopted).toBeUndefined();
    });

    it("property: the differences are after − before, rounded (hourly to 6 decimals, monthly and the window to cents), and reversing a change negates them", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 200 }),
                fc.integer({ min: 1, max: 200 }),
                fc.integer({ min: 1, max: 100 }),
                fc.integer({ min: 1, max: 48 }),
                (a, b, price, hours) => {
                    const [before, after] = [nodes(a, price), nodes(b, price)];
                    const change = nodeChange(before, after, hours);
                    expect(change.nodes).toBe(b - a);
                    // Rounded to `digits` decimals: at most half a unit of the last one away.
                    const rounded = (value: number, exact: number, digits: number) =>
                        expect(Math.abs(value - exact)).toBeLessThanOrEqual(
                            0.5 * 10 ** -digits + 1e-9,
                        );
                    rounded(change.hourly, after.cost.hourly - before.cost.hourly, 6);
                    rounded(change.monthly, after.cost.monthly - before.cost.monthly, 2);
                    rounded(change.window!.cost, change.hourly * hours, 2);
                    const back = nodeChange(after, before);
                    expect(back.nodes + change.nodes).toBe(0);
                    expect(back.hourly).toBeCloseTo(-change.hourly, 6);
                    expect(back.monthly).toBeCloseTo(-change.monthly, 2);
                    expect(Object.is(nodeChange(before, before).hourly, 0)).toBe(true); // never −0
                },
            ),
        );
    });
});

describe("adoption", () => {
    it("an LB adopted as it is changes nothing, and says it is an adoption", () => {
        const three = nodes(3);
        expect(adoption(three)).toEqual({
            before: three,
            after: three,
            nodes: 0,
            hourly: 0,
            monthly: 0,
            adopted: true,
        });
    });
});
