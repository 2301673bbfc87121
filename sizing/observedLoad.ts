/**
 * What the load balancer carries at a moment, in the one shape every judge takes it: the program's
 * decision, the gate's scale-down check, rollback and the controller read it once and pass it on.
 *
 * Samples are checked once, where they are read (observedMetrics): finite, never negative, oldest
 * first. Later code takes a ValidSeries as it is and only picks the part of it a window needs.
 */
import type { Sample } from "./observe";

declare const checked: unique symbol;

/** [unix seconds, value] samples, finite and never negative, oldest first (equal times keep their order). */
export type ValidSeries = readonly Sample[] & { readonly [checked]: true };

/** The load balancer as DigitalOcean reports it now. */
export interface LiveLoadBalancerRef {
    id: string;
    name: string;
    sizeUnit: number;
}

/** The metrics as a reader gets them: the series as they came, or why there are none. */
export type MetricsRead =
    | {
          ok: true;
          /** frontend_connections_current */
          connections: readonly Sample[];
          /** frontend_connections_limit; without it the limit is taken as live size × connectionsPerNode */
          limit?: readonly Sample[];
          /** new connections per second, when the sizing uses that figure */
          newConnectionsPerSecond?: readonly Sample[];
      }
    | { ok: false; error: string };

/** The metrics once checked: each series valid, or the read's error. */
export type ObservedMetrics =
    | {
          ok: true;
          connections: ValidSeries;
          limit?: ValidSeries;
          newConnectionsPerSecond?: ValidSeries;
      }
    | { ok: false; error: string };

export interface ObservedLoad {
    /** epoch ms: the moment it was read for */
    at: number;
    /** null: no such load balancer (yet), or it was not read */
    live: LiveLoadBalancerRef | null;
    /** null: not read (the autopilot is off); an error when unread or there is no load balancer */
    metrics: ObservedMetrics | null;
}

/** The samples a judge can use: finite, never negative, oldest first. */
function validSeries(samples: readonly Sample[]): ValidSeries {
    return samples
        .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v) && v >= 0)
        .sort((a, b) => a[0] - b[0]) as readonly Sample[] as ValidSeries;
}

export function observedMetrics(read: MetricsRead): ObservedMetrics {
    if (!read.ok) return { ok: false, error: read.error };
    return {
        ok: true,
        connections: validSeries(read.connections),
        ...(read.limit ? { limit: validSeries(read.limit) } : {}),
        ...(read.newConnectionsPerSecond
            ? { newConnectionsPerSecond: validSeries(read.newConnectionsPerSecond) }
            : {}),
    };
}

export function observedLoad(
    at: number,
    live: LiveLoadBalancerRef | null,
    metrics: MetricsRead | null,
): ObservedLoad {
    return { at, live, metrics: metrics === null ? null : observedMetrics(metrics) };
}

/** The samples from `fromMs` to `toMs` (epoch ms, both included). */
export function within(series: ValidSeries | undefined, fromMs: number, toMs: number): ValidSeries {
    return (series ?? []).filter(
        ([t]) => t * 1000 >= fromMs && t * 1000 <= toMs,
    ) as readonly Sample[] as ValidSeries;
}

/** The latest sample at or before `at` (epoch ms; the last one read, on equal times), or null. */
export function latestSample(series: ValidSeries, at: number): Sample | null {
    for (let i = series.length - 1; i >= 0; i--) if (series[i][0] * 1000 <= at) return series[i];
    return null;
}
