// The controller's command as the systemd unit runs it (its ExecStart), for the memory benches:
// the Node.js flags the unit gives are part of what they measure.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "../sandbox/workspace";

const UNIT = path.join(ROOT, "deploy", "proxy-lb-autopilot.service");
const ENTRY = "cli/autopilot.ts";

/** `node`'s arguments from the unit's ExecStart, up to the entry file, with paths made absolute. */
export function unitNodeArgs(): string[] {
    const exec = /^ExecStart=(.*)$/m.exec(readFileSync(UNIT, "utf8"))?.[1] ?? "";
    const argv = exec.trim().split(/\s+/);
    const from = argv.indexOf("node");
    const to = argv.indexOf(ENTRY);
    if (from < 0 || to < from) throw new Error(`${UNIT}: no "node … ${ENTRY}" in ExecStart`);
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
