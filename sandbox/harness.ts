// End-to-end rig: the real Pulumi CLI, Node.js language host and DigitalOcean provider
// (scripts/toolchain.sh) running this project's program against the local API emulator.
// Each project is a throw-away copy of the program with its own stack file, file state
// backend, passphrase, token and emulator, driven with the `pulumi` CLI as operators do.
import { spawn, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
    cpSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { Emulator, Seed, seedFromIds, startEmulator } from "../emulator/server";
import { jsonFromStdout, parsePreviewDigest, PreviewDigest } from "../ops/pulumiJson";
import { COMMAND_SCOPES, type Command, RECOMMENDED_SCOPES, tokenScopes } from "../config/scopes";
import { findToolchain, Toolchain, toolchainEnv } from "../ops/toolchain";
import { PROGRAM_FILES, ROOT, UNPACED_RESIZES } from "./workspace";

export { ROOT };
export const LB_ID = "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40";
export const MASKING_IDS = [501000101, 501000102, 501000103];
const COMMAND_TIMEOUT_MS = 240_000;

/**
 * The real toolchain, or an error that fails every end-to-end test with the reason (never a
 * skip): `npm test` builds it first, and says why when it cannot.
 */
export function toolchain(): Toolchain {
    return (cached ??= findToolchain({ check: true }));
}
let cached: Toolchain | undefined;

/** A stack config as a stack file holds it (namespaced keys, nested YAML values). */
export type StackConfig = Record<string, unknown>;

export function baseConfig(overrides: StackConfig = {}): StackConfig {
    return {
        "proxy-lb:region": "nyc3",
        "proxy-lb:loadBalancer": {
            name: "proxy-lb",
            id: LB_ID,
            forwarding: [{ port: 8080 }],
            healthCheck: { port: 8080 },
        },
        "proxy-lb:maskingServers": { ids: MASKING_IDS },
        "proxy-lb:demand": { users: 1, tasksPerUser: 2000 },
        ...overrides,
    };
}

/** The account as an operator would have it: the masking droplets and the LB in front of them at one node. */
export function baseSeed({
    lb = true,
    ids = MASKING_IDS,
    tags = ["masking"],
}: { lb?: boolean; ids?: number[]; tags?: string[] } = {}): Seed {
    return seedFromIds(ids, {
        region: "nyc3",
        tags,
        loadBalancers: lb
            ? [
                  {
                      id: LB_ID,
                      name: "proxy-lb",
                      region: "nyc3",
                      size_unit: 1,
                      droplet_ids: ids,
                      forwarding_rules: [
                          {
                              entry_protocol: "tcp",
                              entry_port: 8080,
                              target_protocol: "tcp",
                              target_port: 8080,
                          },
                      ],
                      health_check: { protocol: "tcp", port: 8080 },
                  },
              ]
            : [],
    });
}

export interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

export interface E2eProject {
    dir: string;
    stack: string;
    emulator: Emulator;
    env: NodeJS.ProcessEnv;
    /** The account's tokens by name (see TokenName); `env` carries the one pulumi runs on. */
    tokens: Record<string, string>;
    /** Runs pulumi on this token from now on (the CLIs keep their own: see runCli). */
    useToken(name: TokenName): void;
    /** Replaces the stack file's config (the emulator endpoint is always added). */
    writeConfig(config: StackConfig): void;
    readStackFile(): string;
    /** Runs `pulumi <args> --stack <stack> --non-interactive` in the project. */
    pulumi(...args: string[]): Promise<Run>;
    /** Starts a run that the test may kill; the kill reaches every process of this project. */
    start(...args: string[]): { done: Promise<Run>; kill(signal: NodeJS.Signals): void };
    /** `pulumi up --yes`; throws with the output unless `allowFailure`. */
    up(opts?: { allowFailure?: boolean; args?: string[] }): Promise<Run>;
    /** `pulumi preview --json` as the gate reads it. */
    preview(...args: string[]): Promise<{ digest: PreviewDigest; run: Run }>;
    outputs(): Promise<Record<string, unknown>>;
    dispose(): Promise<void>;
    /** The shared state backend this project logged in to, when not its own file backend. */
    backend?: TeamBackend;
}

/**
 * A state backend shared by several working copies, as a team has it (an S3 bucket such as
 * DigitalOcean Spaces): each copy gets its own Pulumi home (the toolchain's plugins linked in)
 * and runs `pulumi login <loginUrl>` with `env` (the bucket's credentials), as an operator does.
 */
export interface TeamBackend {
    loginUrl: string;
    env?: Record<string, string>;
}

/**
 * The tokens every project's account knows, each with exactly its scopes (the emulator refuses
 * the rest, as DigitalOcean does): one per command of COMMAND_SCOPES, named after it (`program`,
 * `programCreate`, `gate`, `rollback`, `drift`, `forget`, `observe`, `discover`, `autopilot`),
 * `recommended` (RECOMMENDED_SCOPES), `fullAccess` (the legacy full-access scope: only for a
 * test about something else, which says why), and any `extraTokens` a test adds.
 */
export type TokenName = Command | "recommended" | "fullAccess" | (string & {});

function accountTokens(extra: Record<string, readonly string[]>): {
    names: Record<string, string>;
    seed: { token: string; scopes: string[] }[];
} {
    const scopes: Record<string, readonly string[]> = {
        ...Object.fromEntries(
            (Object.keys(COMMAND_SCOPES) as Command[]).map((command) => [
                command,
                tokenScopes(command),
            ]),
        ),
        recommended: RECOMMENDED_SCOPES,
        fullAccess: ["write"],
        ...extra,
    };
    const names = Object.fromEntries(
        Object.keys(scopes).map((name) => [name, `e2e-${name}-${randomBytes(12).toString("hex")}`]),
    );
    return {
        names,
        seed: Object.entries(scopes).map(([name, list]) => ({
            token: names[name],
            scopes: [...list],
        })),
    };
}

const open: E2eProject[] = [];

export async function openProject({
    config = baseConfig(),
    seed = baseSeed(),
    stack = "e2e",
    files = {},
    backend,
    workingCopyOf,
    token,
    extraTokens = {},
}: {
    config?: StackConfig;
    seed?: Seed;
    /**
     * The token pulumi runs on: by default the program's narrowest, `program` (adopt and
     * resize), or `programCreate` when the config has no loadBalancer.id (the program creates it).
     */
    token?: TokenName;
    /** More tokens for the account, by name: their scopes (DigitalOcean's required ones are not added). */
    extraTokens?: Record<string, readonly string[]>;
    stack?: string;
    files?: Record<string, string>;
    /** Log in to this shared backend instead of a file backend of the project's own. */
    backend?: TeamBackend;
    /**
     * Another working copy of that project and stack (a second operator's clone): the same
     * backend, emulator (DigitalOcean account), passphrase, token and stack file; the stack
     * already exists, so no `stack init`. `config`, `seed` and `backend` are taken from it.
     */
    workingCopyOf?: E2eProject;
} = {}): Promise<E2eProject> {
    if (workingCopyOf) {
        backend = workingCopyOf.backend;
        stack = workingCopyOf.stack;
    }
    const tools = toolchain();
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-e2e-"));
    for (const file of PROGRAM_FILES)
        cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    mkdirSync(path.join(dir, ".state"));
    const account = workingCopyOf
        ? { names: workingCopyOf.tokens, seed: [] }
        : accountTokens(extraTokens);
    const emulator = workingCopyOf
        ? workingCopyOf.emulator
        : await startEmulator({
              port: 0,
              seed: {
                  ...seed,
                  resizeIntervalSeconds:
                      seed.resizeIntervalSeconds ?? UNPACED_RESIZES.resizeIntervalSeconds,
                  busyWhileResizing: seed.busyWhileResizing ?? UNPACED_RESIZES.busyWhileResizing,
                  tokens: [...(seed.tokens ?? []), ...account.seed],
              },
          });
    const adopts =
        typeof (config["proxy-lb:loadBalancer"] as { id?: unknown } | undefined)?.id === "string";
    const tokenName = token ?? (adopts ? "program" : "programCreate");
    if (!account.names[tokenName])
        throw new Error(
            `openProject: no token named ${tokenName} (known: ${Object.keys(account.names).join(", ")})`,
        );
    const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
    const env: NodeJS.ProcessEnv = {
        ...toolchainEnv(tools),
        PULUMI_HOME: tools.home,
        PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
        DIGITALOCEAN_TOKEN: account.names[tokenName],
        // Marks every process of this project (CLI, language host, program, provider) so a
        // killed run's survivors in their own process groups can be found and stopped.
        PROXY_LB_E2E_PROJECT: dir,
    };
    delete env.DIGITALOCEAN_API_URL;
    if (workingCopyOf) {
        env.PULUMI_CONFIG_PASSPHRASE = workingCopyOf.env.PULUMI_CONFIG_PASSPHRASE;
        if (token === undefined) env.DIGITALOCEAN_TOKEN = workingCopyOf.env.DIGITALOCEAN_TOKEN;
    }
    if (backend) {
        delete env.PULUMI_BACKEND_URL;
        env.PULUMI_HOME = path.join(dir, ".pulumi-home");
        mkdirSync(env.PULUMI_HOME);
        symlinkSync(path.join(tools.home, "plugins"), path.join(env.PULUMI_HOME, "plugins"), "dir");
        Object.assign(env, backend.env);
    }

    const writeConfig = (config: StackConfig) =>
        writeFileSync(
            stackFile,
            stringify({ config: { "digitalocean:apiEndpoint": emulator.url, ...config } }),
        );
    if (workingCopyOf) writeFileSync(stackFile, workingCopyOf.readStackFile());
    else writeConfig(config);

    const start = (...args: string[]) => {
        const { child, done } = spawnRun(
            "pulumi",
            [...args, "--stack", stack, "--non-interactive"],
            { cwd: dir, env, detached: true },
            () => killProjectProcesses(dir),
        );
        return {
            done,
            kill(signal: NodeJS.Signals) {
                process.kill(-child.pid!, signal);
                if (signal === "SIGKILL") killProjectProcesses(dir);
            },
        };
    };
    const pulumi = (...args: string[]) => start(...args).done;

    const project: E2eProject = {
        dir,
        stack,
        emulator,
        env,
        tokens: account.names,
        useToken(name) {
            if (!account.names[name]) throw new Error(`useToken: no token named ${name}`);
            env.DIGITALOCEAN_TOKEN = account.names[name];
        },
        writeConfig,
        readStackFile: () => readFileSync(stackFile, "utf8"),
        pulumi,
        start,
        async up({ allowFailure = false, args = [] } = {}) {
            const run = await pulumi("up", "--yes", "--skip-preview", ...args);
            if (run.status !== 0 && !allowFailure)
                throw new Error(
                    `pulumi up failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`,
                );
            return run;
        },
        async preview(...args: string[]) {
            const run = await pulumi("preview", "--json", ...args);
            return { digest: parsePreviewDigest(jsonFromStdout(run.stdout)), run };
        },
        async outputs() {
            const run = await pulumi("stack", "output", "--json", "--show-secrets");
            if (run.status !== 0) throw new Error(`pulumi stack output failed: ${run.stderr}`);
            return JSON.parse(run.stdout) as Record<string, unknown>;
        },
        backend,
        async dispose() {
            killProjectProcesses(dir);
            if (!workingCopyOf) await emulator.close();
            rmSync(dir, { recursive: true, force: true });
            open.splice(open.indexOf(project), 1);
        },
    };
    if (backend) {
        const login = await runPulumiIn(dir, env, "login", backend.loginUrl);
        if (login.status !== 0) {
            await project.dispose();
            throw new Error(
                `pulumi login ${backend.loginUrl} failed: ${login.stdout}${login.stderr}`,
            );
        }
    }
    const init = workingCopyOf ? { status: 0, stderr: "" } : await pulumi("stack", "init");
    if (init.status !== 0) {
        await project.dispose();
        throw new Error(`pulumi stack init failed: ${init.stderr}`);
    }
    open.push(project);
    return project;
}

/** Runs `pulumi <args>` as given (no --stack: e.g. `login`, `whoami`), asynchronously. */
export function runPulumiIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
    const { child, done } = spawnRun("pulumi", args, { cwd, env }, () => child.kill("SIGKILL"));
    return done;
}

