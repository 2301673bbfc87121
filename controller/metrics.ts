// The controller's Prometheus metrics (prom-client, a registry of its own), labelled by stack:
// what each tick saw and did, as /metrics serves them. Names follow Prometheus's conventions:
// the proxy_lb_autopilot_ prefix, counters in _total, durations in _seconds, times as
// _timestamp_seconds; the process's own (memory, open files) come from prom-client's defaults.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Settings } from "../config";
import type { SizeNow } from "../infra/liveSize";
import { latestLoad } from "./decisions";
import { isGoodTick } from "./health";
import type { TickReport } from "./tick";

const PREFIX = "proxy_lb_autopilot_";

export class ControllerMetrics {
    readonly registry = new Registry();
    private readonly live: Gauge<"stack">;
    private readonly target: Gauge<"stack">;
    private readonly connections: Gauge<"stack">;
    private readonly limit: Gauge<"stack">;
    private readonly utilization: Gauge<"stack">;
    private readonly ticks: Counter<"stack" | "status">;
    private readonly resizes: Counter<"stack" | "direction">;
    private readonly tickSeconds: Histogram<"stack">;
    private readonly updateSeconds: Histogram<"stack">;
    private readonly leaseHeld: Gauge<"stack">;
    private readonly lastSuccess: Gauge<"stack">;
    private readonly metricErrors: Counter<"stack">;

    constructor(options: { processMetrics?: boolean } = {}) {
        const registers = [this.registry];
        const gauge = (name: string, help: string) =>
            new Gauge({ name: PREFIX + name, help, labelNames: ["stack"], registers });
        this.live = gauge("live_size_unit", "the load balancer's size_unit (nodes) as last read");
        this.target = gauge("target_size_unit", "the size_unit (nodes) the last tick decided");
        this.connections = gauge(
            "connections",
            "the latest frontend_connections_current sample the decision saw",
        );
        this.limit = gauge("connections_limit", "the load balancer's connection limit then");
        this.utilization = gauge("utilization_ratio", "connections / connections_limit");
        this.leaseHeld = gauge(
            "lease_held",
            "1 while this controller holds the stack's lease, 0 while it waits (or with --dry-run)",
        );
        this.lastSuccess = gauge(
            "last_success_timestamp_seconds",
            "when the last good tick ended (Unix time)",
        );
        this.ticks = new Counter({
            name: `${PREFIX}ticks_total`,
            help: "ticks by status (steady, resized, paced, busy, waiting, dryRun, refused, failed)",
            labelNames: ["stack", "status"],
            registers,
        });
        this.resizes = new Counter({
            name: `${PREFIX}resizes_total`,
            help: "resizes done, by direction (up, down)",
            labelNames: ["stack", "direction"],
            registers,
        });
        this.metricErrors = new Counter({
            name: `${PREFIX}metric_read_errors_total`,
            help: "ticks whose read of the load balancer's metrics failed (the size was held)",
            labelNames: ["stack"],
            registers,
        });
        this.tickSeconds = new Histogram({
            name: `${PREFIX}tick_duration_seconds`,
            help: "a tick from its start to its end (an update included)",
            labelNames: ["stack"],
            buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
            registers,
        });
        this.updateSeconds = new Histogram({
            name: `${PREFIX}update_duration_seconds`,
            help: "a resize-only pulumi up, failed ones included",
            labelNames: ["stack"],
            buckets: [5, 10, 15, 30, 60, 120, 300, 600],
            registers,
        });
        if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    }

    /** Counts the stacks in from the start (a stack that never ticked still shows 0). */
    declare(stacks: readonly string[]): void {
        for (const stack of stacks) {
            this.metricErrors.inc({ stack }, 0);
            this.leaseHeld.set({ stack }, 0);
            for (const direction of ["up", "down"]) this.resizes.inc({ stack, direction }, 0);
        }
    }

    /** What a tick's read saw: the load and whether the metrics could be read. */
    observeLoad(stack: string, settings: Settings, size: SizeNow): void {
        if (size.metrics !== null && !size.metrics.ok) this.metricErrors.inc({ stack });
        const load = latestLoad(size, settings.config.capacity.connectionsPerNode);
        if (load === null) return;
        this.connections.set({ stack }, load.connections);
        this.limit.set({ stack }, load.limit);
        if (load.limit > 0) this.utilization.set({ stack }, load.connections / load.limit);
    }

    observeUpdate(stack: string, seconds: number): void {
        this.updateSeconds.observe({ stack }, seconds);
    }

    /** A tick's end at `now` (epoch ms). */
    observeTick(report: TickReport, now: number, dryRun: boolean): void {
        const stack = report.stack;
        this.ticks.inc({ stack, status: report.status });
        this.tickSeconds.observe({ stack }, report.durationMs / 1000);
        this.leaseHeld.set({ stack }, report.lease.held && !dryRun ? 1 : 0);
        if (report.liveSizeUnit !== null) this.live.set({ stack }, report.liveSizeUnit);
        if (report.targetSizeUnit !== null) this.target.set({ stack }, report.targetSizeUnit);
        if (report.resized !== null) {
            const { from, to } = report.resized;
            this.resizes.inc({ stack, direction: to > from ? "up" : "down" });
            this.live.set({ stack }, to);
        }
        if (isGoodTick(report.status)) this.lastSuccess.set({ stack }, now / 1000);
    }

    /** The Prometheus text exposition. */
    text(): Promise<string> {
        return this.registry.metrics();
    }

    get contentType(): string {
        return this.registry.contentType;
    }
}
