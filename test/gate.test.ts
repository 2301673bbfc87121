// The deploy gate on `pulumi preview --json` digests shaped as Pulumi 3.248.0 prints them
// (builders in ops/fixtures.ts cite the Go structs), and the gate CLI as a real process
// against a stand-in pulumi.
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import { liveSizeLine, nodeChangeLine } from "../cli/report";
import {
    ALLOW_SCALE_DOWN_UNDER_LOAD,
    gateVerdict,
    isScaleDown,
    lbNodeChange,
    loadCheck,
    loadReason,
    NO_WRITE_OPS,
    previewFailure,
} from "../ops/gate";
import { CAPACITY_DEFAULTS, nodesFor } from "../sizing";
import type { Sample } from "../sizing/observe";
import { observedLoad, type MetricsRead, type ObservedLoad } from "../sizing/observedLoad";
import { gatedVerdict, type PreviewRun } from "../ops/gatedPreview";
import { fakeToolchain, type FakeToolchain } from "./support/fakeToolchain";
import {
    baseSteps,
    diagnostic,
    DROPLET_IDS,
    dropletState,
    digest,
    dropletSames,
    goneStep,
    lbGoal,
    lbOutputs,
    lbState,
    sameStep,
    step,
    TYPES,
    updateStep,
    urn,
} from "./support/pulumiFixtures";
import {
    changedProperties,
    parseEventLog,
    parsePreviewDigest,
    policyViolationsFromEventLog,
    type PreviewDigest,
    type PreviewStep,
    STEP_OPS,
    topLevelProperty,
} from "../ops/pulumiJson";
import { run as gateCommand } from "../cli/gate";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");
/** The window and capacity a scale-down's need is computed with: the defaults. */
const NEED = { scaleDownAfterMinutes: 30, capacity: { ...CAPACITY_DEFAULTS } };
const [D1, D2] = DROPLET_IDS;

/** A --show-sames preview of the stack with these extra steps (the LB step included by the caller). */
const previewOf = (
    steps: PreviewStep[],
    diagnostics = [] as ReturnType<typeof diagnostic>[],
): PreviewDigest =>
    // Through JSON, as the CLI reads it.
    parsePreviewDigest(
        JSON.parse(
            JSON.stringify(digest([...baseSteps(), ...dropletSames(), ...steps], diagnostics)),
        ),
    );

const resize = (from: number, to: number) => updateStep(lbState(from), lbGoal(to), ["sizeUnit"]);
const dropletsExcept = (id: number, replacement: PreviewStep): PreviewStep[] =>
    DROPLET_IDS.map((d) => (d === id ? replacement : sameStep(dropletState(d))));
const previewWithDroplet = (id: number, replacement: PreviewStep, lb: PreviewStep = resize(1, 3)) =>
    parsePreviewDigest(
        JSON.parse(
            JSON.stringify(digest([...baseSteps(), ...dropletsExcept(id, replacement), lb])),
        ),
    );

