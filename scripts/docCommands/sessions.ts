// A session: a scratch copy of the project that blocks sharing it run in (its stack file, the
// environment one block leaves for the next, the emulators its blocks start), and its end.
import { spawn, spawnSync } from "node:child_process";
import {
    copyFileSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { stackConfigSchema } from "../../config/schema";
import type { Directive } from "./parse";

/** The port the docs use for the emulator; the check starts it on a free one and substitutes it. */
export const EMULATOR_LINE = /^npm run -s emulator -- (.*?)\s*&\s*(#.*)?$/;

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

export interface Session {
    dir: string;
    /** the environment a block exported, for the session's next block (as in one shell) */
    envFile: string;
    emulators: { pid: number; stop: () => void; done: Promise<void> }[];
    signature: string;
}

/** A scratch copy of the project: every entry linked, Pulumi.drop.yaml written, a git repository whose HEAD is the committed stack file. */
export function openSession(directive: Directive, root: string): Session {
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

export function signatureOf(d: Directive): string {
    return JSON.stringify({ calendar: d.calendar, set: d.set });
}

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (/^(DIGITALOCEAN_|PROXY_LB_|PULUMI_)/.test(k) || k === "FORCE_COLOR") continue;
        env[k] = v;
    }
    return { ...env, ...extra };
}

/** Starts the emulator line of a block (on a free port), returning the URL it prints first. */
export async function startEmulator(
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

export async function closeSession(session: Session): Promise<void> {
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
