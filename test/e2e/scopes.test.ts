// The token scopes of config/scopes.ts on the real engine and provider, with the emulator refusing
// what a token's scopes do not grant (DigitalOcean's 403): the drop cycle, rollback, drift and
// observe run on the recommended token; a program without the masking servers' guardrails has
// every droplet write refused by the API itself; a token without load_balancer:update fails the
// resize with a line naming the scope. Each step's endpoints, from the request log, are printed
// as `[observed] endpoints <step> …`: the evidence behind the scope table.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../emulator/server";
import { scopeForRequest, tokenScopes, withRequired, type Command } from "../../config/scopes";
import { logMark, logSince, observed } from "./apiTraffic";
import {
    baseConfig,
    baseSeed,
    disposeAll,
    type E2eProject,
    LB_ID,
    MASKING_IDS,
    openProject,
    runCli,
} from "../../sandbox/harness";
import { unlockedMaskingServers } from "./fixtures/variants";

afterEach(disposeAll);

const demand = (users: number) => ({ "proxy-lb:demand": { users, tasksPerUser: 2000 } });
const T0 = Date.UTC(2026, 10, 27, 14, 0, 0) / 1000;
const iso = (unixSeconds: number) =>
    new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/** The account of baseSeed, with an hour of load balancer metrics for observe. */
function seedWithMetrics() {
    const seed = baseSeed();
    const points = (values: number[]) => values.map((v, i): [number, number] => [T0 + i * 600, v]);
    seed.metrics = {
        loadBalancers: {
            [LB_ID]: {
                frontend_connections_current: {
                    points: points([1200, 4800, 7600, 3000, 900, 400, 300]),
                },
                frontend_cpu_utilization: { points: points([5, 22, 41, 18, 7, 4, 3]) },
            },
        },
    };
    return seed;
}

/** The endpoints a step called (method, path template, scope) and whether each was refused. */
function endpoints(emulator: Emulator, mark: number) {
    const entries = logSince(emulator, mark);
    const called = [
        ...new Set(
            entries.map((e) => {
                const endpoint = scopeForRequest(e.method, e.path);
                return endpoint
                    ? `${endpoint.method} ${endpoint.path} (${endpoint.scope})`
                    : `${e.method} ${e.path} (unknown)`;
            }),
        ),
    ].sort();
    const refused = entries
        .filter((e) => e.status === 401 || e.status === 403)
        .map((e) => `${e.method} ${e.path} ${e.status}`);
    return {
        called,
        refused,
        scopes: withRequired([
            ...new Set(entries.flatMap((e) => scopeForRequest(e.method, e.path)?.scope ?? [])),
        ]),
    };
}

/** Runs a step, prints what it called and checks every scope it needed is its token's. */
async function step<T>(
    p: E2eProject,
    name: string,
    token: Command | "recommended",
    run: () => Promise<T>,
): Promise<T> {
    const mark = logMark(p.emulator);
    const result = await run();
    const seen = endpoints(p.emulator, mark);
    observed(`endpoints ${name}`, { token, called: seen.called, refused: seen.refused });
    expect(seen.refused, `${name} on the ${token} token`).toEqual([]);
    const granted =
        token === "recommended"
            ? withRequired(["load_balancer:update", "certificate:read", "monitoring:read"])
            : tokenScopes(token);
    for (const scope of seen.scopes) expect(granted, `${name} needed ${scope}`).toContain(scope);
    return result;
}

