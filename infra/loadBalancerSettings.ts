// What the load balancer is declared with. A created LB gets the config's TCP passthrough
// rules and health check. An adopted LB (loadBalancer.id) is declared exactly as it is live,
// every setting read with getLoadBalancer, so a resize's PUT carries its live traffic rules
// unchanged: the program manages only the node count and the masking server targets.
// Pure: types only from the provider package, no resource or invoke here.
import type * as digitalocean from "@pulumi/digitalocean";
import type { StackConfig } from "../config";

type LoadBalancerArgs = digitalocean.LoadBalancerArgs;
type LiveLoadBalancer = digitalocean.GetLoadBalancerResult;
type ForwardingRule = {
    entryProtocol: string;
    entryPort: number;
    targetProtocol: string;
    targetPort: number;
};

/** The settings the config describes (forwarding and health check are optional for an adopted LB). */
export function configuredTraffic(lb: StackConfig["loadBalancer"]) {
    return {
        forwardingRules: lb.forwarding?.map((rule): ForwardingRule => ({
            entryProtocol: "tcp",
            entryPort: rule.port,
            targetProtocol: "tcp",
            targetPort: rule.targetPort ?? rule.port,
        })),
        healthcheck: lb.healthCheck && { protocol: "tcp", port: lb.healthCheck.port },
    };
}

/** The arguments for a load balancer the program creates. */
export function createdLoadBalancerArgs(config: StackConfig): LoadBalancerArgs {
    const { forwardingRules, healthcheck } = configuredTraffic(config.loadBalancer);
    return {
        name: config.loadBalancer.name,
        region: config.region,
        type: "REGIONAL",
        forwardingRules,
        healthcheck,
    };
}

/**
 * The arguments that declare an adopted load balancer as it is live. Deprecated inputs
 * (`algorithm`, `size`) are left out: the API ignores them and declaring them only warns.
 * Empty optional blocks are left out too, so the declaration matches what the provider reads.
 */
export function liveLoadBalancerArgs(live: LiveLoadBalancer): LoadBalancerArgs {
    const firewall = live.firewalls[0];
    const sticky = live.stickySessions[0];
    const health = live.healthchecks[0];
    return {
        name: live.name,
        region: live.region,
        type: live.type || undefined,
        vpcUuid: live.vpcUuid || undefined,
        projectId: live.projectId || undefined,
        forwardingRules: live.forwardingRules.map((rule) => ({
            entryProtocol: rule.entryProtocol,
            entryPort: rule.entryPort,
            targetProtocol: rule.targetProtocol,
            targetPort: rule.targetPort,
            ...(rule.certificateName ? { certificateName: rule.certificateName } : {}),
            ...(rule.tlsPassthrough ? { tlsPassthrough: true } : {}),
        })),
        healthcheck: health && {
            protocol: health.protocol,
            port: health.port,
            ...(health.path ? { path: health.path } : {}),
            checkIntervalSeconds: health.checkIntervalSeconds,
            responseTimeoutSeconds: health.responseTimeoutSeconds,
            healthyThreshold: health.healthyThreshold,
            unhealthyThreshold: health.unhealthyThreshold,
        },
        stickySessions: sticky && {
            type: sticky.type,
            ...(sticky.cookieName ? { cookieName: sticky.cookieName } : {}),
            ...(sticky.cookieTtlSeconds ? { cookieTtlSeconds: sticky.cookieTtlSeconds } : {}),
        },
        firewall:
            firewall && (firewall.allows.length || firewall.denies.length)
                ? { allows: firewall.allows, denies: firewall.denies }
                : undefined,
        enableProxyProtocol: live.enableProxyProtocol,
        enableBackendKeepalive: live.enableBackendKeepalive,
        httpIdleTimeoutSeconds: live.httpIdleTimeoutSeconds || undefined,
        redirectHttpToHttps: live.redirectHttpToHttps,
        disableLetsEncryptDnsRecords: live.disableLetsEncryptDnsRecords,
    };
}

/**
 * How the config's forwarding and health check differ from the live LB, one line per
 * difference naming the key. Empty when the config leaves them out (adopt as it is).
 */
