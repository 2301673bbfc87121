// The size for a moment: `sizeNow` reads what DigitalOcean says now (the load balancer's live
// size and, with the autopilot on, its metrics over the window) and hands it to `decideSize`.
// Every path that sizes the load balancer calls it, so none can decide on another read. Reads only.
import type { Settings } from "../config";
import { STALE_AFTER_MINUTES, decideSize, type AutopilotDecision } from "../sizing/autopilot";
import {
    observedMetrics,
    type LiveLoadBalancerRef,
    type ObservedLoad,
    type ObservedMetrics,
} from "../sizing/observedLoad";
import type { ApiRead } from "./digitaloceanApi";
import { getLoadBalancer, listLoadBalancers, liveNodes } from "./loadBalancers";
import { METRICS, fetchMetric } from "./monitoring";
import { ConfigError } from "../config";

/**
 * The load read for the moment (metrics null with the autopilot off) and the size decided on it;
 * the gate's scale-down check judges this same load.
 */
export interface SizeNow extends ObservedLoad {
    decision: AutopilotDecision;
}

/**
 * The stack's load balancer: by proxy-lb:loadBalancer.id when adopted, else by its name (the one
 * the program creates it with). Null when there is none; an error when the name is ambiguous.
 */
export async function findLiveLoadBalancer(
    read: ApiRead,
    settings: Pick<Settings, "config">,
): Promise<LiveLoadBalancerRef | null> {
    const { id, name } = settings.config.loadBalancer;
    const found = id
        ? [await getLoadBalancer(read, id)].filter((lb) => lb !== null)
        : (await listLoadBalancers(read)).filter((lb) => lb.name === name);
    if (found.length === 0) return null;
    if (found.length > 1) {
        throw new ConfigError([
            `proxy-lb:loadBalancer.name "${name}" names ${found.length} load balancers (${found.map((lb) => lb.id).join(", ")}): set proxy-lb:loadBalancer.id to the one this stack manages`,
        ]);
    }
    const lb = found[0];
    const sizeUnit = liveNodes(lb);
    if (sizeUnit === undefined)
        throw new ConfigError([
            `load balancer ${lb.id} reports no size_unit (nor a known legacy size)`,
        ]);
    return { id: lb.id, name: lb.name, sizeUnit };
}

/**
 * The connections and their limit over the window ending at `at` (and back far enough to tell
 * stale metrics), checked once here. Never throws: a failed read is `{ ok: false }`, on which the
 * decision holds the live size (never scale down on missing data).
 */
export async function readObservedMetrics(
    read: ApiRead,
    lbId: string,
    at: number,
    windowMinutes: number,
): Promise<ObservedMetrics> {
    const end = Math.ceil(at / 1000);
    const start = end - (Math.max(windowMinutes, STALE_AFTER_MINUTES) + 1) * 60;
    const request = { ...read, lbId, start, end };
    try {
        const [connections, limit] = await Promise.all([
            fetchMetric(request, METRICS.connections, "sum"),
            fetchMetric(request, METRICS.limit, "sum"),
        ]);
        return observedMetrics({ ok: true, connections, limit });
    } catch (err) {
        const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
        return { ok: false, error: problems.join("; ") };
    }
}

/**
 * The live load balancer and its metrics over the window ending at `at`: what the decision and the
 * gate's scale-down check both judge. Throws only when the load balancer cannot be looked up.
 */
export async function readObservedLoad(
    read: ApiRead,
    settings: Settings,
    at: number,
): Promise<ObservedLoad> {
    const live = await findLiveLoadBalancer(read, settings);
    const metrics: ObservedMetrics =
        live === null
            ? {
                  ok: false,
                  error: `no load balancer named "${settings.config.loadBalancer.name}" exists yet`,
              }
            : await readObservedMetrics(
                  read,
                  live.id,
                  at,
                  settings.autopilot.scaleDownAfterMinutes,
              );
    return { at, live, metrics };
}

/**
 * The size for `at` (the moment `settings` were loaded for): the calendar's, or with the autopilot
 * on, the larger of it and the observed need. Reads the live load balancer only when the autopilot
 * is on or `readLive` asks (the controller and the cheap check compare with the live size).
 */
export async function sizeNow(
    settings: Settings,
    read: ApiRead,
    at: number,
    options: { readLive?: boolean } = {},
): Promise<SizeNow> {
    const calendar = { sizeUnit: settings.sizing.sizeUnit, why: settings.schedule.why };
    const enabled = settings.autopilot.enabled;
    const load: ObservedLoad = enabled
        ? await readObservedLoad(read, settings, at)
        : {
              at,
              live: options.readLive ? await findLiveLoadBalancer(read, settings) : null,
              metrics: null,
          };
    const decision = decideSize({
        calendar,
        liveSizeUnit: load.live?.sizeUnit ?? calendar.sizeUnit,
        load,
        settings: settings.autopilot,
        capacity: settings.config.capacity,
    });
    return { ...load, decision };
}
