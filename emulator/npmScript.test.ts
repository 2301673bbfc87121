// `npm run -s emulator` as a user (or a script) runs it: the URL comes first on stdout, and
// stopping npm stops the emulator and frees its port.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");
const STOP_WITHIN_MS = 5_000;

function startViaNpm(): { npm: ChildProcess; firstLine: Promise<string>; stdout: () => string } {
    // Own process group, so the finally below can clean up whatever is left, and only that.
    const npm = spawn("npm", ["run", "-s", "emulator", "--", "--port", "0", "--quiet"], {
        cwd: ROOT,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const firstLine = new Promise<string>((res, rej) => {
        npm.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) res(out.split("\n")[0]);
        });
        npm.on("exit", (code) => rej(new Error(`npm exited (${code}) before a line`)));
        setTimeout(() => rej(new Error("no stdout line within 30 s")), 30_000);
    });
    return { npm, firstLine, stdout: () => out };
}

const portFree = (port: number): Promise<boolean> =>
    new Promise((res) => {
        const probe = createServer();
        probe.once("error", () => res(false));
        probe.listen(port, "127.0.0.1", () => probe.close(() => res(true)));
    });

async function freedWithin(port: number, ms: number): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < ms) {
        if (await portFree(port)) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`port ${port} still held ${ms} ms after npm was stopped`);
}

describe("npm run -s emulator", () => {
    it.each(["SIGTERM", "SIGINT", "SIGKILL"] as const)(
        "prints the URL first; %s to npm's pid frees the port",
        async (signal) => {
            const { npm, firstLine } = startViaNpm();
            try {
                const url = await firstLine;
                expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
                const port = Number(new URL(url).port);
                expect(await portFree(port)).toBe(false);
                expect(
                    (await fetch(`${url}/v2/droplets`, { headers: { authorization: "Bearer t" } }))
                        .status,
                ).toBe(200);
                process.kill(npm.pid!, signal);
                expect(await freedWithin(port, STOP_WITHIN_MS)).toBeLessThan(STOP_WITHIN_MS);
            } finally {
                try {
                    process.kill(-npm.pid!, "SIGKILL");
                } catch {
                    // the group is already gone
                }
            }
        },
        60_000,
    );
});
