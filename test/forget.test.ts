// The forget decision over preview JSON: only masking servers that Pulumi would forget
// (delete + retainOnDelete) are picked; anything that would really write stops it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forgetPlan } from "../ops/forget";
import type { PreviewDigest, PreviewStep } from "../ops/pulumiJson";

const urn = (type: string, name: string) => `urn:pulumi:drop::proxy-lb::${type}::${name}`;
const DROPLET = "digitalocean:index/droplet:Droplet";
const step = (
    op: PreviewStep["op"],
    name: string,
    retainOnDelete = true,
    type = DROPLET,
): PreviewStep => ({
    op,
    urn: urn(type, name),
    oldState: {
        urn: urn(type, name),
        custom: true,
        type,
        id: name.replace("masking-server-", ""),
        protect: true,
        retainOnDelete,
        outputs: { name: `mask-${name.slice(-1)}` },
    },
    detailedDiff: null,
});
const preview = (...steps: PreviewStep[]): PreviewDigest => ({ steps });

describe("forgetPlan", () => {
    it.each([
        ["nothing left the config", preview(step("same", "masking-server-1")), [], []],
        [
            "one id removed",
            preview(step("same", "masking-server-1"), step("delete", "masking-server-2")),
            ["2"],
            [],
        ],
        [
            "two servers untagged",
            preview(step("delete", "masking-server-1"), step("delete", "masking-server-3")),
            ["1", "3"],
            [],
        ],
        [
            "a droplet not retained on delete",
            preview(step("delete", "masking-server-1", false)),
            [],
            [
                "droplet 1 would be deleted for real (it is not retained on delete): not forgetting it",
            ],
        ],
        [
            "a droplet update",
            preview(step("update", "masking-server-1"), step("delete", "masking-server-2")),
            ["2"],
            [
                "droplet 1 would be changed (update): run `npm run gate` to see why; not forgetting anything",
            ],
        ],
        [
            "the load balancer's own steps are not its business",
            preview(
                step("update", "proxy-lb", false, "digitalocean:index/loadBalancer:LoadBalancer"),
            ),
            [],
            [],
        ],
    ])("%s", (_name, digest, departed, refused) => {
        const plan = forgetPlan(digest);
        expect(plan.departed.map((d) => d.id)).toEqual(departed);
        expect(plan.refused).toEqual(refused);
    });

    it("names each departed server as state knows it", () => {
        expect(forgetPlan(preview(step("delete", "masking-server-7"))).departed).toEqual([
            { urn: urn(DROPLET, "masking-server-7"), id: "7", name: "mask-7" },
        ]);
    });

    it("property: picks exactly the retained droplet deletes, and refuses whenever a droplet would really be written", () => {
        const anyStep = fc.record({
            op: fc.constantFrom(
                "same",
                "update",
                "delete",
                "replace",
                "create",
                "read",
                "refresh",
                "import",
            ) as fc.Arbitrary<PreviewStep["op"]>,
            id: fc.integer({ min: 1, max: 50 }),
            retain: fc.boolean(),
            lb: fc.boolean(),
        });
        fc.assert(
            fc.property(fc.array(anyStep, { maxLength: 12 }), (specs) => {
                const steps = specs.map((s) =>
                    step(
                        s.op,
                        s.lb ? "proxy-lb" : `masking-server-${s.id}`,
                        s.retain,
                        s.lb ? "digitalocean:index/loadBalancer:LoadBalancer" : DROPLET,
                    ),
                );
                const plan = forgetPlan(preview(...steps));
                const droplets = specs.filter((s) => !s.lb);
                expect(plan.departed.map((d) => d.id)).toEqual(
                    droplets.filter((s) => s.op === "delete" && s.retain).map((s) => String(s.id)),
                );
                const writes = droplets.filter(
                    (s) =>
                        (s.op === "delete" && !s.retain) ||
                        ["update", "replace", "create"].includes(s.op),
                );
                expect(plan.refused).toHaveLength(writes.length);
            }),
        );
    });
});
