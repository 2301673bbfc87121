// ops/gateStack.ts: the gate's verdict on the stack's preview, and the live size read after a
// pass only, as a note that never fails it (a stand-in pulumi; the emulator for the API).
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import { type Emulator, startEmulator } from "../emulator/server";
import { seedFromIds } from "../emulator/seed";
import { TEST_TOKEN } from "../emulator/testkit";
import { gateStack } from "../ops/gateStack";
import type { Pulumi } from "../ops/pulumiCli";
import { dropStackLb } from "./support/dropStackLb";
import {
    baseSteps,
    digest,
    dropletSames,
    lbGoal,
    lbState,
    updateStep,
} from "./support/pulumiFixtures";

const AT = Date.parse("2027-03-01T12:00:00Z");
const entries = readStackFile("drop", path.resolve(__dirname, ".."));

/** A pulumi whose preview is `steps`; it records what ran. */
function previewing(steps: ReturnType<typeof baseSteps>): Pulumi & { runs: string[][] } {
    const runs: string[][] = [];
    const never = () => {
        throw new Error("the gate only previews");
    };
    return {
        runs,
        capture: never,
        interactive: never,
        json(args, parse) {
            runs.push(args);
            return { value: parse(digest(steps)), status: 0, stderr: "" };
        },
        async jsonAsync(args, parse) {
            return this.json(args, parse);
        },
    };
}

describe("gateStack", () => {
    let emulator: Emulator;
    let requests = 0;
    beforeAll(async () => {
        const lb = dropStackLb(2);
        emulator = await startEmulator({
            port: 0,
            seed: seedFromIds([], { loadBalancers: [lb] }),
            onRequestLogged: () => requests++,
        });
    });
    afterAll(() => emulator.close());

    const up = () => [
        ...baseSteps(),
        ...dropletSames(),
        updateStep(lbState(2), lbGoal(3), ["sizeUnit"]),
    ];
    const touchesDroplet = () =>
        up().map((s) =>
            s.urn.endsWith("masking-server-501000101")
                ? { ...s, op: "update", diffReasons: ["size"] }
                : s,
        );

    it.each([
        ["passes, the live size read", up, { DIGITALOCEAN_TOKEN: TEST_TOKEN }, true, 2],
        ["passes, no token: no note", up, {}, true, undefined],
        [
            "refused: nothing read",
            touchesDroplet,
            { DIGITALOCEAN_TOKEN: TEST_TOKEN },
            false,
            undefined,
        ],
    ])("%s", async (_what, steps, token, ok, liveSizeUnit) => {
        const pulumi = previewing(steps());
        const before = requests;
        const result = await gateStack({
            stack: "drop",
            settings: loadSettings(entries, { now: AT }),
            stackEntries: entries,
            at: AT,
            allow: [],
            env: { ...token, DIGITALOCEAN_API_URL: emulator.url },
            pulumi,
        });
        expect(result.verdict.ok).toBe(ok);
        expect(result.liveSizeUnit).toBe(liveSizeUnit);
        expect(pulumi.runs.map((args) => args[0])).toEqual(["preview"]);
        if (!ok) expect(requests).toBe(before);
    });
});