const PROTECTED_REPLACE = (u: string) =>
    `unable to replace resource "${u}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``;

describe("gateVerdict passes", () => {
    it("a pure sizeUnit update, reporting the size change from state outputs to new inputs", () => {
        const verdict = gateVerdict(previewOf([resize(1, 3)]), { allow: [] });
        expect(verdict).toEqual({
            ok: true,
            reasons: [],
            allowed: [],
            lbChange: { from: 1, to: 3 },
        });
    });

    it("a scale-down the same way", () => {
        expect(gateVerdict(previewOf([resize(5, 1)]), { allow: [] })).toMatchObject({
            ok: true,
            lbChange: { from: 5, to: 1 },
        });
    });

    it("nothing to do: the load balancer is the same and its size is reported unchanged", () => {
        expect(gateVerdict(previewOf([sameStep(lbState(3))]), { allow: [] })).toEqual({
            ok: true,
            reasons: [],
            allowed: [],
            lbChange: { from: 3, to: 3 },
        });
    });

    it("the first deployment: droplets imported, the load balancer imported, then resized", () => {
        const imports = DROPLET_IDS.map((id) => step("import", { new: dropletState(id) }));
        const lbImport = step("import", { new: lbGoal(1) });
        const preview = parsePreviewDigest(
            digest([...baseSteps(), ...imports, lbImport, resize(1, 2)]),
        );
        expect(gateVerdict(preview, { allow: [] })).toEqual({
            ok: true,
            reasons: [],
            allowed: [],
            lbChange: { from: 1, to: 2, adopted: true },
        });
    });

    it("a first adoption: the load balancer imported as it is, at the size it has", () => {
        const imports = DROPLET_IDS.map((id) => step("import", { new: dropletState(id) }));
        const adopt = (lb: ReturnType<typeof lbGoal>) =>
            parsePreviewDigest(digest([...baseSteps(), ...imports, step("import", { new: lb })]));
        expect(gateVerdict(adopt(lbGoal(3)), { allow: [] })).toEqual({
            ok: true,
            reasons: [],
            allowed: [],
            lbChange: { from: 3, to: 3, adopted: true },
        });
        // What the provider read, when the digest carries it, is the size it has.
        expect(
            gateVerdict(adopt({ ...lbGoal(3), outputs: lbOutputs(1) }), { allow: [] }).lbChange,
        ).toEqual({ from: 1, to: 3, adopted: true });
    });

    it("the first load balancer being created (none exists yet)", () => {
        const create = step("create", { new: lbGoal(2) });
        expect(gateVerdict(previewOf([create]), { allow: [] })).toEqual({
            ok: true,
            reasons: [],
            allowed: [],
            lbChange: { to: 2 },
        });
    });

    it("a refreshing preview (preview --refresh): refresh steps write nothing", () => {
        const refreshes = DROPLET_IDS.map((id) =>
            step("refresh", { old: dropletState(id), new: dropletState(id) }),
        );
        const preview = parsePreviewDigest(digest([...baseSteps(), ...refreshes, resize(1, 3)]));
        expect(gateVerdict(preview, { allow: [] }).ok).toBe(true);
    });

    it("a plugin upgrade: the new default provider created, the old one deleted (shown as allowed)", () => {
        const provider = (name: string) => ({
            urn: urn(TYPES.provider, name),
            custom: true,
            type: TYPES.provider,
            id: "p",
            inputs: { version: name.slice(8).replaceAll("_", ".") },
        });
        const preview = previewOf([
            resize(1, 3),
            step("create", { new: provider("default_4_68_0") }),
            step("delete", { old: provider("default_4_57_0") }),
        ]);
        expect(gateVerdict(preview, { allow: [] })).toEqual({
            ok: true,
            reasons: [],
            allowed: ["default_4_57_0: delete (a provider, no infrastructure)"],
            lbChange: { from: 1, to: 3 },
        });
    });

    it("warnings and informational output", () => {
        const preview = previewOf(
            [resize(1, 3)],
            [
                diagnostic("warning", "something to look at"),
                diagnostic("info", "console.log output"),
            ],
        );
        expect(gateVerdict(preview, { allow: [] }).ok).toBe(true);
    });
});

// [case, preview, allow, a fragment every reason set must contain]
const refused: [string, PreviewDigest, string[], RegExp][] = [
    [
        "LB replace, with the protect error the engine reports in preview",
        previewOf(
            [
                updateStep(
                    lbState(1),
                    lbGoal(1, { inputs: { region: "ams3" } }),
                    ["region"],
                    "update-replace",
                ),
            ],
            [
                diagnostic(
                    "error",
                    PROTECTED_REPLACE(urn(TYPES.loadBalancer, "proxy-lb")),
                    urn(TYPES.loadBalancer, "proxy-lb"),
                ),
            ],
        ),
        [],
        /^proxy-lb: replace \(region\): the load balancer must never be replaced or deleted/,
    ],
    [
        "LB replace without any diagnostic",
        previewOf([
            updateStep(
                lbState(1),
                lbGoal(1, { inputs: { name: "proxy-lb-new" } }),
                ["name"],
                "update-replace",
            ),
        ]),
        ["name"],
        /proxy-lb: replace \(name\): the load balancer must never be replaced/,
    ],
    [
        "LB delete",
        previewOf([goneStep(lbState(3))]),
        [],
        /^proxy-lb: delete: the load balancer must never be replaced or deleted/,
    ],
    [
        "LB create-replacement step (--show-replacement-steps)",
        previewOf([
            step(
                "create-replacement",
                { old: lbState(1), new: lbGoal(1) },
                { replaceReasons: ["region"] },
            ),
        ]),
        [],
        /proxy-lb: create-replacement \(region\)/,
    ],
    [
        "LB delete-replaced step",
        previewOf([step("delete-replaced", { old: lbState(1) })]),
        [],
        /proxy-lb: delete-replaced/,
    ],
    ["LB discard", previewOf([step("discard", { old: lbState(1) })]), [], /proxy-lb: discard/],
    [
        "LB update whose detailed diff forces a replacement",
        previewOf([
            step(
                "update",
                { old: lbState(1), new: lbGoal(2) },
                {
                    diffReasons: ["sizeUnit", "vpcUuid"],
                    detailedDiff: {
                        sizeUnit: { kind: "update", inputDiff: false },
                        vpcUuid: { kind: "add-replace", inputDiff: false },
                    },
                },
            ),
        ]),
        ["vpcUuid"],
        /vpcUuid would force a replacement/,
    ],
    [
        "droplet update",
        previewWithDroplet(D1, updateStep(dropletState(D1), dropletState(D1), ["size"])),
        [],
        /^masking-server-501000101: update \(size\): masking droplets must never be written to/,
    ],
    [
        "droplet delete",
        previewWithDroplet(D2, goneStep(dropletState(D2))),
        [],
        /^masking-server-501000102: delete: masking droplets must never be written to/,
    ],
    [
        "droplet replace",
        previewWithDroplet(
            D1,
            updateStep(dropletState(D1), dropletState(D1), ["image"], "update-replace"),
        ),
        [],
        /^masking-server-501000101: replace \(image\): masking droplets must never be written to/,
    ],
    [
        "droplet create (a new droplet)",
        previewOf([resize(1, 3), step("create", { new: dropletState(501000199) })]),
        [],
        /masking-server-501000199: create: masking droplets must never be written to/,
    ],
    [
        "droplet losing ignoreChanges",
        previewWithDroplet(
            D1,
            sameStep(dropletState(D1, { options: { ignoreChanges: undefined } })),
        ),
        [],
        /masking-server-501000101: same: the masking droplet would lose ignoreChanges: \["\*"\]/,
    ],
    [
        "droplet losing protect and retainOnDelete",
        previewWithDroplet(
            D1,
            sameStep(
                dropletState(D1, { options: { protect: undefined, retainOnDelete: undefined } }),
            ),
        ),
        [],
        /would lose protect: true, retainOnDelete: true/,
    ],
    [
        "a second LB created while one exists",
        previewOf([
            sameStep(lbState(3)),
            step("create", { new: lbGoal(3, { name: "proxy-lb-2" }) }),
        ]),
        [],
        /^proxy-lb-2: create: a second load balancer while proxy-lb exists/,
    ],
    [
        "two LBs created at once",
        previewOf([
            step("create", { new: lbGoal(3) }),
            step("create", { new: lbGoal(3, { name: "proxy-lb-2" }) }),
        ]),
        [],
        /a second load balancer/,
    ],
    [
        "an unallowed LB property change",
        previewOf([
            updateStep(lbState(1), lbGoal(3, { inputs: { forwardingRules: [] } }), [
                "sizeUnit",
                "forwardingRules[0].entryPort",
            ]),
        ]),
        [],
        /^proxy-lb: update \(forwardingRules, sizeUnit\): changes forwardingRules; only sizeUnit may change \(pass --allow forwardingRules if intended\)/,
    ],
    [
        "an LB property allowed, another not",
        previewOf([updateStep(lbState(1), lbGoal(1), ["healthcheck.port", "algorithm"])]),
        ["healthcheck"],
        /changes algorithm; only sizeUnit may change/,
    ],
    [
        "the LB losing protect",
        previewOf([updateStep(lbState(1), lbGoal(3, { protect: false }), ["sizeUnit"])]),
        [],
        /proxy-lb: update \(sizeUnit\): the load balancer would lose protect: true/,
    ],
    [
        "an update that does not say what changes",
        previewOf([step("update", { old: lbState(1), new: lbGoal(3) })]),
        [],
        /pulumi did not say which properties change, so the change cannot be checked \(usual after a failed or interrupted update: `pulumi refresh --target '[^']+'` reads it again/,
    ],
    [
        "an error diagnostic (the program refused its config)",
        previewOf(
            [],
            [
                diagnostic(
                    "error",
                    "Running program '/work/main' failed with an unhandled exception:\ninvalid proxy-lb configuration:\n  proxy-lb:demand.users is required",
                    urn(TYPES.stack, "proxy-lb-drop"),
                ),
            ],
        ),
        [],
        /^error on proxy-lb-drop: Running program '\/work\/main' failed with an unhandled exception: invalid proxy-lb configuration: proxy-lb:demand.users is required$/,
    ],
    [
        "an error diagnostic without a URN",
        previewOf(
            [resize(1, 3)],
            [diagnostic("error", "could not load plugin for digitalocean provider")],
        ),
        [],
        /^error: could not load plugin/,
    ],
    [
        "an unexpected resource type",
        previewOf([
            resize(1, 3),
            step("create", {
                new: {
                    urn: urn("digitalocean:index/firewall:Firewall", "fw"),
                    custom: true,
                    type: "digitalocean:index/firewall:Firewall",
                },
            }),
        ]),
        [],
        /fw: create: the program declares only proxy-lb and the masking droplets/,
    ],
    [
        "a provider upgrade not allowed",
        previewOf([
            resize(1, 3),
            step(
                "update",
                {
                    old: {
                        urn: urn(TYPES.provider, "default_4_57_0"),
                        custom: true,
                        type: TYPES.provider,
                    },
                    new: {
                        urn: urn(TYPES.provider, "default_4_57_0"),
                        custom: true,
                        type: TYPES.provider,
                    },
                },
                {
                    diffReasons: ["version"],
                    detailedDiff: { version: { kind: "update", inputDiff: false } },
                },
            ),
        ]),
        [],
        /default_4_57_0: update \(version\): changes version; no change is expected here/,
    ],
];

