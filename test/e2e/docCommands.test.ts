// The docs' command blocks that need the Pulumi toolchain (marked `docs-check: run e2e`), run as
// shown: docs/offline.md's recipe (the emulator, scripts/offline-env.sh, a bare `pulumi`, the
// gate) with the real engine and provider. The other blocks run in test/docCommands.test.ts.
import { expect, it } from "vitest";
import { findToolchain } from "../../ops/toolchain";
import { checkDocCommands } from "../../scripts/docCommands";
import { parseDocs } from "../../scripts/docCommands/parse";

it("docs/offline.md's recipe and docs/autopilot.md's offline loop run as shown, against the emulator, with the toolchain the project built", async () => {
    findToolchain({ check: true }); // a toolchain that is not built fails here, saying so
    const blocks = parseDocs().flatMap((p) => p.blocks.filter((b) => b.directive.e2e));
    expect(
        blocks.some(
            (b) =>
                b.file === "docs/offline.md" &&
                b.lines.some((l) => l.includes("scripts/offline-env.sh")),
        ),
    ).toBe(true);
    expect(await checkDocCommands({ e2e: true })).toEqual([]);
    // docs/autopilot.md's offline loop reaches a resize with the controller.
    expect(
        blocks.some(
            (b) =>
                b.file === "docs/autopilot.md" &&
                b.commands.some((c) => c.includes("npm run autopilot")) &&
                /autopilot drop: resized 3 → \d+ nodes/.test(b.output?.text ?? ""),
        ),
    ).toBe(true);
}, 900_000);
