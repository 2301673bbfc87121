// The docs check (scripts/docCommands.ts and its parts): every command README.md and docs/*.md show is run
// by the check, its shown output compared with the real one, or by the test docs/commands.yaml
// names; output meant for a file or a pipe is shown with `npm run -s`. Here the blocks' shells
// run as shown, but their `npm run <command>` of cli/ runs in-process (the package.json script
// must be that command's `exec node --require tsx/cjs cli/<command>.ts`): npm's and a Node.js
// process's start-up per command were most of the time. test/cli.test.ts starts each command as
// a real process, and `npm run docs -- --check` runs the same blocks with the real npm.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../config";
import { parseStackFile } from "../config/stackFile";
import type { Command } from "../cli/run";
import { checkDocCommands } from "../scripts/docCommands";
import type { NpmRun } from "../scripts/docCommands/npmShim";
import { staticProblems, type ManifestEntry } from "../scripts/docCommands/manifest";
import { normalizeOutput } from "../scripts/docCommands/outputs";
import { commandsOf, parseDoc } from "../scripts/docCommands/parse";
import { withCalendar } from "../scripts/docCommands/sessions";
import { runInProcess } from "./support/inProcess";

const ROOT = path.resolve(__dirname, "..");
const fence = "```";

const SCRIPTS = (
    JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    }
).scripts;

// A script that runs a command of cli/ runs it here, one at a time (the process's streams);
// any other (the emulator, the benchmark) the real npm runs.
let queue: Promise<unknown> = Promise.resolve();
const inProcess: NpmRun = ({ script, args, cwd, env }) => {
    const cli = /^exec node --require tsx\/cjs (cli\/\w+\.ts)$/.exec(SCRIPTS[script] ?? "")?.[1];
    if (cli === undefined) return Promise.resolve(undefined);
    const run = queue.then(async () => {
        const { run: command } = (await import(path.join(ROOT, cli))) as { run: Command };
        return runInProcess(command, args, { cwd, env });
    });
    queue = run.catch(() => undefined);
    return run;
};

describe("the docs check on this repository", () => {
    it(
        "every command shown is run by the check (outputs as shown) or by the test docs/commands.yaml names",
        { timeout: 240_000 },
        async () => {
            expect(await checkDocCommands({ npmRun: inProcess })).toEqual([]);
        },
    );
});

describe("the docs check's rules", () => {
    const doc = (text: string) => parseDoc("doc.md", text);
    const problems = (text: string, manifest: ManifestEntry[] = []) =>
        staticProblems([doc(text)], manifest, ROOT);

    it.each([
        [["npm run plan -- --stack drop   # sizing"], ["npm run plan -- --stack drop"]],
        [["# a comment", "", "pulumi up \\", "  --stack drop"], ["pulumi up --stack drop"]],
        [["curl -fsSL https://x/#frag | sh"], ["curl -fsSL https://x/#frag | sh"]],
        [["pulumi up      --policy-pack policy"], ["pulumi up --policy-pack policy"]],
    ])("commands of %j", (lines, commands) => {
        expect(commandsOf(lines)).toEqual(commands);
    });

    it("output for a file or a pipe needs npm run -s, in a block or in the text", () => {
        const shown = `${fence}sh\nnpm run observe -- --stack drop --json > o.json\nnpm run -s plan -- --stack drop | head\n${fence}\nthen \`npm run plan -- --json | jq\`; placeholders are not pipes: \`npm run plan -- --stack <name>\`\n`;
        const found = problems(shown, [
            { command: "npm run observe -- --stack drop --json > o.json", unrun: "r" },
            { command: "npm run -s plan -- --stack drop | head", unrun: "r" },
        ]);
        expect(found.filter((p) => p.includes("npm run -s"))).toEqual([
            "doc.md:1: `npm run observe -- --stack drop --json > o.json`: its output goes to a file or a pipe, so it needs `npm run -s` (npm's banner would land there)",
            "doc.md:5: `npm run plan -- --json | jq`: its output goes to a file or a pipe, so it needs `npm run -s` (npm's banner would land there)",
        ]);
    });

    it("a command neither run nor listed, an npm script that does not exist, a stale or unproven entry: each is a problem", () => {
        const found = problems(
            `${fence}sh\nnpm run plann -- --stack drop\npulumi up --stack drop\n${fence}\n`,
            [
                {
                    command: "pulumi up --stack drop",
                    test: "test/e2e/faults.test.ts",
                    mentions: ["no such text in that file"],
                },
                { command: "pulumi destroy", test: "test/e2e/nothing.test.ts", mentions: ["x"] },
            ],
        );
        expect(found).toEqual([
            'doc.md:1: `npm run plann -- --stack drop`: npm has no script "plann" (package.json)',
            "doc.md:1: `npm run plann -- --stack drop` is run neither by the docs check (add <!-- docs-check: run -->) nor by a test listed in docs/commands.yaml",
            'docs/commands.yaml: `pulumi up --stack drop`: test/e2e/faults.test.ts does not contain "no such text in that file"',
            "docs/commands.yaml: `pulumi destroy` is not shown in the docs any more (or the docs check runs it): remove it",
            "docs/commands.yaml: `pulumi destroy`: test/e2e/nothing.test.ts does not exist",
        ]);
    });

    it("a run block needs no entry; its output is the untyped block right after it; a $-transcript elsewhere is refused", () => {
        const parsed = doc(
            `<!-- docs-check: run calendar PROXY_LB_NOW=2027-11-25T12:00:00Z -->\n${fence}sh\nnpm run plan -- --stack drop\n${fence}\n${fence}\nstack drop\n${fence}\n\n${fence}\n$ npm run plan\n${fence}\n`,
        );
        expect(parsed.blocks).toHaveLength(1);
        expect(parsed.blocks[0].directive).toMatchObject({
            run: true,
            calendar: true,
            env: { PROXY_LB_NOW: "2027-11-25T12:00:00Z" },
        });
        expect(parsed.blocks[0].output?.text).toBe("stack drop");
        expect(parsed.problems).toEqual([
            'doc.md:9: a "$ command" in a ``` block: put commands in a ```sh block and their output in the untyped block after it',
        ]);
        expect(staticProblems([parsed], [], ROOT)).toEqual(parsed.problems);
    });

    it("shown output is what a terminal shows without npm's banner", () => {
        expect(
            normalizeOutput(
                "\n> proxy-lb@0.1.0 plan\n> tsx cli/plan.ts --stack drop\n\nstack drop   \nnext\n\n> proxy-lb@0.1.0 schedule\n> tsx cli/schedule.ts\n\ndue\n\n",
            ),
        ).toBe("stack drop\nnext\ndue");
    });

    it("the calendar switch uncomments Pulumi.drop.yaml's example: two drops, 30 minutes' lead", () => {
        const text = withCalendar(readFileSync(path.join(ROOT, "Pulumi.drop.yaml"), "utf8"));
        const settings = loadSettings(parseStackFile(text, "Pulumi.drop.yaml"), {
            now: Date.parse("2027-11-25T12:00:00Z"),
        });
        expect(settings.config.drops.map((d) => d.name)).toEqual([
            "black-friday-2027",
            "restock-2027",
        ]);
        expect(settings.config.leadMinutes).toBe(30);
    });
});
