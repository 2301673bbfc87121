// ops/forgetRun.ts: exactly the departed servers are unprotected, only when asked and nothing
// is refused; a failed unprotect stops with its droplet named (a stand-in pulumi).
import { describe, expect, it } from "vitest";
import { forgetDeparted } from "../ops/forgetRun";
import type { Pulumi } from "../ops/pulumiCli";
import type { PreviewStep } from "../ops/pulumiJson";

const DROPLET = "digitalocean:index/droplet:Droplet";
const urn = (name: string) => `urn:pulumi:drop::proxy-lb::${DROPLET}::${name}`;
const step = (op: PreviewStep["op"], id: number, retainOnDelete = true): PreviewStep => ({
    op,
    urn: urn(`masking-server-${id}`),
    oldState: {
        urn: urn(`masking-server-${id}`),
        custom: true,
        type: DROPLET,
        id: String(id),
        protect: true,
        retainOnDelete,
        outputs: {},
    },
    detailedDiff: null,
});

function stand(steps: PreviewStep[], unprotectStatus = 0): Pulumi & { runs: string[][] } {
    const runs: string[][] = [];
    return {
        runs,
        json(args, parse) {
            runs.push(args);
            return { value: parse({ steps }), status: 0, stderr: "" };
        },
        async jsonAsync(args, parse) {
            return this.json(args, parse);
        },
        capture(args) {
            runs.push(args);
            return { status: unprotectStatus, stdout: "", stderr: "error: no such resource\n" };
        },
        interactive() {
            throw new Error("forget runs nothing on the terminal");
        },
    };
}

describe("forgetDeparted", () => {
    it.each([
        [
            "asked, two departed",
            [step("same", 1), step("delete", 2), step("delete", 3)],
            true,
            [2, 3],
        ],
        ["not asked", [step("delete", 2)], false, []],
        ["asked, none departed", [step("same", 1)], true, []],
        ["asked, one refused", [step("delete", 2), step("delete", 3, false)], true, []],
    ])("%s: unprotects %j", (_what, steps, apply, unprotected) => {
        const pulumi = stand(steps);
        const result = forgetDeparted("drop", { apply, pulumi });
        expect(result.unprotected).toBe(unprotected.length > 0);
        expect(pulumi.runs.slice(1)).toEqual(
            unprotected.map((id) => [
                "state",
                "unprotect",
                urn(`masking-server-${id}`),
                "--yes",
                "--non-interactive",
                "--stack",
                "drop",
            ]),
        );
        expect(pulumi.runs[0]).toEqual([
            "preview",
            "--json",
            "--non-interactive",
            "--stack",
            "drop",
        ]);
    });

    it("stops at the first unprotect that fails, naming its droplet", () => {
        const pulumi = stand([step("delete", 2), step("delete", 3)], 255);
        expect(() => forgetDeparted("drop", { apply: true, pulumi })).toThrow(
            "forget: pulumi state unprotect failed for droplet 2:\n  error: no such resource",
        );
        expect(pulumi.runs).toHaveLength(2);
    });
});