describe("gateVerdict refuses", () => {
    it.each(refused)("%s", (_, preview, allow, expected) => {
        const verdict = gateVerdict(preview, { allow });
        expect(verdict.ok).toBe(false);
        expect(
            verdict.reasons.some((r) => expected.test(r)),
            verdict.reasons.join("\n"),
        ).toBe(true);
        for (const reason of verdict.reasons) expect(reason).not.toContain("\n");
    });

    it("an unallowed property, but passes once it is allowed, saying so", () => {
        const preview = previewOf([
            updateStep(lbState(1), lbGoal(3), [
                "sizeUnit",
                "forwardingRules[0].entryPort",
                "forwardingRules[0].targetPort",
            ]),
        ]);
        expect(gateVerdict(preview, { allow: [] }).ok).toBe(false);
        expect(gateVerdict(preview, { allow: ["forwardingRules"] })).toEqual({
            ok: true,
            reasons: [],
            allowed: ["proxy-lb: update forwardingRules (--allow)"],
            lbChange: { from: 1, to: 3 },
        });
    });

    it("a droplet change even when its property is allowed", () => {
        const preview = previewWithDroplet(
            D1,
            updateStep(dropletState(D1), dropletState(D1), ["tags"]),
        );
        expect(gateVerdict(preview, { allow: ["tags"] }).ok).toBe(false);
    });

    it("a state pulumi reports as possibly corrupt", () => {
        const preview = { ...previewOf([resize(1, 3)]), maybeCorrupt: true };
        expect(gateVerdict(preview, { allow: [] }).reasons).toEqual([
            "pulumi reports that one or more resources in the state may be corrupt",
        ]);
    });

    it("a replaced LB gives no size change to print", () => {
        const preview = previewOf([
            updateStep(lbState(1), lbGoal(1), ["region"], "update-replace"),
        ]);
        expect(gateVerdict(preview, { allow: [] }).lbChange).toBeUndefined();
    });
});