/**
 * Spawns a command, collecting its output; `onTimeout` runs after COMMAND_TIMEOUT_MS. Resolves
 * on 'exit', not 'close': a killed CLI's plugins may keep its pipes open until they are stopped.
 */
function spawnRun(command: string, args: string[], options: SpawnOptions, onTimeout: () => void) {
    const child = spawn(command, args, { ...options, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(onTimeout, COMMAND_TIMEOUT_MS);
    const done = new Promise<Run>((resolve) =>
        child.on("exit", (status) => {
            clearTimeout(timer);
            setImmediate(() => resolve({ status, stdout, stderr }));
        }),
    );
    return { child, done };
}

/** Disposes every project a test left open (call from afterEach). */
export async function disposeAll(): Promise<void> {
    await Promise.all([...open].map((p) => p.dispose()));
}

/** Stops every process that carries this project's marker (plugins outlive a killed CLI). */
export function killProjectProcesses(dir: string): void {
    for (const pid of projectProcesses(dir)) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // gone already
        }
    }
}

/** Writes the emulator saw, by kind: load balancer writes per id, and every write aimed at a droplet. */
export function writes(emulator: Emulator) {
    const summary = emulator.state.summary();
    const lb = Object.values(summary.writes.load_balancer ?? {}).reduce((a, b) => a + b, 0);
    return { lb, droplet: summary.dropletWrites, all: summary.totals.writes };
}

