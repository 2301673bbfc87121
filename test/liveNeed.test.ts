// ops/liveNeed.ts: plan's live need is read with a token and an answer, else says why not,
// never failing plan (the emulator answers as DigitalOcean does).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { type Emulator, startEmulator } from "../emulator/server";
import { seedFromIds } from "../emulator/seed";
import { TEST_TOKEN } from "../emulator/testkit";
import { liveNeed } from "../ops/liveNeed";
import { MINIMAL_ENTRIES } from "./support/stackEntries";

const NOW = Date.parse("2027-03-01T12:00:00Z");
const entries = {
    ...MINIMAL_ENTRIES,
    "proxy-lb:autopilot": { enabled: true },
};
const settings = loadSettings(entries, { now: NOW });

describe("liveNeed", () => {
    let emulator: Emulator;
    beforeAll(async () => {
        emulator = await startEmulator({ port: 0, seed: seedFromIds([]) });
    });
    afterAll(() => emulator.close());

    it.each([
        ["no token", {}, { read: false, why: "DIGITALOCEAN_TOKEN is not set" }],
        [
            "an empty token",
            { DIGITALOCEAN_TOKEN: "" },
            { read: false, why: "DIGITALOCEAN_TOKEN is not set" },
        ],
        ["a good token", { DIGITALOCEAN_TOKEN: TEST_TOKEN }, { read: true }],
    ])("%s", async (_what, env, expected) => {
        const need = await liveNeed(settings, entries, NOW, {
            ...env,
            DIGITALOCEAN_API_URL: emulator.url,
        });
        expect(need).toMatchObject(expected);
        if (!need.read) expect(need.calendarSizeUnit).toBe(3);
        else expect(need.now.decision.calendarSizeUnit).toBe(3);
    });
});
