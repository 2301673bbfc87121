// The docs' shell blocks, their directives and their shown outputs, as written.
//
// A block the check runs carries a directive on the line before its fence:
//   <!-- docs-check: run [e2e] [session=NAME] [calendar] [set:KEY.PATH=VALUE] [exit=N] [NAME=value] -->
//   run                  run the block with bash in a scratch copy of the project
//   e2e                  it needs the Pulumi toolchain: run by the end-to-end docs test, not here
//   session=NAME         blocks of one session share that copy, its emulator and the environment (one shell)
//   calendar             with the example drop calendar in Pulumi.drop.yaml uncommented
//   set:KEY.PATH=VALUE   with that stack-file value changed (as `pulumi config set --path` would);
//                        the committed file stays the copy's git HEAD, so `--base HEAD` compares with it
//   exit=N               the exit code it must end with (default 0)
//   excerpt              the output shown is an excerpt of a run whose lines vary in order and timing
//                        (Pulumi's progress): each line shown must be a line of the real output, timings
//                        aside; `npm run docs` leaves it as written
//   NAME=value           an environment variable for the run, such as PROXY_LB_NOW (say so in the text)
// The untyped fence right after a command block is its output: what a terminal shows (stdout and
// stderr as they come, npm's `> script` banner left out).
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./root";

const DIRECTIVE = /^<!--\s*docs-check:\s*(.*?)\s*-->\s*$/;
const SHELL_LANGS = new Set(["sh", "bash", "shell", "console"]);

/**
 * The documents whose commands the check covers: README.md, policy/README.md and every .md under
 * docs/ (symlinks left out). emulator/README.md's commands are usage lines (`[--state state.json]`),
 * not commands; only its links are checked.
 */
export function docFiles(root = ROOT): string[] {
    const walk = (dir: string): string[] =>
        readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) return walk(rel);
            return e.isFile() && e.name.endsWith(".md") ? [rel] : [];
        });
    return ["README.md", "policy/README.md", ...walk("docs").sort()];
}

export interface Directive {
    run: boolean;
    /** needs the Pulumi toolchain: run by the end-to-end docs test */
    e2e: boolean;
    session?: string;
    calendar: boolean;
    set: { path: string[]; value: unknown }[];
    exit: number;
    excerpt: boolean;
    env: Record<string, string>;
}

export interface CommandBlock {
    file: string;
    /** 1-based line of the opening fence */
    line: number;
    /** the block's lines as written */
    lines: string[];
    /** one entry per command: continuations joined, comments dropped */
    commands: string[];
    directive: Directive;
    output?: { text: string; from: number; to: number }; // 0-based line indices of the content
}

export interface Parsed {
    blocks: CommandBlock[];
    /** every inline code span and command, for the npm-script and `-s` rules */
    spans: { file: string; line: number; text: string }[];
    problems: string[];
}

export function parseDirective(text: string, where: string, problems: string[]): Directive {
    const d: Directive = {
        run: false,
        e2e: false,
        calendar: false,
        set: [],
        exit: 0,
        excerpt: false,
        env: {},
    };
    for (const token of text.split(/\s+/).filter(Boolean)) {
        if (token === "run") d.run = true;
        else if (token === "calendar") d.calendar = true;
        else if (token === "e2e") d.e2e = true;
        else if (token === "excerpt") d.excerpt = true;
        else if (token.startsWith("session=")) d.session = token.slice("session=".length);
        else if (/^exit=\d+$/.test(token)) d.exit = Number(token.slice(5));
        else if (token.startsWith("set:") && token.includes("=")) {
            const [key, ...value] = token.slice(4).split("=");
            d.set.push({ path: key.split("."), value: parse(value.join("=")) });
        } else if (/^[A-Z_][A-Z0-9_]*=/.test(token)) {
            const at = token.indexOf("=");
            d.env[token.slice(0, at)] = token.slice(at + 1);
        } else
            problems.push(`${where}: unknown docs-check directive token ${JSON.stringify(token)}`);
    }
    if (
        !d.run &&
        (d.e2e || d.excerpt || d.session || d.calendar || d.set.length || Object.keys(d.env).length)
    )
        problems.push(`${where}: a docs-check directive without "run" does nothing`);
    return d;
}

/** The commands of a shell block: `\` continuations joined, blank and comment lines and trailing comments dropped. */
export function commandsOf(lines: string[]): string[] {
    const joined: string[] = [];
    let pending = "";
    for (const raw of lines) {
        const line = raw.trimEnd();
        if (line.endsWith("\\")) {
            pending += `${line.slice(0, -1).trim()} `;
            continue;
        }
        joined.push(pending + line.trim());
        pending = "";
    }
    if (pending) joined.push(pending.trim());
    return joined
        .map((l) =>
            l
                .replace(/(^|\s+)#(\s.*)?$/, "")
                .trim()
                .replace(/\s+/g, " "),
        )
        .filter(Boolean);
}

export function parseDoc(file: string, text: string): Parsed {
    const lines = text.split("\n");
    const blocks: CommandBlock[] = [];
    const spans: Parsed["spans"] = [];
    const problems: string[] = [];
    let i = 0;
    let last: CommandBlock | undefined; // the command block an untyped fence right after it belongs to
    while (i < lines.length) {
        const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]);
        if (!open) {
            for (const m of lines[i].matchAll(/`([^`]+)`/g))
                spans.push({ file, line: i + 1, text: m[1] });
            if (lines[i].trim() !== "") last = undefined;
            i++;
            continue;
        }
        const [, indent, fence, lang] = open;
        const start = i;
        let end = start + 1;
        while (end < lines.length && lines[end].trim() !== fence) end++;
        const content = lines
            .slice(start + 1, end)
            .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
        const where = `${file}:${start + 1}`;
        if (SHELL_LANGS.has(lang)) {
            const directive = /^\s*$/.test(lines[start - 1] ?? "")
                ? undefined
                : DIRECTIVE.exec(lines[start - 1].trim());
            const block: CommandBlock = {
                file,
                line: start + 1,
                lines: content,
                commands: commandsOf(content),
                directive: parseDirective(directive?.[1] ?? "", where, problems),
            };
            for (const c of block.commands) spans.push({ file, line: start + 1, text: c });
            blocks.push(block);
            last = block;
        } else {
            if (
                (lang === "" || lang === "markdown") &&
                last &&
                last.output === undefined &&
                start > 0 &&
                /^\s*(`{3,})\s*$/.test(lines[start - 1])
            ) {
                last.output = { text: content.join("\n"), from: start + 1, to: end };
            } else if (content.some((l) => /^\$ /.test(l))) {
                problems.push(
                    `${where}: a "$ command" in a \`\`\`${lang} block: put commands in a \`\`\`sh block and their output in the untyped block after it`,
                );
            }
            last = undefined;
        }
        i = end + 1;
    }
    return { blocks, spans, problems };
}

export function parseDocs(root = ROOT): Parsed[] {
    return docFiles(root).map((f) => parseDoc(f, readFileSync(path.join(root, f), "utf8")));
}
