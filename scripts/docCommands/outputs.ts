// A run's output against the one the docs show: both as a terminal shows them, an excerpt's
// lines without their timings, a short diff; and the document with the real outputs written in.
import type { RunResult } from "./run";

/** What a terminal shows, as the docs show it: no npm banner, no trailing blanks. */
export function normalizeOutput(text: string): string {
    return text
        .replace(/\n> [^\s@]+@\S+ [^\n]+\n> [^\n]*\n\n/g, "")
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n")
        .replace(/\n+$/, "");
}

/** A line of Pulumi's progress without its timings: `(0.10s)`, `Duration: 8s`. */
export function untimed(line: string): string {
    return line
        .trim()
        .replace(/\(\d+(\.\d+)?m?s\)/g, "(…)")
        .replace(/Duration: \S+/, "Duration: …");
}

export function diff(shown: string, real: string): string {
    const a = shown.split("\n");
    const b = real.split("\n");
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length) && out.length < 12; i++) {
        if (a[i] === b[i]) continue;
        if (a[i] !== undefined) out.push(`  shown ${i + 1}: ${a[i]}`);
        if (b[i] !== undefined) out.push(`  real  ${i + 1}: ${b[i]}`);
    }
    return out.join("\n");
}

/** The document with each run block's shown output replaced by the real one. */
export function rewriteOutputs(text: string, results: RunResult[]): string {
    const lines = text.split("\n");
    const done = results
        .filter(
            (r) =>
                r.block.output && !r.block.directive.excerpt && r.status === r.block.directive.exit,
        )
        .sort((x, y) => y.block.output!.from - x.block.output!.from);
    for (const { block, actual } of done) {
        const indent = /^(\s*)/.exec(lines[block.output!.from - 1])![1];
        lines.splice(
            block.output!.from,
            block.output!.to - block.output!.from,
            ...actual.split("\n").map((l) => (l ? indent + l : l)),
        );
    }
    return lines.join("\n");
}
