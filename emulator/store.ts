// The account: droplets, load balancers, actions, tags, certificates, monitoring series and
// tokens, with the operations the API performs on them. No HTTP (routes map its errors to
// statuses), no persistence (EmulatorState saves snapshots through a backend), no request
// log; served shapes are built by `lbToWire` and `tagToWire`, in one place.
import { createHash, randomUUID } from "node:crypto";
import type { LbRecord, PersistedState } from "./backend";
import { apiTime, imageObject, regionObject, sizeObject, stableUuid } from "./catalog";
import { BusyError, InvalidError, NotFoundError, ResizeTooOftenError } from "./errors";
import {
    type LbCheckContext,
    type RequestChecks,
    normalizeLbBody,
    requestChecks,
} from "./requestChecks";
import { EmulatorClock } from "./clock";
import {
    DEFAULT_RESIZE_DELAY_SECONDS,
    DEFAULT_RESIZE_INTERVAL_SECONDS,
    DRAIN_SECONDS,
    type LbMetric,
    type LbMetricsSeed,
    type MatrixResponse,
    type MetricWindow,
    checkLbMetrics,
    checkResizeDelay,
    metricMatrix,
} from "./metrics";
import { withoutNulls } from "./nulls";
import { type TokenScopes, tokenScopesFromSeed } from "./tokens";
import {
    createdDropletFeatures,
    expandCertificate,
    expandDroplet,
    ipv6Network,
    nextBackupWindow,
} from "./seed";
import type { OutOfBandChange } from "./logTypes";
import type { Seed, SeedDroplet, SeedToken } from "./seedTypes";
import type {
    Action,
    Certificate,
    Droplet,
    DropletImage,
    LbStatus,
    LoadBalancer,
    TagObject,
} from "./wireTypes";
import { lbFromBody, lbToWire, nodesOf, tagToWire } from "./wire";

export interface StoreOptions {
    seed?: Seed;
    /** A saved state to start from instead of the seed. */
    restored?: PersistedState;
    /** GETs of a new LB before it reports "active": 1 = the first GET after creation (default); 0 = right after the POST. */
    activateAfterGets?: number;
    /** The checks of request bodies (LB create/update and seeded LBs, droplet create, droplet actions); default: semantic only. */
    checks?: RequestChecks;
    /** Seconds before a resize shows in the metrics; wins over the seed's metrics.resizeDelaySeconds and a saved state's. */
    resizeDelaySeconds?: number;
    /** Unix ms to freeze the clock at (as PUT /_emulator/clock); wins over a saved state's. */
    nowMs?: number;
}

/** The account's counters; the request log keeps its own sequence. */
export type AccountCounters = Omit<PersistedState["counters"], "seq">;
/** What the account contributes to a saved state. */
export type AccountSnapshot = Omit<PersistedState, "version" | "log" | "counters"> & {
    counters: AccountCounters;
};

const clone = <T>(v: T): T => structuredClone(v);
type Body = Record<string, unknown>;

export class EmulatorStore {
    readonly droplets = new Map<number, Droplet>();
    readonly lbs = new Map<string, LbRecord>();
    readonly actions = new Map<number, Action>();
    /** Actions still "in-progress"; they complete on their next GET. */
    readonly pendingActions = new Set<number>();
    readonly certificates = new Map<string, Certificate>();
    /** Seeded or control-set monitoring series per LB id. */
    readonly metrics = new Map<string, LbMetricsSeed>();
    /** Tags that exist in the account, with the droplet tagged last (for last_tagged_uri). */
    readonly tags = new Map<string, { lastDroplet?: number }>();
    /** Changes made "in the console" (control endpoints), not through the API. */
    outOfBand: OutOfBandChange[] = [];
    /** The account's tokens (by SHA-256) and their scopes, when the seed lists them. */
    tokens?: TokenScopes;
    private counters: AccountCounters = { nextActionId: 1_900_000_001, nextDropletId: 0, lbIps: 0 };
    /** The emulator's now: real time until a test sets it. Resizes, created_at and action times, derived metrics follow it. */
    readonly clock = new EmulatorClock();
    /** Seconds between a resize request and its node count in force in the derived limit. */
    resizeDelaySeconds = DEFAULT_RESIZE_DELAY_SECONDS;
    /** Seconds DigitalOcean makes an LB wait between two resizes (the seed's resizeIntervalSeconds). */
    resizeIntervalSeconds = DEFAULT_RESIZE_INTERVAL_SECONDS;
    /** Whether an update during the resize delay is refused as busy (the seed's busyWhileResizing). */
    busyWhileResizing = true;
    private readonly activateAfterGets: number;
    private readonly checks: RequestChecks;

