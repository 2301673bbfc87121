// proxy-lb: one DigitalOcean load balancer in front of the masking droplets, sized from
// the drop's expected demand. The droplets are adopted read-only; the load balancer is
// protected so it is only ever resized in place (a new one would have a new IP).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadSettings, Settings } from "./config";
import { importMaskingServer, readMaskingServers } from "./infra/maskingServers";
import { LOAD_BALANCER_NAME } from "./infra/names";

const { config, sizing } = validatedSettings();

export = async () => {
    const maskingServers = (await readMaskingServers(config.maskingServers)).map(importMaskingServer);

    const loadBalancer = new digitalocean.LoadBalancer(
        LOAD_BALANCER_NAME,
        {
            name: config.loadBalancer.name,
            region: config.region,
            type: "REGIONAL",
            sizeUnit: sizing.sizeUnit,
            forwardingRules: config.loadBalancer.forwarding.map((rule) => ({
                entryProtocol: "tcp",
                entryPort: rule.port,
                targetProtocol: "tcp",
                targetPort: rule.targetPort ?? rule.port,
            })),
            healthcheck: { protocol: "tcp", port: config.loadBalancer.healthCheck.port },
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
        maskingServerIds: pulumi.all(maskingServers.map((server) => server.id)),
    };
};

// Bad config stops the program before any resource is declared, with one line per key
// and no stack trace.
function validatedSettings(): Settings {
    try {
        return loadSettings(pulumi.runtime.allConfig());
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new pulumi.RunError(`invalid proxy-lb configuration:\n  ${err.problems.join("\n  ")}`);
        }
        throw err;
    }
}
