// A masking server leaving the config, on the real engine: today's `up` stops (Pulumi will
// not delete a protected resource, even one it would only forget); `npm run forget` unprotects
// exactly the departed servers and the next `up` drops them from state with no droplet call.
import { afterEach, describe, expect, it } from "vitest";
import {
    baseConfig,
    disposeAll,
    MASKING_IDS,
    openProject,
    runCli,
    writes,
} from "../../sandbox/harness";

afterEach(disposeAll);

const protectedServers = async (p: Awaited<ReturnType<typeof openProject>>) => {
    const run = await p.pulumi("stack", "export");
    const { deployment } = JSON.parse(run.stdout) as {
        deployment: { resources: { urn: string; protect?: boolean; id?: string }[] };
    };
    return Object.fromEntries(
        deployment.resources
            .filter((r) => r.urn.includes("::masking-server-"))
            .map((r) => [r.id, r.protect === true]),
    );
};

describe("npm run forget", () => {
    it("forgets a droplet id removed from the config, keeps the others protected, and writes to no droplet", async () => {
        const p = await openProject();
        await p.up();
        const [gone, ...kept] = MASKING_IDS;
        p.writeConfig(baseConfig({ "proxy-lb:maskingServers": { ids: kept } }));

        const before = writes(p.emulator);
        const blocked = await p.up({ allowFailure: true });
        expect(blocked.status).not.toBe(0);
        expect(blocked.stdout).toContain(`masking-server-${gone}" cannot be deleted`);

        const dryRun = await runCli(p, "forget", "--stack", p.stack);
        expect(dryRun.status).toBe(0);
        expect(dryRun.stdout).toContain(`droplet ${gone} (mask-1)`);
        expect(dryRun.stdout).toContain("Run again with --yes");
        expect(await protectedServers(p)).toEqual(
            Object.fromEntries(MASKING_IDS.map((id) => [String(id), true])),
        );

        const forget = await runCli(p, "forget", "--stack", p.stack, "--yes");
        expect(forget.status, forget.stderr).toBe(0);
        expect(await protectedServers(p)).toEqual({
            [gone]: false,
            [kept[0]]: true,
            [kept[1]]: true,
        });

        await p.up();
        expect(await protectedServers(p)).toEqual({ [kept[0]]: true, [kept[1]]: true });
        expect(
            p.emulator.state.getLb(p.emulator.state.listLbs()[0].id).droplet_ids?.sort(),
        ).toEqual(kept.sort());
        const after = writes(p.emulator);
        expect(after.droplet).toBe(0);
        expect(after.lb - before.lb).toBe(1); // the LB's targets (the blocked run may already have sent it), nothing else
        expect(p.emulator.state.getDroplet(gone).name).toBe("mask-1"); // the droplet stays as it was

        const nothing = await runCli(p, "forget", "--stack", p.stack);
        expect(nothing.stdout).toContain("nothing to forget");
    });
});
