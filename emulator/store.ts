// In-memory account state (droplets, load balancers, actions), the request log, and
// optional persistence to a JSON file. Knows nothing about HTTP.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash, randomUUID } from "node:crypto";
import {
    DEFAULT_PROJECT_ID,
    LB_SIZE_SLUG_NODES,
    apiTime,
    defaultVpcUuid,
    imageObject,
    isKnownRegion,
    isLegacyRegion,
    regionObject,
    sizeObject,
    stableUuid,
} from "./catalog";
import { ApiError, notFound, unprocessable } from "./errors";
import { Faults } from "./faults";
import { lbSemanticErrors, normalizeLbBody } from "./lbValidation";
import { type LbMetric, type LbMetricsSeed, type MatrixResponse, type MetricWindow, checkLbMetrics, metricMatrix } from "./metrics";
import { withoutNulls } from "./nulls";
import { type TokenScopes, tokenScopesFromSeed } from "./scopes";
import { createdDropletFeatures, expandCertificate, expandDroplet, ipv6Network, nextBackupWindow } from "./seed";
import type {
    Action,
    Certificate,
    Droplet,
    DropletImage,
    ForwardingRule,
    GlbSettings,
    HealthCheck,
    LbDomain,
    LbRecord,
    LbStatus,
    LoadBalancer,
    LogEntry,
    OutOfBandChange,
    RequestKind,
    Seed,
    Summary,
    TagObject,
    SeedDroplet,
} from "./types";

export interface StoreOptions {
    seed?: Seed;
    /** Load from this file if it exists (it wins over `seed`), and rewrite it after every request. */
    stateFile?: string;
    /** GETs of a new LB before it reports "active": 1 = the first GET after creation (default); 0 = right after the POST. */
    activateAfterGets?: number;
}

interface Counters {
    seq: number;
    nextActionId: number;
    nextDropletId: number;
    lbIps: number;
}

