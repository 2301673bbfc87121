// The record of API requests (never their tokens) and the summary tests assert on.
import type { LogEntry, Summary } from "./logTypes";

export class RequestLog {
    entries: LogEntry[] = [];
    /** Last sequence number handed out; keeps counting across resets and restarts. */
    seq = 0;
    /** API requests per SHA-256 (hex) of their bearer token: a test can tell which token arrived without it being kept. */
    readonly bearerSha256Counts = new Map<string, number>();

    restore(entries: LogEntry[], seq: number): void {
        this.entries = entries;
        this.seq = seq;
    }

    begin(e: Omit<LogEntry, "seq" | "time" | "status">): LogEntry {
        const entry: LogEntry = {
            seq: ++this.seq,
            time: new Date().toISOString(),
            status: 0,
            ...e,
        };
        this.entries.push(entry);
        return entry;
    }

    countBearer(sha256: string): void {
        this.bearerSha256Counts.set(sha256, (this.bearerSha256Counts.get(sha256) ?? 0) + 1);
    }

    reset(): void {
        this.entries = [];
    }

    summary(outOfBandChanges: number): Summary {
        const s: Summary = {
            reads: {},
            writes: {},
            effectiveWrites: {},
            totals: { requests: 0, reads: 0, writes: 0, effectiveWrites: 0, errors: 0, dropped: 0 },
            dropletWrites: 0,
            dropletWritesById: {},
            outOfBandChanges,
        };
        for (const e of this.entries) {
            s.totals.requests++;
            if (e.status === 0) s.totals.dropped++;
            else if (e.status >= 400) s.totals.errors++;
            const bucket = e.write ? s.writes : s.reads;
            if (e.write) s.totals.writes++;
            else s.totals.reads++;
            const perKind = (bucket[e.kind] ??= {});
            const key = e.id ?? "*";
            perKind[key] = (perKind[key] ?? 0) + 1;
            if (!e.write) continue;
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
        return s;
    }
}
