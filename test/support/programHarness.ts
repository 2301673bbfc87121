// Runs index.ts under Pulumi's mocks and records what the SDK really sends to the engine
// for each resource, options included. Options never reach newResource mocks, so we wrap
// the mock monitor's registerResource and read the protobuf request itself.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";

export interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    protect: boolean;
    ignoreChanges: string[];
    importId: string;
    retainOnDelete: boolean;
}

export interface ProgramRun {
    registrations: Registration[];
    invokes: { token: string; args: Record<string, unknown> }[];
    outputs: Record<string, unknown>;
}

export interface FakeDroplet {
    id: number;
    name: string;
    tags?: string[];
}

const PROJECT = "proxy-lb";

/** Live attributes as getDroplet returns them for a masking droplet. */
export function liveDroplet(d: FakeDroplet) {
    return {
        id: d.id,
        name: d.name,
        image: "ubuntu-22-04-x64",
        region: "nyc3",
        size: "s-1vcpu-1gb",
        backups: false,
        ipv6: false,
        monitoring: true,
        vpcUuid: "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
        tags: d.tags ?? [],
        volumeIds: [],
        status: "active",
    };
}

/** An adopted load balancer as getLoadBalancer returns it: TCP 8080 and 443 → 8443, as the tests' config has it. */
export function liveLoadBalancer(id: string, dropletIds: number[]) {
    const rule = (entryPort: number, targetPort: number) => ({
        entryProtocol: "tcp",
        entryPort,
        targetProtocol: "tcp",
        targetPort,
        certificateId: "",
        certificateName: "",
        tlsPassthrough: false,
    });
    return {
        id,
        name: "proxy-lb",
        region: "nyc3",
        type: "REGIONAL",
        network: "EXTERNAL",
        vpcUuid: "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
        projectId: "09dbbd01-33ad-5529-abf6-7cbe22e359fa",
        ip: "203.0.113.10",
        sizeUnit: 1,
        size: "",
        status: "active",
        dropletIds,
        dropletTag: "",
        forwardingRules: [rule(8080, 8080), rule(443, 8443)],
        healthchecks: [
            {
                protocol: "tcp",
                port: 8080,
                path: "",
                checkIntervalSeconds: 10,
                responseTimeoutSeconds: 5,
                healthyThreshold: 3,
                unhealthyThreshold: 5,
            },
        ],
        stickySessions: [{ type: "none", cookieName: "", cookieTtlSeconds: 0 }],
        firewalls: [],
        enableProxyProtocol: false,
        enableBackendKeepalive: false,
        httpIdleTimeoutSeconds: 60,
        redirectHttpToHttps: false,
        disableLetsEncryptDnsRecords: false,
        algorithm: "round_robin",
        domains: [],
        glbSettings: [],
        targetLoadBalancerIds: [],
    };
}

/** Stack config as Pulumi hands it to programs: namespaced keys, objects as JSON text. */
export function stackConfig(values: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(values).map(([key, value]) => [
            `${PROJECT}:${key}`,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
}

/** `seen` may be passed in to see what reached the engine before a failure. */
export async function runProgram(
    config: Record<string, string>,
    droplets: FakeDroplet[],
    seen: Pick<ProgramRun, "registrations" | "invokes"> = { registrations: [], invokes: [] },
): Promise<ProgramRun> {
    const { registrations, invokes } = seen;
    const byId = new Map(droplets.map((d) => [d.id, liveDroplet(d)]));

    pulumi.runtime.setAllConfig(config);
    // The program's own read of an adopted LB (what the provider never reads back) and of the
    // certificates' names: answered, by a server on 127.0.0.1, as the API would for the LB
    // liveLoadBalancer describes.
    vi.stubEnv("DIGITALOCEAN_TOKEN", process.env.DIGITALOCEAN_TOKEN || "test-token");
    const api = await fakeApi();
    try {
        vi.stubEnv("DIGITALOCEAN_API_URL", api.url);
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    const state =
                        args.type === "digitalocean:index/loadBalancer:LoadBalancer"
                            ? { ...args.inputs, ip: "203.0.113.10" }
                            : args.inputs;
                    return { id: args.id || `${args.name}-id`, state };
                },
                call: (args) => {
                    invokes.push({ token: args.token, args: args.inputs });
                    if (args.token === "digitalocean:index/getDroplet:getDroplet") {
                        const droplet = byId.get(Number(args.inputs.id));
                        if (!droplet) throw new Error(`droplet ${args.inputs.id} not found`);
                        return droplet;
                    }
                    if (args.token === "digitalocean:index/getLoadBalancer:getLoadBalancer")
                        return liveLoadBalancer(String(args.inputs.id), [...byId.keys()]);
                    if (args.token === "digitalocean:index/getDroplets:getDroplets") {
                        const tag = args.inputs.filters?.[0]?.values?.[0];
                        return { droplets: [...byId.values()].filter((d) => d.tags.includes(tag)) };
                    }
                    throw new Error(`unexpected invoke ${args.token}`);
                },
            },
            PROJECT,
            "test",
            false,
        );

        const monitor = pulumi.runtime.getMonitor() as unknown as {
            registerResource(req: any, callback: unknown): unknown;
        };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, callback) => {
            if (req.getType() === "pulumi:pulumi:Stack") return register(req, callback);
            registrations.push({
                type: req.getType(),
                name: req.getName(),
                inputs: req.getObject()?.toJavaScript() ?? {},
                protect: req.getProtect() ?? false,
                ignoreChanges: req.getIgnorechangesList(),
                importId: req.getImportid(),
                retainOnDelete: req.getRetainondelete() ?? false,
            });
            return register(req, callback);
        };

        vi.resetModules(); // index.ts reads config when it loads
        const program = (await import("../../index")) as unknown as {
            default?: () => Promise<Record<string, pulumi.Output<unknown>>>;
        };
        const main = (program.default ?? program) as unknown as () => Promise<
            Record<string, pulumi.Output<unknown>>
        >;
        const exported = await main();
        const outputs: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(exported)) outputs[key] = await resolve(value);
        return { registrations, invokes, outputs };
    } finally {
        vi.unstubAllGlobals();
        vi.unstubAllEnvs();
        await api.close();
    }
}

/** The API's answers to the program's own reads, from a server on 127.0.0.1 (port 0). */
async function fakeApi(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
        const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
        const lb = /^\/v2\/load_balancers\/([^/]+)$/.exec(path);
        const body = lb
            ? {
                  load_balancer: {
                      id: lb[1],
                      name: "proxy-lb",
                      size_unit: 1,
                      tls_cipher_policy: "DEFAULT",
                  },
              }
            : path === "/v2/certificates"
              ? { certificates: [] }
              : undefined;
        res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify(body ?? { id: "not_found", message: path }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

function resolve<T>(value: pulumi.Output<T> | T): Promise<T> {
    return pulumi.Output.isInstance(value)
        ? new Promise((r) => (value as pulumi.Output<T>).apply(r))
        : Promise.resolve(value as T);
}
