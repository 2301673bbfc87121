// What the end-to-end runs of gate, rollback and drift showed the recorded JSON shapes had
// missed (test/e2e/operations.test.ts), pinned here as fast table tests on the pure parts:
// the program's ignoreChanges list counts as frozen, history text for numbers restores as
// numbers, and the engine event log (drift's Read results, policy violations) is read.
import { describe, expect, it } from "vitest";
import { PROJECT_CONFIG_DEFAULTS } from "../config";
import { FROZEN_DROPLET_INPUTS } from "../infra/maskingServers";
import { driftReport } from "../ops/drift";
import { gateVerdict, policyReasons } from "../ops/gate";
import {
    changesFromEventLog,
    parsePreviewDigest,
    policyViolationsFromEventLog,
    stepsFromEventLog,
} from "../ops/pulumiJson";
import { configOf, restoreStackFile } from "../ops/rollback";
import {
    configValue,
    digest,
    dropletOutputs,
    DROPLET_IDS,
    dropletState,
    historyEntry,
    sameStep,
    TYPES,
    urn,
} from "./support/pulumiFixtures";

const [D1] = DROPLET_IDS;
const D1_URN = urn(TYPES.droplet, `masking-server-${D1}`);

describe("the gate and the program's own ignoreChanges list", () => {
    it.each([
        ["the program's list (every input but privateNetworking)", FROZEN_DROPLET_INPUTS, true],
        ['["*"]', ["*"], true],
        ["the list without name", FROZEN_DROPLET_INPUTS.filter((i) => i !== "name"), false],
        ["none", [], false],
    ])("ignoreChanges %s: frozen = %s", (_, ignoreChanges, frozen) => {
        const preview = parsePreviewDigest(
            JSON.parse(
                JSON.stringify(
                    digest([sameStep(dropletState(D1, { options: { ignoreChanges } }))]),
                ),
            ),
        );
        const verdict = gateVerdict(preview, { allow: [] });
        expect(verdict.reasons.some((r) => r.includes("would lose ignoreChanges"))).toBe(!frozen);
    });
});

describe("rollback reads numbers back from the history's text", () => {
    it('leadMinutes "30" (the project default, as Pulumi records it) is 30, so it stays out of the stack file', () => {
        const entry = historyEntry(1, {});
        const read = configOf({
            ...entry,
            config: { ...entry.config, "proxy-lb:leadMinutes": configValue(30) },
        });
        expect(read.ok && read.restored["proxy-lb:leadMinutes"]).toBe(30);
        const file = "config:\n  proxy-lb:region: nyc3 # here\n";
        const restored = restoreStackFile(
            file,
            { "proxy-lb:region": "nyc3", "proxy-lb:leadMinutes": 30 },
            { defaults: PROJECT_CONFIG_DEFAULTS },
        );
        expect(restored).toBe(file);
    });

    it("a number set in the stack file stays a number", () => {
        const file = "config:\n  proxy-lb:leadMinutes: 45 # lead\n";
        expect(restoreStackFile(file, { "proxy-lb:leadMinutes": 45 })).toBe(file);
    });
});

// Lines as `pulumi refresh --preview-only --event-log` wrote them (trimmed to the fields read).
const outputsEvent = (
    op: string,
    u: string,
    oldOutputs: Record<string, unknown> | null,
    newOutputs: Record<string, unknown> | null,
) =>
    JSON.stringify({
        sequence: 9,
        timestamp: 1,
        resOutputsEvent: {
            metadata: {
                op,
                urn: u,
                type: TYPES.droplet,
                old: {
                    type: TYPES.droplet,
                    urn: u,
                    id: String(D1),
                    inputs: null,
                    outputs: oldOutputs,
                },
                new:
                    newOutputs === null
                        ? null
                        : {
                              type: TYPES.droplet,
                              urn: u,
                              id: String(D1),
                              inputs: null,
                              outputs: newOutputs,
                          },
                detailedDiff: {},
                provider: "",
            },
            planning: true,
        },
    });

describe("the engine event log", () => {
    it("gives drift what Read returned where the digest kept the refresh step unchanged (ignoreChanges on every input)", () => {
        const renamed = dropletOutputs(D1, { name: "renamed-in-console" });
        const log = [
            JSON.stringify({ sequence: 0, timestamp: 1, preludeEvent: { config: {} } }),
            outputsEvent("same", D1_URN, dropletOutputs(D1), renamed),
            '{"sequence": 10, "resOutputsEv', // cut short by a killed run
            "",
        ].join("\n");
        const steps = stepsFromEventLog(log);
        expect(steps).toHaveLength(1);
        expect(steps[0]).toMatchObject({
            op: "same",
            urn: D1_URN,
            newState: { id: String(D1), inputs: {} },
        });
        const digestStep = {
            op: "refresh",
            urn: D1_URN,
            oldState: dropletState(D1),
            newState: dropletState(D1),
            detailedDiff: null,
        };
        const report = driftReport({ steps: [digestStep, ...steps] });
        expect(report.maskingServers).toMatchObject([
            {
                id: String(D1),
                changes: [
                    { property: "name", from: dropletOutputs(D1).name, to: "renamed-in-console" },
                ],
            },
        ]);
    });

    it("a droplet gone outside the program is a delete with no new state", () => {
        const steps = stepsFromEventLog(outputsEvent("delete", D1_URN, dropletOutputs(D1), null));
        expect(driftReport({ steps }).maskingServers).toMatchObject([
            { id: String(D1), deleted: true },
        ]);
    });

    it("gives the gate one reason per mandatory policy violation, naming the policy and the resource", () => {
        const lbUrn = urn(TYPES.loadBalancer, "proxy-lb");
        const violation = (enforcementLevel: string, policyName: string, message: string) =>
            JSON.stringify({
                sequence: 5,
                timestamp: 1,
                policyEvent: {
                    resourceUrn: lbUrn,
                    message,
                    color: "never",
                    policyName,
                    policyPackName: "proxy-lb-guardrails",
                    policyPackVersion: "0.1.0",
                    policyPackVersionTag: "0.1.0",
                    enforcementLevel,
                },
            });
        const log = [
            violation(
                "mandatory",
                "lb-protected",
                'The load balancer must be protected.\nLoad balancer "proxy-lb" is not protected.',
            ),
            violation("advisory", "lb-size-unit-within-bounds", "only a warning"),
        ].join("\n");
        expect(policyReasons(policyViolationsFromEventLog(log))).toEqual([
            'policy lb-protected on proxy-lb: The load balancer must be protected. Load balancer "proxy-lb" is not protected.',
        ]);
    });
});

describe("an update's summary from its event log", () => {
    const summary = (resourceChanges: unknown) =>
        JSON.stringify({
            sequence: 9,
            timestamp: 1,
            summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges },
        });
    it.each([
        ["a resize", summary({ same: 4, update: 1 }), { same: 4, update: 1 }],
        ["nothing to do", summary({ same: 5 }), { same: 5 }],
        ["no changes at all (null)", summary(null), {}],
        ["a run that stopped before the engine's end", "", undefined],
        ["a line cut short", `${summary({ same: 1 }).slice(0, 20)}`, undefined],
    ])("%s", (_, log, changes) => {
        expect(changesFromEventLog(log)).toEqual(changes);
    });
});
