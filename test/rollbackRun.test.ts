// ops/rollbackRun.ts: the rollback's steps in order, one moment pinned for every pulumi run, and
// the stack file written back only after a good `up` (a stand-in Pulumi object; the real
// process is test/rollback.test.ts's, the real engine test/e2e's).
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Pulumi } from "../ops/pulumiCli";
import {
    readBackArgs,
    rollbackUpArgs,
    runRollback,
    upFailure,
    type RollbackStep,
} from "../ops/rollbackRun";
import {
    baseSteps,
    demandFor,
    digest,
    dropletSames,
    historyEntry,
    historyJson,
    lbGoal,
    lbState,
    updateStep,
} from "./support/pulumiFixtures";

const ROOT = path.resolve(__dirname, "..");
const DROP_FILE = readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8");
const NOW = Date.parse("2027-11-26T13:30:00Z");
const URN = "urn:pulumi:drop::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb";

describe("the pulumi arguments and the failure line", () => {
    it.each([
        [undefined, []],
        ["policy", ["--policy-pack", "policy"]],
    ])("up with policy pack %s", (pack, extra) => {
        expect(rollbackUpArgs("drop", "/s/Pulumi.drop.yaml", pack)).toEqual([
            "up",
            "--yes",
            "--non-interactive",
            "--stack",
            "drop",
            "--config-file",
            "/s/Pulumi.drop.yaml",
            ...extra,
        ]);
    });

    it("reads back the load balancer alone, without a preview", () => {
        expect(readBackArgs("drop", "/s/f")).toEqual([
            "refresh",
            "--yes",
            "--non-interactive",
            "--skip-preview",
            "--stack",
            "drop",
            "--config-file",
            "/s/f",
            "--target",
            URN,
        ]);
    });

    it.each([
        [
            true,
            "rollback: pulumi up failed (exit 255); Pulumi.drop.yaml was left as it was. The load balancer's state was read back (pulumi refresh), so the next run is not blocked. Check `pulumi stack history --stack drop`.",
        ],
        [
            false,
            `rollback: pulumi up failed (exit 255); Pulumi.drop.yaml was left as it was. Reading the load balancer back failed too: run \`pulumi refresh --stack drop --target '${URN}'\` before the next run. Check \`pulumi stack history --stack drop\`.`,
        ],
    ])("a failed up, read back %s", (refreshed, line) => {
        expect(upFailure({ status: 255, refreshed, file: "Pulumi.drop.yaml", stack: "drop" })).toBe(
            line,
        );
    });
});

describe("runRollback with a stand-in pulumi", () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** Version 1 ran at 3 nodes, version 2 (now) at 1: rolling back to 1 scales up, so nothing reads the API. */
    const setup = (answers: { up?: number; refresh?: number } = {}) => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-rollback-run-"));
        writeFileSync(path.join(dir, "Pulumi.drop.yaml"), DROP_FILE);
        const calls: string[][] = [];
        const envs: Record<string, string>[] = [];
        const pulumi = (env: Record<string, string>): Pulumi => {
            envs.push(env);
            return {
                capture(args) {
                    calls.push(args);
                    return { status: answers.refresh ?? 0, stdout: "", stderr: "" };
                },
                interactive(args) {
                    calls.push(args);
                    // Pulumi adds to the config file it used (a new encryption salt): that copy is kept.
                    const file = args[args.indexOf("--config-file") + 1];
                    appendFileSync(file, "encryptionsalt: v1:abc\n");
                    return answers.up ?? 0;
                },
                json(args, parse) {
                    calls.push(args);
                    const out =
                        args[0] === "stack"
                            ? historyJson([
                                  historyEntry(1, { demand: { tasksPerUser: 2000, users: 12 } }),
                                  historyEntry(2, { demand: demandFor(1) }),
                              ])
                            : digest([
                                  ...baseSteps(),
                                  ...dropletSames(),
                                  updateStep(lbState(1), lbGoal(3), ["sizeUnit"]),
                              ]);
                    return { value: parse(out), status: 0, stderr: "" };
                },
                async jsonAsync(args, parse) {
                    return this.json(args, parse);
                },
            };
        };
        return { calls, envs, pulumi };
    };
    const run = (
        pulumi: (env: Record<string, string>) => Pulumi,
        steps: RollbackStep[],
        yes: boolean,
    ) =>
        runRollback(
            { stack: "drop", to: 1, allow: [], now: NOW, env: {}, cwd: dir },
            { step: (s) => steps.push(s), confirm: () => Promise.resolve(yes), pulumi },
        );

    it("pins the one moment for pulumi, shows each step in order, and keeps pulumi's copy of the file", async () => {
        const { calls, envs, pulumi } = setup();
        const steps: RollbackStep[] = [];
        const result = await run(pulumi, steps, true);
        expect(envs).toEqual([{ PROXY_LB_NOW: "2027-11-26T13:30:00Z" }]);
        expect(steps.map((s) => s.step)).toEqual(["picked", "gated", "previewed"]);
        expect(steps.at(-1)).toMatchObject({ change: { from: 1, to: 3 } });
        expect(calls.map((args) => args[0])).toEqual(["stack", "preview", "up"]);
        expect(result).toMatchObject({ applied: true, file: "Pulumi.drop.yaml" });
        expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toMatch(
            /encryptionsalt: v1:abc\n$/,
        );
    });

    it.each([
        ["answered no", {}, false, undefined],
        [
            "up failed, read back",
            { up: 255 },
            true,
            "The load balancer's state was read back (pulumi refresh)",
        ],
        [
            "up failed, not read back",
            { up: 255, refresh: 1 },
            true,
            "Reading the load balancer back failed too",
        ],
    ])(
        "%s: the stack file is left as it was",
        async (_what, answers: { up?: number }, yes, error) => {
            const { calls, pulumi } = setup(answers);
            const outcome = run(pulumi, [], yes);
            if (error === undefined) await expect(outcome).resolves.toEqual({ applied: false });
            else await expect(outcome).rejects.toThrow(error);
            expect(readFileSync(path.join(dir, "Pulumi.drop.yaml"), "utf8")).toBe(DROP_FILE);
            expect(calls.map((args) => args[0])).toEqual(
                yes
                    ? ["stack", "preview", "up", ...(answers.up ? ["refresh"] : [])]
                    : ["stack", "preview"],
            );
        },
    );
});
