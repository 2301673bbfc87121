// proxy-lb: one DigitalOcean load balancer in front of the masking droplets, sized from
// the expected demand now: the between-drops baseline, or the drops of the calendar whose
// window (lead time included) covers now (the clock, or PROXY_LB_NOW), and with the autopilot
// on, at least for the crowd it really carries. The droplets are adopted read-only; the load
// balancer is protected so it is only ever resized in place (a new one would have a new IP).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadSettings, nowFromEnvironment, Settings } from "./config";
import { LIVE_LOAD_SCOPES } from "./config/scopes";
import { programApiRead } from "./infra/digitaloceanApi";
import { sizeNow } from "./infra/liveSize";
import {
    ambiguousCertificates,
    createdLoadBalancerArgs,
    DEFAULT_TLS_CIPHER_POLICY,
    differencesFromLive,
    liveLoadBalancerArgs,
    providerBlindArgs,
} from "./infra/loadBalancerSettings";
import { certificatesNamed, getLoadBalancer, liveNodes } from "./infra/loadBalancers";
import { importMaskingServers, readMaskingServers } from "./infra/maskingServers";
import { LOAD_BALANCER_NAME } from "./infra/names";
import { programError } from "./infra/programError";
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
    // Resize-only: a run targeted at the LB, which carries the droplets over untouched.
    if (!resizeOnly) importMaskingServers(live);

    const adoptId = config.loadBalancer.id;
    const adopted = adoptId
        ? await oneLineOnUserFailure(() => adoptedAsItIs(adoptId, size.sizeUnit))
        : undefined;
    const loadBalancer = new digitalocean.LoadBalancer(
        LOAD_BALANCER_NAME,
        {
            ...(adopted ? adopted.args : createdLoadBalancerArgs(config)),
            sizeUnit: size.sizeUnit,
            ...(config.maskingServers.ids
                ? { dropletIds: config.maskingServers.ids }
                : { dropletTag: config.maskingServers.tag }),
        },
        {
            protect: true,
            import: config.loadBalancer.id,
            ...(adopted?.ignoreChanges.length ? { ignoreChanges: adopted.ignoreChanges } : {}),
        },
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
        // Read live (the provider never reads it back): what `drift` compares the LB with.
        tlsCipherPolicy: adopted?.tlsCipherPolicy ?? DEFAULT_TLS_CIPHER_POLICY,
    };
};

// The size for now: the calendar's, or with proxy-lb:autopilot.enabled the larger of it and what the
// LB carries (`sizeNow`, the one decision every path shares). Metrics that cannot be read
// hold the live size and say so; they never stop the deploy.
async function sizedForNow() {
    const { decision, live } = await runErrorOnReject(
        () =>
            settings.autopilot.enabled
                ? sizeNow(
                      settings,
                      programApiRead(process.env, pulumi.runtime.allConfig(), LIVE_LOAD_SCOPES),
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
// A config that contradicts it, or a setting the provider could not carry, stops here, before
// any write. What the provider never reads back comes from the project's own read of the LB.
async function adoptedAsItIs(id: string, sizeUnit: number) {
    const live = await digitalocean.getLoadBalancer({ id });
    const differences = differencesFromLive(config, live);
    if (differences.length) {
        throw programError(
            `the configuration does not match the adopted load balancer (nothing was changed):\n  ${differences.join("\n  ")}`,
        );
    }
    const { own, certificates } = await runErrorOnReject(async () => {
        const read = programApiRead(process.env, pulumi.runtime.allConfig(), [
            "load_balancer:read",
            "certificate:read",
        ]);
        const names = [
            ...new Set(live.forwardingRules.map((rule) => rule.certificateName).filter(Boolean)),
        ];
        return {
            own: await getLoadBalancer(read, id),
            certificates: new Map(
                await Promise.all(
                    names.map(async (name) => [name, await certificatesNamed(read, name)] as const),
                ),
            ),
        };
    }, "could not read the adopted load balancer");
    const ambiguous = ambiguousCertificates(live, certificates);
    if (ambiguous.length) {
        throw programError(
            `the adopted load balancer has a setting a resize could not keep (nothing was changed):\n  ${ambiguous.join("\n  ")}`,
        );
    }
    const blind = providerBlindArgs(own ?? {}, !own || liveNodes(own) !== sizeUnit);
    return {
        args: { ...liveLoadBalancerArgs(live), ...blind.args },
        ignoreChanges: blind.ignoreChanges,
        tlsCipherPolicy: (own?.tls_cipher_policy || DEFAULT_TLS_CIPHER_POLICY).toUpperCase(),
    };
}

async function runErrorOnReject<T>(
    read: () => Promise<T>,
    what = "proxy-lb:autopilot could not read the load balancer",
): Promise<T> {
    try {
        return await read();
    } catch (err) {
        throw programError(
            userFailure(errorText(err)) ??
                (err instanceof ConfigError
                    ? `${what}:\n  ${err.problems.join("\n  ")}`
                    : (err as Error).message),
        );
    }
}

// The provider's reads fail on a refused token or an unreachable API with its whole error object
// (colours, nested causes): one line saying what to do instead.
async function oneLineOnUserFailure<T>(read: () => Promise<T>): Promise<T> {
    try {
        return await read();
    } catch (err) {
        const failure = userFailure(errorText(err));
        if (failure === undefined) throw err;
        throw programError(failure);
    }
}

function runErrorOnThrow<T>(read: () => T): T {
    try {
        return read();
    } catch (err) {
        throw programError((err as Error).message);
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
            throw programError(`invalid proxy-lb configuration:\n  ${err.problems.join("\n  ")}`);
        }
        throw err;
    }
}
