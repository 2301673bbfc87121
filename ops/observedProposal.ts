// What a past drop really used, as demand for the next drop (`plan --observed`): from the JSON
// `observe --json` wrote, or, given a drop's name, from its metrics read now.
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError, demandSchema, type Settings } from "../config";
import type { Demand } from "../sizing";
import { formatInstant } from "../sizing/format";
import { proposeDemand, type DemandProposal } from "../sizing/observedWindow";
import { observeStack } from "./observation";

const observedFileSchema = z.object({
    drop: z.string().nullable().optional(),
    window: z.object({ from: z.string(), to: z.string() }),
    peak: z.object({ connections: z.number(), at: z.string() }),
    held: z.boolean(),
    suggested: z.object({ demand: demandSchema }),
});

/** What was observed: the drop (null for a bare window), its window as ISO text, the peak and the demand that fits it. */
export interface ObservedSource {
    drop: string | null;
    window: { from: string; to: string };
    peak: number;
    held: boolean;
    demand: Demand;
}

export type ObservedProposal = DemandProposal & { observed: ObservedSource };

export function readObservedFile(file: string): ObservedSource {
    let data: unknown;
    try {
        data = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
        throw new ConfigError([
            `--observed ${file} is not JSON (${(err as Error).message}); give the output of npm run observe -- --json`,
        ]);
    }
    const parsed = observedFileSchema.safeParse(data);
    if (!parsed.success) {
        const where = parsed.error.issues
            .map((i) => i.path.join(".") || "(top)")
            .slice(0, 3)
            .join(", ");
        throw new ConfigError([
            `--observed ${file} is not the output of npm run observe -- --json (wrong or missing: ${where})`,
        ]);
    }
    const d = parsed.data;
    return {
        drop: d.drop ?? null,
        window: d.window,
        peak: d.peak.connections,
        held: d.held,
        demand: d.suggested.demand,
    };
}

/** The observed demand (a file, else a drop of the calendar), sized and proposed for the next drop after `now`. */
export async function proposalFromObservation(opts: {
    stack: string;
    settings: Settings;
    /** a file of `observe --json`, or a drop's name */
    source: string;
    stackEntries: Record<string, unknown>;
    now: number;
}): Promise<ObservedProposal> {
    const { stack, settings, source, now } = opts;
    let observed: ObservedSource;
    if (existsSync(source)) {
        observed = readObservedFile(source);
    } else if (settings.config.drops.some((d) => d.name === source)) {
        const report = await observeStack({
            stack,
            settings,
            stackEntries: opts.stackEntries,
            target: { drop: source },
            now,
        });
        const o = report.observation;
        observed = {
            drop: source,
            window: {
                from: formatInstant(o.window.from * 1000),
                to: formatInstant(o.window.to * 1000),
            },
            peak: o.peak.connections,
            held: o.held,
            demand: o.suggested.demand,
        };
    } else {
        throw new ConfigError([
            `--observed ${source} is neither a file nor a drop in proxy-lb:drops`,
        ]);
    }
    const proposal = proposeDemand(
        settings.calendar,
        { region: settings.config.region, capacity: settings.config.capacity },
        observed.demand,
        now,
    );
    return { ...proposal, observed };
}
