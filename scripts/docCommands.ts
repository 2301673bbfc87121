// The docs check: every command the docs show (README.md and docs/*.md, fenced ```sh blocks) is
// either run here, its shown output compared with the real one, or listed in docs/commands.yaml
// with the test that runs it. A test (test/docCommands.test.ts) and `npm run docs -- --check`
// fail on any difference; `npm run docs` rewrites the shown outputs from real runs.
//
// A block the check runs carries a directive on the line before its fence:
//   <!-- docs-check: run [e2e] [session=NAME] [calendar] [set:KEY.PATH=VALUE] [exit=N] [NAME=value] -->
//   run                  run the block with bash in a scratch copy of the project
//   e2e                  it needs the Pulumi toolchain: run by test/e2e/docCommands.test.ts, not here
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
import { spawn, spawnSync } from "node:child_process";
import {
    copyFileSync,
    existsSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import { stackConfigSchema } from "../config/schema";

const ROOT = path.resolve(__dirname, "..");
export const MANIFEST = "docs/commands.yaml";
const DIRECTIVE = /^<!--\s*docs-check:\s*(.*?)\s*-->\s*$/;
const SHELL_LANGS = new Set(["sh", "bash", "shell", "console"]);
/** The port the docs use for the emulator; the check starts it on a free one and substitutes it. */
const EMULATOR_LINE = /^npm run -s emulator -- (.*?)\s*&\s*(#.*)?$/;
const RUN_TIMEOUT_MS = 60_000;
/** A block with the toolchain runs Pulumi (an `up`, the controller's resize): minutes on a loaded machine. */
const E2E_RUN_TIMEOUT_MS = 300_000;

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

/** What a terminal shows, as the docs show it: no npm banner, no trailing blanks. */
export function normalizeOutput(text: string): string {
    return text
        .replace(/\n> [^\s@]+@\S+ [^\n]+\n> [^\n]*\n\n/g, "")
        .split("\n")
        .map((l) => l.trimEnd())
        .join("\n")
        .replace(/\n+$/, "");
}

/** Pulumi.drop.yaml with its commented example calendar switched on. */
export function withCalendar(stackFile: string): string {
    const lines = stackFile.split("\n");
    const from = lines.findIndex((l) => l.includes("An example: uncomment it"));
    const to = lines.findIndex(
        (l, i) => i > from && l.includes("Optional, with the defaults shown"),
    );
    if (from < 0 || to < 0)
        throw new Error(
            'Pulumi.drop.yaml lacks the example calendar between "An example: uncomment it" and "Optional, with the defaults shown"',
        );
    return lines
        .map((l, i) => (i > from && i < to && l.startsWith("  # ") ? `  ${l.slice(4)}` : l))
        .join("\n");
}

interface Session {
    dir: string;
    /** the environment a block exported, for the session's next block (as in one shell) */
    envFile: string;
    emulators: { pid: number; stop: () => void; done: Promise<void> }[];
    signature: string;
}

/** A scratch copy of the project: every entry linked, Pulumi.drop.yaml written, a git repository whose HEAD is the committed stack file. */
function openSession(directive: Directive, root: string): Session {
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-docs-"));
    for (const entry of readdirSync(root)) {
        if ([".git", "Pulumi.drop.yaml", ".gitignore"].includes(entry)) continue;
        symlinkSync(path.join(root, entry), path.join(dir, entry));
    }
    const committed = readFileSync(path.join(root, "Pulumi.drop.yaml"), "utf8");
    writeFileSync(path.join(dir, "Pulumi.drop.yaml"), committed);
    copyFileSync(path.join(root, ".gitignore"), path.join(dir, ".gitignore"));
    const git = (...args: string[]) =>
        spawnSync("git", ["-c", "user.name=docs", "-c", "user.email=docs@localhost", ...args], {
            cwd: dir,
            stdio: "ignore",
        });
    git("init", "-q");
    git("add", "Pulumi.drop.yaml");
    git("commit", "-q", "-m", "the committed stack file");
    let text = directive.calendar ? withCalendar(committed) : committed;
    if (directive.set.length) {
        const doc = parseDocument(text);
        for (const { path: key, value } of directive.set) {
            // A key the file has, or one under a top-level key of the schema the file leaves out
            // (proxy-lb:autopilot): a misspelt key is still refused.
            const known =
                doc.hasIn(["config", ...key]) ||
                (!doc.hasIn(["config", key[0]]) &&
                    key.length > 1 &&
                    String(key[0]).replace(/^proxy-lb:/, "") in stackConfigSchema.shape);
            if (!known) throw new Error(`set:${key.join(".")}: Pulumi.drop.yaml has no such key`);
            doc.setIn(["config", ...key], value);
        }
        text = doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
    }
    writeFileSync(path.join(dir, "Pulumi.drop.yaml"), text);
    return { dir, envFile: `${dir}.env`, emulators: [], signature: signatureOf(directive) };
}

function signatureOf(d: Directive): string {
    return JSON.stringify({ calendar: d.calendar, set: d.set });
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (/^(DIGITALOCEAN_|PROXY_LB_|PULUMI_)/.test(k) || k === "FORCE_COLOR") continue;
        env[k] = v;
    }
    return { ...env, ...extra };
}

/** Starts the emulator line of a block (on a free port), returning the URL it prints first. */
async function startEmulator(
    line: string,
    session: Session,
    env: NodeJS.ProcessEnv,
): Promise<{ shown: string; url: string }> {
    const m = EMULATOR_LINE.exec(line)!;
    const port = /--port (\d+)/.exec(m[1])?.[1];
    if (port === undefined) throw new Error(`${line}: give the emulator a --port`);
    // In a process group of its own, whose leader stops the whole group (npm, tsx, the server)
    // when its stdin closes: at the session's end, or when this process dies.
    const command = `npm run -s emulator -- ${m[1].replace(`--port ${port}`, "--port 0")}`;
    const wrapper = `${command} & cat >/dev/null; kill -TERM -- -$$ 2>/dev/null`;
    const child = spawn("bash", ["-c", wrapper], {
        cwd: session.dir,
        env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
    });
    const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    session.emulators.push({ pid: child.pid!, stop: () => child.stdin.end(), done });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
            () =>
                reject(
                    new Error(
                        `${line}: no URL on its first stdout line within 30 s; stderr: ${stderr}`,
                    ),
                ),
            30_000,
        );
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const nl = out.indexOf("\n");
            if (nl < 0) return;
            clearTimeout(timer);
            const first = out.slice(0, nl);
            if (/^http:\/\/127\.0\.0\.1:\d+$/.test(first)) resolve(first);
            else
                reject(
                    new Error(
                        `${line}: its first stdout line is ${JSON.stringify(first)}, not the URL`,
                    ),
                );
        });
        child.once("exit", (code) =>
            reject(new Error(`${line}: exited ${code} before printing its URL; stderr: ${stderr}`)),
        );
    });
    child.stdout.resume();
    return { shown: `http://127.0.0.1:${port}`, url };
}