    constructor(opts: StoreOptions = {}) {
        this.activateAfterGets = opts.activateAfterGets ?? 1;
        this.checks = opts.checks ?? requestChecks(undefined);
        if (opts.restored) this.restore(opts.restored);
        else if (opts.seed) this.applySeed(opts.seed);
        if (opts.resizeDelaySeconds !== undefined)
            this.resizeDelaySeconds = checkResizeDelay(
                "resizeDelaySeconds",
                opts.resizeDelaySeconds,
            );
        if (opts.nowMs !== undefined) this.clock.set(opts.nowMs);
        // Tags carried by droplets exist (a state file from before tags were kept lists none).
        for (const d of this.droplets.values()) for (const t of d.tags) this.noteTag(t, d.id);
        if (!this.counters.nextDropletId) {
            this.counters.nextDropletId = Math.max(
                500_000_000,
                ...[...this.droplets.keys()].map((id) => id + 1),
            );
        }
    }

    // ---- seed / snapshot ----------------------------------------------------------------

    private applySeed(seed: Seed): void {
        for (const d of seed.droplets) this.droplets.set(d.id, expandDroplet(d));
        for (const c of seed.certificates ?? []) this.certificates.set(c.id, expandCertificate(c));
        for (const [i, s] of (seed.loadBalancers ?? []).entries()) {
            const { id, ip, status, created_at, ...config } = withoutNulls(s as Body);
            // "Made in the console": a body the API would have accepted from a create.
            const body = normalizeLbBody(config);
            const errs = this.checks.loadBalancer(body, this.lbCheckContext());
            if (errs.length) throw new Error(`seed: loadBalancers[${i}]: ${errs.join("; ")}`);
            // Deterministic id/time so a seeded account looks the same on every start.
            const lb = lbFromBody(body, {
                id: typeof id === "string" ? id : stableUuid(`lb:${s.region}:${s.name}`),
                ip: typeof ip === "string" ? ip : this.allocateLbIp(),
                created_at: typeof created_at === "string" ? created_at : "2024-06-03T10:00:00Z",
                status: (status as LbStatus | undefined) ?? "active",
            });
            this.lbs.set(lb.id, {
                lb,
                getsUntilActive: 0,
                stuck: false,
                sizeHistory: [[0, nodesOf(lb)]],
            });
        }
        this.tokens = tokenScopesFromSeed(seed.tokens);
        if (seed.metrics?.resizeDelaySeconds !== undefined)
            this.resizeDelaySeconds = seed.metrics.resizeDelaySeconds;
        if (seed.resizeIntervalSeconds !== undefined)
            this.resizeIntervalSeconds = seed.resizeIntervalSeconds;
        if (seed.busyWhileResizing !== undefined) this.busyWhileResizing = seed.busyWhileResizing;
        for (const [id, m] of Object.entries(seed.metrics?.loadBalancers ?? {})) {
            if (!this.lbs.has(id))
                throw new Error(
                    `seed: metrics.loadBalancers.${id}: no seeded load balancer has that id`,
                );
            this.metrics.set(id, m);
        }
    }

