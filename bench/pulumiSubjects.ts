// The Pulumi subjects: the minimal one-LB program and the drop stack (the program itself) with its
// masking servers by id or by tag, each in a project copy with its own emulator.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { loadSettings } from "../config";
import { readStackFile } from "../config/stackFile";
import type { Seed } from "../emulator/server";
import { DROPLET_TYPE } from "../infra/names";
import { resizeOnlyUp } from "../infra/resizeOnly";
import {
    baseSeed,
    LB_ID,
    openProject,
    ROOT,
    type E2eProject,
    type StackConfig,
} from "../sandbox/harness";
import { failed, MASKING_TAG, SIZES, type Subject } from "./subject";

const MINIMAL_DIR = path.join(__dirname, "fixtures", "minimal");
/** Demand that the drop stack's sizing turns into each size (checked with the program's own sizing below). */
const DEMAND_FOR: Record<number, { users: number; tasksPerUser: number }> = {
    1: { users: 1, tasksPerUser: 2000 },
    3: { users: 12, tasksPerUser: 2000 },
};
export const RESIZE_ONLY_NOTE =
    "PROXY_LB_RESIZE_ONLY=true pulumi up --yes --skip-preview --target <the LB's URN>";

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

export async function minimalSubject(runs: number): Promise<Subject> {
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

export async function dropSubject(
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