describe("the recommended token", () => {
    it("runs the drop cycle, rollback, drift and observe; every request is granted", async () => {
        const p = await openProject({ seed: seedWithMetrics(), token: "recommended" });
        const recommended = { token: "recommended" } as const;
        await step(p, "up (adopt)", "recommended", () => p.up());
        p.writeConfig(baseConfig(demand(40)));
        await step(p, "up (resize to 10)", "recommended", () => p.up());
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);

        // The rollback's gate reads the crowd before scaling down: at the end of the seeded hour (300 connections), so it is fresh.
        p.env.PROXY_LB_NOW = iso(T0 + 3600);
        const rollback = await step(p, "rollback", "recommended", () =>
            runCli(p, { name: "rollback", ...recommended }, "--stack", p.stack, "--yes"),
        );
        delete p.env.PROXY_LB_NOW;
        expect(rollback.status, rollback.stdout + rollback.stderr).toBe(0);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);

        const drift = await step(p, "drift", "recommended", () =>
            runCli(p, { name: "drift", ...recommended }, "--stack", p.stack),
        );
        expect(drift.status, drift.stdout + drift.stderr).toBe(0);

        const observe = await step(p, "observe", "recommended", () =>
            runCli(
                p,
                { name: "observe", ...recommended },
                "--stack",
                p.stack,
                "--from",
                iso(T0),
                "--to",
                iso(T0 + 3600),
                "--json",
            ),
        );
        expect(observe.status, observe.stderr).toBe(0);
        expect(JSON.parse(observe.stdout)).toMatchObject({
            peak: expect.objectContaining({ connections: 7600 }),
        });

        const gate = await step(p, "gate", "recommended", () =>
            runCli(p, { name: "gate", ...recommended }, "--stack", p.stack),
        );
        expect(gate.status, gate.stdout + gate.stderr).toBe(0);
        expect(p.emulator.state.summary()).toMatchObject({ dropletWrites: 0 });
    });

    it("a program without protect and ignoreChanges on the masking servers: DigitalOcean refuses every droplet write, none happens, and the run says the token did its job", async () => {
        const p = await openProject({ files: unlockedMaskingServers(), token: "recommended" });
        await p.up();
        // Changed in the console: the variant now declares a rename and a resize (a power-off first).
        p.emulator.state.patchDroplet(MASKING_IDS[0], {
            name: "renamed-in-console",
            size: "s-2vcpu-4gb",
        });
        p.emulator.state.patchDroplet(MASKING_IDS[1], { name: "renamed-too" });
        const mark = logMark(p.emulator);
        const up = await runCli(
            p,
            { name: "pulumi", token: "recommended" },
            "up",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--stack",
            p.stack,
        );
        expect(up.status).not.toBe(0);
        const attempts = logSince(p.emulator, mark).filter(
            (e) => e.write && (e.kind === "droplet" || (e.dropletIds?.length ?? 0) > 0),
        );
        observed("droplet writes on the recommended token", {
            attempts: attempts.map(
                (e) => `${e.method} ${e.path} ${e.status} ${JSON.stringify(e.missingScopes)}`,
            ),
            exit: up.status,
        });
        expect(attempts.length).toBeGreaterThan(0);
        for (const attempt of attempts)
            expect(attempt).toMatchObject({ status: 403, missingScopes: ["droplet:update"] });
        expect(p.emulator.state.summary().effectiveWrites.droplet ?? {}).toEqual({});
        expect(p.emulator.state.getDroplet(MASKING_IDS[0])).toMatchObject({
            name: "renamed-in-console",
            size_slug: "s-2vcpu-4gb",
            status: "active",
        });
        expect(up.stderr).toContain(
            "DigitalOcean refused POST /v2/droplets/{id}/actions: the token has no droplet:update, on purpose",
        );
        expect(up.stderr).not.toContain("the token lacks droplet:update");
    });
});

describe("a token without load_balancer:update", () => {
    const noUpdate = withRequired([
        "load_balancer:read",
        "droplet:read",
        "certificate:read",
        "monitoring:read",
    ]);

    it("fails the resize, through the pulumi wrapper and through rollback, with a line naming the scope and how to add it; nothing changes", async () => {
        const p = await openProject({ extraTokens: { noUpdate } });
        await p.up();
        p.writeConfig(baseConfig(demand(40)));
        const mark = logMark(p.emulator);
        const up = await runCli(
            p,
            { name: "pulumi", token: "noUpdate" },
            "up",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--stack",
            p.stack,
        );
        const said = up.stdout + up.stderr;
        observed("resize without load_balancer:update", {
            exit: up.status,
            provider: said.match(/error: .*Error updating Load Balancer.*$/m)?.[0],
            hint: up.stderr.split("\n").find((l) => l.startsWith("the token lacks")),
        });
        expect(up.status).not.toBe(0);
        expect(said).toMatch(
            /PUT http:\/\/127\.0\.0\.1:\d+\/v2\/load_balancers\/[0-9a-f-]+: 403 .*you do not have access for the attempted action/,
        );
        expect(up.stderr).toContain(
            "the token lacks load_balancer:update (needed for PUT /v2/load_balancers/{id}): add it (console: API > Tokens > edit scopes)",
        );
        expect(
            logSince(p.emulator, mark)
                .filter((e) => e.write)
                .map((e) => [e.method, e.status, e.missingScopes]),
        ).toEqual([["PUT", 403, ["load_balancer:update"]]]);
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(1);

        // rollback's own `up` (ops/pulumiCli.ts) says the same: scale up on the program's token, roll back on the narrow one.
        await p.up();
        const rollback = await runCli(
            p,
            { name: "rollback", token: "noUpdate" },
            "--stack",
            p.stack,
            "--yes",
        );
        expect(rollback.status).toBe(1);
        expect(rollback.stderr).toContain(
            "the token lacks load_balancer:update (needed for PUT /v2/load_balancers/{id}): add it (console: API > Tokens > edit scopes)",
        );
        expect(p.emulator.state.getLb(LB_ID).size_unit).toBe(10);
    });
});
