// A throw-away sandbox for the real engine: a copy of the project in a temporary directory
// (so `pulumi config set` never edits the repository's stack files), a local file state
// backend, a random passphrase and token, and the DigitalOcean API emulator seeded with the
// stack's masking servers and its existing load balancer. Shared by `npm start` and the
// end-to-end tests.
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { loadSettings, Settings } from "../config";
import { readStackFile } from "../config/stackFile";
import { Emulator, seedFromIds, startEmulator } from "../emulator/server";
import { RECOMMENDED_SCOPES, tokenScopes } from "../config/scopes";
import { findToolchain, Toolchain, toolchainEnv } from "../ops/toolchain";

export const ROOT = path.resolve(__dirname, "..");
/** What the program needs at run time; everything else stays out of the copy. */
export const PROGRAM_FILES = [
    "index.ts",
    "Pulumi.yaml",
    "package.json",
    "tsconfig.json",
    "sizing",
    "config",
    "infra",
];

/**
 * DigitalOcean's one resize a minute and its busy answer during a resize, off: the drop cycle, most
 * end-to-end tests and the bench resize several times within a real minute, on purpose (the tests
 * of those limits and of single resizes seed them on).
 */
export const UNPACED_RESIZES = { resizeIntervalSeconds: 0, busyWhileResizing: false } as const;

export interface Sandbox {
    dir: string;
    stack: Stack;
    emulator: Emulator;
    /** The stack's settings as the repository has them. */
    baseline: Settings;
    /** Settings as the sandbox copy's stack file now has them. */
    current(): Settings;
    dispose(): Promise<void>;
}

export async function openSandbox(
    stackName: string,
    toolchain: Toolchain = findToolchain({ progress: true }),
): Promise<Sandbox> {
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-sandbox-"));
    for (const file of [...PROGRAM_FILES, `Pulumi.${stackName}.yaml`])
        cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const state = path.join(dir, ".pulumi-state");
    mkdirSync(state);

    const baseline = loadSettings(readStackFile(stackName, dir));
    // The emulator knows only this token, with the scopes the docs recommend (to create a load
    // balancer, the program's create scopes), so a call outside them fails here as it would live.
    const token = `sandbox-${randomBytes(12).toString("hex")}`;
    const scopes = baseline.config.loadBalancer.id
        ? [...RECOMMENDED_SCOPES]
        : tokenScopes("programCreate");
    const emulator = await startEmulator({
        port: 0,
        seed: { ...seedFor(baseline), ...UNPACED_RESIZES, tokens: [{ token, scopes }] },
    });
    try {
        // Loaded here, not with the module: the tests and the bench that import this file for
        // its seed and config helpers do not pay for the Automation API (and TypeScript) it loads.
        // By file: Node.js's own import() (commands run under tsx's CommonJS hook) takes no
        // directory.
        const { LocalWorkspace, PulumiCommand } =
            await import("@pulumi/pulumi/automation/index.js");
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName, workDir: dir },
            {
                pulumiCommand: await PulumiCommand.get({
                    root: path.dirname(toolchain.bin),
                    skipVersionCheck: false,
                }),
                envVars: {
                    ...(toolchainEnv(toolchain, { PATH: process.env.PATH }) as Record<
                        string,
                        string
                    >),
                    PULUMI_HOME: toolchain.home,
                    PULUMI_BACKEND_URL: `file://${state}`,
                    PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
                    DIGITALOCEAN_TOKEN: token,
                },
            },
        );
        // The stack file pins a port; the sandbox's emulator listens on a free one.
        await stack.setConfig("digitalocean:apiEndpoint", { value: emulator.url });
        return {
            dir,
            stack,
            emulator,
            baseline,
            current: () => loadSettings(readStackFile(stackName, dir)),
            dispose: async () => {
                await emulator.close();
                rmSync(dir, { recursive: true, force: true });
            },
        };
    } catch (err) {
        await emulator.close();
        rmSync(dir, { recursive: true, force: true });
        throw err;
    }
}

/** The account as the stack expects to find it: its masking droplets and, if adopted, its LB at one node. */
function seedFor({ config }: Settings) {
    const ids = config.maskingServers.ids ?? [];
    const lb = config.loadBalancer;
    return seedFromIds(ids, {
        region: config.region,
        tags: config.maskingServers.tag ? [config.maskingServers.tag] : [],
        loadBalancers: lb.id
            ? [
                  {
                      id: lb.id,
                      name: lb.name,
                      region: config.region,
                      size_unit: 1,
                      droplet_ids: ids,
                      forwarding_rules: (lb.forwarding ?? [{ port: 8080 }]).map((rule) => ({
                          entry_protocol: "tcp",
                          entry_port: rule.port,
                          target_protocol: "tcp",
                          target_port: rule.targetPort ?? rule.port,
                      })),
                      health_check: { protocol: "tcp", port: lb.healthCheck?.port ?? 8080 },
                  },
              ]
            : [],
    });
}
