// The docs check: every command the docs show (README.md and docs/*.md, fenced ```sh blocks) is
// either run here, its shown output compared with the real one, or listed in docs/commands.yaml
// with the test that runs it. A unit test and `npm run docs -- --check`
// fail on any difference; `npm run docs` rewrites the shown outputs from real runs.
//
// Each of the check's jobs has its file under scripts/docCommands/.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { linkProblems } from "./docCommands/links";
import { loadManifest, staticProblems } from "./docCommands/manifest";
import type { NpmRun } from "./docCommands/npmShim";
import { rewriteOutputs } from "./docCommands/outputs";
import { docFiles, parseDocs } from "./docCommands/parse";
import { ROOT } from "./docCommands/root";
import { runBlocks } from "./docCommands/run";

/**
 * The whole check: returns its problems (none: the docs hold). With `write`, rewrites the shown
 * outputs first. `e2e`: only the blocks that need the toolchain (the end-to-end test), else the
 * others. `npmRun`: runs the blocks' `npm run` calls it takes (scripts/docCommands/npmShim.ts).
 */
export async function checkDocCommands({
    root = ROOT,
    write = false,
    e2e = false,
    npmRun,
}: { root?: string; write?: boolean; e2e?: boolean; npmRun?: NpmRun } = {}): Promise<string[]> {
    const files = docFiles(root);
    const parsed = parseDocs(root);
    const problems = e2e
        ? []
        : [
              ...staticProblems(parsed, loadManifest(root), root),
              ...linkProblems([...files, "emulator/README.md"], root),
          ];
    const results = await runBlocks(
        parsed.flatMap((p) => p.blocks),
        { root, e2e, npmRun },
    );
    for (const file of files) {
        const mine = results.filter((r) => r.block.file === file);
        if (write && mine.length) {
            const full = path.join(root, file);
            const before = readFileSync(full, "utf8");
            const after = rewriteOutputs(before, mine);
            if (after !== before) {
                writeFileSync(full, after);
                process.stdout.write(`wrote ${file}\n`);
            }
        }
        for (const r of mine)
            problems.push(
                ...(write
                    ? r.problems.filter((p) => !p.includes("differs from the real one"))
                    : r.problems),
            );
    }
    return problems;
}
