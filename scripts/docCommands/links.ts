// Every relative link of the docs leads somewhere: a file that exists, and a heading of it.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "./root";

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[`*_]/g, "")
        .replace(/[^\p{L}\p{N} -]/gu, "")
        .replace(/ /g, "-");
}

/** Every relative link of the docs leads to a file that exists, and to a heading of it when it names one. */
export function linkProblems(files: string[], root = ROOT): string[] {
    const problems: string[] = [];
    const anchors = (file: string) => {
        const text = readFileSync(file, "utf8").replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, "");
        return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));
    };
    for (const file of files) {
        const text = readFileSync(path.join(root, file), "utf8");
        text.split("\n").forEach((line, i) => {
            for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
                const [rel, anchor] = target.split("#");
                const full = rel
                    ? path.resolve(path.dirname(path.join(root, file)), rel)
                    : path.join(root, file);
                if (!existsSync(full))
                    problems.push(
                        `${file}:${i + 1}: the link ${target} leads nowhere (no ${path.relative(root, full)})`,
                    );
                else if (anchor && full.endsWith(".md") && !anchors(full).has(anchor))
                    problems.push(
                        `${file}:${i + 1}: the link ${target}: ${path.relative(root, full)} has no heading #${anchor}`,
                    );
            }
        });
    }
    return problems;
}