    private restore(p: PersistedState): void {
        for (const d of p.droplets) this.droplets.set(d.id, d);
        for (const r of p.loadBalancers)
            this.lbs.set(r.lb.id, { ...r, sizeHistory: r.sizeHistory ?? [[0, nodesOf(r.lb)]] });
        for (const [id, m] of p.metrics ?? []) this.metrics.set(id, m);
        for (const a of p.actions) this.actions.set(a.id, a);
        for (const id of p.pendingActions) this.pendingActions.add(id);
        for (const [name, t] of p.tags ?? []) this.tags.set(name, t);
        for (const c of p.certificates ?? []) this.certificates.set(c.id, c);
        if (p.tokens) this.tokens = new Map(p.tokens);
        const { seq: _seq, ...counters } = p.counters;
        this.counters = counters;
        this.outOfBand = p.outOfBand;
        if (p.resizeDelaySeconds !== undefined) this.resizeDelaySeconds = p.resizeDelaySeconds;
        if (p.resizeIntervalSeconds !== undefined)
            this.resizeIntervalSeconds = p.resizeIntervalSeconds;
        if (p.busyWhileResizing !== undefined) this.busyWhileResizing = p.busyWhileResizing;
        if (p.clock !== undefined) this.clock.set(Date.parse(p.clock));
    }

    snapshot(): AccountSnapshot {
        return clone({
            droplets: [...this.droplets.values()],
            loadBalancers: [...this.lbs.values()],
            actions: [...this.actions.values()],
            pendingActions: [...this.pendingActions],
            counters: this.counters,
            outOfBand: this.outOfBand,
            tags: [...this.tags],
            certificates: [...this.certificates.values()],
            metrics: [...this.metrics],
            resizeDelaySeconds: this.resizeDelaySeconds,
            resizeIntervalSeconds: this.resizeIntervalSeconds,
            busyWhileResizing: this.busyWhileResizing,
            ...(this.clock.fixedMs !== undefined
                ? { clock: new Date(this.clock.fixedMs).toISOString() }
                : {}),
            ...(this.tokens ? { tokens: [...this.tokens] } : {}),
        });
    }

    /** Replaces the account's token list (as a seed's `tokens`), e.g. for a token made after start; undefined: every token has every scope. */
    setTokens(tokens: SeedToken[] | undefined): void {
        this.tokens = tokenScopesFromSeed(tokens);
    }

    /** Fingerprint of the account's resources (not the log): equal before and after a write that changed nothing. */
    digest(): string {
        const lbs = [...this.lbs.values()].map((r) => r.lb);
        const body = JSON.stringify([
            [...this.droplets.values()],
            lbs,
            [...this.tags.keys()].sort(),
            [...this.certificates.keys()],
        ]);
        return createHash("sha1").update(body).digest("hex");
    }

    // ---- droplets ---------------------------------------------------------------------------

    getDroplet(id: number): Droplet {
        const d = this.droplets.get(id);
        if (!d) throw new NotFoundError();
        // Droplets created through the API boot on their first read.
        if (d.status === "new") d.status = "active";
        return clone(d);
    }

    listDroplets(filter: { tag?: string; name?: string }): Droplet[] {
        return [...this.droplets.values()]
            .filter(
                (d) =>
                    (filter.tag ? d.tags.includes(filter.tag) : true) &&
                    (filter.name ? d.name === filter.name : true),
            )
            .sort((a, b) => a.id - b.id)
            .map(clone);
    }

    createDroplets(body: Body): { droplets: Droplet[]; actions: Action[] } {
        const errs = this.checks.droplet(body);
        if (errs.length) throw new InvalidError(errs);
        const names = Array.isArray(body.names) ? (body.names as string[]) : [body.name as string];
        const size = sizeObject(body.size as string);
        const droplets: Droplet[] = [];
        const actions: Action[] = [];
        for (const name of names) {
            const d = expandDroplet(
                {
                    id: this.counters.nextDropletId++,
                    name,
                    region: body.region as string,
                    size: size.slug,
                    image: body.image as string | number,
                    tags: Array.isArray(body.tags) ? (body.tags as string[]) : [],
                    status: "new",
                    created_at: apiTime(this.clock.now()),
                    vpc_uuid: typeof body.vpc_uuid === "string" ? body.vpc_uuid : undefined,
                    features: createdDropletFeatures(body),
                },
                this.clock.now(),
            );
            this.droplets.set(d.id, d);
            for (const t of d.tags) this.noteTag(t, d.id);
            droplets.push(clone(d));
            actions.push(this.newAction("create", d.id, d.region.slug));
        }
        return { droplets, actions };
    }

    deleteDroplet(id: number): void {
        if (!this.droplets.delete(id)) throw new NotFoundError();
    }

