// The Terraform peer: the same load balancer as a Terraform configuration, driven by the
// installed `terraform` with the DigitalOcean provider built from the pinned source archive
// (the commit behind the Pulumi provider 4.57.0) into a cache outside the repository.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
    existsSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    renameSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import * as path from "node:path";

const SOURCES = "/work/shared/toolchain-src";
export const PROVIDER_ARCHIVE = path.join(
    SOURCES,
    "terraform-provider-digitalocean-ea617eca38d7.tar.xz",
);
export const PROVIDER_SHA256 = "60dd48c1718289e9502792be010f98ebedcd03ae10f97dc2002ce5a1381c8e3d";
const PROVIDER_BINARY = "terraform-provider-digitalocean";
/** The lone load balancer; and the load balancer with the masking droplets adopted read-only. */
export const TERRAFORM_CONFIG = path.join(__dirname, "fixtures", "terraform", "main.tf");
export const TERRAFORM_FLEET_CONFIG = path.join(
    __dirname,
    "fixtures",
    "terraform-fleet",
    "main.tf",
);

/** Where the built provider lives; keyed by the archive's hash so another source gets its own. */
export function providerCacheDir(home = homedir()): string {
    return path.join(
        home,
        ".cache",
        "proxy-lb",
        `terraform-provider-${PROVIDER_SHA256.slice(0, 12)}`,
    );
}

export type Peer =
    | { ok: true; terraform: string; providerDir: string; version: string }
    | { ok: false; reason: string };

/**
 * The installed terraform and the built provider, building it once (about a minute on 2 cores,
 * asynchronously so the untimed Pulumi setup runs meanwhile); or why not.
 */
export async function findTerraformPeer(log: (line: string) => void): Promise<Peer> {
    const terraform = [
        "/usr/local/bin/terraform",
        ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "terraform")),
    ].find((p) => existsSync(p));
    if (!terraform)
        return {
            ok: false,
            reason: "terraform is not installed (looked in /usr/local/bin and PATH)",
        };
    const version = spawnSync(terraform, ["version", "-json"], {
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" },
    });
    const terraformVersion =
        version.status === 0
            ? (JSON.parse(version.stdout) as { terraform_version: string }).terraform_version
            : "?";
    const providerDir = providerCacheDir();
    if (existsSync(path.join(providerDir, PROVIDER_BINARY)))
        return { ok: true, terraform, providerDir, version: terraformVersion };

    if (!existsSync(PROVIDER_ARCHIVE))
        return {
            ok: false,
            reason: `the provider's source archive is missing: ${PROVIDER_ARCHIVE}`,
        };
    const sha = createHash("sha256").update(readFileSync(PROVIDER_ARCHIVE)).digest("hex");
    if (sha !== PROVIDER_SHA256)
        return {
            ok: false,
            reason: `${PROVIDER_ARCHIVE} has sha256 ${sha}, expected ${PROVIDER_SHA256}: not building it`,
        };
    const go = spawnSync("go", ["version"], { encoding: "utf8" });
    if (go.status !== 0)
        return {
            ok: false,
            reason: "go is not installed: the Terraform provider is built from source",
        };

    log(
        `building the Terraform DigitalOcean provider from ${path.basename(PROVIDER_ARCHIVE)} into ${providerDir} (about a minute, once)`,
    );
    const src = mkdtempSync(path.join(tmpdir(), "proxy-lb-tf-provider-"));
    try {
        const untar = spawnSync(
            "tar",
            ["-xJf", PROVIDER_ARCHIVE, "-C", src, "--strip-components=1"],
            { encoding: "utf8" },
        );
        if (untar.status !== 0)
            return {
                ok: false,
                reason: `extracting ${PROVIDER_ARCHIVE} failed: ${untar.stderr.trim()}`,
            };
        mkdirSync(providerDir, { recursive: true });
        const partial = path.join(providerDir, `${PROVIDER_BINARY}.partial`);
        // Every dependency is vendored: no module download, whatever GOFLAGS the shell has.
        const build = await run("go", ["build", "-mod=vendor", "-trimpath", "-o", partial, "."], {
            cwd: src,
            env: {
                ...process.env,
                GOFLAGS: "-mod=vendor",
                GOPROXY: "off",
                GOTOOLCHAIN: "local",
                CGO_ENABLED: "0",
            },
        });
        if (build.status !== 0)
            return {
                ok: false,
                reason: `go build of the Terraform provider failed:\n${build.stderr.trim()}`,
            };
        renameSync(partial, path.join(providerDir, PROVIDER_BINARY)); // only a complete binary is ever found
        return { ok: true, terraform, providerDir, version: terraformVersion };
    } finally {
        rmSync(src, { recursive: true, force: true });
    }
}

function run(
    command: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
    timeoutMs = 600_000,
): Promise<TerraformRun> {
    return new Promise((resolve) => {
        const started = performance.now();
        const child = spawn(command, args, options);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", (err) => (stderr += String(err)));
        child.on("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stdout, stderr, ms: performance.now() - started });
        });
    });
}

export interface TerraformRun {
    status: number | null;
    stdout: string;
    stderr: string;
    ms: number;
}

export interface TerraformWorkdir {
    dir: string;
    run(...args: string[]): Promise<TerraformRun>;
    dispose(): void;
}

/**
 * A throw-away directory with the peer configuration and a CLI config whose dev_overrides
 * point at the built provider: no registry, no `terraform init`, no checkpoint call; `files`
 * are written beside it (e.g. terraform.tfvars.json).
 */
export function terraformWorkdir(
    peer: Extract<Peer, { ok: true }>,
    apiUrl: string,
    token: string,
    {
        config = TERRAFORM_CONFIG,
        files = {},
    }: { config?: string; files?: Record<string, string> } = {},
): TerraformWorkdir {
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-bench-tf-"));
    writeFileSync(path.join(dir, "main.tf"), readFileSync(config));
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    const cliConfig = path.join(dir, "terraform.rc");
    writeFileSync(
        cliConfig,
        `provider_installation {\n  dev_overrides {\n    "digitalocean/digitalocean" = ${JSON.stringify(peer.providerDir)}\n  }\n  direct {}\n}\n`,
    );
    const env = {
        ...process.env,
        TF_CLI_CONFIG_FILE: cliConfig,
        TF_IN_AUTOMATION: "1",
        CHECKPOINT_DISABLE: "1",
        DIGITALOCEAN_API_URL: apiUrl,
        DIGITALOCEAN_TOKEN: token,
    };
    // Asynchronous: the emulator answering it runs in this process.
    return {
        dir,
        run: (...args) => run(peer.terraform, args, { cwd: dir, env }, 240_000),
        dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
}
