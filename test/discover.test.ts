// `npm run discover`'s decisions (ops/discover.ts): which load balancers can be adopted and why
// not, the baseline demand that sizes to the live node count exactly, the stack file it writes
// (read back by the same config check and sizing as the program), and the verdict on its preview.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { capacitySchema, loadSettings } from "../config";
import { parseStackFile } from "../config/stackFile";
import {
    adoption,
    baselineDemand,
    keptFrom,
    listingRow,
    type LiveLoadBalancer,
    parseListPage,
    pickLoadBalancer,
    refusal,
    stackFileText,
    unexpectedSteps,
} from "../ops/discover";
import { CAPACITY_DEFAULTS, size, type Capacity } from "../sizing";
import { parsePreviewDigest, type PreviewStep } from "../ops/pulumiJson";
import { nonDefaultLbBody } from "../emulator/testkit";
import {
    baseSteps,
    diagnostic,
    digest,
    dropletInputs,
    DROPLET_IDS,
    lbGoal,
    LB_ID,
    resourceState,
    step,
    TYPES,
    updateStep,
    lbState,
} from "./support/pulumiFixtures";

/** A load balancer as GET /v2/load_balancers lists it (the emulator's shape, checked against DigitalOcean's OpenAPI there). */
const live = (patch: Record<string, unknown> = {}): LiveLoadBalancer =>
    parseListPage({
        load_balancers: [
            {
                id: LB_ID,
                ip: "203.0.113.10",
                status: "active",
                droplet_ids: [],
                ...nonDefaultLbBody(),
                region: { slug: "nyc3", name: "New York 3" },
                ...patch,
            },
        ],
    }).loadBalancers[0];

const defaults: Capacity = { ...CAPACITY_DEFAULTS };

describe("which load balancers can be adopted", () => {
    it.each([
        ["a regional LB with size_unit and a tag", {}, undefined],
        ["a regional LB targeting droplet ids", { tag: "", droplet_ids: [3, 1, 2] }, undefined],
        ["REGIONAL_NETWORK", { type: "REGIONAL_NETWORK" }, undefined],
        [
            "GLOBAL",
            { type: "GLOBAL", region: undefined },
            "a GLOBAL load balancer cannot be scaled",
        ],
        [
            "a legacy region on size",
            { region: { slug: "nyc2" }, size_unit: undefined, size: "lb-medium" },
            "the legacy region nyc2, which sizes load balancers with `size` (lb-medium), not size_unit",
        ],
        [
            "a legacy region still showing size_unit",
            { region: { slug: "sfo1" }, size_unit: 1 },
            "the legacy region sfo1",
        ],
        ["no targets", { tag: "", droplet_ids: [] }, "targets no droplets"],
    ])("%s", (_what, patch, reason) => {
        const lb = live(patch);
        if (reason === undefined) expect(refusal(lb)).toBeUndefined();
        else expect(refusal(lb)).toContain(reason);
        const plan = adoption(lb);
        expect(plan.ok).toBe(reason === undefined);
        if (!plan.ok)
            expect(plan.reason).toContain(
                `load balancer console-made-lb (${LB_ID}) cannot be adopted: `,
            );
    });

    it("lists each with its nodes, targets and why it cannot be adopted", () => {
        expect(listingRow(live({ tag: "", droplet_ids: [12, 11] }))).toEqual({
            name: "console-made-lb",
            id: LB_ID,
            region: "nyc3",
            nodes: "4",
            targets: "ids 11,12",
            ip: "203.0.113.10",
            type: "REGIONAL",
        });
        expect(
            listingRow(live({ region: { slug: "ams2" }, size_unit: undefined, size: "lb-large" })),
        ).toMatchObject({ nodes: "6 (size lb-large)", refused: expect.stringContaining("ams2") });
        expect(listingRow(live({ type: "GLOBAL", region: undefined }))).toMatchObject({
            region: "-",
            refused: expect.stringContaining("GLOBAL"),
        });
    });

    it("picks by id, or by a unique name; says which names exist, and asks for an id when a name repeats", () => {
        const a = live();
        const b = live({ id: "0f6e1c2a-8b3d-4e5f-9a70-1b2c3d4e5f60", name: "other" });
        const c = live({ id: "11111111-2222-4333-8444-555555555555", name: "other" });
        expect(pickLoadBalancer([a, b], LB_ID)).toEqual({ ok: true, lb: a });
        expect(pickLoadBalancer([a, b], "other")).toEqual({ ok: true, lb: b });
        expect(pickLoadBalancer([a, b, c], "other")).toEqual({
            ok: false,
            reason: `2 load balancers are named other: give one's id with --lb (${b.id}, ${c.id})`,
        });
        expect(pickLoadBalancer([a, b], "nope")).toEqual({
            ok: false,
            reason: "no load balancer has the name or id nope; the account has console-made-lb, other",
        });
        expect(pickLoadBalancer([], "nope")).toMatchObject({
            ok: false,
            reason: expect.stringContaining("the account has no load balancer"),
        });
    });

    it("reads every page's next link and refuses an answer that is not a list, naming the field", () => {
        expect(
            parseListPage({
                load_balancers: [],
                links: { pages: { next: "http://x/v2/load_balancers?page=2" } },
            }).next,
        ).toBe("http://x/v2/load_balancers?page=2");
        expect(parseListPage({ load_balancers: [], links: {} }).next).toBeUndefined();
        expect(() => parseListPage({ load_balancers: [{ name: "x" }] })).toThrow(
            /load_balancers\.0\.id/,
        );
    });
});

