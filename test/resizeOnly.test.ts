// The resize-only mode's switch and target (infra/resizeOnly.ts); that the engine carries the
// masking servers over under the target is proven in test/e2e/lifecycle.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LOAD_BALANCER_NAME, LOAD_BALANCER_TYPE } from "../infra/names";
import {
    loadBalancerUrn,
    RESIZE_ONLY_VARIABLE,
    resizeOnlyFromEnvironment,
    resizeOnlyUp,
} from "../infra/resizeOnly";

describe("the resize-only switch", () => {
    it.each([
        [undefined, false],
        ["", false],
        ["false", false],
        ["true", true],
    ])("%j means %s", (value, expected) =>
        expect(resizeOnlyFromEnvironment({ [RESIZE_ONLY_VARIABLE]: value })).toBe(expected),
    );

    it("is off when the variable is absent, whatever else the environment holds", () => {
        expect(resizeOnlyFromEnvironment({ PROXY_LB_NOW: "2027-01-01T00:00:00Z" })).toBe(false);
    });

    it("refuses any other value, naming the variable and the value, rather than guessing", () => {
        fc.assert(
            fc.property(
                fc.string().filter((v) => !["", "true", "false"].includes(v)),
                (value) => {
                    expect(() =>
                        resizeOnlyFromEnvironment({ [RESIZE_ONLY_VARIABLE]: value }),
                    ).toThrow(
                        `${RESIZE_ONLY_VARIABLE} must be "true" or "false" (got ${JSON.stringify(value)})`,
                    );
                },
            ),
        );
    });
});

describe("the resize-only up", () => {
    it("targets the program's load balancer by its URN", () => {
        expect(loadBalancerUrn("drop")).toBe(
            `urn:pulumi:drop::proxy-lb::${LOAD_BALANCER_TYPE}::${LOAD_BALANCER_NAME}`,
        );
        expect(loadBalancerUrn("drop")).toBe(
            "urn:pulumi:drop::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb",
        );
    });

    it("sets the switch and the target together, never one without the other", () => {
        expect(resizeOnlyUp("drop")).toEqual({
            env: { PROXY_LB_RESIZE_ONLY: "true" },
            target: [loadBalancerUrn("drop")],
            args: ["--target", loadBalancerUrn("drop")],
        });
    });
});
