// The controller's command as the systemd unit runs it (its ExecStart): the memory benches run
// it with the unit's own Node.js flags, and test/deployFiles.test.ts runs it as written.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "../sandbox/workspace";

export const UNIT_FILE = path.join(ROOT, "deploy", "proxy-lb-autopilot.service");
const ENTRY = "cli/autopilot.ts";

/** The value of a key the unit gives once (`ExecStart`, `WorkingDirectory`). */
export function unitValue(key: string, text = readFileSync(UNIT_FILE, "utf8")): string {
    const lines = text.split("\n").filter((line) => line.startsWith(`${key}=`));
    if (lines.length !== 1)
        throw new Error(`${UNIT_FILE}: ${key}= ${lines.length} times, not once`);
    return lines[0].slice(key.length + 1).trim();
}

/** ExecStart's words; quoting would need systemd's rules, so the unit uses none. */
export function unitExecStart(text?: string): string[] {
    const exec = unitValue("ExecStart", text);
    if (/["'\\]/.test(exec)) throw new Error(`${UNIT_FILE}: ExecStart quotes or escapes: ${exec}`);
    return exec.split(/\s+/);
}

/** `node`'s arguments from the unit's ExecStart, up to the entry file, with paths made absolute. */
export function unitNodeArgs(): string[] {
    const argv = unitExecStart();
    const from = argv.indexOf("node");
    const to = argv.indexOf(ENTRY);
    if (from < 0 || to < from) throw new Error(`${UNIT_FILE}: no "node … ${ENTRY}" in ExecStart`);
    return argv
        .slice(from + 1, to + 1)
        .map((arg) =>
            arg === "tsx/cjs"
                ? path.join(ROOT, "node_modules", "tsx", "dist", "cjs", "index.cjs")
                : arg === ENTRY
                  ? path.join(ROOT, ENTRY)
                  : arg,
        );
}