describe("the baseline demand sizes to exactly the live node count", () => {
    it.each([
        [1, { users: 4, tasksPerUser: 2000 }],
        [3, { users: 12, tasksPerUser: 2000 }],
        [4, { users: 16, tasksPerUser: 2000 }],
        [200, { users: 800, tasksPerUser: 2000 }],
    ])("%i nodes with the default capacity: %o", (nodes, demand) => {
        expect(baselineDemand(nodes, "nyc3", defaults)).toEqual(demand);
    });

    it.each([
        ["minNodes above the live size", { minNodes: 5 }, 4],
        ["maxNodes below it", { maxNodes: 3 }, 4],
        // ceil(2 × connections) is always even: 3 nodes are out of reach.
        [
            "one connection per node at 100% headroom, odd sizes",
            { connectionsPerNode: 1, newConnectionsPerSecondPerNode: 1, headroom: 1 },
            3,
        ],
    ])("none when %s", (_what, patch, nodes) => {
        expect(baselineDemand(nodes, "nyc3", { ...defaults, ...patch })).toBeUndefined();
    });

    const capacityArb = fc
        .record({
            connectionsPerNode: fc.integer({ min: 1, max: 50_000 }),
            newConnectionsPerSecondPerNode: fc.integer({ min: 1, max: 50_000 }),
            headroom: fc.constantFrom(0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.07, 1, 2.5),
            minNodes: fc.integer({ min: 1, max: 5 }),
            maxNodes: fc.integer({ min: 5, max: 200 }),
            pricePerNodeMonthly: fc.constant(12),
        })
        .map((c) => capacitySchema.parse(c));

    it("whatever the capacity settings: a demand found sizes to exactly the live count, and none found means no whole number of connections does", () => {
        fc.assert(
            fc.property(capacityArb, fc.integer({ min: 1, max: 200 }), (capacity, nodes) => {
                const found = baselineDemand(nodes, "nyc3", capacity);
                const sized = (connections: number) => {
                    try {
                        return size({
                            region: "nyc3",
                            demand: { users: 1, tasksPerUser: connections, connectionsPerTask: 1 },
                            capacity,
                        }).sizeUnit;
                    } catch {
                        return undefined;
                    }
                };
                if (found) {
                    expect(
                        size({
                            region: "nyc3",
                            demand: { ...found, connectionsPerTask: 1 },
                            capacity,
                        }).sizeUnit,
                    ).toBe(nodes);
                } else {
                    // None found: no whole number of connections sizes to `nodes`. Beyond `limit`
                    // the tighter per-node capacity alone needs more than `nodes`, so the counts
                    // up to it are all there is to try; when a node holds at least 1 + headroom
                    // connections every size in range is reachable, so only one out of range is.
                    const perNode = Math.min(
                        capacity.connectionsPerNode,
                        capacity.newConnectionsPerSecondPerNode,
                    );
                    if (perNode >= 1 + capacity.headroom)
                        expect(nodes < capacity.minNodes || nodes > capacity.maxNodes).toBe(true);
                    else
                        for (
                            let c = 0,
                                limit =
                                    Math.ceil(((nodes + 1) * perNode) / (1 + capacity.headroom)) +
                                    1;
                            c <= limit;
                            c++
                        )
                            expect(sized(c)).not.toBe(nodes);
                }
            }),
            { numRuns: 300 },
        );
    });

    it("the stack file it writes sizes to the live count when read back as the program reads it, for any adoptable LB", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 200 }),
                fc.oneof(
                    fc.constant({ tag: "masking", droplet_ids: [] }),
                    fc
                        .uniqueArray(fc.integer({ min: 1, max: 999_999_999 }), {
                            minLength: 1,
                            maxLength: 10,
                        })
                        .map((ids) => ({ tag: "", droplet_ids: ids })),
                ),
                (nodes, target) => {
                    const lb = live({ size_unit: nodes, ...target });
                    const plan = adoption(lb);
                    if (!plan.ok) throw new Error(plan.reason);
                    const text = stackFileText("adopted", lb, plan);
                    const settings = loadSettings(parseStackFile(text, "Pulumi.adopted.yaml"));
                    expect(settings.sizing.sizeUnit).toBe(nodes);
                    expect(settings.config.loadBalancer).toEqual({ name: lb.name, id: lb.id });
                    expect(settings.config.maskingServers).toEqual(
                        target.tag
                            ? { tag: "masking" }
                            : { ids: [...target.droplet_ids].sort((a, b) => a - b) },
                    );
                },
            ),
            { numRuns: 100 },
        );
    });
});

