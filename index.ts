// proxy-lb: one DigitalOcean load balancer in front of the masking droplets, sized from
// the expected demand now: the between-drops baseline, or the drops of the calendar whose
// window (lead time included) covers now (the clock, or PROXY_LB_NOW). The droplets are adopted read-only; the load balancer is
// protected so it is only ever resized in place (a new one would have a new IP).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadSettings, nowFromEnvironment, Settings } from "./config";
import { createdLoadBalancerArgs, differencesFromLive, liveLoadBalancerArgs } from "./infra/loadBalancerSettings";
import { importMaskingServers, readMaskingServers } from "./infra/maskingServers";
import { LOAD_BALANCER_NAME } from "./infra/names";
import { resizeOnlyFromEnvironment } from "./infra/resizeOnly";

const { config, sizing, schedule, warnings } = validatedSettings();
const resizeOnly = runErrorOnThrow(resizeOnlyFromEnvironment);

export = async () => {
    for (const warning of warnings) pulumi.log.warn(warning);
    const live = await readMaskingServers(config.maskingServers);
    // Resize-only (infra/resizeOnly.ts): a run targeted at the LB, which carries the droplets over.
    if (!resizeOnly) importMaskingServers(live);

    const loadBalancer = new digitalocean.LoadBalancer(
        LOAD_BALANCER_NAME,
        {
            ...(config.loadBalancer.id ? await adoptedAsItIs(config.loadBalancer.id) : createdLoadBalancerArgs(config)),
            sizeUnit: sizing.sizeUnit,
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
        capacity: sizing.capacity,
        utilization: sizing.utilization.peak,
        hourlyCostUsd: sizing.cost.hourly,
        monthlyCostUsd: sizing.cost.monthly,
        maskingServerIds: live.map((server) => String(server.id)),
        sizedFor: schedule.now,
        activeDrops: schedule.active.map((drop) => drop.name),
        activeUntil: schedule.active.length ? schedule.until : null,
        nextResizeAt: schedule.nextResize?.at ?? null,
        nextSizeUnit: schedule.nextResize?.sizeUnit ?? null,
    };
};

// An adopted LB keeps every live setting; only its size and targets are the program's.
// A config that contradicts it stops here, before any write.
async function adoptedAsItIs(id: string) {
    const live = await digitalocean.getLoadBalancer({ id });
    const differences = differencesFromLive(config, live);
    if (differences.length) {
        throw new pulumi.RunError(`the configuration does not match the adopted load balancer (nothing was changed):\n  ${differences.join("\n  ")}`);
    }
    return liveLoadBalancerArgs(live);
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
function validatedSettings(): Settings {
    try {
        return loadSettings(pulumi.runtime.allConfig(), { now: nowFromEnvironment() });
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new pulumi.RunError(`invalid proxy-lb configuration:\n  ${err.problems.join("\n  ")}`);
        }
        throw err;
    }
}
