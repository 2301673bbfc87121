// ops/observedProposal.ts: what plan --observed reads (a file of observe --json, or a drop's
// name) and the proposal for the next drop.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { proposalFromObservation, readObservedFile } from "../ops/observedProposal";
import { MINIMAL_ENTRIES } from "./support/stackEntries";

const NOW = Date.parse("2027-11-01T00:00:00Z");
const entries = {
    ...MINIMAL_ENTRIES,
    "proxy-lb:drops": [
        {
            name: "black-friday",
            start: "2027-11-26T14:00:00Z",
            end: "2027-11-26T20:00:00Z",
            demand: { users: 40, tasksPerUser: 2000 },
        },
    ],
};
const settings = loadSettings(entries, { now: NOW });
const observedJson = {
    stack: "drop",
    drop: "restock",
    window: { from: "2027-10-01T10:00:00Z", to: "2027-10-01T12:00:00Z" },
    peak: { connections: 48_000, at: "2027-10-01T11:00:00Z" },
    held: true,
    suggested: { demand: { users: 30, tasksPerUser: 2000, connectionsPerTask: 1 } },
};

describe("plan --observed's source", () => {
    let dir: string;
    const file = (name: string, text: string) => {
        const where = path.join(dir, name);
        writeFileSync(where, text);
        return where;
    };
    beforeAll(() => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-observed-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each([
        ["not JSON", "{", /is not JSON \(.*\); give the output of npm run observe -- --json$/],
        [
            "another shape",
            '{"peak": 3}',
            /is not the output of npm run observe -- --json \(wrong or missing: window, peak, held\)$/,
        ],
    ])("refuses a file that is %s", (_what, text, message) => {
        expect(() => readObservedFile(file("bad.json", text))).toThrow(message);
    });

    it("reads observe's JSON: the drop, its window, the peak and the demand that fits it", () => {
        expect(readObservedFile(file("ok.json", JSON.stringify(observedJson)))).toEqual({
            drop: "restock",
            window: observedJson.window,
            peak: 48_000,
            held: true,
            demand: observedJson.suggested.demand,
        });
    });

    it("proposes the observed demand for the next drop after now, beside what it plans", async () => {
        const proposal = await proposalFromObservation({
            stack: "drop",
            settings,
            source: file("ok.json", JSON.stringify(observedJson)),
            stackEntries: entries,
            now: NOW,
        });
        expect(proposal.proposed).toEqual({ demand: observedJson.suggested.demand, sizeUnit: 8 });
        expect(proposal.next).toMatchObject({
            name: "black-friday",
            index: 0,
            planned: { sizeUnit: 10 },
        });
        const after = await proposalFromObservation({
            stack: "drop",
            settings,
            source: file("ok.json", JSON.stringify(observedJson)),
            stackEntries: entries,
            now: Date.parse("2027-11-27T00:00:00Z"),
        });
        expect(after.next).toBeNull();
    });

    it("refuses a source that is neither a file nor a drop", async () => {
        await expect(
            proposalFromObservation({
                stack: "drop",
                settings,
                source: "no-such-drop",
                stackEntries: entries,
                now: NOW,
            }),
        ).rejects.toThrow("--observed no-such-drop is neither a file nor a drop in proxy-lb:drops");
    });
});
