// `npm start`, the README's first command: the whole drop cycle on the sandbox (dev) stack, on the
// real engine and provider against the emulator, run as the npm script runs it. Every promise it
// checks holds, and it exits 0.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../../sandbox/harness";
import { NODE, tsxArgs } from "../support/tsx";

it("npm start: baseline, drop size, back, destroy refused; the LB keeps its id and IP, no droplet write", async () => {
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
        (resolve) => {
            const child = execFile(
                NODE,
                tsxArgs(path.join(ROOT, "sandbox", "cycle.ts")),
                { cwd: ROOT, timeout: 240_000 },
                (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
            );
        },
    );
    const said = `${run.stdout}\n${run.stderr}`;
    expect(run.status, said).toBe(0);
    const checks = run.stdout.split("\n").filter((line) => /^[✓✗] /.test(line));
    expect(checks, said).toEqual([
        "✓ size_unit 1 at baseline",
        "✓ the drop previews as exactly one in-place update",
        "✓ size_unit 3 during the drop",
        "✓ size_unit back to 1",
        "✓ destroy refused by protection",
        expect.stringMatching(/^✓ load balancer \S+ kept its IP \S+$/),
        "✓ zero writes to the masking droplets (0)",
    ]);
    expect(run.stdout).toContain("the drop cycle holds");
}, 300_000);