describe("gateVerdict properties", () => {
    const ops = fc.constantFrom(...STEP_OPS);

    it("droplet steps pass exactly when every one is same/read/import/refresh", () => {
        fc.assert(
            fc.property(fc.array(ops, { minLength: 1, maxLength: 3 }), (dropletOps) => {
                const steps = dropletOps.map((op, i) => {
                    const state = dropletState(DROPLET_IDS[i]);
                    return step(
                        op,
                        { old: state, new: op === "delete" ? undefined : state },
                        op === "update" || op === "replace" ? { diffReasons: ["size"] } : {},
                    );
                });
                const verdict = gateVerdict(digest([...baseSteps(), ...steps, resize(1, 3)]), {
                    allow: [],
                });
                const writes = dropletOps
                    .map((op, i) => [op, DROPLET_IDS[i]] as const)
                    .filter(([op]) => !NO_WRITE_OPS.has(op));
                expect(verdict.ok).toBe(writes.length === 0);
                for (const [op, id] of writes)
                    expect(
                        verdict.reasons.some((r) => r.startsWith(`masking-server-${id}: ${op}`)),
                    ).toBe(true);
            }),
        );
    });

    const lbProperties = [
        "sizeUnit",
        "name",
        "region",
        "forwardingRules",
        "healthcheck",
        "dropletIds",
        "dropletTag",
        "algorithm",
        "type",
    ];
    const pathUnder = (p: string) =>
        fc.constantFrom(p, `${p}[0]`, `${p}[0].entryPort`, `${p}.port`, `${p}[1].targetProtocol`);

    it("an LB update passes exactly when every property but sizeUnit is allowed", () => {
        fc.assert(
            fc.property(
                fc
                    .uniqueArray(fc.constantFrom(...lbProperties), { minLength: 1 })
                    .chain((props) =>
                        fc.tuple(fc.constant(props), fc.tuple(...props.map(pathUnder))),
                    ),
                fc.subarray(lbProperties),
                ([props, paths], allow) => {
                    const verdict = gateVerdict(
                        digest([...baseSteps(), updateStep(lbState(1), lbGoal(2), paths)]),
                        { allow },
                    );
                    const blocked = props.filter((p) => p !== "sizeUnit" && !allow.includes(p));
                    expect(verdict.ok).toBe(blocked.length === 0);
                    for (const p of blocked) expect(verdict.reasons.join("\n")).toContain(p);
                },
            ),
        );
    });
});

// PropertyPath.String() from sdk/go/common/resource/properties_path.go, ported to TypeScript.
function goPropertyPathString(path: (string | number)[]): string {
    const requiresQuote = (c: string) => !/[A-Za-z0-9_]/.test(c);
    return path
        .map((k, i) => {
            if (typeof k === "number") return `[${k}]`;
            let quoted = false;
            let key = "";
            for (const c of k) {
                if (requiresQuote(c)) {
                    quoted = true;
                    if (c === '"') key += "\\";
                }
                key += c;
            }
            if (quoted) return `["${key}"]`;
            return i === 0 ? key : `.${key}`;
        })
        .join("");
}

describe("property paths (detailedDiff keys)", () => {
    it.each([
        ["sizeUnit", "sizeUnit"],
        ["forwardingRules[0].entryPort", "forwardingRules"],
        ["healthcheck.port", "healthcheck"],
        ["tags[*]", "tags"],
        ['["key.with.dots"].x', "key.with.dots"],
        ['["say \\"hi\\""][0]', 'say "hi"'],
    ])("%s is under %s", (path, top) => expect(topLevelProperty(path)).toBe(top));

    it("the top-level key of any path Go prints", () => {
        const key = fc.string({
            unit: fc.constantFrom(...'abcXYZ019_.-[]" $*'.split("")),
            minLength: 1,
            maxLength: 8,
        });
        const element = fc.oneof(key, fc.nat(20));
        fc.assert(
            fc.property(key, fc.array(element, { maxLength: 4 }), (first, rest) => {
                expect(topLevelProperty(goPropertyPathString([first, ...rest]))).toBe(first);
            }),
        );
    });

    it("changedProperties merges detailedDiff, diffReasons and replaceReasons", () => {
        const s = step(
            "update",
            { old: lbState(1), new: lbGoal(2) },
            {
                diffReasons: ["sizeUnit"],
                replaceReasons: ["region"],
                detailedDiff: {
                    "forwardingRules[0].entryPort": { kind: "update", inputDiff: true },
                },
            },
        );
        expect(changedProperties(s)).toEqual(["forwardingRules", "region", "sizeUnit"]);
    });
});

describe("parsePreviewDigest", () => {
    it("keeps every field of a digest", () => {
        const d = digest([...baseSteps(), resize(1, 3)]);
        expect(parsePreviewDigest(JSON.parse(JSON.stringify(d)))).toEqual(d);
    });

    it("names the field that does not fit", () => {
        expect(() => parsePreviewDigest({ steps: [{ op: "update" }] })).toThrow(
            /not a preview digest \(pulumi preview --json\): steps\[0\]\.urn/,
        );
        expect(() => parsePreviewDigest([])).toThrow(/not a preview digest/);
    });
});

describe("the node change the gate prints", () => {
    const settings = loadSettings(readStackFile("drop", ROOT)); // size_unit 3, $12 per node

    it("prices both sides with the stack's capacity settings", () => {
        expect(nodeChangeLine(lbNodeChange({ from: 1, to: 3 }, settings))).toBe(
            "size_unit 1 → 3 (+2 nodes, +$0.0357/hour, +$24.00/month)",
        );
        expect(nodeChangeLine(lbNodeChange({ from: 10, to: 3 }, settings))).toBe(
            "size_unit 10 → 3 (−7 nodes, −$0.125/hour, −$84.00/month)",
        );
        expect(nodeChangeLine(lbNodeChange({ to: 3 }, settings))).toBe(
            "size_unit none → 3 (+3 nodes, +$0.0536/hour, +$36.00/month)",
        );
    });

    it("an adoption changes nothing and says so; one whose live size differs shows that change", () => {
        const adopted = lbNodeChange({ from: 3, to: 3, adopted: true }, settings);
        expect(adopted).toMatchObject({ adopted: true, nodes: 0, hourly: 0, monthly: 0 });
        expect(nodeChangeLine(adopted)).toBe(
            "load balancer adopted as it is at size_unit 3 (no change)",
        );
        expect(nodeChangeLine(lbNodeChange({ from: 1, to: 3, adopted: true }, settings))).toBe(
            "size_unit 1 → 3 (+2 nodes, +$0.0357/hour, +$24.00/month)",
        );
    });

    it("uses the stack file's own sizing for the side it matches", () => {
        expect(lbNodeChange({ from: 1, to: 3 }, settings).after).toBe(settings.sizing);
    });
});

