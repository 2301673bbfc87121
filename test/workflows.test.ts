// The workflows hold the DigitalOcean token, so (GitHub's security hardening guide):
//   - every third-party action runs from a full commit SHA, with its release in a comment
//     (`uses: actions/checkout@<40 hex> # v6.1.0`): a tag can be moved to other code;
//   - the token reaches only steps, never a whole workflow or job (nor `secrets: inherit`);
//   - a workflow grants its token nothing by default (`permissions: {}` or read-only).
// Every workflow and composite action is parsed; a problem names file, line, job, step and ref.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "DIGITALOCEAN_TOKEN";

/** The workflows and composite actions, as paths relative to the repository. */
function workflowFiles(): string[] {
    const found: string[] = [];
    const walk = (dir: string, keep: (name: string) => boolean) => {
        for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const file = path.posix.join(dir, entry.name);
            if (entry.isDirectory()) walk(file, keep);
            else if (keep(entry.name)) found.push(file);
        }
    };
    walk(".github/workflows", (name) => /\.ya?ml$/.test(name));
    walk(".github/actions", (name) => /^action\.ya?ml$/.test(name));
    return found.sort();
}

/** What is wrong with one `uses:` value, if anything; `line` is its source line (for the comment). */
function pinProblem(uses: string, line: string): string | undefined {
    if (uses.startsWith("./")) return undefined; // this repository's own action, at the same commit
    if (uses.startsWith("docker://")) {
        return /@sha256:[0-9a-f]{64}$/.test(uses)
            ? undefined
            : "is not pinned to an image digest (@sha256:…)";
    }
    const at = uses.lastIndexOf("@");
    if (at < 0) return "has no ref: pin it to a full commit SHA";
    const ref = uses.slice(at + 1);
    if (!/^[0-9a-f]{40}$/.test(ref)) return `is pinned to "${ref}", not a full 40-hex commit SHA`;
    const comment = line.slice(line.indexOf(uses) + uses.length);
    if (!/^["']?\s+#\s*v?\d+\.\d+\.\d+\b/.test(comment))
        return "has no version comment on its line (`# vX.Y.Z`)";
    return undefined;
}

/** Every pinning, token and permission problem in one workflow or composite action. */
function workflowProblems(file: string, text: string): string[] {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    if (doc.errors.length > 0) return [`${file}: not valid YAML: ${doc.errors[0].message}`];
    const source = text.split("\n");
    const problems: string[] = [];
    const lineOf = (offset: number | undefined) =>
        offset === undefined ? 0 : lines.linePos(offset).line;
    const at = (node: unknown) =>
        `line ${lineOf((node as { range?: [number, number, number] } | undefined)?.range?.[0])}`;
    const map = (node: unknown): YAMLMap | undefined => (isMap(node) ? node : undefined);
    const str = (node: YAMLMap | undefined, key: string) => {
        const value = node?.get(key, true);
        return isScalar(value) ? String(value.value) : undefined;
    };

    const checkUses = (owner: YAMLMap, where: string) => {
        const node = owner.get("uses", true);
        if (!isScalar(node)) return;
        const uses = String(node.value);
        const problem = pinProblem(uses, source[lineOf(node.range?.[0]) - 1] ?? "");
        if (problem) problems.push(`${file}: ${where} (${at(node)}): uses ${uses} ${problem}`);
    };
    const checkEnv = (owner: YAMLMap | undefined, level: string) => {
        const env = map(owner?.get("env", true));
        for (const pair of env?.items ?? []) {
            const name = isScalar(pair.key) ? String(pair.key.value) : "";
            const value = isScalar(pair.value) ? String(pair.value.value) : "";
            if (name === TOKEN || value.includes(`secrets.${TOKEN}`)) {
                problems.push(
                    `${file}: ${level} (${at(pair.key)}): env ${name} gives ${TOKEN} to every step; set it only on the steps that call DigitalOcean`,
                );
            }
        }
    };
    const checkSteps = (steps: unknown, where: string) => {
        if (!isSeq(steps)) return;
        steps.items.forEach((item, index) => {
            const step = map(item);
            if (!step) return;
            const name = str(step, "name") ?? str(step, "id");
            checkUses(step, `${where}, step ${name ? `"${name}"` : `#${index + 1}`}`);
        });
    };

    const root = map(doc.contents);
    if (!root) return [`${file}: not a mapping`];
    const runs = map(root.get("runs", true));
    if (runs) {
        // A composite action: its steps run inside the calling job.
        checkSteps(runs.get("steps", true), "composite action");
        return problems;
    }

    checkEnv(root, "workflow env");
    const permissions = root.get("permissions", true);
    if (permissions === undefined) {
        problems.push(
            `${file}: no top-level permissions: grant nothing by default (permissions: {}) and give each job what it needs`,
        );
    } else if (
        /write/.test(
            isScalar(permissions)
                ? String(permissions.value)
                : JSON.stringify(map(permissions)?.toJSON() ?? {}),
        )
    ) {
        problems.push(
            `${file}: top-level permissions (${at(permissions)}) grant write access to every job; grant it per job`,
        );
    }
    for (const pair of map(root.get("jobs", true))?.items ?? []) {
        const id = isScalar(pair.key) ? String(pair.key.value) : "?";
        const job = map(pair.value);
        if (!job) continue;
        checkEnv(job, `job ${id} env`);
        checkUses(job, `job ${id}`); // a reusable workflow
        if (str(job, "secrets") === "inherit") {
            problems.push(
                `${file}: job ${id} (${at(job.get("secrets", true))}): secrets: inherit hands ${TOKEN} to a whole workflow; pass only what it needs`,
            );
        }
        checkSteps(job.get("steps", true), `job ${id}`);
    }
    return problems;
}

/** The steps (file: job / step name) whose env gives them the DigitalOcean token. */
function stepsWithToken(file: string, text: string): string[] {
    const jobs =
        (
            parseDocument(text).toJSON() as {
                jobs?: Record<
                    string,
                    { steps?: { name?: string; uses?: string; env?: Record<string, string> }[] }
                >;
            }
        ).jobs ?? {};
    return Object.entries(jobs).flatMap(([id, job]) =>
        (job.steps ?? [])
            .filter((step) => step.env?.[TOKEN] !== undefined)
            .map((step) => `${file}: ${id} / ${step.name ?? step.uses}`),
    );
}

const PINNED = "actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803";
const workflow = (steps: string, extra = "") =>
    `name: w\non: push\npermissions: {}\n${extra}jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;

describe("workflowProblems", () => {
    it.each([
        ["a SHA with its version", `      - uses: ${PINNED} # v6.1.0\n`],
        [
            "a quoted SHA with its version",
            `      - uses: "${PINNED}"  # v6.1.0 (the major tag v6)\n`,
        ],
        ["this repository's own action", "      - uses: ./.github/actions/pulumi-toolchain\n"],
        ["a docker image by digest", `      - uses: docker://alpine@sha256:${"a".repeat(64)}\n`],
        ["run steps only", "      - run: npm test\n"],
    ])("accepts %s", (_what, steps) => {
        expect(workflowProblems("w.yml", workflow(steps))).toEqual([]);
    });

    it.each([
        [
            "a tag",
            "      - uses: actions/checkout@v6\n",
            'w.yml: job build, step #1 (line 8): uses actions/checkout@v6 is pinned to "v6", not a full 40-hex commit SHA',
        ],
        [
            "a branch",
            "      - name: Get\n        uses: actions/checkout@main\n",
            'w.yml: job build, step "Get" (line 9): uses actions/checkout@main is pinned to "main", not a full 40-hex commit SHA',
        ],
        [
            "a short SHA",
            "      - id: co\n        uses: actions/checkout@d23441a # v6.1.0\n",
            'w.yml: job build, step "co" (line 9): uses actions/checkout@d23441a is pinned to "d23441a", not a full 40-hex commit SHA',
        ],
        [
            "a SHA without its version",
            `      - uses: ${PINNED}\n`,
            `w.yml: job build, step #1 (line 8): uses ${PINNED} has no version comment on its line (\`# vX.Y.Z\`)`,
        ],
        [
            "a SHA whose comment is no version",
            `      - uses: ${PINNED} # latest\n`,
            `w.yml: job build, step #1 (line 8): uses ${PINNED} has no version comment on its line (\`# vX.Y.Z\`)`,
        ],
        [
            "no ref",
            "      - uses: actions/checkout\n",
            "w.yml: job build, step #1 (line 8): uses actions/checkout has no ref: pin it to a full commit SHA",
        ],
        [
            "a docker tag",
            "      - uses: docker://alpine:3.20\n",
            "w.yml: job build, step #1 (line 8): uses docker://alpine:3.20 is not pinned to an image digest (@sha256:…)",
        ],
    ])("refuses %s, naming file, job, step and ref", (_what, steps, problem) => {
        expect(workflowProblems("w.yml", workflow(steps))).toEqual([problem]);
    });

    it("refuses an unpinned reusable workflow and one that inherits every secret", () => {
        const text =
            "name: w\non: push\npermissions: {}\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@v1\n    secrets: inherit\n";
        expect(workflowProblems("w.yml", text)).toEqual([
            'w.yml: job call (line 6): uses org/repo/.github/workflows/x.yml@v1 is pinned to "v1", not a full 40-hex commit SHA',
            "w.yml: job call (line 7): secrets: inherit hands DIGITALOCEAN_TOKEN to a whole workflow; pass only what it needs",
        ]);
    });

    it("refuses the DigitalOcean token at workflow or job level, under any name", () => {
        const text = [
            "name: w",
            "on: push",
            "permissions: {}",
            "env:",
            "  DIGITALOCEAN_TOKEN: ${{ secrets.DIGITALOCEAN_TOKEN }}",
            "jobs:",
            "  up:",
            "    runs-on: ubuntu-latest",
            "    env:",
            "      DO: ${{ secrets.DIGITALOCEAN_TOKEN }}",
            "    steps:",
            "      - run: pulumi up",
            "        env:",
            "          DIGITALOCEAN_TOKEN: ${{ secrets.DIGITALOCEAN_TOKEN }}",
            "",
        ].join("\n");
        expect(workflowProblems("w.yml", text)).toEqual([
            "w.yml: workflow env (line 5): env DIGITALOCEAN_TOKEN gives DIGITALOCEAN_TOKEN to every step; set it only on the steps that call DigitalOcean",
            "w.yml: job up env (line 10): env DO gives DIGITALOCEAN_TOKEN to every step; set it only on the steps that call DigitalOcean",
        ]);
    });

    it("refuses a workflow without top-level permissions, or one that grants write to every job", () => {
        const steps = "      - run: true\n";
        expect(workflowProblems("w.yml", workflow(steps).replace("permissions: {}\n", ""))).toEqual(
            [
                "w.yml: no top-level permissions: grant nothing by default (permissions: {}) and give each job what it needs",
            ],
        );
        expect(
            workflowProblems(
                "w.yml",
                workflow(steps).replace("permissions: {}", "permissions: write-all"),
            ),
        ).toEqual([
            "w.yml: top-level permissions (line 3) grant write access to every job; grant it per job",
        ]);
        expect(
            workflowProblems(
                "w.yml",
                workflow(steps).replace("permissions: {}", "permissions:\n  contents: write"),
            ),
        ).toEqual([
            "w.yml: top-level permissions (line 4) grant write access to every job; grant it per job",
        ]);
        expect(
            workflowProblems(
                "w.yml",
                workflow(steps).replace("permissions: {}", "permissions:\n  contents: read"),
            ),
        ).toEqual([]);
    });

    it("checks a composite action's steps", () => {
        const text =
            "name: a\nruns:\n  using: composite\n  steps:\n    - name: Install\n      uses: pulumi/actions@v6\n";
        expect(workflowProblems("action.yml", text)).toEqual([
            'action.yml: composite action, step "Install" (line 6): uses pulumi/actions@v6 is pinned to "v6", not a full 40-hex commit SHA',
        ]);
    });
});

