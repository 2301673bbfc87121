// ops/stackFileAtRef.ts: the stack file at a git ref (plan --base), in a repository of its own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../config";
import { settingsAtRef } from "../ops/stackFileAtRef";

const ROOT = path.resolve(__dirname, "..");
const NOW = Date.parse("2027-03-01T12:00:00Z");

describe("settingsAtRef", () => {
    let repo: string;
    beforeAll(() => {
        repo = mkdtempSync(path.join(tmpdir(), "proxy-lb-at-ref-"));
        const git = (...args: string[]) =>
            execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
                cwd: repo,
                stdio: "ignore",
            });
        git("init", "-q");
        git("commit", "-q", "--allow-empty", "-m", "empty");
        git("tag", "none");
        writeFileSync(
            path.join(repo, "Pulumi.drop.yaml"),
            readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8"),
        );
        git("add", ".");
        git("commit", "-q", "-m", "drop");
        git("tag", "good");
        writeFileSync(path.join(repo, "Pulumi.drop.yaml"), "config:\n  proxy-lb:region: nowhere\n");
        git("commit", "-q", "-am", "bad");
        git("tag", "bad");
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    it("sizes the file as it was at the ref", () => {
        expect(settingsAtRef("good", "drop", NOW, repo)?.sizing.sizeUnit).toBe(3);
    });

    it("is null where the file did not exist yet", () => {
        expect(settingsAtRef("none", "drop", NOW, repo)).toBeNull();
    });

    it.each([
        [
            "not a ref",
            "no-such-ref",
            /^--base no-such-ref is not a git commit, branch or tag here$/,
        ],
        ["bad config at the ref", "bad", /^at --base bad: /],
    ])("%s: a ConfigError naming --base", (_what, ref, line) => {
        let thrown: unknown;
        try {
            settingsAtRef(ref, "drop", NOW, repo);
        } catch (err) {
            thrown = err;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        for (const problem of (thrown as ConfigError).problems) expect(problem).toMatch(line);
    });
});
