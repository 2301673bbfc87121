// proxy-lb: one DigitalOcean load balancer in front of the masking droplets, sized from
// the expected demand now: the between-drops baseline, or the drops of the calendar whose
// window (lead time included) covers now (the clock, or PROXY_LB_NOW), and with the autopilot
// on, at least for the crowd it really carries. The droplets are adopted read-only; the load
// balancer is protected so it is only ever resized in place (a new one would have a new IP).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadSettings, nowFromEnvironment, Settings } from "./config";
import { programApiRead } from "./infra/digitaloceanApi";
import { sizeNow } from "./infra/liveSize";
import {
    createdLoadBalancerArgs,
    differencesFromLive,
    liveLoadBalancerArgs,
} from "./infra/loadBalancerSettings";
import { importMaskingServers, readMaskingServers } from "./infra/maskingServers";
import { LOAD_BALANCER_NAME } from "./infra/names";
import { resizeOnlyFromEnvironment } from "./infra/resizeOnly";
import { errorText, userFailure } from "./infra/userFailure";
import { carriedBy } from "./sizing";

const { settings, at } = validatedSettings();
const { config, sizing, schedule, warnings } = settings;
const resizeOnly = runErrorOnThrow(resizeOnlyFromEnvironment);

export = async () => {
    for (const warning of warnings) void pulumi.log.warn(warning);
    const size = await sizedForNow();
    const live = await oneLineOnUserFailure(() => readMaskingServers(config.maskingServers));
    // Resize-only (infra/resizeOnly.ts): a run targeted at the LB, which carries the droplets over.
    if (!resizeOnly) importMaskingServers(live);

    const adoptId = config.loadBalancer.id;
    const loadBalancer = new digitalocean.LoadBalancer(
        LOAD_BALANCER_NAME,
        {
            ...(adoptId
                ? await oneLineOnUserFailure(() => adoptedAsItIs(adoptId))
                : createdLoadBalancerArgs(config)),
            sizeUnit: size.sizeUnit,
            ...(config.maskingServers.ids
                ? { dropletIds: config.maskingServers.ids }
                : { dropletTag: config.maskingServers.tag }),
        },
        { protect: true, import: config.loadBalancer.id },
    );

    return {
        loadBalancerId: loadBalancer.id,
        loadBalancerIp: loadBalancer.ip,
        sizeUnit: loadBalancer.sizeUnit,
        bindingLimit: sizing.binding,
        capacity: size.capacity,
        utilization: size.utilization,
        hourlyCostUsd: size.cost.hourly,
        monthlyCostUsd: size.cost.monthly,
        calendarSizeUnit: sizing.sizeUnit,
        sizedBy: size.decision.bound,
        sizeReason: size.decision.why,
        autopilot: size.autopilot,
        maskingServerIds: live.map((server) => String(server.id)),
        sizedFor: schedule.now,
        activeDrops: schedule.active.map((drop) => drop.name),
        activeUntil: schedule.active.length ? schedule.until : null,
        nextResizeAt: schedule.nextResize?.at ?? null,
        nextSizeUnit: schedule.nextResize?.sizeUnit ?? null,
    };
};

// The size for now: the calendar's, or with proxy-lb:autopilot.enabled the larger of it and what the
// LB carries (infra/liveSize.ts, the one decision every path shares). Metrics that cannot be read
// hold the live size and say so; they never stop the deploy.
async function sizedForNow() {
    const { decision, live } = await runErrorOnReject(
        () =>
            settings.autopilot.enabled
                ? sizeNow(
                      settings,
                      programApiRead(process.env, pulumi.runtime.allConfig(), [
                          "load_balancer:read",
                          "monitoring:read",
                      ]),
                      at,
                  )
                : sizeNow(settings, { api: "", token: "" }, at), // off: the calendar alone, no API call
    );
    if (decision.bound === "clamped" || decision.bound === "holding")
        void pulumi.log.warn(`proxy-lb:autopilot: ${decision.why}`);
    const carried = carriedBy(decision.sizeUnit, config.capacity);
    const utilization = Math.min(
        1,
        Math.max(
            sizing.peak.connections / carried.capacity.connections,
            sizing.peak.newConnectionsPerSecond / carried.capacity.newConnectionsPerSecond,
        ),
    );
    const observed = decision.observed;
    return {
        sizeUnit: decision.sizeUnit,
        decision,
        ...carried,
        utilization,
        autopilot: settings.autopilot.enabled
            ? {
                  liveSizeUnit: live?.sizeUnit ?? null,
                  observedPeak: observed && {
                      connections: observed.connections.value,
                      at: new Date(observed.connections.at).toISOString(),
                      sizeUnit: observed.sizeUnit,
                  },
                  reasons: decision.reasons.map((reason) => reason.text),
              }
            : null,
    };
}

// An adopted LB keeps every live setting; only its size and targets are the program's.
// A config that contradicts it stops here, before any write.
async function adoptedAsItIs(id: string) {
    const live = await digitalocean.getLoadBalancer({ id });
    const differences = differencesFromLive(config, live);
    if (differences.length) {
        throw new pulumi.RunError(
            `the configuration does not match the adopted load balancer (nothing was changed):\n  ${differences.join("\n  ")}`,
        );
    }
    return liveLoadBalancerArgs(live);
}

async function runErrorOnReject<T>(read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (err) {
        throw new pulumi.RunError(
            userFailure(errorText(err)) ??
                (err instanceof ConfigError
                    ? `proxy-lb:autopilot could not read the load balancer:\n  ${err.problems.join("\n  ")}`
                    : (err as Error).message),
        );
    }
}

// The provider's reads fail on a refused token or an unreachable API with its whole error object
// (colours, nested causes): one line saying what to do instead (infra/userFailure.ts).
async function oneLineOnUserFailure<T>(read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (err) {
        const failure = userFailure(errorText(err));
        if (failure === undefined) throw err;
        throw new pulumi.RunError(failure);
    }
}

function runErrorOnThrow<T>(read: () => T): T {
    try {
        return read();
    } catch (err) {
        throw new pulumi.RunError((err as Error).message);
    }
}

// Bad config stops the program before any resource is declared, with one line per key
// and no stack trace.
function validatedSettings(): { settings: Settings; at: number } {
    try {
        const at = nowFromEnvironment();
        return { settings: loadSettings(pulumi.runtime.allConfig(), { now: at }), at };
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new pulumi.RunError(
                `invalid proxy-lb configuration:\n  ${err.problems.join("\n  ")}`,
            );
        }
        throw err;
    }
}
