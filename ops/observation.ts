// What a drop really used, read now: the window the calendar gives, its metrics from
// DigitalOcean's monitoring API, analysed. Problems are ConfigErrors naming what
// is wrong (the drop, the window, the token, the API's answer).
import { ConfigError, type Settings } from "../config";
import { apiBase, tokenFrom, withScopeHint } from "../infra/digitaloceanApi";
import type { HttpRequestFn } from "../infra/httpRequest";
import { fetchLbMetrics } from "../infra/monitoring";
import { COMMAND_SCOPES } from "../config/scopes";
import { formatInstant } from "../sizing/format";
import { observe, ObservationError, type Observation, type Series } from "../sizing/observe";
import {
    observedWindow,
    type ObservationTarget,
    type ObservedWindow,
} from "../sizing/observedWindow";

const MS = 1000;

export interface ObservationReport {
    stack: string;
    lbId: string;
    window: ObservedWindow;
    observation: Observation;
    series: Series;
}

/** Reads the metrics for the window and analyses them. */
export async function observeStack(opts: {
    stack: string;
    settings: Settings;
    stackEntries: Record<string, unknown>;
    target: ObservationTarget;
    lbId?: string;
    now: number;
    env?: Record<string, string | undefined>;
    request?: HttpRequestFn;
}): Promise<ObservationReport> {
    const env = opts.env ?? process.env;
    const { config, calendar } = opts.settings;
    const lbId = opts.lbId ?? config.loadBalancer.id;
    if (lbId === undefined)
        throw new ConfigError([
            `the load balancer id is unknown: set proxy-lb:loadBalancer.id in Pulumi.${opts.stack}.yaml or give --lb-id`,
        ]);
    const window = observing(() =>
        observedWindow(
            calendar,
            { region: config.region, capacity: config.capacity },
            opts.target,
            opts.now,
        ),
    );
    const series = await fetchLbMetrics({
        api: apiBase(env, opts.stackEntries),
        token: tokenFrom(env, COMMAND_SCOPES.observe.scopes),
        lbId,
        start: window.from / MS,
        end: window.to / MS,
        ...(opts.request ? { request: opts.request } : {}),
    }).catch(withScopeHint);
    const where = `load balancer ${lbId}, ${formatInstant(window.from)} → ${formatInstant(window.to)}: `;
    const observation = observing(
        () => observe(series, { from: window.from / MS, to: window.to / MS }, window.planned),
        where,
    );
    return { stack: opts.stack, lbId, window, observation, series };
}

function observing<T>(analyse: () => T, where = ""): T {
    try {
        return analyse();
    } catch (err) {
        if (err instanceof ObservationError) throw new ConfigError([`${where}${err.message}`]);
        throw err;
    }
}