    deleteDropletsByTag(tag: string): number[] {
        const ids = this.listDroplets({ tag }).map((d) => d.id);
        for (const id of ids) this.droplets.delete(id);
        return ids;
    }

    dropletAction(id: number, body: Body): Action {
        const d = this.droplets.get(id);
        if (!d) throw new NotFoundError();
        const errs = this.checks.dropletAction(body);
        if (errs.length) throw new InvalidError(errs);
        const type = body.type as string;
        switch (type) {
            case "power_off":
            case "shutdown":
                d.status = "off";
                break;
            case "power_on":
            case "reboot":
            case "power_cycle":
                d.status = "active";
                break;
            case "rename":
                d.name = body.name as string;
                break;
            case "resize":
                this.applySize(d, body.size as string);
                break;
            case "rebuild":
                d.image = imageObject(body.image as string | number);
                break;
            case "enable_backups":
                if (!d.features.includes("backups")) d.features.push("backups");
                d.next_backup_window = nextBackupWindow(this.clock.now());
                break;
            case "disable_backups":
                d.features = d.features.filter((f) => f !== "backups");
                d.next_backup_window = null;
                break;
            case "snapshot":
                d.snapshot_ids.push(this.counters.nextActionId + 7);
                break;
            case "enable_ipv6":
                if (!d.features.includes("ipv6")) {
                    d.features.push("ipv6");
                    d.networks.v6 = [ipv6Network(id)];
                }
                break;
            default:
                // password_reset, change_kernel, restore: accepted, nothing to show for them.
                break;
        }
        return this.newAction(type, id, d.region.slug);
    }

    private applySize(d: Droplet, slug: string): void {
        let size;
        try {
            size = sizeObject(slug);
        } catch (e) {
            throw new InvalidError([(e as Error).message]);
        }
        Object.assign(d, {
            size,
            size_slug: size.slug,
            memory: size.memory,
            vcpus: size.vcpus,
            disk: size.disk,
            disk_info: size.disk_info,
        });
    }

    dropletActions(id: number): Action[] {
        if (!this.droplets.has(id)) throw new NotFoundError();
        return [...this.actions.values()]
            .filter((a) => a.resource_type === "droplet" && a.resource_id === id)
            .map(clone);
    }

    /** Adds/removes a tag on droplet resources; returns the droplet ids touched. */
    tagResources(tag: string, body: Body, add: boolean): number[] {
        const errs = this.checks.tagResources(body);
        if (errs.length) throw new InvalidError(errs);
        const ids = (body.resources as { resource_type?: string; resource_id?: unknown }[])
            .filter((r) => r?.resource_type === "droplet")
            .map((r) => Number(r.resource_id));
        const missing = ids.filter((id) => !this.droplets.has(id));
        if (missing.length) throw new NotFoundError(`droplet(s) not found: ${missing.join(", ")}`);
        if (!add && !this.tags.has(tag)) throw new NotFoundError();
        for (const id of ids) {
            const d = this.droplets.get(id)!;
            if (add && !d.tags.includes(tag)) d.tags.push(tag);
            if (add) this.noteTag(tag, id);
            if (!add) d.tags = d.tags.filter((t) => t !== tag);
        }
        if (add) this.noteTag(tag);
        return ids;
    }

    /** Registers a tag; with a droplet id, that droplet becomes the tag's last tagged resource. */
    private noteTag(tag: string, dropletId?: number): void {
        const t = this.tags.get(tag) ?? {};
        if (dropletId !== undefined) t.lastDroplet = dropletId;
        this.tags.set(tag, t);
    }

    createTag(body: Body, apiBase = ""): TagObject {
        const errs = this.checks.tag(body);
        if (errs.length) throw new InvalidError(errs);
        const name = body.name as string;
        this.noteTag(name);
        return this.tagObject(name, apiBase);
    }

    getTag(name: string, apiBase = ""): TagObject {
        if (!this.tags.has(name)) throw new NotFoundError();
        return this.tagObject(name, apiBase);
    }

    listTags(apiBase = ""): TagObject[] {
        return [...this.tags.keys()].sort().map((n) => this.tagObject(n, apiBase));
    }

