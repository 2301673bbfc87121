// Runs a TypeScript entry point as `npm run <command>` does (through tsx), in ONE Node.js
// process: `node --import <tsx's loader>`. The tsx command itself starts a second Node.js
// process to run the script in, which doubles the start-up cost of every test that runs a
// command as a real process. The loader is given by path so the script may run in any cwd.
import * as path from "node:path";
import { pathToFileURL } from "node:url";

const LOADER = pathToFileURL(
    path.resolve(__dirname, "..", "..", "node_modules", "tsx", "dist", "loader.mjs"),
).href;

/** The Node.js binary that runs the tests; pass `tsxArgs(...)` as its arguments. */
export const NODE = process.execPath;

/** Arguments for `NODE` that run `script` (an absolute path) with `args`, as tsx would. */
export const tsxArgs = (script: string, ...args: string[]) => ["--import", LOADER, script, ...args];
