// ops/githubOutput.ts: step outputs appended as GitHub reads them, and nothing outside Actions.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeGithubOutput } from "../ops/githubOutput";

describe("writeGithubOutput", () => {
    let dir: string | undefined;
    afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

    it.each([
        ["unset", {}],
        ["empty", { GITHUB_OUTPUT: "" }],
    ])("GITHUB_OUTPUT %s: writes nothing", (_what, env) => {
        expect(writeGithubOutput({ due: "true" }, env)).toBe(false);
    });

    it("appends one name=value a line, in order, after what earlier steps wrote", () => {
        dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-gh-output-"));
        const file = path.join(dir, "output");
        writeFileSync(file, "earlier=1\n");
        const env = { GITHUB_OUTPUT: file };
        expect(writeGithubOutput({ due: "true", "late-message": "" }, env)).toBe(true);
        expect(writeGithubOutput({ moment: "2027-11-26T13:50:00Z" }, env)).toBe(true);
        expect(readFileSync(file, "utf8")).toBe(
            "earlier=1\ndue=true\nlate-message=\nmoment=2027-11-26T13:50:00Z\n",
        );
    });
});
