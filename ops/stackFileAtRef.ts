// The stack file as a git commit, branch or tag had it: what a pull request changes is read
// against it (`plan --base`).
import { execFileSync } from "node:child_process";
import { ConfigError, loadSettings, type Settings } from "../config";
import { parseStackFile, stackFileName } from "../config/stackFile";

/** The settings the stack file had at a git ref, sized for `now`; null when the file did not exist there. */
export function settingsAtRef(
    ref: string,
    stack: string,
    now: number,
    cwd = process.cwd(),
): Settings | null {
    const file = stackFileName(stack);
    try {
        execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
            cwd,
            stdio: "ignore",
        });
    } catch {
        throw new ConfigError([`--base ${ref} is not a git commit, branch or tag here`]);
    }
    let text: string;
    try {
        text = execFileSync("git", ["show", `${ref}:./${file}`], {
            cwd,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        });
    } catch {
        return null; // a stack file new in this change
    }
    try {
        return loadSettings(parseStackFile(text, `${file} at ${ref}`), { now });
    } catch (err) {
        if (err instanceof ConfigError)
            throw new ConfigError(err.problems.map((p) => `at --base ${ref}: ${p}`));
        throw err;
    }
}