export interface PersistedState {
    version: 1;
    droplets: Droplet[];
    loadBalancers: LbRecord[];
    actions: Action[];
    pendingActions: number[];
    counters: Counters;
    log: LogEntry[];
    outOfBand: OutOfBandChange[];
    tags?: [string, { lastDroplet?: number }][];
    certificates?: Certificate[];
    metrics?: [string, LbMetricsSeed][];
    /** Seeded tokens as [SHA-256, scopes]; absent: every non-empty token has every scope. */
    tokens?: [string, string[]][];
}

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
    log: LogEntry[] = [];
    outOfBand: OutOfBandChange[] = [];
    readonly faults = new Faults();
    /** API requests per SHA-256 (hex) of their bearer token: a test can tell which token arrived without it being kept. */
    readonly bearerSha256Counts = new Map<string, number>();
    /** The account's tokens (by SHA-256) and their scopes, when the seed lists them. */
    tokens?: TokenScopes;
    private counters: Counters = { seq: 0, nextActionId: 1_900_000_001, nextDropletId: 0, lbIps: 0 };
    private readonly activateAfterGets: number;

    constructor(private readonly opts: StoreOptions = {}) {
        this.activateAfterGets = opts.activateAfterGets ?? 1;
        if (opts.stateFile && existsSync(opts.stateFile)) this.restore(JSON.parse(readFileSync(opts.stateFile, "utf8")));
        else if (opts.seed) this.applySeed(opts.seed);
        // Tags carried by droplets exist (a state file from before tags were kept lists none).
        for (const d of this.droplets.values()) for (const t of d.tags) this.noteTag(t, d.id);
        if (!this.counters.nextDropletId) {
            this.counters.nextDropletId = Math.max(500_000_000, ...[...this.droplets.keys()].map((id) => id + 1));
        }
    }

    // ---- seed / persistence -------------------------------------------------------------

    private applySeed(seed: Seed): void {
        for (const d of seed.droplets) this.droplets.set(d.id, expandDroplet(d));
        for (const c of seed.certificates ?? []) this.certificates.set(c.id, expandCertificate(c));
        for (const [i, s] of (seed.loadBalancers ?? []).entries()) {
            const body = normalizeLbBody(withoutNulls(s as Body));
            const errs = lbSemanticErrors(body, { dropletExists: (id) => this.droplets.has(id), certificateExists: (id) => this.certificates.has(id) });
            if (errs.length) throw new Error(`seed: loadBalancers[${i}]: ${errs.join("; ")}`);
            // Deterministic id/time so a seeded account looks the same on every start.
            const lb = buildLb(body, {
                id: s.id ?? stableUuid(`lb:${s.region}:${s.name}`),
                ip: s.ip ?? this.allocateLbIp(),
                created_at: typeof s.created_at === "string" ? s.created_at : "2024-06-03T10:00:00Z",
                status: s.status ?? "active",
            });
            this.lbs.set(lb.id, { lb, getsUntilActive: 0, stuck: false, sizeHistory: [[0, nodesOf(lb)]] });
        }
        this.tokens = tokenScopesFromSeed(seed.tokens);
        for (const [id, m] of Object.entries(seed.metrics?.loadBalancers ?? {})) {
            if (!this.lbs.has(id)) throw new Error(`seed: metrics.loadBalancers.${id}: no seeded load balancer has that id`);
            this.metrics.set(id, m);
        }
    }

    private restore(p: PersistedState): void {
        if (p.version !== 1) throw new Error(`state file: unsupported version ${String(p.version)}`);
        for (const d of p.droplets) this.droplets.set(d.id, d);
        for (const r of p.loadBalancers) this.lbs.set(r.lb.id, { ...r, sizeHistory: r.sizeHistory ?? [[0, nodesOf(r.lb)]] });
        for (const [id, m] of p.metrics ?? []) this.metrics.set(id, m);
        for (const a of p.actions) this.actions.set(a.id, a);
        for (const id of p.pendingActions) this.pendingActions.add(id);
        for (const [name, t] of p.tags ?? []) this.tags.set(name, t);
        for (const c of p.certificates ?? []) this.certificates.set(c.id, c);
        if (p.tokens) this.tokens = new Map(p.tokens);
        this.counters = p.counters;
        this.log = p.log;
        this.outOfBand = p.outOfBand;
    }

    snapshot(): PersistedState {
        return clone({
            version: 1 as const,
            droplets: [...this.droplets.values()],
            loadBalancers: [...this.lbs.values()],
            actions: [...this.actions.values()],
            pendingActions: [...this.pendingActions],
            counters: this.counters,
            log: this.log,
            outOfBand: this.outOfBand,
            tags: [...this.tags],
            certificates: [...this.certificates.values()],
            metrics: [...this.metrics],
            ...(this.tokens ? { tokens: [...this.tokens] } : {}),
        });
    }

    /** Atomic rewrite (temp file + rename) so a killed emulator never leaves half a file. */
    persist(): void {
        const file = this.opts.stateFile;
        if (!file) return;
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(this.snapshot(), null, 2));
        renameSync(tmp, file);
    }

    /** Fingerprint of the account's resources (not the log): equal before and after a write that changed nothing. */
    digest(): string {
        const lbs = [...this.lbs.values()].map((r) => r.lb);
        const body = JSON.stringify([[...this.droplets.values()], lbs, [...this.tags.keys()].sort(), [...this.certificates.keys()]]);
        return createHash("sha1").update(body).digest("hex");
    }

    // ---- request log ----------------------------------------------------------------------

    beginEntry(e: Omit<LogEntry, "seq" | "time" | "status">): LogEntry {
        const entry: LogEntry = { seq: ++this.counters.seq, time: new Date().toISOString(), status: 0, ...e };
        this.log.push(entry);
        return entry;
    }

    resetLog(): void {
        this.log = [];
        this.outOfBand = [];
    }

    summary(): Summary {
        const s: Summary = {
            reads: {},
            writes: {},
            effectiveWrites: {},
            totals: { requests: 0, reads: 0, writes: 0, effectiveWrites: 0, errors: 0, dropped: 0 },
            dropletWrites: 0,
            dropletWritesById: {},
            outOfBandChanges: this.outOfBand.length,
        };
        for (const e of this.log) {
            s.totals.requests++;
            if (e.status === 0) s.totals.dropped++;
            else if (e.status >= 400) s.totals.errors++;
            const bucket = e.write ? s.writes : s.reads;
            e.write ? s.totals.writes++ : s.totals.reads++;
            const perKind = (bucket[e.kind] ??= {});
            const key = e.id ?? "*";
            perKind[key] = (perKind[key] ?? 0) + 1;
            if (!e.write) continue;
            if (e.changed) {
                s.totals.effectiveWrites++;
                const eff = (s.effectiveWrites[e.kind] ??= {});
                eff[key] = (eff[key] ?? 0) + 1;
            }
            const touched = e.dropletIds?.length ? e.dropletIds.map(String) : e.kind === "droplet" ? [e.id ?? "*"] : [];
            if (touched.length) s.dropletWrites++;
            for (const id of touched) s.dropletWritesById[id] = (s.dropletWritesById[id] ?? 0) + 1;
        }
        return s;
    }

    // ---- droplets ---------------------------------------------------------------------------

    getDroplet(id: number): Droplet {
        const d = this.droplets.get(id);
        if (!d) throw notFound();
        // Droplets created through the API boot on their first read.
        if (d.status === "new") d.status = "active";
        return clone(d);
    }

    listDroplets(filter: { tag?: string; name?: string }): Droplet[] {
        return [...this.droplets.values()]
            .filter((d) => (filter.tag ? d.tags.includes(filter.tag) : true) && (filter.name ? d.name === filter.name : true))
            .sort((a, b) => a.id - b.id)
            .map(clone);
    }

    createDroplets(body: Body): { droplets: Droplet[]; actions: Action[] } {
        const names = Array.isArray(body.names) ? (body.names as string[]) : [body.name as string];
        const errs: string[] = [];
        if (!names.every((n) => typeof n === "string" && n)) errs.push("name is required");
        if (typeof body.region !== "string" || !isKnownRegion(body.region)) errs.push("region is not valid");
        if (typeof body.size !== "string") errs.push("size is required");
        if (body.image === undefined) errs.push("image is required");
        if (errs.length) throw unprocessable(errs);
        let size;
        try {
            size = sizeObject(body.size as string);
        } catch (e) {
            throw unprocessable([(e as Error).message]);
        }
        const droplets: Droplet[] = [];
        const actions: Action[] = [];
        for (const name of names) {
            const d = expandDroplet({
                id: this.counters.nextDropletId++,
                name,
                region: body.region as string,
                size: size.slug,
                image: body.image as string | number,
                tags: Array.isArray(body.tags) ? (body.tags as string[]) : [],
                status: "new",
                created_at: apiTime(),
                vpc_uuid: typeof body.vpc_uuid === "string" ? body.vpc_uuid : undefined,
                features: createdDropletFeatures(body),
            });
            this.droplets.set(d.id, d);
            for (const t of d.tags) this.noteTag(t, d.id);
            droplets.push(clone(d));
            actions.push(this.newAction("create", d.id, d.region.slug));
        }
        return { droplets, actions };
    }

    deleteDroplet(id: number): void {
        if (!this.droplets.delete(id)) throw notFound();
    }

    deleteDropletsByTag(tag: string): number[] {
        const ids = this.listDroplets({ tag }).map((d) => d.id);
        for (const id of ids) this.droplets.delete(id);
        return ids;
    }

    dropletAction(id: number, body: Body): Action {
        const d = this.droplets.get(id);
        if (!d) throw notFound();
        const type = body.type;
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
                if (typeof body.name !== "string" || !body.name) throw unprocessable(["name is required"]);
                d.name = body.name;
                break;
            case "resize": {
                if (typeof body.size !== "string") throw unprocessable(["size is required"]);
                this.applySize(d, body.size);
                break;
            }
            case "rebuild":
                if (body.image === undefined) throw unprocessable(["image is required"]);
                d.image = imageObject(body.image as string | number);
                break;
            case "enable_backups":
                if (!d.features.includes("backups")) d.features.push("backups");
                d.next_backup_window = nextBackupWindow();
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
            case "password_reset":
            case "change_kernel":
            case "restore":
                break;
            default:
                throw unprocessable([`type "${String(type)}" is not a valid droplet action`]);
        }
        return this.newAction(type, id, d.region.slug);
    }

    private applySize(d: Droplet, slug: string): void {
        let size;
        try {
            size = sizeObject(slug);
        } catch (e) {
            throw unprocessable([(e as Error).message]);
        }
        Object.assign(d, { size, size_slug: size.slug, memory: size.memory, vcpus: size.vcpus, disk: size.disk, disk_info: size.disk_info });
    }

    dropletActions(id: number): Action[] {
        if (!this.droplets.has(id)) throw notFound();
        return [...this.actions.values()].filter((a) => a.resource_type === "droplet" && a.resource_id === id).map(clone);
    }

    /** Adds/removes a tag on droplet resources; returns the droplet ids touched. */
    tagResources(tag: string, resources: unknown, add: boolean): number[] {
        if (!Array.isArray(resources) || resources.length === 0) throw unprocessable(["resources must be a non-empty array"]);
        const ids = resources
            .filter((r) => r?.resource_type === "droplet")
            .map((r) => Number(r.resource_id));
        const missing = ids.filter((id) => !this.droplets.has(id));
        if (missing.length) throw new ApiError(404, `droplet(s) not found: ${missing.join(", ")}`);
        if (!add && !this.tags.has(tag)) throw notFound();
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

    createTag(name: string, apiBase = ""): TagObject {
        // DigitalOcean: up to 255 letters, numbers, colons, dashes and underscores.
        if (!/^[A-Za-z0-9:_-]{1,255}$/.test(name)) throw unprocessable([`tag name "${name}" must be 1-255 letters, numbers, colons, dashes or underscores`]);
        this.noteTag(name);
        return this.tagObject(name, apiBase);
    }

    getTag(name: string, apiBase = ""): TagObject {
        if (!this.tags.has(name)) throw notFound();
        return this.tagObject(name, apiBase);
    }

    listTags(apiBase = ""): TagObject[] {
        return [...this.tags.keys()].sort().map((n) => this.tagObject(n, apiBase));
    }

    /**
     * The API's tag object: counts per resource type and the URI of the resource tagged last.
     * Only droplets carry tags here, so the other types count 0. URIs are absolute, as the
     * API's are, on `apiBase` (the emulator's own URL).
     */
    private tagObject(name: string, apiBase: string): TagObject {
        const carriers = this.listDroplets({ tag: name }).map((d) => d.id);
        const recorded = this.tags.get(name)?.lastDroplet;
        const last = recorded !== undefined && carriers.includes(recorded) ? recorded : carriers[carriers.length - 1];
        const uri = last === undefined ? undefined : `${apiBase}/v2/droplets/${last}`;
        const droplets = { count: carriers.length, ...(uri ? { last_tagged_uri: uri } : {}) };
        return {
            name,
            resources: {
                count: carriers.length,
                ...(uri ? { last_tagged_uri: uri } : {}),
                droplets,
                images: { count: 0 },
                volumes: { count: 0 },
                volume_snapshots: { count: 0 },
                databases: { count: 0 },
            },
        };
    }

    /** Deleting a tag untags every droplet carrying it; an unknown tag is 404. */
    deleteTag(tag: string): number[] {
        if (!this.tags.has(tag)) throw notFound();
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
            started_at: apiTime(),
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
        if (!a) throw notFound();
        if (this.pendingActions.delete(id)) {
            a.status = "completed";
            a.completed_at = apiTime();
        }
        return clone(a);
    }

    // ---- certificates (read by the provider for forwarding rules with certificate_id) ----

    getCertificate(id: string): Certificate {
        const c = this.certificates.get(id);
        if (!c) throw notFound();
        return clone(c);
    }

    listCertificates(): Certificate[] {
        return [...this.certificates.values()].sort((a, b) => a.name.localeCompare(b.name)).map(clone);
    }

    // ---- load balancers -------------------------------------------------------------------------

    private allocateLbIp(): string {
        const n = this.counters.lbIps++;
        return `159.203.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    }

    /** Served form: tag-targeted LBs report the droplets currently carrying the tag, as the API does. */
    private render(rec: LbRecord): LoadBalancer {
        const lb = clone(rec.lb);
        if (lb.tag) lb.droplet_ids = this.listDroplets({ tag: lb.tag }).map((d) => d.id);
        return lb;
    }

    checkLbBody(body: Body, existingRegion?: string): void {
        const errs = lbSemanticErrors(body, {
            dropletExists: (id) => this.droplets.has(id),
            certificateExists: (id) => this.certificates.has(id),
            existingRegion,
        });
        if (errs.length) throw unprocessable(errs);
    }

    createLb(body: Body, opts: { stuck?: boolean } = {}): LoadBalancer {
        this.checkLbBody(body);
        const lb = buildLb(body, { id: randomUUID(), ip: this.allocateLbIp(), created_at: apiTime(), status: "new" });
        const rec: LbRecord = { lb, getsUntilActive: this.activateAfterGets, stuck: !!opts.stuck, sizeHistory: [[unixNow(), nodesOf(lb)]] };
        this.lbs.set(lb.id, rec);
        const served = this.render(rec);
        if (rec.getsUntilActive <= 0 && !rec.stuck) lb.status = "active";
        return served;
    }

    /** A single-LB GET; advances a new LB towards active unless held by a stuckNew fault. */
    getLb(id: string, opts: { holdNew?: boolean } = {}): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw notFound();
        if (rec.lb.status === "new" && !rec.stuck && !opts.holdNew) {
            rec.getsUntilActive--;
            if (rec.getsUntilActive <= 0) rec.lb.status = "active";
        }
        return this.render(rec);
    }

    listLbs(): LoadBalancer[] {
        return [...this.lbs.values()].sort((a, b) => a.lb.created_at.localeCompare(b.lb.created_at)).map((r) => this.render(r));
    }

    /** Full-body update: config is replaced, identity (id, IP, created_at, status) is kept. */
    updateLb(id: string, body: Body): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw notFound();
        const old = rec.lb;
        this.checkLbBody(body, old.region?.slug ?? "");
        const immutable: (keyof LoadBalancer)[] = ["vpc_uuid", "network", "network_stack", "type"];
        const changed = immutable.filter((k) => body[k] !== undefined && body[k] !== old[k]);
        if (changed.length) throw unprocessable(changed.map((k) => `${k} cannot be changed on an existing load balancer`));
        const next = buildLb(
            { ...body, vpc_uuid: old.vpc_uuid, network: old.network, network_stack: old.network_stack, type: old.type, project_id: body.project_id || old.project_id },
            { id: old.id, ip: old.ip, created_at: old.created_at, status: old.status },
        );
        next.ipv6 = old.ipv6;
        rec.lb = next;
        noteSize(rec);
        return this.render(rec);
    }

    deleteLb(id: string): void {
        if (!this.lbs.delete(id)) throw notFound();
        this.metrics.delete(id);
    }

    // ---- monitoring ----------------------------------------------------------------------------

    lbMetric(metric: LbMetric, window: MetricWindow): MatrixResponse {
        const rec = this.lbs.get(window.lbId);
        if (!rec) throw notFound();
        return metricMatrix(metric, this.metrics.get(window.lbId), rec.sizeHistory ?? [[0, nodesOf(rec.lb)]], window);
    }

    /** Sets (replaces per metric) an LB's series, e.g. for an LB a test created through the API. */
    setLbMetrics(id: string, raw: unknown): LbMetricsSeed {
        if (!this.lbs.has(id)) throw notFound();
        let m: LbMetricsSeed;
        try {
            m = checkLbMetrics("metrics", raw);
        } catch (e) {
            throw unprocessable([(e as Error).message]);
        }
        const merged = { ...(this.metrics.get(id) ?? {}), ...m };
        this.metrics.set(id, merged);
        return clone(merged);
    }

    // ---- out-of-band changes (a person in the console) -----------------------------------------

    /** A droplet made in the console (out of band): expanded like a seed droplet. */
    addDroplet(seed: SeedDroplet): Droplet {
        if (this.droplets.has(seed.id)) throw unprocessable([`droplet ${seed.id} exists`]);
        const d = expandDroplet(seed);
        this.droplets.set(d.id, d);
        for (const t of d.tags) this.noteTag(t, d.id);
        this.outOfBand.push({ time: new Date().toISOString(), resource: "droplet", id: String(d.id), changes: clone(seed) as unknown as Body });
        return clone(d);
    }

    patchDroplet(id: number, changes: Body): Droplet {
        const d = this.droplets.get(id);
        if (!d) throw notFound();
        const allowed = ["name", "size", "tags", "status", "image"];
        const unknown = Object.keys(changes).filter((k) => !allowed.includes(k));
        if (unknown.length) throw unprocessable([`cannot change ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`]);
        if (changes.name !== undefined) {
            if (typeof changes.name !== "string" || !changes.name) throw unprocessable(["name must be a non-empty string"]);
            d.name = changes.name;
        }
        if (changes.size !== undefined) this.applySize(d, String(changes.size));
        if (changes.tags !== undefined) {
            if (!Array.isArray(changes.tags) || !changes.tags.every((t) => typeof t === "string")) {
                throw unprocessable(["tags must be an array of strings"]);
            }
            d.tags = [...changes.tags];
            for (const t of d.tags) this.noteTag(t, id);
        }
        if (changes.status !== undefined) {
            if (!["new", "active", "off", "archive"].includes(changes.status as string)) throw unprocessable(["status must be new, active, off or archive"]);
            d.status = changes.status as Droplet["status"];
        }
        if (changes.image !== undefined) d.image = imageObject(changes.image as string | number | Partial<DropletImage>);
        this.outOfBand.push({ time: new Date().toISOString(), resource: "droplet", id: String(id), changes: clone(changes) });
        return clone(d);
    }

    patchLb(id: string, changes: Body): LoadBalancer {
        const rec = this.lbs.get(id);
        if (!rec) throw notFound();
        const allowed = ["status", "name", "size_unit", "stuck"];
        const unknown = Object.keys(changes).filter((k) => !allowed.includes(k));
        if (unknown.length) throw unprocessable([`cannot change ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`]);
        if (changes.status !== undefined) {
            if (!["new", "active", "errored"].includes(changes.status as string)) throw unprocessable(["status must be new, active or errored"]);
            rec.lb.status = changes.status as LbStatus;
            rec.stuck = false;
            rec.getsUntilActive = rec.lb.status === "new" ? this.activateAfterGets : 0;
        }
        // stuck: a "new" LB that never turns active by itself (e.g. an adopted LB mid-provisioning).
        if (changes.stuck !== undefined) {
            if (typeof changes.stuck !== "boolean") throw unprocessable(["stuck must be true or false"]);
            rec.stuck = changes.stuck;
        }
        if (changes.name !== undefined) rec.lb.name = String(changes.name);
        if (changes.size_unit !== undefined) {
            if (!Number.isInteger(changes.size_unit) || (changes.size_unit as number) < 1) throw unprocessable(["size_unit must be a positive integer"]);
            rec.lb.size_unit = changes.size_unit as number;
            noteSize(rec);
        }
        this.outOfBand.push({ time: new Date().toISOString(), resource: "load_balancer", id, changes: clone(changes) });
        return this.render(rec);
    }
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** Nodes of an LB: size_unit, or the legacy size slug's node count. */
function nodesOf(lb: LoadBalancer): number {
    return lb.size_unit ?? LB_SIZE_SLUG_NODES[lb.size] ?? 1;
}

/** Appends the LB's node count to its history when it changed. */
function noteSize(rec: LbRecord): void {
    const history = (rec.sizeHistory ??= []);
    const nodes = nodesOf(rec.lb);
    if (history[history.length - 1]?.[1] !== nodes) history.push([unixNow(), nodes]);
}

// ---- LB object construction --------------------------------------------------------------------

function buildLb(body: Body, identity: { id: string; ip: string; created_at: string; status: LbStatus }): LoadBalancer {
    const region = body.region as string | undefined;
    const legacy = region !== undefined && isLegacyRegion(region);
    const sizeSlug = typeof body.size === "string" ? body.size : undefined;
    const networkStack = (body.network_stack as string) ?? "IPV4";
    const hcIn = (body.health_check ?? {}) as Partial<HealthCheck>;
    const protocol = hcIn.protocol ?? "http";
    const health_check: HealthCheck = {
        protocol,
        port: hcIn.port ?? 80,
        // The API drops `path` on tcp checks (a program that sets one diffs on every run).
        ...(protocol === "tcp" ? {} : { path: hcIn.path || "/" }),
        check_interval_seconds: hcIn.check_interval_seconds ?? 10,
        response_timeout_seconds: hcIn.response_timeout_seconds ?? 5,
        unhealthy_threshold: hcIn.unhealthy_threshold ?? 3,
        healthy_threshold: hcIn.healthy_threshold ?? 5,
    };
    const ss = (body.sticky_sessions ?? {}) as LoadBalancer["sticky_sessions"];
    const sticky_sessions: LoadBalancer["sticky_sessions"] =
        ss.type === "cookies" ? { type: "cookies", cookie_name: ss.cookie_name ?? "DO-LB", cookie_ttl_seconds: ss.cookie_ttl_seconds ?? 300 } : { type: "none" };
    const fw = (body.firewall ?? {}) as Partial<LoadBalancer["firewall"]>;
    const lb: LoadBalancer = {
        id: identity.id,
        name: typeof body.name === "string" && body.name ? body.name : `lb-${identity.id.slice(0, 8)}`,
        ip: identity.ip,
        ipv6: networkStack === "DUALSTACK" ? `2604:a880:800:14::${identity.ip.split(".").slice(2).join(":")}:c000` : "",
        size_unit: sizeUnitOf(body),
        size: legacy ? sizeSlug ?? "lb-small" : "lb-small",
        type: (body.type as string) ?? "REGIONAL",
        algorithm: (body.algorithm as string) || "round_robin",
        status: identity.status,
        created_at: identity.created_at,
        forwarding_rules: (body.forwarding_rules as ForwardingRule[]).map((r) => ({
            entry_protocol: r.entry_protocol,
            entry_port: r.entry_port,
            target_protocol: r.target_protocol,
            target_port: r.target_port,
            certificate_id: r.certificate_id ?? "",
            tls_passthrough: r.tls_passthrough ?? false,
        })),
        health_check,
        sticky_sessions,
        ...(region !== undefined ? { region: regionObject(region) } : {}),
        droplet_ids: Array.isArray(body.droplet_ids) ? [...(body.droplet_ids as number[])] : [],
        tag: typeof body.tag === "string" ? body.tag : "",
        redirect_http_to_https: body.redirect_http_to_https === true,
        enable_proxy_protocol: body.enable_proxy_protocol === true,
        enable_backend_keepalive: body.enable_backend_keepalive === true,
        ...(region !== undefined || body.vpc_uuid ? { vpc_uuid: (body.vpc_uuid as string) || defaultVpcUuid(region!) } : {}),
        disable_lets_encrypt_dns_records: body.disable_lets_encrypt_dns_records === true,
        project_id: (body.project_id as string) || DEFAULT_PROJECT_ID,
        http_idle_timeout_seconds: (body.http_idle_timeout_seconds as number) ?? 60,
        firewall: { allow: fw.allow ?? [], deny: fw.deny ?? [] },
        network: (body.network as string) ?? "EXTERNAL",
        network_stack: networkStack,
        tls_cipher_policy: (body.tls_cipher_policy as string) ?? "DEFAULT",
    };
    if (Array.isArray(body.domains) && body.domains.length) {
        lb.domains = (body.domains as LbDomain[]).map((d) => ({
            name: d.name,
            is_managed: d.is_managed === true,
            ...(d.certificate_id ? { certificate_id: d.certificate_id } : {}),
        }));
    }
    if (body.glb_settings && typeof body.glb_settings === "object") lb.glb_settings = clone(body.glb_settings as GlbSettings);
    if (Array.isArray(body.target_load_balancer_ids) && body.target_load_balancer_ids.length) {
        lb.target_load_balancer_ids = [...(body.target_load_balancer_ids as string[])];
    }
    if (legacy) delete lb.size_unit;
    return lb;
}

function sizeUnitOf(body: Body): number {
    if (typeof body.size_unit === "number") return body.size_unit;
    if (typeof body.size === "string" && body.size in LB_SIZE_SLUG_NODES) return LB_SIZE_SLUG_NODES[body.size];
    return 1;
}

export function classify(method: string, path: string): { kind: RequestKind; id?: string; write: boolean } {
    const write = !["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
    const seg = path.split("?")[0].split("/").filter(Boolean); // ["v2", collection, id?, ...]
    if (seg[0] !== "v2") return { kind: "other", write };
    const id = seg[2] ? decodeURIComponent(seg[2]) : undefined;
    switch (seg[1]) {
        case "load_balancers":
            return { kind: "load_balancer", id, write };
        case "droplets":
            return { kind: "droplet", id, write };
        case "actions":
            return { kind: "action", id, write };
        case "certificates":
            return { kind: "certificate", id, write };
        case "tags":
            return { kind: "tag", id, write };
        default:
            return { kind: "other", write };
    }
}