    private tagObject(name: string, apiBase: string): TagObject {
        return tagToWire(
            name,
            this.dropletIdsWithTag(name),
            this.tags.get(name)?.lastDroplet,
            apiBase,
        );
    }

    private dropletIdsWithTag(tag: string): number[] {
        return this.listDroplets({ tag }).map((d) => d.id);
    }

    /** Deleting a tag untags every droplet carrying it; an unknown tag is 404. */
    deleteTag(tag: string): number[] {
        if (!this.tags.has(tag)) throw new NotFoundError();
        this.tags.delete(tag);
        const ids = this.listDroplets({ tag }).map((d) => d.id);
        for (const id of ids) {
            const d = this.droplets.get(id)!;
            d.tags = d.tags.filter((t) => t !== tag);
        }
        return ids;
    }

    // ---- actions ----------------------------------------------------------------------------

    private newAction(type: string, resourceId: number, region: string): Action {
        const a: Action = {
            id: this.counters.nextActionId++,
            status: "in-progress",
            type,
            started_at: apiTime(this.clock.now()),
            completed_at: null,
            resource_id: resourceId,
            resource_type: "droplet",
            region: regionObject(region),
            region_slug: region,
        };
        this.actions.set(a.id, a);
        this.pendingActions.add(a.id);
        return clone(a);
    }

    getAction(id: number): Action {
        const a = this.actions.get(id);
        if (!a) throw new NotFoundError();
        if (this.pendingActions.delete(id)) {
            a.status = "completed";
            a.completed_at = apiTime(this.clock.now());
        }
        return clone(a);
    }

    // ---- certificates (read by the provider for forwarding rules with certificate_id) ----

    getCertificate(id: string): Certificate {
        const c = this.certificates.get(id);
        if (!c) throw new NotFoundError();
        return clone(c);
    }

    /** Every certificate, or those named exactly `name` (the API's `?name=` filter, which the provider's FindCertificateByName uses). */
    listCertificates(name?: string): Certificate[] {
        return [...this.certificates.values()]
            .filter((c) => name === undefined || c.name === name)
            .sort((a, b) => a.name.localeCompare(b.name))
            .map(clone);
    }

    // ---- load balancers -------------------------------------------------------------------------

