// node --require tsx/cjs bench/tickMemory.ts [runs]
// The memory a controller's host needs: the resident memory of the whole process tree of a
// `--once` tick run as the systemd unit runs it (the controller, and in a resize the engine,
// language host, program and provider it starts), sampled every 100 ms from /proc, for an idle
// tick and for a tick that resizes 1 → 4 nodes (the surge example), on the emulator after a real
// `pulumi up` at 1 node. Two sums: of each process's resident set (RSS), which counts the pages
// processes share (the node binary, run by two of them) once per process, and of each one's
// proportional share (PSS), which counts every page once: the memory the tree really holds.
// Linux only.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { baseConfig, baseSeed, disposeAll, LB_ID, openProject } from "../sandbox/harness";
import { unitNodeArgs } from "./unitCommand";

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface Proc {
    name: string;
    /** Resident set, MB. */
    rss: number;
    /** Proportional set, MB: a page shared with n processes counts 1/n. */
    pss: number;
}

const kb = (text: string, field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);

/** Every process's parent, from /proc. */
function parents(): Map<number, number> {
    const all = new Map<number, number>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            all.set(Number(entry), kb(readFileSync(`/proc/${entry}/status`, "utf8"), "PPid"));
        } catch {
            // gone between the listing and the read
        }
    }
    return all;
}

function measured(pid: number): Proc | undefined {
    try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        const [rss, pss] = [kb(status, "VmRSS") / 1024, kb(rollup, "Pss") / 1024];
        return { name: processName(argv), rss, pss };
    } catch {
        return undefined; // exited meanwhile
    }
}

/** What a process is, in a word: the controller, the program, pulumi, its plugins, npm… */
function processName(argv: string[]): string {
    const [exe = "", ...args] = argv.filter(Boolean);
    if (args.some((a) => a.endsWith("autopilot.ts"))) return "controller";
    if (args.some((a) => a.includes("cmd/run"))) return "program";
    const base = path.basename(exe);
    return base === "pulumi" ? `pulumi ${args[0] ?? ""}` : base;
}

/** The process and its descendants, measured (smaps_rollup walks a process's mappings: ours only). */
function tree(root: number): Proc[] {
    const all = parents();
    const out: Proc[] = [];
    const walk = (pid: number) => {
        const proc = measured(pid);
        if (!proc) return;
        out.push(proc);
        for (const [child, parent] of all) if (parent === pid) walk(child);
    };
    walk(root);
    return out;
}

interface Peak {
    mb: number;
    procs: Proc[];
}

async function sampledTick(
    dir: string,
    env: NodeJS.ProcessEnv,
    stack: string,
): Promise<{ status: string; seconds: number; rss: Peak; pss: Peak }> {
    const started = Date.now();
    const child = spawn(
        process.execPath,
        [...unitNodeArgs(), "--stack", stack, "--once", "--json"],
        {
            cwd: dir,
            env,
        },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const rss: Peak = { mb: 0, procs: [] };
    const pss: Peak = { mb: 0, procs: [] };
    const timer = setInterval(() => {
        const procs = tree(child.pid ?? -1);
        for (const [peak, of] of [
            [rss, (p: Proc) => p.rss],
            [pss, (p: Proc) => p.pss],
        ] as const) {
            const sum = procs.reduce((total, p) => total + of(p), 0);
            if (sum > peak.mb) Object.assign(peak, { mb: sum, procs });
        }
    }, 100);
    await new Promise((resolve) => child.on("close", resolve));
    clearInterval(timer);
    const status = /"status":"(\w+)"/.exec(out)?.[1] ?? `no report: ${out.slice(0, 300)}`;
    return { status, seconds: (Date.now() - started) / 1000, rss, pss };
}

/** "470 MB (controller 85, pulumi up 111, …)": the processes of 10 MB and more at the peak. */
function peakText(peak: Peak, of: (p: Proc) => number): string {
    const parts = peak.procs
        .filter((proc) => of(proc) >= 10)
        .map((proc) => `${proc.name} ${of(proc).toFixed(0)}`)
        .join(", ");
    return `${peak.mb.toFixed(0)} MB (${parts})`;
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 3);
    const points: [number, number][] = [];
    for (let t = T0 - 60 * MINUTE; t <= T0 + 60 * MINUTE; t += MINUTE)
        points.push([t / 1000, t >= T0 - 10 * MINUTE ? 35_000 : 3_000]); // the surge example
    try {
        for (let run = 1; run <= runs; run++) {
            const p = await openProject({
                config: baseConfig({ "proxy-lb:autopilot": { enabled: true } }),
                seed: {
                    ...baseSeed(),
                    metrics: { loadBalancers: { [LB_ID]: { demand: { points } } } },
                },
            });
            p.useToken("recommended");
            p.emulator.state.setClock(T0 - 20 * MINUTE);
            p.env.PROXY_LB_NOW = iso(T0 - 20 * MINUTE);
            await p.up();
            for (const [label, at] of [
                ["idle", T0 - 20 * MINUTE],
                ["resize", T0 + 2 * MINUTE],
            ] as const) {
                p.emulator.state.setClock(at);
                p.env.PROXY_LB_NOW = iso(at);
                const tick = await sampledTick(p.dir, p.env, p.stack);
                console.log(
                    `run ${run} ${label}: ${tick.status} in ${tick.seconds.toFixed(1)} s; peak RSS sum ${peakText(tick.rss, (p) => p.rss)}; peak PSS sum ${peakText(tick.pss, (p) => p.pss)}`,
                );
            }
            console.log(
                `run ${run}: the load balancer at ${p.emulator.state.getLb(LB_ID).size_unit} nodes`,
            );
        }
    } finally {
        await disposeAll();
    }
}

void main();
