// What a running emulator holds: the account (EmulatorStore), the request log, the armed
// faults, and the backend its state is saved to. `emu.state` and buildApp's `store` are this.
import { type PersistedState, type StateBackend } from "./backend";
import { Faults } from "./faults";
import type { RequestChecks } from "./requestChecks";
import { RequestLog } from "./requestLog";
import { EmulatorStore } from "./store";
import type { LogEntry, Summary } from "./logTypes";
import type { Seed } from "./seedTypes";

export interface StateOptions {
    seed?: Seed;
    /** Saves after every request; a saved state wins over `seed` at start. None: the state lives in this object only. */
    backend?: StateBackend;
    activateAfterGets?: number;
    checks?: RequestChecks;
    resizeDelaySeconds?: number;
    nowMs?: number;
    /** reads kept in full in the request log (requestLog.ts READS_KEPT by default); older ones are only counted */
    readsKept?: number;
}

export class EmulatorState extends EmulatorStore {
    readonly requests: RequestLog;
    readonly faults = new Faults();
    private readonly backend?: StateBackend;

    constructor(opts: StateOptions = {}) {
        const restored = opts.backend?.load();
        super({
            seed: opts.seed,
            restored,
            activateAfterGets: opts.activateAfterGets,
            checks: opts.checks,
            resizeDelaySeconds: opts.resizeDelaySeconds,
            nowMs: opts.nowMs,
        });
        this.backend = opts.backend;
        this.requests = new RequestLog(opts.readsKept);
        if (restored)
            this.requests.restore(restored.log, restored.counters.seq, restored.logFolded);
    }

    get log(): LogEntry[] {
        return this.requests.entries;
    }

    get bearerSha256Counts(): Map<string, number> {
        return this.requests.bearerSha256Counts;
    }

    summary(): Summary {
        return this.requests.summary(this.outOfBand.length);
    }

    /** Clears the request log and the out-of-band changes (seq keeps counting). */
    resetLog(): void {
        this.requests.reset();
        this.outOfBand = [];
    }

    /** The whole state, in the state file's format. */
    saved(): PersistedState {
        const account = this.snapshot();
        return {
            version: 1,
            ...account,
            counters: { seq: this.requests.seq, ...account.counters },
            log: structuredClone(this.log),
            logFolded: structuredClone(this.requests.folded),
        };
    }

    persist(): void {
        this.backend?.save(this.saved());
    }
}
