// The record of API requests (never their tokens) and the summary tests assert on. Every write is
// kept in full (the proofs read them); reads beyond the last `readsKept` are only counted, so an
// emulator that runs for days (a controller polling it every minute) stays the same size and its
// summary stays exact.
import type { LogEntry, Summary } from "./logTypes";

/** Reads kept in full by default: far more than one test makes, a week of a controller's polling only counted. */
export const READS_KEPT = 10_000;

export function emptySummary(): Summary {
    return {
        reads: {},
        writes: {},
        effectiveWrites: {},
        totals: { requests: 0, reads: 0, writes: 0, effectiveWrites: 0, errors: 0, dropped: 0 },
        dropletWrites: 0,
        dropletWritesById: {},
        outOfBandChanges: 0,
    };
}

export class RequestLog {
    entries: LogEntry[] = [];
    /** Last sequence number handed out; keeps counting across resets and restarts. */
    seq = 0;
    /** API requests per SHA-256 (hex) of their bearer token: a test can tell which token arrived without it being kept. */
    readonly bearerSha256Counts = new Map<string, number>();
    /** The reads no longer in `entries`, counted as the summary counts them. */
    folded: Summary = emptySummary();
    private reads = 0;

    constructor(private readonly readsKept = READS_KEPT) {}

    restore(entries: LogEntry[], seq: number, folded?: Summary): void {
        this.entries = entries;
        this.seq = seq;
        this.folded = folded ?? emptySummary();
        this.reads = entries.filter((e) => !e.write).length;
    }

    begin(e: Omit<LogEntry, "seq" | "time" | "status">): LogEntry {
        const entry: LogEntry = {
            seq: ++this.seq,
            time: new Date().toISOString(),
            status: 0,
            ...e,
        };
        this.entries.push(entry);
        // Folded in batches (half the kept count at a time), so a request costs O(1) on average.
        if (!entry.write && ++this.reads > this.readsKept * 1.5) this.foldOldReads();
        return entry;
    }

    /** Requests since the last reset, the folded reads included. */
    get count(): number {
        return this.folded.totals.requests + this.entries.length;
    }

    countBearer(sha256: string): void {
        this.bearerSha256Counts.set(sha256, (this.bearerSha256Counts.get(sha256) ?? 0) + 1);
    }

    reset(): void {
        this.entries = [];
        this.folded = emptySummary();
        this.reads = 0;
    }

    summary(outOfBandChanges: number): Summary {
        const s = structuredClone(this.folded);
        for (const e of this.entries) tally(s, e);
        s.outOfBandChanges = outOfBandChanges;
        return s;
    }

    private foldOldReads(): void {
        let drop = this.reads - this.readsKept;
        this.entries = this.entries.filter((e) => {
            if (drop === 0 || e.write) return true;
            drop--;
            tally(this.folded, e);
            return false;
        });
        this.reads = this.readsKept;
    }
}

function tally(s: Summary, e: LogEntry): void {
    s.totals.requests++;
    if (e.status === 0) s.totals.dropped++;
    else if (e.status >= 400) s.totals.errors++;
    const bucket = e.write ? s.writes : s.reads;
    if (e.write) s.totals.writes++;
    else s.totals.reads++;
    const perKind = (bucket[e.kind] ??= {});
    const key = e.id ?? "*";
    perKind[key] = (perKind[key] ?? 0) + 1;
    if (!e.write) return;
    if (e.changed) {
        s.totals.effectiveWrites++;
        const eff = (s.effectiveWrites[e.kind] ??= {});
        eff[key] = (eff[key] ?? 0) + 1;
    }
    const touched = e.dropletIds?.length
        ? e.dropletIds.map(String)
        : e.kind === "droplet"
          ? [e.id ?? "*"]
          : [];
    if (touched.length) s.dropletWrites++;
    for (const id of touched) s.dropletWritesById[id] = (s.dropletWritesById[id] ?? 0) + 1;
}
