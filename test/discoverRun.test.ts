// ops/discoverRun.ts: the listing; no overwrite without --force, refused before any API call;
// the written stack file kept only when the preview shows nothing but imports (the emulator for
// the account, a stand-in pulumi for the preview; the real engine is test/e2e/discover.test.ts's).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server";
import { seedFromIds } from "../emulator/seed";
import { TEST_TOKEN } from "../emulator/testkit";
import { discoverAccount } from "../ops/discoverRun";
import type { Pulumi } from "../ops/pulumiCli";
import { dropStackLb } from "./support/dropStackLb";
import type { PreviewStep } from "../ops/pulumiJson";
import {
    baseSteps,
    digest,
    dropletInputs,
    DROPLET_IDS,
    LB_ID,
    lbGoal,
    resourceState,
    step,
    TYPES,
} from "./support/pulumiFixtures";

const importStep = (type: string, name: string, inputs: Record<string, unknown>): PreviewStep =>
    step("import", { new: resourceState(type, name, { inputs, protect: true }) });
const imports = () => [
    ...DROPLET_IDS.map((id) =>
        importStep(TYPES.droplet, `masking-server-${id}`, dropletInputs(id)),
    ),
    importStep(TYPES.loadBalancer, "proxy-lb", lbGoal(2).inputs!),
];
const firstPreview = (steps: PreviewStep[]) => {
    const [stack, provider] = baseSteps();
    return digest([{ ...stack, op: "create" }, { ...provider, op: "create" }, ...steps]);
};

function stand(steps: PreviewStep[]): Pulumi & { runs: string[][] } {
    const runs: string[][] = [];
    return {
        runs,
        capture(args) {
            runs.push(args);
            return { status: 0, stdout: "", stderr: "" };
        },
        json(args, parse) {
            runs.push(args);
            return { value: parse(firstPreview(steps)), status: 0, stderr: "" };
        },
        async jsonAsync(args, parse) {
            return this.json(args, parse);
        },
        interactive() {
            throw new Error("discover runs nothing on the terminal");
        },
    };
}

describe("discoverAccount", () => {
    let emulator: Emulator;
    let requests = 0;
    let dir: string;
    beforeAll(async () => {
        const lb = dropStackLb(2, DROPLET_IDS);
        emulator = await startEmulator({
            port: 0,
            seed: seedFromIds([...DROPLET_IDS], { loadBalancers: [lb] }),
            onRequestLogged: () => requests++,
        });
    });
    afterAll(() => emulator.close());
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-discover-run-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const env = () => ({ DIGITALOCEAN_TOKEN: TEST_TOKEN, DIGITALOCEAN_API_URL: emulator.url });
    const file = () => path.join(dir, "Pulumi.drop.yaml");

    it("lists the account without running pulumi", async () => {
        const pulumi = stand([]);
        const result = await discoverAccount({
            stack: "drop",
            force: false,
            env: env(),
            cwd: dir,
            pulumi: () => pulumi,
        });
        expect(result).toMatchObject({
            listed: [{ id: LB_ID, name: "proxy-lb" }],
            api: emulator.url,
        });
        expect(pulumi.runs).toEqual([]);
    });

    it("refuses to overwrite a stack file without --force, before any API call", async () => {
        writeFileSync(file(), "config: {}\n");
        const before = requests;
        await expect(
            discoverAccount({
                stack: "drop",
                wanted: "proxy-lb",
                force: false,
                env: env(),
                cwd: dir,
            }),
        ).rejects.toThrow("Pulumi.drop.yaml exists: discover does not overwrite it.");
        expect(requests).toBe(before);
        expect(readFileSync(file(), "utf8")).toBe("config: {}\n");
    });

    it.each([
        ["only imports: kept", imports(), true],
        [
            "a create besides: removed again",
            [...imports(), step("create", { new: resourceState(TYPES.droplet, "extra", {}) })],
            false,
        ],
    ])("%s", async (_what, steps, kept) => {
        const pulumi = stand(steps);
        const run = discoverAccount({
            stack: "drop",
            wanted: "proxy-lb",
            force: false,
            env: env(),
            cwd: dir,
            pulumi: () => pulumi,
        });
        if (kept)
            await expect(run).resolves.toMatchObject({
                adopted: { file: "Pulumi.drop.yaml", imports: 4, servers: 3, plan: { nodes: 2 } },
            });
        else await expect(run).rejects.toThrow("shows more than imports, so it was not kept");
        expect(existsSync(file())).toBe(kept);
        expect(pulumi.runs.map((args) => args.slice(0, 2))).toEqual([
            ["stack", "init"],
            ["preview", "--json"],
        ]);
    });
});
