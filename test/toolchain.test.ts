// scripts/toolchain.sh's refusals, as a user meets them: a cache with nothing built, an
// archive that is not the pinned one, and a machine with neither archives nor internet.
// (The build itself runs in every `npm test` and `npm start`: the end-to-end suite uses it.)
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = path.resolve(__dirname, "..", "scripts", "toolchain.sh");
const SOURCES = path.resolve(__dirname, "..", "..", "shared", "toolchain-src");
let scratch: string[] = [];
afterEach(() => {
    scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
    scratch = [];
});
const tmp = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-toolchain-"));
    scratch.push(dir);
    return dir;
};
const run = (args: string[], env: Record<string, string>) =>
    spawnSync("bash", [SCRIPT, ...args], {
        encoding: "utf8",
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
        timeout: 60_000,
    });

describe("scripts/toolchain.sh", () => {
    it("--check on an empty cache: exit 3, saying what to run, building nothing", () => {
        const cache = tmp();
        const check = run(["--check"], { PROXY_LB_TOOLCHAIN_CACHE: cache });
        expect(check.status).toBe(3);
        expect(check.stderr).toContain("is not built yet");
        expect(check.stderr).toContain("Run `npm start`");
        expect(readdirSync(cache)).toEqual([]);
    });

    it("refuses an archive whose sha256 is not the pinned one, before building anything", () => {
        const sources = tmp();
        for (const file of readdirSync(SOURCES).filter((f) => f.endsWith(".tar.xz")))
            copyFileSync(path.join(SOURCES, file), path.join(sources, file));
        const tampered = readdirSync(sources).find((f) => f.startsWith("pulumi-digitalocean-"))!;
        writeFileSync(path.join(sources, tampered), "not the archive");
        const build = run(["--sources", sources], { PROXY_LB_TOOLCHAIN_CACHE: tmp() });
        expect(build.status).toBe(3);
        expect(build.stderr).toMatch(
            new RegExp(
                `${tampered} has sha256 [0-9a-f]{64}, not the pinned 5457e2fa.*: refusing to build from it`,
            ),
        );
        expect(build.stderr).not.toContain("building");
    });

    it("with no archives and no way to reach the official installer: exit 3, saying why and how to install", () => {
        const build = run(["--sources", path.join(tmp(), "none")], {
            PROXY_LB_TOOLCHAIN_CACHE: tmp(),
            PATH: "/usr/bin:/bin",
            https_proxy: "http://127.0.0.1:9",
        });
        expect(build.status).toBe(3);
        expect(build.stderr).toContain("get.pulumi.com is not reachable");
        expect(build.stderr).toContain(
            "curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0",
        );
        expect(build.stderr).toContain("pulumi plugin install resource digitalocean 4.57.0");
    });
});