export function differencesFromLive(config: StackConfig, live: LiveLoadBalancer): string[] {
    const problems: string[] = [];
    const where = `load balancer ${live.id ?? config.loadBalancer.id}`;
    if (live.region !== config.region) {
        problems.push(
            `proxy-lb:region is ${config.region} but ${where} is in ${live.region}; a load balancer cannot move region (a new one would have a new IP)`,
        );
    }
    const { forwardingRules, healthcheck } = configuredTraffic(config.loadBalancer);
    if (forwardingRules) {
        const show = (r: ForwardingRule) =>
            `${r.entryProtocol} ${r.entryPort} → ${r.targetProtocol} ${r.targetPort}`;
        const wanted = forwardingRules.map(show).sort();
        const actual = live.forwardingRules.map(show).sort();
        for (const rule of wanted.filter((r) => !actual.includes(r)))
            problems.push(
                `proxy-lb:loadBalancer.forwarding has ${rule}, which ${where} does not forward`,
            );
        for (const rule of actual.filter((r) => !wanted.includes(r)))
            problems.push(
                `proxy-lb:loadBalancer.forwarding lacks ${rule}, which ${where} forwards`,
            );
    }
    const liveHealth = live.healthchecks[0];
    if (
        healthcheck &&
        (liveHealth?.protocol !== healthcheck.protocol || liveHealth.port !== healthcheck.port)
    ) {
        const actual = liveHealth ? `${liveHealth.protocol} ${liveHealth.port}` : "none";
        problems.push(
            `proxy-lb:loadBalancer.healthCheck is tcp ${healthcheck.port} but ${where} checks ${actual}`,
        );
    }
    return problems;
}

/** DigitalOcean's cipher policy when none is set, and what a PUT that omits it resets to. */
export const DEFAULT_TLS_CIPHER_POLICY = "DEFAULT";

/**
 * How the settings the provider never reads back are carried, from the project's own read of
 * the LB. `tls_cipher_policy`: the provider sends it only when declared,
 * and a PUT without it resets it to DEFAULT. Declared on a run that resizes (its one PUT carries
 * the live value); on any other run the engine keeps the state's value (ignoreChanges), because
 * on the import run a declared value the provider's Read cannot see would fail the import.
 * `network` and `network_stack` need nothing: DigitalOcean keeps them when a PUT omits them
 * (they cannot be updated after creation; emulator/README.md, "Updating a load balancer").
 */
export function providerBlindArgs(
    own: { tls_cipher_policy?: string },
    resizing: boolean,
): { args: Pick<LoadBalancerArgs, "tlsCipherPolicy">; ignoreChanges: string[] } {
    if (!resizing) return { args: {}, ignoreChanges: ["tlsCipherPolicy"] };
    const policy = (own.tls_cipher_policy || DEFAULT_TLS_CIPHER_POLICY).toUpperCase();
    // DEFAULT is what an omission leaves: declaring it would only add a diff.
    return {
        args: policy === DEFAULT_TLS_CIPHER_POLICY ? {} : { tlsCipherPolicy: policy },
        ignoreChanges: [],
    };
}

/**
 * Forwarding rules whose certificate the provider could swap on the next update: it looks each
 * rule's certificate up by name (FindCertificateByName, the first of GET /v2/certificates?name=),
 * so a name several certificates share may send another one. One line per rule, saying what to do.
 */
export function ambiguousCertificates(
    live: Pick<LiveLoadBalancer, "id" | "forwardingRules">,
    certificatesNamed: ReadonlyMap<string, number>,
): string[] {
    const where = `load balancer ${live.id}`;
    return live.forwardingRules
        .filter(
            (rule) =>
                rule.certificateName && (certificatesNamed.get(rule.certificateName) ?? 0) > 1,
        )
        .map(
            (rule) =>
                `${where}: forwarding rule ${rule.entryProtocol} ${rule.entryPort} uses certificate "${rule.certificateName}", a name ${certificatesNamed.get(rule.certificateName)} certificates share; the DigitalOcean provider finds a rule's certificate by name on every update and could send another one: give the account's certificates unique names, then run again`,
        );
}
