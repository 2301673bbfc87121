// The rules that need no run: every npm script named exists, `npm run -s` where output goes to a
// file or a pipe, and every command shown is run by the check or by a test docs/commands.yaml names.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { Parsed } from "./parse";
import { ROOT } from "./root";

export const MANIFEST = "docs/commands.yaml";

export interface ManifestEntry {
    command: string;
    /** the file that runs the command: a test, or the CI script */
    test?: string;
    /** strings that file must contain (the npm script, the pulumi subcommand, …) */
    mentions?: string[];
    /** why no test can run it (a real DigitalOcean account, a real S3 bucket, …) */
    unrun?: string;
}

export function loadManifest(root = ROOT): ManifestEntry[] {
    return parse(readFileSync(path.join(root, MANIFEST), "utf8")) as ManifestEntry[];
}

/** The rules that need no run: npm scripts exist, `-s` where output goes to a file or pipe, every command accounted for. */
export function staticProblems(parsed: Parsed[], manifest: ManifestEntry[], root = ROOT): string[] {
    const problems = parsed.flatMap((p) => p.problems);
    const scripts = Object.keys(
        (
            JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
                scripts: Record<string, string>;
            }
        ).scripts,
    );
    for (const { file, line, text } of parsed.flatMap((p) => p.spans)) {
        for (const m of text.matchAll(/\bnpm run (?:-s\s+)?(?!-)([\w:.-]+)/g)) {
            if (!scripts.includes(m[1]))
                problems.push(
                    `${file}:${line}: \`${text}\`: npm has no script "${m[1]}" (package.json)`,
                );
        }
        if (/\bnpm run (?!-s\b)/.test(text) && /[|>]/.test(text.replace(/<[^<>\s]+>|->|=>/g, ""))) {
            problems.push(
                `${file}:${line}: \`${text}\`: its output goes to a file or a pipe, so it needs \`npm run -s\` (npm's banner would land there)`,
            );
        }
    }
    const shown = new Set<string>();
    for (const block of parsed.flatMap((p) => p.blocks)) {
        if (block.directive.run) continue;
        for (const command of block.commands) {
            shown.add(command);
            if (!manifest.some((e) => e.command === command)) {
                problems.push(
                    `${block.file}:${block.line}: \`${command}\` is run neither by the docs check (add <!-- docs-check: run -->) nor by a test listed in ${MANIFEST}`,
                );
            }
        }
    }
    for (const entry of manifest) {
        const where = `${MANIFEST}: \`${entry.command}\``;
        if (!shown.has(entry.command))
            problems.push(
                `${where} is not shown in the docs any more (or the docs check runs it): remove it`,
            );
        if (entry.unrun !== undefined) {
            if (entry.test !== undefined || !entry.unrun.trim())
                problems.push(
                    `${where}: give either test (and mentions) or unrun (a reason), not both`,
                );
            continue;
        }
        if (!entry.test || !entry.mentions?.length) {
            problems.push(`${where}: needs test and mentions (or unrun with a reason)`);
            continue;
        }
        const file = path.join(root, entry.test);
        if (!existsSync(file)) {
            problems.push(`${where}: ${entry.test} does not exist`);
            continue;
        }
        // Compared without layout: the formatter may break a call over lines.
        const text = withoutLayout(readFileSync(file, "utf8"));
        for (const mention of entry.mentions)
            if (!text.includes(withoutLayout(mention)))
                problems.push(
                    `${where}: ${entry.test} does not contain ${JSON.stringify(mention)}`,
                );
    }
    return problems;
}

/** Code with its whitespace and trailing commas removed, so a call reads the same on one line or many. */
function withoutLayout(code: string): string {
    return code.replace(/,(\s*[)\]}])/g, "$1").replace(/\s+/g, "");
}