/**
 * Runs one of this repository's CLIs (`cli/<name>.ts`: gate, rollback, drift, …) in the project
 * as an operator would (`npm run <name> -- …`), asynchronously: the emulator lives in this process.
 * A command of COMMAND_SCOPES runs on its own token (the narrowest it needs) unless `token` names
 * another; any other CLI on the project's.
 */
export function runCli(p: E2eProject, name: string, ...args: string[]): Promise<Run>;
export function runCli(
    p: E2eProject,
    run: { name: string; token: TokenName },
    ...args: string[]
): Promise<Run>;
export function runCli(
    p: E2eProject,
    command: string | { name: string; token: TokenName },
    ...args: string[]
): Promise<Run> {
    const { name, token } =
        typeof command === "string" ? { name: command, token: undefined } : command;
    const tokenName = token ?? (name in COMMAND_SCOPES ? name : undefined);
    if (tokenName !== undefined && !p.tokens[tokenName])
        throw new Error(`runCli: no token named ${tokenName}`);
    const env =
        tokenName === undefined ? p.env : { ...p.env, DIGITALOCEAN_TOKEN: p.tokens[tokenName] };
    // As the npm scripts run it: one Node.js process (the tsx command would start a second).
    const script = path.join(ROOT, "cli", `${name}.ts`);
    return spawnRun(
        process.execPath,
        ["--require", "tsx/cjs", script, ...args],
        { cwd: p.dir, env },
        () => killProjectProcesses(p.dir),
    ).done;
}

/** Pids of the processes that still carry this project's marker (none once a killed run is fully gone). */
export function projectProcesses(dir: string): number[] {
    const marker = `PROXY_LB_E2E_PROJECT=${dir}`;
    return readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
        .filter((pid) => {
            try {
                return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker);
            } catch {
                return false; // gone already
            }
        })
        .map(Number);
}