describe("the stack file", () => {
    it("is commented, has no forwarding or health check, and keeps an existing file's other keys and capacity", () => {
        const previous = [
            "encryptionsalt: v1:abc",
            "config:",
            "  digitalocean:token:",
            "    secure: v1:xyz",
            "  proxy-lb:region: sfo3",
            "  proxy-lb:capacity:",
            "    connectionsPerNode: 5000",
            "  proxy-lb:drops: []",
        ].join("\n");
        const kept = keptFrom(previous);
        expect(kept).toEqual({
            topLevel: { encryptionsalt: "v1:abc" },
            otherConfig: { "digitalocean:token": { secure: "v1:xyz" } },
            capacity: { connectionsPerNode: 5000 },
        });
        const lb = live();
        const plan = adoption(lb, kept.capacity);
        if (!plan.ok) throw new Error(plan.reason);
        expect(plan.demand).toEqual({ users: 8, tasksPerUser: 2000 }); // 5,000 per node: 16,000 connections + 25% = 20,000 → 4
        const text = stackFileText("adopted", lb, plan, kept);
        expect(text).toMatch(/^# Stack adopted, written by `npm run discover`/);
        expect(text).not.toMatch(/forwarding:|healthCheck:/);
        expect(text).toContain("# Adopted by id: it keeps its IP (203.0.113.10)");
        expect(text.split("\n").every((line) => line.length <= 120)).toBe(true);
        const root = parse(text);
        expect(root.encryptionsalt).toBe("v1:abc");
        expect(root.config).toEqual({
            "proxy-lb:region": "nyc3",
            "proxy-lb:loadBalancer": { name: "console-made-lb", id: LB_ID },
            "proxy-lb:maskingServers": { tag: "masking" },
            "proxy-lb:demand": { users: 8, tasksPerUser: 2000 },
            "proxy-lb:capacity": { connectionsPerNode: 5000 },
            "digitalocean:token": { secure: "v1:xyz" },
        });
    });

    it("reads a file it cannot parse as nothing to keep", () => {
        expect(keptFrom("config: [unclosed")).toEqual({ topLevel: {}, otherConfig: {} });
        expect(keptFrom(undefined)).toEqual({ topLevel: {}, otherConfig: {} });
    });
});

describe("the preview of the written stack: only imports", () => {
    const importStep = (type: string, name: string, inputs: Record<string, unknown>): PreviewStep =>
        step("import", { new: resourceState(type, name, { inputs, protect: true }) });
    const imports = () => [
        ...DROPLET_IDS.map((id) =>
            importStep(TYPES.droplet, `masking-server-${id}`, dropletInputs(id)),
        ),
        importStep(TYPES.loadBalancer, "proxy-lb", lbGoal(4).inputs!),
    ];
    const firstPreview = (
        steps: PreviewStep[],
        diagnostics: ReturnType<typeof diagnostic>[] = [],
    ) => {
        const [stack, provider] = baseSteps();
        // A first run creates the stack and its default provider: no infrastructure.
        return parsePreviewDigest(
            JSON.parse(
                JSON.stringify(
                    digest(
                        [{ ...stack, op: "create" }, { ...provider, op: "create" }, ...steps],
                        diagnostics,
                    ),
                ),
            ),
        );
    };

    it("passes imports, with the load balancer at its live size", () => {
        expect(unexpectedSteps(firstPreview(imports()), { id: LB_ID, nodes: 4 })).toEqual([]);
    });

    it("names each step that is not an import, a wrong size, a missing load balancer and each error", () => {
        const lb = lbState(4);
        const steps = [
            ...imports().slice(0, 3),
            updateStep(lb, lbGoal(5), ["sizeUnit"]),
            step("create", { new: resourceState(TYPES.droplet, "masking-server-9") }),
        ];
        expect(unexpectedSteps(firstPreview(steps), { id: LB_ID, nodes: 4 })).toEqual([
            "the load balancer proxy-lb: update (sizeUnit)",
            "masking server masking-server-9: create",
            `the load balancer ${LB_ID} is not imported by the preview: the stack's state no longer matches it (it holds another load balancer, or this one changed); adopt it into a new stack (npm run discover -- --stack <new name> --lb ${LB_ID}), or see what the state holds with \`npm run drift\` on this stack`,
        ]);
        expect(unexpectedSteps(firstPreview(imports()), { id: LB_ID, nodes: 3 })).toEqual([
            "the load balancer would be sized 4, not its live 3",
        ]);
        expect(
            unexpectedSteps(
                firstPreview(imports(), [
                    diagnostic("error", "inputs to import do not match the existing resource"),
                ]),
                { id: LB_ID, nodes: 4 },
            ),
        ).toEqual(["error: inputs to import do not match the existing resource"]);
    });
});
