// The benchmark's runs: every subject opened and set up (untimed, side by side), then the timed
// rounds, the subjects interleaved so that load on this shared machine falls on each alike.
import type { Emulator } from "../emulator/server";
import { dropSubject, minimalSubject } from "./pulumiSubjects";
import { countsByKind, formatSeconds, type Sample } from "./report";
import { SIZES, type Subject } from "./subject";
import { type Peer } from "./terraform";
import { TERRAFORM_FLEET, terraformFleetSubject, terraformSubject } from "./terraformSubjects";

/** Fleets of this many masking servers or more run once: each operation takes tens of seconds. */
const ONCE_FROM = 200;

export const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

export interface Samples {
    preview: Sample[];
    up: Sample[];
    resize: Sample[];
}

/**
 * Opens every subject into `subjects` (so that the caller disposes even those opened before a
 * failure) and sets each up, recording its setup time; the Terraform subjects once `building`
 * gives a peer. Returns the peer.
 */
export async function setUpSubjects(
    subjects: Subject[],
    setupMs: Map<string, number>,
    { runs, largest, building }: { runs: number; largest: number; building: Promise<Peer> },
): Promise<Peer> {
    // Opening and the first up are not timed for the ratios: done side by side to save minutes.
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
    return peer;
}

/** The timed rounds: each subject resized to the other size (preview, up, then the resize-only up back) per round. */
export async function timedRounds(subjects: Subject[]): Promise<Map<string, Samples>> {
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
    return samples;
}

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