describe("previewFailure", () => {
    const ok = gateVerdict(previewOf([resize(1, 3)]), { allow: [] });
    it("explains a failed preview the digest does not (a policy violation)", () => {
        expect(
            previewFailure(
                255,
                "Policy Violations:\n    [mandatory]  lb-protected\nerror: preview failed\n",
                ok,
            ),
        ).toBe("pulumi preview failed (exit 255): error: preview failed");
    });
    it("stays quiet on success, or when an error diagnostic already explains it", () => {
        expect(previewFailure(0, "", ok)).toBeUndefined();
        const failed = gateVerdict(previewOf([], [diagnostic("error", "boom")]), { allow: [] });
        expect(previewFailure(255, "error: boom", failed)).toBeUndefined();
    });
});

describe("gatedVerdict: the gate's rules, the policy pack's violations and the preview's failure in one verdict", () => {
    const lbUrn = urn(TYPES.loadBalancer, "proxy-lb");
    const violation = (enforcementLevel: string, policyName = "lb-protected") => ({
        sequence: 5,
        timestamp: 1,
        policyEvent: {
            resourceUrn: lbUrn,
            message: `${policyName} says no`,
            color: "never",
            policyName,
            policyPackName: "proxy-lb-guardrails",
            enforcementLevel,
        },
    });
    const run = (
        digestSteps: PreviewStep[],
        events: object[] = [],
        status: number | null = 0,
        stderr = "",
    ): PreviewRun => ({ value: previewOf(digestSteps), events, status, stderr });
    const dropletWrite = () =>
        dropletsExcept(D1, updateStep(dropletState(D1), dropletState(D1), ["size"]));

    // [case, run, the reasons, in order]
    const cases: [string, PreviewRun, (string | RegExp)[]][] = [
        ["a pure resize", run([resize(1, 3)]), []],
        [
            "a droplet write",
            run([...dropletWrite(), resize(1, 3)]),
            [
                /^masking-server-501000101: update \(size\): masking droplets must never be written to/,
            ],
        ],
        [
            "a mandatory violation only in the event log, the preview failing for it",
            run([resize(1, 3)], [violation("mandatory")], 255, "error: preview failed\n"),
            ["policy lb-protected on proxy-lb: lb-protected says no"],
        ],
        ["an advisory violation: not a reason", run([resize(1, 3)], [violation("advisory")]), []],
        [
            "a failure nothing explains",
            run([resize(1, 3)], [], 255, "error: something broke\n"),
            ["pulumi preview failed (exit 255): error: something broke"],
        ],
        [
            "the gate's reasons first, then the policy's",
            run(
                [...dropletWrite(), resize(1, 3)],
                [violation("mandatory", "masking-droplets-protected-and-frozen")],
                255,
            ),
            [
                /^masking-server-501000101: update/,
                "policy masking-droplets-protected-and-frozen on proxy-lb: masking-droplets-protected-and-frozen says no",
            ],
        ],
    ];
    it.each(cases)("%s", (_what, preview, expected) => {
        const verdict = gatedVerdict(preview, { allow: [], load: null, need: NEED });
        expect(verdict.reasons).toHaveLength(expected.length);
        expected.forEach((e, i) =>
            typeof e === "string"
                ? expect(verdict.reasons[i]).toBe(e)
                : expect(verdict.reasons[i]).toMatch(e),
        );
        expect(verdict.ok).toBe(expected.length === 0);
        expect(verdict.lbChange).toEqual({ from: 1, to: 3 });
    });

    it("reads an event log file's text and the same events already parsed (the Automation API's) alike, skipping a line cut short", () => {
        const events = [
            violation("mandatory"),
            { sequence: 6, timestamp: 1, diagnosticEvent: { message: "x" } },
            violation("advisory", "other"),
        ];
        const text = `${events.map((e) => JSON.stringify(e)).join("\n")}\n{"sequence": 9, "policyEv`;
        expect(parseEventLog(text)).toEqual(events);
        expect(policyViolationsFromEventLog(text)).toEqual(policyViolationsFromEventLog(events));
        expect(policyViolationsFromEventLog(events).map((v) => v.policyName)).toEqual([
            "lb-protected",
            "other",
        ]);
    });

    it("property: it passes exactly when the digest passes, no violation is mandatory, and the preview succeeded or an error explains it", () => {
        const level = fc.constantFrom("mandatory", "advisory", "remediate", "disabled");
        fc.assert(
            fc.property(
                fc.boolean(),
                fc.array(level, { maxLength: 3 }),
                fc.constantFrom(0, 1, 255, null),
                (write, levels, status) => {
                    const preview = run(
                        [...(write ? dropletWrite() : []), resize(1, 3)],
                        levels.map((l) => violation(l)),
                        status,
                        "error: x\n",
                    );
                    const verdict = gatedVerdict(preview, { allow: [], load: null, need: NEED });
                    const digestOnly = gateVerdict(preview.value, { allow: [] });
                    const mandatory = levels.filter((l) => l === "mandatory").length;
                    expect(verdict.reasons.slice(0, digestOnly.reasons.length)).toEqual(
                        digestOnly.reasons,
                    );
                    expect(verdict.reasons.filter((r) => r.startsWith("policy "))).toHaveLength(
                        mandatory,
                    );
                    expect(verdict.ok).toBe(!write && mandatory === 0 && status === 0);
                    // A failed preview is always explained: by a policy reason, or by its own line.
                    if (status !== 0)
                        expect(
                            verdict.reasons.some(
                                (r) =>
                                    r.startsWith("policy ") ||
                                    r.startsWith("pulumi preview failed"),
                            ),
                        ).toBe(true);
                },
            ),
        );
    });
});