describe("this repository's workflows", () => {
    const files = workflowFiles();

    it("are found: every workflow and the composite action", () => {
        expect(files).toEqual(
            expect.arrayContaining([
                ".github/workflows/deploy.yml",
                ".github/workflows/pull-request.yml",
                ".github/actions/pulumi-toolchain/action.yml",
            ]),
        );
    });

    it("pin every third-party action to a commit SHA with its version, keep the token to steps, and grant nothing by default", () => {
        expect(
            files.flatMap((file) =>
                workflowProblems(file, readFileSync(path.join(ROOT, file), "utf8")),
            ),
        ).toEqual([]);
    });

    // schedule.yml's cheap check reads the live size from DigitalOcean before Pulumi is installed.
    it("give the DigitalOcean token only to the steps that run pulumi against DigitalOcean, and to the scheduled run's check", () => {
        const steps = files.flatMap((file) =>
            stepsWithToken(file, readFileSync(path.join(ROOT, file), "utf8")),
        );
        expect(steps.sort()).toEqual([
            ".github/workflows/deploy.yml: up / After a failed update, read the load balancer back",
            ".github/workflows/deploy.yml: up / Gate",
            ".github/workflows/deploy.yml: up / Pulumi up",
            ".github/workflows/pull-request.yml: preview / Gate",
            ".github/workflows/pull-request.yml: preview / Pulumi preview",
            ".github/workflows/rollback.yml: rollback / Roll back",
            ".github/workflows/schedule.yml: up / After a failed update, read the load balancer back",
            ".github/workflows/schedule.yml: up / Gate",
            ".github/workflows/schedule.yml: up / Is anything due",
            ".github/workflows/schedule.yml: up / Pulumi up",
        ]);
    });
});