async function closeSession(session: Session): Promise<void> {
    for (const emulator of session.emulators) {
        emulator.stop();
        const killed = await Promise.race([
            emulator.done.then(() => true),
            new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
        ]);
        if (!killed) {
            try {
                process.kill(-emulator.pid, "SIGKILL");
            } catch {
                /* gone meanwhile */
            }
        }
    }
    rmSync(session.dir, { recursive: true, force: true });
    rmSync(session.envFile, { force: true });
}

function runScript(
    script: string,
    dir: string,
    env: NodeJS.ProcessEnv,
    timeoutMs: number,
): Promise<{ status: number | null; output: string }> {
    return new Promise((resolve) => {
        const child = spawn("bash", ["-c", `set -eo pipefail\nexec 2>&1\n${script}`], {
            cwd: dir,
            env,
            stdio: ["ignore", "pipe", "inherit"],
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.once("exit", (status) => {
            clearTimeout(timer);
            resolve({ status, output });
        });
    });
}

export interface RunResult {
    block: CommandBlock;
    status: number | null;
    actual: string;
    problems: string[];
}

/** Runs every `run` block (those marked e2e, or the others), sessions in order, up to `parallel` sessions at a time. */
export async function runBlocks(
    blocks: CommandBlock[],
    { root = ROOT, parallel = 2, e2e = false } = {},
): Promise<RunResult[]> {
    const groups = new Map<string, CommandBlock[]>();
    blocks.forEach((b, i) => {
        if (!b.directive.run || b.directive.e2e !== e2e) return;
        const key = b.directive.session ? `${b.file}#${b.directive.session}` : `#${i}`;
        groups.set(key, [...(groups.get(key) ?? []), b]);
    });
    const results: RunResult[] = [];
    const queue = [...groups.values()];
    const worker = async () => {
        for (let group = queue.shift(); group; group = queue.shift())
            results.push(...(await runGroup(group, root)));
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return results;
}

async function runGroup(group: CommandBlock[], root: string): Promise<RunResult[]> {
    const results: RunResult[] = [];
    const session = openSession(group[0].directive, root);
    try {
        for (const block of group) {
            const problems: string[] = [];
            const where = `${block.file}:${block.line}`;
            if (signatureOf(block.directive) !== session.signature)
                problems.push(
                    `${where}: a session's stack file is set by its first block (calendar, set:)`,
                );
            const env = cleanEnv(block.directive.env);
            const substitutions: [string, string][] = [];
            const script: string[] = [
                `[ ! -f ${session.envFile} ] || source ${session.envFile}`,
                `trap 'export -p > ${session.envFile}' EXIT`,
            ];
            for (const line of block.lines) {
                if (EMULATOR_LINE.test(line.trim())) {
                    try {
                        const { shown, url } = await startEmulator(line.trim(), session, env);
                        substitutions.push([shown, url]);
                    } catch (err) {
                        problems.push(`${where}: ${(err as Error).message}`);
                    }
                    continue;
                }
                script.push(line);
            }
            const text = substitutions.reduce(
                (s, [from, to]) => s.split(from).join(to),
                script.join("\n"),
            );
            const run = problems.length
                ? { status: null, output: "" }
                : await runScript(
                      text,
                      session.dir,
                      env,
                      block.directive.e2e ? E2E_RUN_TIMEOUT_MS : RUN_TIMEOUT_MS,
                  );
            const actual = normalizeOutput(
                substitutions.reduce((s, [from, to]) => s.split(to).join(from), run.output),
            );
            if (run.status !== block.directive.exit)
                problems.push(
                    `${where}: exited ${run.status}, expected ${block.directive.exit}:\n${actual}`,
                );
            else if (block.output && block.directive.excerpt) {
                const real = new Set(actual.split("\n").map(untimed));
                const missing = normalizeOutput(block.output.text)
                    .split("\n")
                    .filter((l) => l.trim() && !real.has(untimed(l)));
                if (missing.length)
                    problems.push(
                        `${where}: these lines of the excerpt shown are not in the real output:\n${missing.map((l) => `  ${l}`).join("\n")}\nthe real output:\n${actual}`,
                    );
            } else if (block.output && normalizeOutput(block.output.text) !== actual)
                problems.push(
                    `${where}: the output shown differs from the real one (npm run docs rewrites it):\n${diff(normalizeOutput(block.output.text), actual)}`,
                );
            results.push({ block, status: run.status, actual, problems });
        }
    } finally {
        await closeSession(session);
    }
    return results;
}

/** A line of Pulumi's progress without its timings: `(0.10s)`, `Duration: 8s`. */
function untimed(line: string): string {
    return line
        .trim()
        .replace(/\(\d+(\.\d+)?m?s\)/g, "(…)")
        .replace(/Duration: \S+/, "Duration: …");
}

function diff(shown: string, real: string): string {
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

export function parseDocs(root = ROOT): Parsed[] {
    return docFiles(root).map((f) => parseDoc(f, readFileSync(path.join(root, f), "utf8")));
}

/**
 * The whole check: returns its problems (none: the docs hold). With `write`, rewrites the shown
 * outputs first. `e2e`: only the blocks that need the toolchain (the end-to-end test), else the others.
 */
export async function checkDocCommands({ root = ROOT, write = false, e2e = false } = {}): Promise<
    string[]
> {
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
        { root, e2e },
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

/** Code with its whitespace and trailing commas removed, so a call reads the same on one line or many. */
function withoutLayout(code: string): string {
    return code.replace(/,(\s*[)\]}])/g, "$1").replace(/\s+/g, "");
}
