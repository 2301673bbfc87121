// npm run bench [-- --json] [--runs <n>] [--largest <n>]
// Wall time and API requests of a resize: the drop stack (index.ts) with 2 and 10 masking
// servers by id and a scale curve of 2 to 1,000 by tag (a full preview, a full up, and the
// resize-only up targeted at the LB that the autopilot and the schedule run), against a minimal
// one-LB Pulumi program and Terraform (the same LB alone, and with 200 droplets adopted), all
// on the same engine and emulator in one run, the repetitions interleaved so that load on this
// shared machine falls on every subject alike.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import { startEmulator, type Emulator, type Seed } from "../emulator/server";
import { DROPLET_TYPE } from "../infra/names";
import { resizeOnlyUp } from "../infra/resizeOnly";
import { ToolchainUnavailable } from "../ops/toolchain";
import {
    baseSeed,
    disposeAll,
    LB_ID,
    openProject,
    ROOT,
    toolchain,
    type E2eProject,
    type StackConfig,
} from "../sandbox/harness";
import {
    benchTable,
    countsByKind,
    formatSeconds,
    summarizeOp,
    withRatios,
    type BenchReport,
    type Sample,
    type SubjectResult,
} from "./report";
import {
    findTerraformPeer,
    type Peer,
    TERRAFORM_FLEET_CONFIG,
    terraformWorkdir,
} from "./terraform";

const USAGE =
    "usage: npm run bench [-- --json] [--runs <n>] [--largest <n>] | npm run bench -- --autopilot [--json] [--resize-minutes <n>]";
const HELP = `Times a resize (preview, then up, then the resize-only up targeted at the load balancer)
of the drop stack with 2 and 10 masking servers by id and 2, 10, 50, 200 and 1,000 by tag
against a minimal one-load-balancer Pulumi program and Terraform (the same load balancer alone,
and with the 200 droplets adopted, planning with and without -refresh=false), on the pinned
toolchain and the local API emulator; counts the API requests of each operation. Takes about
10 minutes on 2 cores (more with --largest 1000).

  --json          print the results as one JSON object (progress goes to stderr)
  --runs <n>      repetitions per subject (default 3; 200 and 1,000 by tag always run once)
  --largest <n>   leave out the fleets of more than n masking servers (default 200; 1000 adds
                  the 1,000-server fleet, whose import alone takes minutes and, on a loaded
                  2-core machine, can pass the 240 s limit of one command)
  --autopilot     instead: the autopilot simulation (bench/autopilotSim.ts; --help there)
  -h, --help      this help`;

const MINIMAL_DIR = path.join(__dirname, "fixtures", "minimal");
/** The two sizes every resize alternates between; the seeded and adopted LBs start at the first. */
const SIZES = [1, 3] as const;
/** Demand that the drop stack's sizing turns into each size (checked with the program's own sizing below). */
const DEMAND_FOR: Record<number, { users: number; tasksPerUser: number }> = {
    1: { users: 1, tasksPerUser: 2000 },
    3: { users: 12, tasksPerUser: 2000 },
};
const MASKING_TAG = "masking";
/** Fleets of this many masking servers or more run once: each operation takes tens of seconds. */
const ONCE_FROM = 200;
/** The Terraform peer adopts this fleet, the size the issue measures. */
const TERRAFORM_FLEET = 200;
const RESIZE_ONLY_NOTE =
    "PROXY_LB_RESIZE_ONLY=true pulumi up --yes --skip-preview --target <the LB's URN>";