    private allocateLbIp(): string {
        const n = this.counters.lbIps++;
        return `159.203.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    }

    private render(rec: LbRecord): LoadBalancer {
        return lbToWire(rec.lb, (tag) => this.dropletIdsWithTag(tag));
    }

    private lbCheckContext(existingRegion?: string): LbCheckContext {
        return {
            dropletExists: (id) => this.droplets.has(id),
            certificateExists: (id) => this.certificates.has(id),
            existingRegion,
        };
    }

    /** The body as the API reads it (enums in any case), or 422 with every problem the one LB check finds. */
    private acceptedLbBody(raw: Body, existingRegion?: string): Body {
        const body = normalizeLbBody(raw);
        const errs = this.checks.loadBalancer(body, this.lbCheckContext(existingRegion));
        if (errs.length) throw new InvalidError(errs);
        return body;
    }

    createLb(raw: Body, opts: { stuck?: boolean } = {}): LoadBalancer {
        const body = this.acceptedLbBody(raw);
        const lb = lbFromBody(body, {
            id: randomUUID(),
            ip: this.allocateLbIp(),
            created_at: apiTime(this.clock.now()),
            status: "new",
        });
        // A new LB's nodes count from its creation; only later resizes take the delay.
        const rec: LbRecord = {
            lb,
            getsUntilActive: this.activateAfterGets,
            stuck: !!opts.stuck,
            sizeHistory: [[this.clock.nowSeconds(), nodesOf(lb)]],
        };
        this.lbs.set(lb.id, rec);
        const served = this.render(rec);
        if (rec.getsUntilActive <= 0 && !rec.stuck) lb.status = "active";
        return served;
    }

    /** A single-LB GET; advances a new LB towards active unless held by a stuckNew fault. */
    getLb(id: string, opts: { holdNew?: boolean } = {}): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw new NotFoundError();
        if (rec.lb.status === "new" && !rec.stuck && !opts.holdNew) {
            rec.getsUntilActive--;
            if (rec.getsUntilActive <= 0) rec.lb.status = "active";
        }
        return this.render(rec);
    }

    listLbs(): LoadBalancer[] {
        return [...this.lbs.values()]
            .sort((a, b) => a.lb.created_at.localeCompare(b.lb.created_at))
            .map((r) => this.render(r));
    }

    /**
     * Full-body update, as DigitalOcean documents it: what the body omits is reset to its
     * default (project_id included); the immutable network, network_stack, type and vpc_uuid
     * keep their value when omitted and refuse a different one; identity (id, IP, created_at,
     * status) is kept. Refused while a resize is in progress (busy) and, for a resize, sooner
     * than the resize interval after the previous one.
     */
    updateLb(id: string, raw: Body): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw new NotFoundError();
        const old = rec.lb;
        const body = this.acceptedLbBody(raw, old.region?.slug ?? "");
        const now = this.clock.nowSeconds();
        if (
            this.busyWhileResizing &&
            rec.lastResizeAt !== undefined &&
            now < rec.lastResizeAt + this.resizeDelaySeconds
        )
            throw new BusyError();
        const immutable: (keyof LoadBalancer)[] = ["vpc_uuid", "network", "network_stack", "type"];
        const changed = immutable.filter((k) => body[k] !== undefined && body[k] !== old[k]);
        if (changed.length)
            throw new InvalidError(
                changed.map((k) => `${k} cannot be changed on an existing load balancer`),
            );
        const next = lbFromBody(
            {
                ...body,
                vpc_uuid: old.vpc_uuid,
                network: old.network,
                network_stack: old.network_stack,
                type: old.type,
            },
            { id: old.id, ip: old.ip, created_at: old.created_at, status: old.status },
        );
        next.ipv6 = old.ipv6;
        const resized = nodesOf(next) !== nodesOf(old);
        if (
            resized &&
            rec.lastResizeAt !== undefined &&
            now < rec.lastResizeAt + this.resizeIntervalSeconds
        )
            throw new ResizeTooOftenError(rec.lastResizeAt + this.resizeIntervalSeconds);
        rec.lb = next;
        if (resized) this.noteResize(rec, nodesOf(old));
        return this.render(rec);
    }

    deleteLb(id: string): void {
        if (!this.lbs.delete(id)) throw new NotFoundError();
        this.metrics.delete(id);
    }

    // ---- monitoring ----------------------------------------------------------------------------

    lbMetric(metric: LbMetric, window: MetricWindow): MatrixResponse {
        const rec = this.lbs.get(window.lbId);
        if (!rec) throw new NotFoundError();
        const sizeHistory = rec.sizeHistory ?? [[0, nodesOf(rec.lb)]];
        return metricMatrix(
            metric,
            this.metrics.get(window.lbId),
            { sizeHistory, now: this.clock.nowSeconds(), drains: rec.drains ?? [] },
            window,
        );
    }

    /** Sets (replaces per metric) an LB's series, e.g. for an LB a test created through the API. */
    setLbMetrics(id: string, raw: unknown): LbMetricsSeed {
        if (!this.lbs.has(id)) throw new NotFoundError();
        let m: LbMetricsSeed;
        try {
            m = checkLbMetrics("metrics", raw);
        } catch (e) {
            throw new InvalidError([(e as Error).message]);
        }
        const merged = { ...(this.metrics.get(id) ?? {}), ...m };
        this.metrics.set(id, merged);
        return clone(merged);
    }

    // ---- out-of-band changes (a person in the console) -----------------------------------------

    /** A droplet made in the console (out of band): expanded like a seed droplet. */
    addDroplet(seed: SeedDroplet): Droplet {
        if (this.droplets.has(seed.id)) throw new InvalidError([`droplet ${seed.id} exists`]);
        const d = expandDroplet(seed);
        this.droplets.set(d.id, d);
        for (const t of d.tags) this.noteTag(t, d.id);
        this.outOfBand.push({
            time: this.clock.now().toISOString(),
            resource: "droplet",
            id: String(d.id),
            changes: clone(seed) as unknown as Body,
        });
        return clone(d);
    }

    patchDroplet(id: number, changes: Body): Droplet {
        const d = this.droplets.get(id);
        if (!d) throw new NotFoundError();
        const allowed = ["name", "size", "tags", "status", "image"];
        const unknown = Object.keys(changes).filter((k) => !allowed.includes(k));
        if (unknown.length)
            throw new InvalidError([
                `cannot change ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`,
            ]);
        if (changes.name !== undefined) {
            if (typeof changes.name !== "string" || !changes.name)
                throw new InvalidError(["name must be a non-empty string"]);
            d.name = changes.name;
        }
        if (changes.size !== undefined) this.applySize(d, String(changes.size));
        if (changes.tags !== undefined) {
            if (!Array.isArray(changes.tags) || !changes.tags.every((t) => typeof t === "string")) {
                throw new InvalidError(["tags must be an array of strings"]);
            }
            d.tags = [...changes.tags];
            for (const t of d.tags) this.noteTag(t, id);
        }
        if (changes.status !== undefined) {
            if (!["new", "active", "off", "archive"].includes(changes.status as string))
                throw new InvalidError(["status must be new, active, off or archive"]);
            d.status = changes.status as Droplet["status"];
        }
        if (changes.image !== undefined)
            d.image = imageObject(changes.image as string | number | Partial<DropletImage>);
        this.outOfBand.push({
            time: this.clock.now().toISOString(),
            resource: "droplet",
            id: String(id),
            changes: clone(changes),
        });
        return clone(d);
    }

    /**
     * Records a resize from `before` nodes: the new count is in force `resizeDelaySeconds` after
     * now (a resize takes time), the busy window and the resize interval start now, and a
     * scale-down closes the removed nodes' connections after DigitalOcean's drain minute.
     */
    private noteResize(rec: LbRecord, before: number): void {
        const history = (rec.sizeHistory ??= []);
        const nodes = nodesOf(rec.lb);
        const now = this.clock.nowSeconds();
        if (history[history.length - 1]?.[1] !== nodes)
            history.push([now + this.resizeDelaySeconds, nodes]);
        rec.lastResizeAt = now;
        if (nodes < before) (rec.drains ??= []).push([now + DRAIN_SECONDS, before, nodes]);
    }

    /** Freezes the emulator's clock at `ms` (unix ms); undefined: back to real time. */
    setClock(ms: number | undefined): void {
        this.clock.set(ms);
    }

    patchLb(id: string, changes: Body): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw new NotFoundError();
        const allowed = ["status", "name", "size_unit", "stuck", "tls_cipher_policy"];
        const unknown = Object.keys(changes).filter((k) => !allowed.includes(k));
        if (unknown.length)
            throw new InvalidError([
                `cannot change ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`,
            ]);
        if (changes.status !== undefined) {
            if (!["new", "active", "errored"].includes(changes.status as string))
                throw new InvalidError(["status must be new, active or errored"]);
            rec.lb.status = changes.status as LbStatus;
            rec.stuck = false;
            rec.getsUntilActive = rec.lb.status === "new" ? this.activateAfterGets : 0;
        }
        // stuck: a "new" LB that never turns active by itself (e.g. an adopted LB mid-provisioning).
        if (changes.stuck !== undefined) {
            if (typeof changes.stuck !== "boolean")
                throw new InvalidError(["stuck must be true or false"]);
            rec.stuck = changes.stuck;
        }
        if (changes.name !== undefined) rec.lb.name = String(changes.name);
        if (changes.tls_cipher_policy !== undefined) {
            const policy = String(changes.tls_cipher_policy).toUpperCase();
            if (!["DEFAULT", "STRONG"].includes(policy))
                throw new InvalidError(["tls_cipher_policy must be DEFAULT or STRONG"]);
            rec.lb.tls_cipher_policy = policy;
        }
        if (changes.size_unit !== undefined) {
            if (!Number.isInteger(changes.size_unit) || (changes.size_unit as number) < 1)
                throw new InvalidError(["size_unit must be a positive integer"]);
            const before = nodesOf(rec.lb);
            rec.lb.size_unit = changes.size_unit as number;
            if (nodesOf(rec.lb) !== before) this.noteResize(rec, before);
        }
        this.outOfBand.push({
            time: this.clock.now().toISOString(),
            resource: "load_balancer",
            id,
            changes: clone(changes),
        });
        return this.render(rec);
    }
}
