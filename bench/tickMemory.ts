// node --require tsx/cjs bench/tickMemory.ts [runs]
// The memory a controller's host needs: the resident memory of the whole process tree of
// `node --require tsx/cjs cli/autopilot.ts --once` (as the systemd unit runs it: the controller,
// and in a resize the engine, language host, program and provider it starts), sampled every
// 100 ms from /proc, for an idle tick and for a tick that resizes 1 → 4 nodes (the surge
// example), on the emulator after a real `pulumi up` at 1 node. Linux only.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { baseConfig, baseSeed, disposeAll, LB_ID, openProject, ROOT } from "../sandbox/harness";

const MINUTE = 60_000;
const T0 = Date.parse("2027-11-24T10:00:00Z");
const HOOK = path.join(ROOT, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface Proc {
    ppid: number;
    mb: number;
    name: string;
}

function processes(): Map<number, Proc> {
    const all = new Map<number, Proc>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const status = readFileSync(`/proc/${entry}/status`, "utf8");
            const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
            all.set(Number(entry), {
                ppid: Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0),
                mb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
                name: processName(argv),
            });
        } catch {
            // gone between the listing and the read
        }
    }
    return all;
}

/** What a process is, in a word: the controller, the program, pulumi, its plugins, npm… */
function processName(argv: string[]): string {
    const [exe = "", ...args] = argv.filter(Boolean);
    if (args.some((a) => a.endsWith("autopilot.ts"))) return "controller";
    if (args.some((a) => a.includes("cmd/run"))) return "program";
    const base = path.basename(exe);
    return base === "pulumi" ? `pulumi ${args[0] ?? ""}` : base;
}

function tree(root: number): Proc[] {
    const all = processes();
    const out: Proc[] = [];
    const walk = (pid: number) => {
        const proc = all.get(pid);
        if (!proc) return;
        out.push(proc);
        for (const [child, p] of all) if (p.ppid === pid) walk(child);
    };
    walk(root);
    return out;
}

async function sampledTick(
    dir: string,
    env: NodeJS.ProcessEnv,
    stack: string,
): Promise<{ status: string; seconds: number; peak: number; atPeak: Proc[] }> {
    const started = Date.now();
    const child = spawn(
        process.execPath,
        [
            "--require",
            HOOK,
            path.join(ROOT, "cli", "autopilot.ts"),
            "--stack",
            stack,
            "--once",
            "--json",
        ],
        { cwd: dir, env },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    let peak = 0;
    let atPeak: Proc[] = [];
    const timer = setInterval(() => {
        const procs = tree(child.pid ?? -1);
        const sum = procs.reduce((s, p) => s + p.mb, 0);
        if (sum > peak) [peak, atPeak] = [sum, procs];
    }, 100);
    await new Promise((resolve) => child.on("close", resolve));
    clearInterval(timer);
    const status = /"status":"(\w+)"/.exec(out)?.[1] ?? `no report: ${out.slice(0, 300)}`;
    return { status, seconds: (Date.now() - started) / 1000, peak, atPeak };
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
                const parts = tick.atPeak
                    .filter((proc) => proc.mb >= 10)
                    .map((proc) => `${proc.name} ${proc.mb.toFixed(0)}`)
                    .join(", ");
                console.log(
                    `run ${run} ${label}: ${tick.status}, ${tick.peak.toFixed(0)} MB at the peak (${parts}), ${tick.seconds.toFixed(1)} s`,
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