interface Subject {
    id: string;
    label: string;
    tool: "pulumi" | "terraform";
    masking: SubjectResult["masking"];
    runs: number;
    emulator: Emulator;
    previewCommand: string;
    upCommand: string;
    /** The resize-only up targeted at the LB (the autopilot's and the schedule's), when the subject has one. */
    resizeCommand?: string;
    /** The first up/apply at SIZES[0]: adopts or creates the LB. Throws unless it did exactly that. */
    setup(): Promise<void>;
    /** Untimed: point the config at the next size. */
    prepare(size: number): void;
    /** Throws unless the preview/plan shows exactly the one in-place resize. */
    preview(size: number): Promise<void>;
    /** Throws unless the LB has the size afterwards. */
    up(size: number): Promise<void>;
    /** Throws unless the LB has the size afterwards and every masking server is still in the state. */
    resize?(size: number): Promise<void>;
    dispose(): Promise<void>;
}

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function main(argv: string[]): Promise<number> {
    // The autopilot simulation is pure and fast: no toolchain, no emulator.
    if (argv.includes("--autopilot"))
        return (await import("./autopilotSim")).main(argv.filter((arg) => arg !== "--autopilot"));
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                json: { type: "boolean", default: false },
                runs: { type: "string", default: "3" },
                largest: { type: "string", default: "200" },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
        }));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(`${USAGE}\n\n${HELP}\n`);
        return 0;
    }
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
        process.stderr.write(
            `--runs must be an integer from 1 to 20 (got ${values.runs})\n${USAGE}\n`,
        );
        return 2;
    }
    const largest = Number(values.largest);
    if (!Number.isInteger(largest) || largest < 2) {
        process.stderr.write(
            `--largest must be an integer of at least 2 (got ${values.largest})\n${USAGE}\n`,
        );
        return 2;
    }
    const started = performance.now();
    try {
        toolchain();
    } catch (err) {
        if (!(err instanceof ToolchainUnavailable)) throw err;
        process.stderr.write(
            `the Pulumi toolchain is not built: ${err.message}\nrun: bash scripts/toolchain.sh\n`,
        );
        return 3;
    }
    // A cold provider build overlaps the untimed Pulumi setup; the timed rounds wait for it.
    const building = findTerraformPeer(progress).catch((err: unknown): Peer => ({
        ok: false,
        reason: String(err),
    }));

    const subjects: Subject[] = [];
    try {
        // Opening and the first up are not timed for the ratios: done side by side to save minutes.
        const setupMs = new Map<string, number>();
        const setUp = async (opening: Promise<Subject>[]) => {
            const opened = await Promise.allSettled(opening);
            for (const o of opened) if (o.status === "fulfilled") subjects.push(o.value);
            for (const o of opened) if (o.status === "rejected") throw o.reason;
            await Promise.all(
                opened.map(async (o) => {
                    const s = (o as PromiseFulfilledResult<Subject>).value;
                    const t = performance.now();
                    await s.setup();
                    setupMs.set(s.id, performance.now() - t);
                    progress(
                        `setup done: ${s.label} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
                    );
                }),
            );
        };
        progress("setup: adopting or creating the load balancer in every project at once");
        const fleets: { count: number; by: "id" | "tag" }[] = [
            { count: 2, by: "id" },
            { count: 10, by: "id" },
            ...[2, 10, 50, 200, 1000].map((count) => ({ count, by: "tag" as const })),
        ];
        // The biggest imports first and alone would take longest; side by side they share the wait.
        await setUp([
            minimalSubject(runs),
            ...fleets
                .filter((f) => f.count <= largest)
                .map((f) => dropSubject(f, f.count >= ONCE_FROM ? 1 : runs)),
        ]);
        const peer = await building;
        if (peer.ok) {
            await setUp([
                terraformSubject(peer, runs),
                ...(TERRAFORM_FLEET <= largest
                    ? [
                          terraformFleetSubject(peer, { refresh: true }, 1),
                          terraformFleetSubject(peer, { refresh: false }, 1),
                      ]
                    : []),
            ]);
        } else progress(`the Terraform peer is left out: ${peer.reason}`);

        const samples = new Map(
            subjects.map((s) => [
                s.id,
                { preview: [] as Sample[], up: [] as Sample[], resize: [] as Sample[] },
            ]),
        );
        const size = new Map(subjects.map((s) => [s.id, 0])); // index into SIZES
        for (let round = 0; round < Math.max(...subjects.map((s) => s.runs)); round++) {
            for (const s of subjects.filter((s) => round < s.runs)) {
                const next = SIZES[(size.get(s.id)! + 1) % SIZES.length];
                s.prepare(next);
                const preview = await measure(s.emulator, () => s.preview(next));
                const up = await measure(s.emulator, () => s.up(next));
                samples.get(s.id)!.preview.push(preview);
                samples.get(s.id)!.up.push(up);
                progress(
                    `round ${round + 1}: ${s.label}: resize to ${next}: preview ${formatSeconds(preview.ms)}, up ${formatSeconds(up.ms)}`,
                );
                size.set(s.id, SIZES.indexOf(next as (typeof SIZES)[number]));
                if (s.resize) {
                    const back = SIZES[(size.get(s.id)! + 1) % SIZES.length];
                    s.prepare(back);
                    const resize = await measure(s.emulator, () => s.resize!(back));
                    samples.get(s.id)!.resize.push(resize);
                    progress(
                        `round ${round + 1}: ${s.label}: resize-only up to ${back}: ${formatSeconds(resize.ms)}`,
                    );
                    size.set(s.id, SIZES.indexOf(back as (typeof SIZES)[number]));
                }
            }
        }

        const results: SubjectResult[] = subjects.map((s) => ({
            id: s.id,
            label: s.label,
            tool: s.tool,
            masking: s.masking,
            setupMs: Math.round(setupMs.get(s.id)!),
            preview: summarizeOp(s.previewCommand, samples.get(s.id)!.preview),
            up: summarizeOp(s.upCommand, samples.get(s.id)!.up),
            ...(s.resize
                ? { resize: summarizeOp(s.resizeCommand!, samples.get(s.id)!.resize) }
                : {}),
        }));
        const report: BenchReport = {
            date: new Date().toISOString(),
            machine: {
                cores: cpus().length,
                cpu: cpus()[0]?.model.trim() ?? "?",
                platform: `${platform()} ${release()}`,
                node: process.version,
                loadAverage: Math.round(loadavg()[0] * 10) / 10,
            },
            versions: versions(peer),
            baseline: "minimal",
            subjects: withRatios(results, "minimal"),
            terraform: peer.ok ? { measured: true } : { measured: false, reason: peer.reason },
            notes: NOTES,
            totalSeconds: (performance.now() - started) / 1000,
        };
        process.stdout.write(
            `${values.json ? JSON.stringify(report, null, 2) : benchTable(report)}\n`,
        );
        return 0;
    } finally {
        await Promise.all(subjects.map((s) => s.dispose()));
        await disposeAll();
    }
}

const NOTES = [
    "each operation is one fresh CLI process, timed from spawn to exit, resizing the load balancer between 1 and 3 nodes",
    "Pulumi preview/plan: `pulumi preview --json` after the stack config names the new size; up/apply: `pulumi up --yes --skip-preview`",
    "drop stack: index.ts with Pulumi.drop.yaml's config (any drop calendar left out so that the demand decides the size), adopting the load balancer by id and importing the masking droplets read-only, by id or by tag; 200 and 1,000 by tag run once",
    `resize up (targeted): \`${RESIZE_ONLY_NOTE}\`, as the autopilot and the schedule run it: the program declares only the load balancer and the engine carries the masking servers over (checked in the state after each run); its ratio is over the minimal program's up`,
    "minimal: bench/fixtures/minimal, one digitalocean.LoadBalancer with sizeUnit from config, no droplets (it creates its load balancer in the untimed setup)",
    "Terraform: bench/fixtures/terraform/main.tf, the same load balancer, adopted into the state once by an import block (untimed); plan = `terraform plan -var size_unit=N`, which refreshes the load balancer from the API and diffs (a Pulumi preview does not refresh); apply = `terraform apply -auto-approve`, which makes that same refreshing plan, then resizes",
    `Terraform with ${TERRAFORM_FLEET} droplets: bench/fixtures/terraform-fleet/main.tf, the load balancer by tag and the same ${TERRAFORM_FLEET} masking droplets adopted by import blocks with lifecycle { ignore_changes = all, prevent_destroy = true } (untimed); plan and apply as above, refreshing every droplet, or with -refresh=false (no droplet read)`,
    "API requests: as the emulator logged them during the operation, by kind; writes per resize: the write requests of one up/apply (droplets: writes aimed at masking droplets, always 0)",
];

async function measure(emulator: Emulator, run: () => Promise<void>): Promise<Sample> {
    emulator.state.resetLog();
    const t = performance.now();
    await run();
    const ms = performance.now() - t;
    const summary = emulator.state.summary();
    return {
        ms,
        reads: countsByKind(summary.reads),
        writes: countsByKind(summary.writes),
        dropletWrites: summary.dropletWrites,
    };
}

function failed(
    what: string,
    run: { status: number | null; stdout: string; stderr: string },
): Error {
    return new Error(
        `${what} (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`,
    );
}

/** Throws unless the preview is one in-place update and every other resource the same. */
async function previewOneUpdate(p: E2eProject, what: string): Promise<void> {
    const { digest, run } = await p.preview();
    const { update, same, ...others } = digest.changeSummary ?? {};
    if (run.status !== 0 || update !== 1 || Object.keys(others).length)
        throw failed(
            `${what}: expected one update, got ${JSON.stringify(digest.changeSummary)}`,
            run,
        );
    void same;
}

async function upTo(p: E2eProject, lbId: () => string, size: number, what: string): Promise<void> {
    await p.up();
    const live = p.emulator.state.getLb(lbId()).size_unit;
    if (live !== size)
        throw new Error(
            `${what}: after up the load balancer has size_unit ${live}, expected ${size}`,
        );
}

/** The masking servers (droplets) in the project's state file, read after a run (not timed). */
function dropletsInState(p: E2eProject): number {
    const file = path.join(p.dir, ".state", ".pulumi", "stacks", "proxy-lb", `${p.stack}.json`);
    const { checkpoint } = JSON.parse(readFileSync(file, "utf8")) as {
        checkpoint: { latest: { resources?: { type: string }[] } };
    };
    return (checkpoint.latest.resources ?? []).filter((r) => r.type === DROPLET_TYPE).length;
}

function project(p: E2eProject): Pick<Subject, "emulator" | "dispose"> {
    return { emulator: p.emulator, dispose: () => p.dispose() };
}

async function minimalSubject(runs: number): Promise<Subject> {
    const files = Object.fromEntries(
        ["index.ts", "Pulumi.yaml"].map((f) => [
            f,
            readFileSync(path.join(MINIMAL_DIR, f), "utf8"),
        ]),
    );
    const config = (size: number): StackConfig => ({ "lb-minimal:sizeUnit": size });
    const p = await openProject({
        config: config(SIZES[0]),
        seed: { droplets: [], loadBalancers: [] },
        stack: "bench",
        files,
    });
    let lbId = "";
    const label = "minimal Pulumi program (one LB)";
    return {
        id: "minimal",
        label,
        tool: "pulumi",
        masking: null,
        runs,
        ...project(p),
        previewCommand: "pulumi preview --json",
        upCommand: "pulumi up --yes --skip-preview",
        async setup() {
            await p.up();
            lbId = String((await p.outputs()).loadBalancerId);
            if (p.emulator.state.getLb(lbId).size_unit !== SIZES[0])
                throw new Error(`${label}: setup did not create the load balancer at ${SIZES[0]}`);
        },
        prepare: (size) => p.writeConfig(config(size)),
        preview: () => previewOneUpdate(p, label),
        up: (size) => upTo(p, () => lbId, size, label),
    };
}

/** The drop stack's own config with these masking servers and the demand that sizes to `size`. */
function dropConfig(
    masking: { count: number; by: "id" | "tag" },
    ids: number[],
    size: number,
): StackConfig {
    const { "proxy-lb:drops": _calendar, ...config } = readStackFile("drop", ROOT);
    const full: StackConfig = {
        ...config,
        "proxy-lb:maskingServers": masking.by === "id" ? { ids } : { tag: MASKING_TAG },
        "proxy-lb:demand": DEMAND_FOR[size],
    };
    const sized = loadSettings(full).sizing.sizeUnit;
    if (sized !== size)
        throw new Error(
            `bench: the drop stack sizes demand ${JSON.stringify(DEMAND_FOR[size])} to ${sized}, not ${size}`,
        );
    return full;
}

async function dropSubject(
    masking: { count: number; by: "id" | "tag" },
    runs: number,
): Promise<Subject> {
    const ids = Array.from({ length: masking.count }, (_, i) => 502_000_001 + i);
    const seed: Seed = baseSeed({ ids, tags: [MASKING_TAG] });
    if (masking.by === "tag")
        seed.loadBalancers![0] = {
            ...seed.loadBalancers![0],
            droplet_ids: undefined,
            tag: MASKING_TAG,
        };
    const p = await openProject({
        config: dropConfig(masking, ids, SIZES[0]),
        seed,
        stack: "drop",
    });
    const label = `drop stack, ${masking.count} masking servers by ${masking.by}`;
    return {
        id: `drop-${masking.count}-by-${masking.by}`,
        label,
        tool: "pulumi",
        masking,
        runs,
        ...project(p),
        previewCommand: "pulumi preview --json",
        upCommand: "pulumi up --yes --skip-preview",
        async setup() {
            await p.up();
            const summary = p.emulator.state.summary();
            if (summary.totals.writes !== 0)
                throw new Error(
                    `${label}: adopting wrote to the API (${summary.totals.writes} writes)`,
                );
        },
        prepare: (size) => p.writeConfig(dropConfig(masking, ids, size)),
        preview: () => previewOneUpdate(p, label),
        up: (size) => upTo(p, () => LB_ID, size, label),
        resizeCommand: RESIZE_ONLY_NOTE,
        async resize(size) {
            const { env, args } = resizeOnlyUp(p.stack);
            Object.assign(p.env, env); // the project's runs share this environment: set for this one run only
            try {
                const run = await p.pulumi("up", "--yes", "--skip-preview", ...args);
                if (run.status !== 0) throw failed(`${label}: the resize-only up`, run);
            } finally {
                for (const key of Object.keys(env)) delete p.env[key];
            }
            const live = p.emulator.state.getLb(LB_ID).size_unit;
            if (live !== size)
                throw new Error(
                    `${label}: after the resize-only up the load balancer has size_unit ${live}, expected ${size}`,
                );
            const kept = dropletsInState(p);
            if (kept !== masking.count)
                throw new Error(
                    `${label}: after the resize-only up the state holds ${kept} masking servers, expected ${masking.count}`,
                );
        },
    };
}

async function terraformSubject(peer: Extract<Peer, { ok: true }>, runs: number): Promise<Subject> {
    const emulator = await startEmulator({ port: 0, seed: baseSeed({ ids: [] }) });
    const tf = terraformWorkdir(peer, emulator.url, `bench-${randomBytes(12).toString("hex")}`);
    const vars = (size: number) => [
        "-input=false",
        "-no-color",
        "-var",
        `lb_id=${LB_ID}`,
        "-var",
        `size_unit=${size}`,
    ];
    const label = "Terraform, the same LB";
    const applied = async (size: number, what: string) => {
        const run = await tf.run("apply", "-auto-approve", ...vars(size));
        if (run.status !== 0) throw failed(`${label}: ${what}`, run);
        const live = emulator.state.getLb(LB_ID).size_unit;
        if (live !== size)
            throw new Error(
                `${label}: after ${what} the load balancer has size_unit ${live}, expected ${size}`,
            );
        return run;
    };
    return {
        id: "terraform",
        label,
        tool: "terraform",
        masking: null,
        runs,
        emulator,
        previewCommand: "terraform plan -var size_unit=N",
        upCommand: "terraform apply -auto-approve -var size_unit=N",
        async setup() {
            const run = await applied(SIZES[0], "the import");
            if (!/1 imported, 0 added, 0 changed, 0 destroyed/.test(run.stdout))
                throw failed(
                    `${label}: the import block did not adopt the load balancer unchanged`,
                    run,
                );
        },
        prepare: () => undefined, // the size is a -var of each command
        async preview(size) {
            const run = await tf.run("plan", "-detailed-exitcode", ...vars(size));
            // -detailed-exitcode: 2 = the plan has changes.
            if (run.status !== 2 || !/Plan: 0 to add, 1 to change, 0 to destroy/.test(run.stdout))
                throw failed(`${label}: expected a plan with one change`, run);
        },
        async up(size) {
            await applied(size, "the resize");
        },
        async dispose() {
            tf.dispose();
            await emulator.close();
        },
    };
}

/** Terraform on the drop stack's work: the LB by tag and the fleet adopted read-only; plans refresh every droplet unless told not to. */
async function terraformFleetSubject(
    peer: Extract<Peer, { ok: true }>,
    { refresh }: { refresh: boolean },
    runs: number,
): Promise<Subject> {
    const ids = Array.from({ length: TERRAFORM_FLEET }, (_, i) => 502_000_001 + i);
    const seed: Seed = baseSeed({ ids, tags: [MASKING_TAG] });
    seed.loadBalancers![0] = {
        ...seed.loadBalancers![0],
        droplet_ids: undefined,
        tag: MASKING_TAG,
    };
    const emulator = await startEmulator({ port: 0, seed });
    const tf = terraformWorkdir(peer, emulator.url, `bench-${randomBytes(12).toString("hex")}`, {
        config: TERRAFORM_FLEET_CONFIG,
        files: {
            "terraform.tfvars.json": JSON.stringify({ masking_droplet_ids: ids.map(String) }),
        },
    });
    const refreshArgs = refresh ? [] : ["-refresh=false"];
    const vars = (size: number) => [
        "-input=false",
        "-no-color",
        ...refreshArgs,
        "-var",
        `lb_id=${LB_ID}`,
        "-var",
        `size_unit=${size}`,
    ];
    const label = `Terraform, ${TERRAFORM_FLEET} droplets adopted${refresh ? "" : ", -refresh=false"}`;
    const applied = async (size: number, what: string, args: string[]) => {
        const run = await tf.run("apply", "-auto-approve", ...args);
        if (run.status !== 0) throw failed(`${label}: ${what}`, run);
        const live = emulator.state.getLb(LB_ID).size_unit;
        if (live !== size)
            throw new Error(
                `${label}: after ${what} the load balancer has size_unit ${live}, expected ${size}`,
            );
        return run;
    };
    const flag = refresh ? "" : " -refresh=false";
    return {
        id: `terraform-${TERRAFORM_FLEET}${refresh ? "" : "-no-refresh"}`,
        label,
        tool: "terraform",
        masking: { count: TERRAFORM_FLEET, by: "tag" },
        runs,
        emulator,
        previewCommand: `terraform plan${flag} -var size_unit=N`,
        upCommand: `terraform apply -auto-approve${flag} -var size_unit=N`,
        async setup() {
            // The import itself always reads every droplet: it is what adopting means.
            const run = await applied(SIZES[0], "the import", [
                "-input=false",
                "-no-color",
                "-var",
                `lb_id=${LB_ID}`,
                "-var",
                `size_unit=${SIZES[0]}`,
            ]);
            const imported = new RegExp(
                `${TERRAFORM_FLEET + 1} imported, 0 added, 0 changed, 0 destroyed`,
            );
            if (!imported.test(run.stdout))
                throw failed(
                    `${label}: the import blocks did not adopt the load balancer and the droplets unchanged`,
                    run,
                );
            if (emulator.state.summary().totals.writes !== 0)
                throw new Error(`${label}: adopting wrote to the API`);
        },
        prepare: () => undefined,
        async preview(size) {
            const run = await tf.run("plan", "-detailed-exitcode", ...vars(size));
            if (run.status !== 2 || !/Plan: 0 to add, 1 to change, 0 to destroy/.test(run.stdout))
                throw failed(`${label}: expected a plan with one change`, run);
        },
        async up(size) {
            await applied(size, "the resize", vars(size));
        },
        async dispose() {
            tf.dispose();
            await emulator.close();
        },
    };
}

function versions(peer: Peer): Record<string, string> {
    const pulumi = spawnSync(path.join(toolchain().bin, "pulumi"), ["version"], {
        encoding: "utf8",
    }).stdout.trim();
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        dependencies: Record<string, string>;
    };
    return {
        pulumi: pulumi || "?",
        "pulumi-resource-digitalocean": pkg.dependencies["@pulumi/digitalocean"],
        ...(peer.ok
            ? {
                  terraform: peer.version,
                  "terraform-provider-digitalocean":
                      "ea617eca38d7 (inside the Pulumi provider 4.57.0)",
              }
            : {}),
    };
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
        process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