describe("the live-load check: never scale down into a live crowd (loadCheck, loadReason, in gatedVerdict)", () => {
    const AT = Date.UTC(2027, 2, 1, 12, 15);
    const MIN = 60_000;
    const capacity = NEED.capacity;
    /** One sample a minute over the last `values.length` minutes, the last one at AT. */
    const minutely = (values: number[]): Sample[] =>
        values.map((v, i) => [(AT - (values.length - 1 - i) * MIN) / 1000, v]);
    const load = (
        connections: number[],
        over: { liveSizeUnit?: number; metrics?: MetricsRead } = {},
    ): ObservedLoad =>
        observedLoad(
            AT,
            { id: "lb", name: "proxy-lb", sizeUnit: over.liveSizeUnit ?? 10 },
            over.metrics ?? { ok: true, connections: minutely(connections) },
        );
    const ALLOW = ALLOW_SCALE_DOWN_UNDER_LOAD;

    // [case, change, load, allow, the reason (or null), the allowed line (or null)]
    const cases: [
        string,
        { from?: number; to?: number; adopted?: true },
        ObservedLoad | null,
        string[],
        string | null,
        string | null,
    ][] = [
        ["a scale-up: not checked", { from: 1, to: 10 }, null, [], null, null],
        ["no change: not checked", { from: 5, to: 5 }, null, [], null, null],
        ["a created load balancer: not checked", { to: 3 }, null, [], null, null],
        [
            "a scale-down the crowd allows (idle)",
            { from: 10, to: 1 },
            load([0, 0, 0]),
            [],
            null,
            null,
        ],
        [
            "a scale-down below the crowd of the window (its peak 20 min ago)",
            { from: 10, to: 1 },
            load([60_000, ...Array(20).fill(5_000)]),
            [],
            "proxy-lb: scale-down from 10 nodes to 1 node (10,000 connections) is below the observed need of 8 nodes: observed peak 60,000 connections at 2027-03-01T11:55Z (highest of the last 30 min) needs 8 nodes with 25% headroom at 10,000 per node (pass --allow scale-down-under-load if intended)",
            null,
        ],
        [
            "the same, let through by --allow, and said",
            { from: 10, to: 1 },
            load([60_000, ...Array(20).fill(5_000)]),
            [ALLOW],
            null,
            "proxy-lb: scale-down from 10 nodes to 1 node (10,000 connections) is below the observed need of 8 nodes: observed peak 60,000 connections at 2027-03-01T11:55Z (highest of the last 30 min) needs 8 nodes with 25% headroom at 10,000 per node (--allow scale-down-under-load)",
        ],
        [
            "metrics that cannot be read: refused (never scale down on missing data)",
            { from: 10, to: 1 },
            load([], {
                metrics: {
                    ok: false,
                    error: "GET /v2/monitoring/metrics/load_balancer/frontend_connections_current answered 503",
                },
            }),
            [],
            "proxy-lb: cannot check the scale-down from 10 nodes to 1 node against the live crowd: the metrics could not be read (GET /v2/monitoring/metrics/load_balancer/frontend_connections_current answered 503); the gate never scales down on missing data (pass --allow scale-down-under-load if intended)",
            null,
        ],
        [
            "no load read at all (a path that did not read it): refused the same way",
            { from: 10, to: 1 },
            null,
            [],
            "proxy-lb: cannot check the scale-down from 10 nodes to 1 node against the live crowd: its metrics were not read; the gate never scales down on missing data (pass --allow scale-down-under-load if intended)",
            null,
        ],
        [
            "an adoption at a smaller size is a scale-down of the live load balancer",
            { from: 5, to: 3, adopted: true },
            load(Array(5).fill(30_000), { liveSizeUnit: 5 }),
            [],
            "proxy-lb: scale-down from 5 nodes to 3 nodes (30,000 connections) is below the observed need of 4 nodes: observed peak 30,000 connections at 2027-03-01T12:11Z (highest of the last 30 min) needs 4 nodes with 25% headroom at 10,000 per node (pass --allow scale-down-under-load if intended)",
            null,
        ],
        [
            "another --allow value does not let it through",
            { from: 10, to: 1 },
            null,
            ["sizeUnit", "name"],
            expect.stringContaining("its metrics were not read") as unknown as string,
            null,
        ],
    ];
    it.each(cases)("%s", (_what, change, liveLoad, allow, reason, allowed) => {
        const { reason: r, allowed: a } = loadReason(loadCheck(change, liveLoad, NEED), allow);
        expect(r ?? null).toEqual(reason);
        expect(a ?? null).toEqual(allowed);
    });

    it("in gatedVerdict: the reason after the gate's own, and the allowed line beside --allow's; a covered scale-down passes with its check", () => {
        const run = (from: number, to: number): PreviewRun => ({
            value: previewOf([resize(from, to)]),
            events: [],
            status: 0,
            stderr: "",
        });
        const busy = load([60_000, ...Array(20).fill(5_000)]);
        const refused = gatedVerdict(run(10, 1), { allow: [], load: busy, need: NEED });
        expect(refused).toMatchObject({
            ok: false,
            lbChange: { from: 10, to: 1 },
            scaleDown: { status: "underLoad", need: 8 },
        });
        expect(refused.reasons).toEqual([
            expect.stringMatching(
                /^proxy-lb: scale-down from 10 nodes to 1 node .* below the observed need of 8 nodes/,
            ),
        ]);
        const allowed = gatedVerdict(run(10, 1), { allow: [ALLOW], load: busy, need: NEED });
        expect(allowed).toMatchObject({
            ok: true,
            reasons: [],
            allowed: [expect.stringMatching(/\(--allow scale-down-under-load\)$/)],
        });
        expect(gatedVerdict(run(10, 8), { allow: [], load: busy, need: NEED })).toMatchObject({
            ok: true,
            reasons: [],
            allowed: [],
            scaleDown: { status: "ok", need: 8 },
        });
        expect(gatedVerdict(run(1, 10), { allow: [], load: null, need: NEED })).toEqual(
            expect.not.objectContaining({ scaleDown: expect.anything() }),
        );
    });

    it("property: a scale-down passes without --allow exactly when the metrics are readable and the new size holds the window's peak; --allow moves the line, never hides it", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 200 }),
                fc.integer({ min: 1, max: 200 }),
                fc.array(fc.integer({ min: 0, max: 2_500_000 }), { minLength: 1, maxLength: 40 }),
                fc.constantFrom<"ok" | "error" | "unread">("ok", "error", "unread"),
                fc.boolean(),
                (from, to, connections, read, allowIt) => {
                    const liveLoad =
                        read === "unread"
                            ? null
                            : read === "error"
                              ? load([], {
                                    liveSizeUnit: from,
                                    metrics: { ok: false, error: "down" },
                                })
                              : load(connections, { liveSizeUnit: from });
                    const check = loadCheck({ from, to }, liveLoad, NEED);
                    const { reason, allowed } = loadReason(check, allowIt ? [ALLOW] : []);
                    expect(check === null).toBe(!isScaleDown({ from, to }));
                    // The window is the last 30 minutes: the samples older than that do not count.
                    const peak = Math.max(...connections.slice(-31));
                    const covered =
                        to >= from ||
                        (read === "ok" &&
                            to >= nodesFor(peak, capacity.headroom, capacity.connectionsPerNode));
                    expect(reason === undefined && allowed === undefined).toBe(covered);
                    if (!covered) expect(allowIt ? allowed : reason).toMatch(/^proxy-lb: /);
                    expect(reason !== undefined && allowed !== undefined).toBe(false);
                    if (allowIt) expect(reason).toBeUndefined();
                },
            ),
        );
    });
});

