// `npm run <script> -- <args>` in a block's shell, answered by the caller instead of npm when it
// takes that script (the unit test runs the commands of cli/ in its own process: a Node.js
// process and npm's own start-up per command are most of the check's time). The shell keeps
// everything else: the pipes, redirections, exports and the exit code as `set -e` sees it.
// Scripts the caller does not take, and every other npm command, run the real npm.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What a block's `npm run` asks for: the script, its arguments after `--`, the shell's directory and environment. */
export interface NpmRunCall {
    script: string;
    args: string[];
    cwd: string;
    env: NodeJS.ProcessEnv;
}

/** Runs the script, its stdout and stderr as `2>&1` shows them; undefined: the real npm runs it. */
export type NpmRun = (call: NpmRunCall) => Promise<{ status: number; output: string } | undefined>;

export interface NpmShim {
    /** bash that defines `npm` for the block's script */
    preamble: string;
    close(): Promise<void>;
}

/** Serves `npmRun` on 127.0.0.1 for the shell function the preamble defines. */
export async function startNpmShim(npmRun: NpmRun): Promise<NpmShim> {
    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const call = parseCall(Buffer.concat(chunks).toString("utf8"));
            const answer = call === undefined ? Promise.resolve(undefined) : npmRun(call);
            answer.then(
                (result) =>
                    res.end(result === undefined ? "npm\n" : `${result.status}\n${result.output}`),
                (err: unknown) =>
                    res.end(`1\n${err instanceof Error ? (err.stack ?? err.message) : err}\n`),
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // The request: the directory, the argument count, the arguments, then the environment
    // (with a command's own prefix such as `TOKEN= npm run …`), NUL-separated. The answer: the
    // exit code (or `npm`: run the real one) on its first line, then the output.
    const preamble = `npm() {
  [ "$1" = run ] || { command npm "$@"; return; }
  local request status
  request=$(mktemp)
  { printf '%s\\0' "$PWD" "$#" "$@"; env -0; } > "$request"
  { IFS= read -r status; [ "$status" = npm ] || cat; } < <(curl -sS --data-binary @"$request" ${url})
  rm -f "$request"
  if [ "$status" = npm ]; then command npm "$@"; return; fi
  return "$status"
}`;
    return {
        preamble,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** `run [-s] <script> [-- args…]`, or undefined for anything else (the real npm runs it). */
function parseCall(body: string): NpmRunCall | undefined {
    const fields = body.split("\0");
    const [cwd, count] = fields;
    const argv = fields.slice(2, 2 + Number(count));
    const env: NodeJS.ProcessEnv = {};
    for (const entry of fields.slice(2 + Number(count))) {
        const eq = entry.indexOf("=");
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    let i = 1; // after "run"
    while (argv[i] === "-s" || argv[i] === "--silent") i++;
    const script = argv[i];
    const rest = argv.slice(i + 1);
    if (script === undefined || script.startsWith("-")) return undefined;
    if (rest.length && rest[0] !== "--") return undefined;
    return { script, args: rest.slice(1), cwd, env };
}
