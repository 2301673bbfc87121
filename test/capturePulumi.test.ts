// capturePulumi: the controller's Pulumi runs (its gate's preview, its resize) must leave its
// event loop free, so its health endpoint answers, its lease is renewed and its other stacks tick
// while Pulumi works. Any executable stands in for pulumi here.
import { describe, expect, it } from "vitest";
import { capturePulumi, CommandError } from "../ops/pulumiCli";

describe("capturePulumi", () => {
    it("lets timers run while the command works, and returns its status and output", async () => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 20);
        try {
            const run = await capturePulumi(
                process.execPath,
                [
                    "-e",
                    "setTimeout(() => { console.log('out'); console.error('err'); process.exit(3) }, 400)",
                ],
                { cwd: process.cwd(), env: process.env },
            );
            expect(run).toEqual({ status: 3, stdout: "out\n", stderr: "err\n" });
        } finally {
            clearInterval(timer);
        }
        // A blocking spawnSync would leave this at 0 until the command ended.
        expect(ticks).toBeGreaterThanOrEqual(3);
    });

    it("says a command that cannot start could not run, as a CommandError", async () => {
        const run = capturePulumi("/nonexistent/pulumi", ["preview"], {
            cwd: process.cwd(),
            env: process.env,
        });
        await expect(run).rejects.toBeInstanceOf(CommandError);
        await expect(run).rejects.toThrow(
            /pulumi preview could not run: spawn \/nonexistent\/pulumi ENOENT/,
        );
    });
});
