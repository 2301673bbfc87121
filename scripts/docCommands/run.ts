// Running the `run` blocks: sessions in order, a few at a time, each block's exit code and
// output compared with what the docs show.
import { spawn } from "node:child_process";
import { startNpmShim, type NpmRun } from "./npmShim";
import { diff, normalizeOutput, untimed } from "./outputs";
import type { CommandBlock } from "./parse";
import { ROOT } from "./root";
import {
    cleanEnv,
    closeSession,
    EMULATOR_LINE,
    openSession,
    signatureOf,
    startEmulator,
} from "./sessions";

const RUN_TIMEOUT_MS = 60_000;
/** A block with the toolchain runs Pulumi (an `up`, the controller's resize): minutes on a loaded machine. */
const E2E_RUN_TIMEOUT_MS = 300_000;

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
        // A process the block left behind may hold the pipe: stop reading it too.
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            child.stdout.destroy();
        }, timeoutMs);
        // "close", not "exit": the output may still be in the pipe when the shell exits.
        child.once("close", (status) => {
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

/**
 * Runs every `run` block (those marked e2e, or the others), sessions in order, up to `parallel`
 * sessions at a time. `npmRun`: the blocks' `npm run` calls it takes run there, not in npm.
 */
export async function runBlocks(
    blocks: CommandBlock[],
    {
        root = ROOT,
        parallel = 2,
        e2e = false,
        npmRun,
    }: { root?: string; parallel?: number; e2e?: boolean; npmRun?: NpmRun } = {},
): Promise<RunResult[]> {
    const groups = new Map<string, CommandBlock[]>();
    blocks.forEach((b, i) => {
        if (!b.directive.run || b.directive.e2e !== e2e) return;
        const key = b.directive.session ? `${b.file}#${b.directive.session}` : `#${i}`;
        groups.set(key, [...(groups.get(key) ?? []), b]);
    });
    const results: RunResult[] = [];
    const queue = [...groups.values()];
    const shim = npmRun ? await startNpmShim(npmRun) : undefined;
    const worker = async () => {
        for (let group = queue.shift(); group; group = queue.shift())
            results.push(...(await runGroup(group, root, shim?.preamble)));
    };
    try {
        await Promise.all(Array.from({ length: parallel }, worker));
    } finally {
        await shim?.close();
    }
    return results;
}

async function runGroup(
    group: CommandBlock[],
    root: string,
    preamble?: string,
): Promise<RunResult[]> {
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
                ...(preamble ? [preamble] : []),
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
