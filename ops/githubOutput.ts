// Step outputs for a GitHub Actions workflow's later steps: appended to the file GITHUB_OUTPUT
// names, one name=value a line. Outside Actions (no GITHUB_OUTPUT) nothing is written.
import { appendFileSync } from "node:fs";

/** Appends `outputs` in their order; false when there is no GITHUB_OUTPUT to write to. */
export function writeGithubOutput(
    outputs: Record<string, string>,
    env: Record<string, string | undefined> = process.env,
): boolean {
    const file = env.GITHUB_OUTPUT;
    if (!file) return false;
    const lines = Object.entries(outputs).map(([name, value]) => `${name}=${value}`);
    appendFileSync(file, [...lines, ""].join("\n"));
    return true;
}