describe("npm run gate (in-process, a stand-in pulumi)", () => {
    let fake: FakeToolchain;
    const gate = (env: Record<string, string>, ...args: string[]) =>
        runInProcess(gateCommand, args, { cwd: ROOT, env: { ...process.env, ...env } });

    beforeAll(async () => {
        fake = fakeToolchain();
    });
    afterAll(() => fake.remove());

    it("passes a pure resize and prints the node change", async () => {
        fake.respond("preview", {
            stdout: digest([...baseSteps(), ...dropletSames(), resize(1, 3)]),
            code: 0,
        });
        const run = await gate(fake.env, "--stack", "drop");
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "gate: stack drop ok\nsize_unit 1 → 3 (+2 nodes, +$0.0357/hour, +$24.00/month)\n",
        );
        // With its event log (policy violations are only there), in a scratch file of its own.
        expect(fake.calls().at(-1)?.args).toEqual([
            "preview",
            "--json",
            "--show-sames",
            "--non-interactive",
            "--stack",
            "drop",
            "--event-log",
            expect.stringMatching(/events\.jsonl$/),
        ]);
    });

    it("says a first adoption changes nothing (the load balancer imported at the size it has)", async () => {
        const imports = DROPLET_IDS.map((id) => step("import", { new: dropletState(id) }));
        fake.respond("preview", {
            stdout: digest([...baseSteps(), ...imports, step("import", { new: lbGoal(3) })]),
            code: 0,
        });
        const run = await gate(fake.env, "--stack", "drop");
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "gate: stack drop ok\nload balancer adopted as it is at size_unit 3 (no change)\n",
        );
    });

    it("says a first adoption at another size is an adoption, then the resize (the engine's import step, then its update)", async () => {
        const imports = DROPLET_IDS.map((id) => step("import", { new: dropletState(id) }));
        fake.respond("preview", {
            stdout: digest([
                ...baseSteps(),
                ...imports,
                step("import", { new: lbGoal(10) }),
                resize(1, 10),
            ]),
            code: 0,
        });
        const run = await gate(fake.env, "--stack", "drop");
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(
            "gate: stack drop ok\nload balancer adopted at size_unit 1, then resized: size_unit 1 → 10 (+9 nodes, +$0.1607/hour, +$108.00/month)\n",
        );
    });

    it("refuses a scale-down it cannot check against the live crowd (no token to read the metrics), naming why; --allow scale-down-under-load lets it through, said", async () => {
        fake.respond("preview", {
            stdout: digest([...baseSteps(), ...dropletSames(), resize(3, 1)]),
            code: 0,
        });
        const noToken = { ...fake.env, DIGITALOCEAN_TOKEN: "" };
        const refused = await gate(noToken, "--stack", "drop");
        expect(refused.status).toBe(1);
        expect(refused.stderr).toBe(
            "gate: stack drop refused:\n  proxy-lb: cannot check the scale-down from 3 nodes to 1 node against the live crowd: the metrics could not be read (DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token with load_balancer:read, droplet:read, certificate:read, monitoring:read); the gate never scales down on missing data (pass --allow scale-down-under-load if intended)\n",
        );
        const allowed = await gate(noToken, "--stack", "drop", "--allow", "scale-down-under-load");
        expect(allowed.stderr).toBe("");
        expect(allowed.status).toBe(0);
        expect(allowed.stdout).toMatch(
            /^gate: stack drop ok\n {2}allowed: proxy-lb: cannot check the scale-down from 3 nodes to 1 node .* \(--allow scale-down-under-load\)\nsize_unit 3 → 1 \(−2 nodes/,
        );
    });

    it("refuses a mandatory policy violation that only the event log holds", async () => {
        const violation = {
            sequence: 3,
            timestamp: 1,
            policyEvent: {
                resourceUrn: urn(TYPES.loadBalancer, "proxy-lb"),
                message: "The load balancer must be protected.",
                policyName: "lb-protected",
                policyPackName: "proxy-lb-guardrails",
                enforcementLevel: "mandatory",
            },
        };
        fake.respond("preview", {
            stdout: digest([...baseSteps(), ...dropletSames(), resize(1, 3)]),
            stderr: "error: preview failed\n",
            code: 255,
            events: [violation],
        });
        const run = await gate(fake.env, "--stack", "drop", "--policy-pack", "policy");
        fake.respond("preview", { stderr: "", code: 0, events: [] });
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
            "gate: stack drop refused:\n  policy lb-protected on proxy-lb: The load balancer must be protected.\n",
        );
    });

    it("refuses a droplet write with exit 1 and a reason per line, passing --policy-pack on", async () => {
        fake.respond("preview", {
            stdout: digest([
                ...baseSteps(),
                ...dropletsExcept(D1, updateStep(dropletState(D1), dropletState(D1), ["size"])),
                resize(1, 3),
            ]),
        });
        const run = await gate(fake.env, "--stack", "drop", "--policy-pack", "policy");
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
            "gate: stack drop refused:\n  masking-server-501000101: update (size): masking droplets must never be written to (only same/read/import/refresh are safe)\n",
        );
        const args = fake.calls().at(-1)!.args;
        expect(
            args.slice(args.indexOf("--policy-pack"), args.indexOf("--policy-pack") + 2),
        ).toEqual(["--policy-pack", "policy"]);
    });

    it("refuses a failed preview whose digest has no error (policy violations are not in the JSON)", async () => {
        fake.respond("preview", {
            stdout: digest([...baseSteps(), resize(1, 3)]),
            stderr: "error: preview failed: 1 mandatory policy violation\n",
            code: 255,
        });
        const run = await gate(fake.env, "--stack", "drop", "--allow", "forwardingRules");
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(
            "pulumi preview failed (exit 255): error: preview failed: 1 mandatory policy violation",
        );
    });

    it("a stack file whose stack is not in the backend: one line saying how to create or select it", async () => {
        fake.respond("preview", {
            stdout: "",
            stderr: "error: no stack named 'drop' found\n",
            code: 255,
        });
        const run = await gate(
            { ...fake.env, PULUMI_BACKEND_URL: "file:///srv/state" },
            "--stack",
            "drop",
        );
        expect(run.status).toBe(1);
        expect(run.stderr).toBe(
            "stack drop does not exist in the state backend file:///srv/state: create it with `pulumi stack init drop` (its first `pulumi up` adopts the load balancer of its Pulumi.drop.yaml), or `pulumi stack select` / `pulumi login` where it lives\n",
        );
    });

    it("stops with exit 3 when there is no toolchain, saying what to run in plain words, then the toolchain script's own", async () => {
        const bare = {
            PROXY_LB_TOOLCHAIN_CACHE: path.join(fake.env.FAKE_PULUMI_DIR, "no-cache"),
            PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
        };
        const run = await gate(bare, "--stack", "drop");
        expect(run.status).toBe(3);
        expect(run.stdout).toBe("");
        const [first, ...rest] = run.stderr.trimEnd().split("\n");
        expect(first).toBe(
            "The Pulumi toolchain is not built yet. Run `npm start` once (it builds it, a few minutes) or `bash scripts/toolchain.sh`.",
        );
        expect(rest.length).toBeGreaterThan(0);
        for (const line of rest) expect(line).toMatch(/^ {2}\S/);
        expect(run.stderr).not.toMatch(/--check|no --check/);
    });

    it("refuses bad usage with exit 2 and the usage, before running pulumi", async () => {
        const calls = fake.calls().length;
        for (const args of [["--stack", "drop", "--bogus"], [], ["--allow"]]) {
            const run = await gate(fake.env, ...args);
            expect(run.status, args.join(" ")).toBe(2);
            expect(run.stderr).toContain("usage: npm run gate -- --stack <name>");
        }
        expect(fake.calls().length).toBe(calls);
    });
});

describe("the gate's note when the live size is not the state's (liveSizeLine)", () => {
    it("says the live size and what shows and fixes it; nothing when they agree, or for a new or adopted load balancer", () => {
        expect(liveSizeLine({ from: 3, to: 3 }, 5)).toBe(
            "  the live load balancer has size_unit 5, not the state's 3 (resized outside the program, e.g. in the console): `npm run drift` shows it; `pulumi up --refresh` sets it to 3",
        );
        expect(liveSizeLine({ from: 3, to: 3 }, 3)).toBeUndefined();
        expect(liveSizeLine({ to: 3 }, 5)).toBeUndefined();
        expect(liveSizeLine({ from: 5, to: 5, adopted: true }, 5)).toBeUndefined();
        expect(liveSizeLine(undefined, 5)).toBeUndefined();
    });
});
