// Runs a TypeScript entry point as `npm run <command>` does, in ONE Node.js process:
// `node --require <tsx's CommonJS hook>`. The tsx command itself starts a second Node.js process
// to run the script in, which doubles the start-up cost of every test that runs a command as a
// real process. The hook is given by path so the script may run in any cwd.
import * as path from "node:path";

const HOOK = path.resolve(__dirname, "..", "..", "node_modules", "tsx", "dist", "cjs", "index.cjs");

/** The Node.js binary that runs the tests; pass `tsxArgs(...)` as its arguments. */
export const NODE = process.execPath;

/** Arguments for `NODE` that run `script` (an absolute path) with `args`, as npm's scripts do. */
export const tsxArgs = (script: string, ...args: string[]) => ["--require", HOOK, script, ...args];
