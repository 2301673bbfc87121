// The pinned Pulumi toolchain (scripts/toolchain.sh): its bin directory (pulumi and the
// Node.js language host) and the Pulumi home where the DigitalOcean plugin is installed.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TOOLCHAIN_SCRIPT = path.join(ROOT, "scripts", "toolchain.sh");

export interface Toolchain {
    bin: string;
    /** The toolchain's own Pulumi home, with the plugin installed (sandboxes and tests use it). */
    home: string;
}

export class ToolchainUnavailable extends Error {
    constructor(
        readonly reasons: string[],
        readonly exitCode: number | null,
    ) {
        super(reasons.join("\n"));
        this.name = "ToolchainUnavailable";
    }
}

/**
 * Finds the toolchain, building or installing it first unless `check` (then a missing one is
 * reported, not built). `progress` shows the script's messages as they come (a build takes minutes).
 */
export function findToolchain({
    check = false,
    progress = false,
    home,
}: { check?: boolean; progress?: boolean; home?: string } = {}): Toolchain {
    const args = [
        TOOLCHAIN_SCRIPT,
        ...(check ? ["--check"] : []),
        ...(home ? ["--home", home] : []),
    ];
    const run = spawnSync("bash", args, {
        encoding: "utf8",
        stdio: ["ignore", "pipe", progress ? "inherit" : "pipe"],
    });
    const bin = run.stdout?.trim().split("\n").at(-1) ?? "";
    if (run.status !== 0 || bin === "") {
        const said = (run.stderr ?? "")
            .split("\n")
            .map((l) => l.replace(/^toolchain: /, ""))
            .filter(Boolean);
        throw new ToolchainUnavailable(
            said.length
                ? said
                : [
                      `scripts/toolchain.sh exited ${run.status}${run.error ? `: ${run.error.message}` : ""}`,
                  ],
            run.status,
        );
    }
    return { bin, home: path.join(path.dirname(bin), "home") };
}

/** The environment for running the toolchain's pulumi offline, on top of `base`. */
export function toolchainEnv(
    toolchain: Toolchain,
    base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
    return {
        ...base,
        PATH: `${toolchain.bin}${path.delimiter}${base.PATH ?? ""}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}
