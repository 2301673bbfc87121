// Where the emulator's state lives between requests and restarts: a small interface with a
// memory backend (the default) and a file backend (`--state`), as fake-gcs-server keeps its
// storage behind one interface with memory and filesystem implementations.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { LbMetricsSeed } from "./metrics";
import type { LogEntry, OutOfBandChange, Summary } from "./logTypes";
import type { Action, Certificate, Droplet, LoadBalancer } from "./wireTypes";

/** Emulator-only bookkeeping kept next to each LB, never served. */
export interface LbRecord {
    lb: LoadBalancer;
    /** GETs still needed before a "new" LB turns "active". */
    getsUntilActive: number;
    /** Set by a stuckNew fault on create: never activates by itself. */
    stuck: boolean;
    /** [unix seconds from which it is in force, nodes]: what the derived frontend_connections_limit follows (a resize: its time + the resize delay). */
    sizeHistory?: [number, number][];
    /** Unix seconds (emulator clock) of the last resize asked for: the busy window and the resize interval start there. */
    lastResizeAt?: number;
    /** Scale-downs: [unix seconds when the removed nodes' connections close (asked + the drain minute), nodes before, nodes after]. */
    drains?: [number, number, number][];
}

/** The state file's format (version 1): the account, the request log and their counters. */
export interface PersistedState {
    version: 1;
    droplets: Droplet[];
    loadBalancers: LbRecord[];
    actions: Action[];
    pendingActions: number[];
    counters: { seq: number; nextActionId: number; nextDropletId: number; lbIps: number };
    log: LogEntry[];
    /** The reads counted but no longer kept in `log` (requestLog.ts). */
    logFolded?: Summary;
    outOfBand: OutOfBandChange[];
    tags?: [string, { lastDroplet?: number }][];
    certificates?: Certificate[];
    metrics?: [string, LbMetricsSeed][];
    /** Seconds before a resize shows in the derived metrics (the seed's metrics.resizeDelaySeconds or the option). */
    resizeDelaySeconds?: number;
    /** The seed's resizeIntervalSeconds and busyWhileResizing. */
    resizeIntervalSeconds?: number;
    busyWhileResizing?: boolean;
    /** The emulator's clock as a test set it (ISO); absent: real time. */
    clock?: string;
    /** Seeded tokens as [SHA-256, scopes]; absent: every non-empty token has every scope. */
    tokens?: [string, string[]][];
}

export interface StateBackend {
    /** The saved state, or undefined when there is none yet (the seed is used). */
    load(): PersistedState | undefined;
    save(state: PersistedState): void;
}

function checked(p: PersistedState, where: string): PersistedState {
    if (p.version !== 1) throw new Error(`${where}: unsupported version ${String(p.version)}`);
    return p;
}

/** Keeps the last saved state in memory: a new emulator on the same backend restarts from it. */
export class MemoryBackend implements StateBackend {
    private saved?: PersistedState;
    load(): PersistedState | undefined {
        return this.saved && structuredClone(this.saved);
    }
    save(state: PersistedState): void {
        this.saved = structuredClone(state);
    }
}

/** A JSON file, rewritten atomically (temp file + rename) so a killed emulator never leaves half a file. */
export class FileBackend implements StateBackend {
    constructor(readonly file: string) {}
    load(): PersistedState | undefined {
        if (!existsSync(this.file)) return undefined;
        return checked(JSON.parse(readFileSync(this.file, "utf8")), "state file");
    }
    save(state: PersistedState): void {
        const tmp = `${this.file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(state, null, 2));
        renameSync(tmp, this.file);
    }
}
