// Unit tests for the CrossGuard policies: each validation is called directly with fake
// ResourceValidationArgs shaped like what @pulumi/policy 1.21's analyzer server builds, and
// violations are collected through the reportViolation callback. No engine, no gRPC server.
import Ajv from "ajv";
import type {
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { MASKING_SERVER_OPTIONS } from "../infra/maskingServers";
import {
    DROPLETS_PROTECTED_AND_FROZEN,
    LB_PROTECTED,
    LB_SIZE_UNIT_WITHIN_BOUNDS,
    LB_TCP_PASSTHROUGH_ONLY,
    MAX_NODES_LIMIT,
    POLICY_NAMES,
    policies,
} from "./policies";

// The type tokens the program registers (written out, not taken from the SDK classes, so a
// wrong class in a policy makes the tests fail).
const DROPLET = "digitalocean:index/droplet:Droplet";
const LB = "digitalocean:index/loadBalancer:LoadBalancer";

class NotApplicable extends Error {}

interface FakeResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    opts?: Partial<PolicyResourceOptions>;
    config?: object;
}

const urnOf = (type: string, name: string) => `urn:pulumi:prod::proxy-lb::${type}::${name}`;

function fakeArgs(r: FakeResource): ResourceValidationArgs {
    // Same matching rule as the analyzer server: compare the class's __pulumiType to the type token.
    const matches = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === r.type;
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r.type, r.name),
        props: r.props,
        // The server always sends arrays; unset options arrive as protect false / [].
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            ...r.opts,
        },
        stackTags: new Map(),
        isType: (cls) => matches(cls),
        asType: ((cls: unknown) =>
            matches(cls) ? r.props : undefined) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => (r.config ?? {}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

interface RunResult {
    reports: string[];
    notApplicable: boolean;
}

async function run(policy: ResourceValidationPolicy, r: FakeResource): Promise<RunResult> {
    const reports: string[] = [];
    const v = policy.validateResource;
    const validations = v === undefined ? [] : Array.isArray(v) ? v : [v];
    try {
        for (const validate of validations) {
            await validate(fakeArgs(r), (message) => reports.push(message));
        }
    } catch (e) {
        if (e instanceof NotApplicable) {
            return { reports, notApplicable: true };
        }
        throw e;
    }
    return { reports, notApplicable: false };
}

function policy(name: string): ResourceValidationPolicy {
    const p = policies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy named ${name}`);
    return p;
}

const tcpRule = (port: number) => ({
    entryProtocol: "tcp",
    entryPort: port,
    targetProtocol: "tcp",
    targetPort: port,
    tlsPassthrough: false,
});

function droplet(
    name: string,
    opts: Partial<PolicyResourceOptions> = { protect: true, ignoreChanges: ["*"] },
): FakeResource {
    return {
        type: DROPLET,
        name,
        props: { name, image: "ubuntu-24-04-x64", region: "ams3", size: "s-1vcpu-1gb" },
        opts,
    };
}

function lb(
    props: Record<string, unknown> = {},
    opts: Partial<PolicyResourceOptions> = { protect: true },
    config?: object,
): FakeResource {
    return {
        type: LB,
        name: "proxy-lb",
        props: {
            name: "proxy-lb",
            region: "ams3",
            sizeUnit: 4,
            dropletIds: [101, 102],
            forwardingRules: [tcpRule(443), tcpRule(1080)],
            ...props,
        },
        opts,
        config,
    };
}

describe("policy set", () => {
    it("exports one mandatory policy per exported name", () => {
        expect(policies.map((p) => p.name)).toEqual([...POLICY_NAMES]);
        expect(new Set(POLICY_NAMES).size).toBe(POLICY_NAMES.length);
        for (const p of policies) {
            expect(p.enforcementLevel, p.name).toBe("mandatory");
        }
    });

    // The CLI validates policy config against configSchema (wrapped in an object schema) and fills
    // in defaults before the pack runs; ajv stands in for that validator here.
    const validateConfig = () => {
        const schema = policy(LB_SIZE_UNIT_WITHIN_BOUNDS).configSchema;
        expect(schema).toBeDefined();
        return new Ajv({ useDefaults: true }).compile({ type: "object", ...schema });
    };

    it("config schema defaults maxNodes to 200", () => {
        const config: Record<string, unknown> = {};
        expect(validateConfig()(config)).toBe(true);
        expect(config.maxNodes).toBe(MAX_NODES_LIMIT);
        expect(MAX_NODES_LIMIT).toBe(200);
    });

    it("config schema accepts integers in [1, 200] and rejects anything else", () => {
        const validate = validateConfig();
        for (const ok of [1, 10, 200])
            expect(validate({ maxNodes: ok }), `maxNodes ${ok}`).toBe(true);
        for (const bad of [0, 201, 2.5, "10"])
            expect(validate({ maxNodes: bad }), `maxNodes ${bad}`).toBe(false);
    });
});

describe(DROPLETS_PROTECTED_AND_FROZEN, () => {
    const p = () => policy(DROPLETS_PROTECTED_AND_FROZEN);

    it('passes a protected droplet with ignoreChanges ["*"]', async () => {
        expect(await run(p(), droplet("mask-ams3-01"))).toEqual({
            reports: [],
            notApplicable: false,
        });
    });

    it("reports an unprotected droplet by name and URN", async () => {
        const { reports } = await run(
            p(),
            droplet("mask-ams3-01", { protect: false, ignoreChanges: ["*"] }),
        );
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain('"mask-ams3-01"');
        expect(reports[0]).toContain(urnOf(DROPLET, "mask-ams3-01"));
        expect(reports[0]).toContain("not protected");
    });

    it("passes the program's own options: every input frozen but the deprecated privateNetworking", async () => {
        expect(
            await run(
                p(),
                droplet("mask-ams3-01", {
                    protect: true,
                    ignoreChanges: MASKING_SERVER_OPTIONS.ignoreChanges,
                }),
            ),
        ).toEqual({ reports: [], notApplicable: false });
    });

    it("reports ignoreChanges that leaves inputs free, naming them", async () => {
        const { reports } = await run(
            p(),
            droplet("mask-ams3-02", { protect: true, ignoreChanges: ["name"] }),
        );
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain('"mask-ams3-02"');
        expect(reports[0]).toContain('["name"]');
        expect(reports[0]).toMatch(/leaves .*image.*size.* free/);
    });

    it("reports a list that misses a single input", async () => {
        const missingSize = MASKING_SERVER_OPTIONS.ignoreChanges.filter(
            (input) => input !== "size",
        );
        const { reports } = await run(
            p(),
            droplet("mask-ams3-02", { protect: true, ignoreChanges: missingSize }),
        );
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("leaves size free");
    });

    it("reports a droplet without ignoreChanges", async () => {
        const { reports } = await run(p(), droplet("mask-ams3-03", { protect: true }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain('"mask-ams3-03"');
        expect(reports[0]).toContain("has no ignoreChanges");
    });

    it("reports each missing option separately", async () => {
        const { reports } = await run(p(), droplet("mask-ams3-04", {}));
        expect(reports).toHaveLength(2);
        expect(reports.some((m) => m.includes("not protected"))).toBe(true);
        expect(reports.some((m) => m.includes("has no ignoreChanges"))).toBe(true);
    });

    it("does not apply to the load balancer", async () => {
        expect(await run(p(), lb({}, { protect: false }))).toEqual({
            reports: [],
            notApplicable: true,
        });
    });
});

describe(LB_PROTECTED, () => {
    const p = () => policy(LB_PROTECTED);

    it("passes a protected load balancer", async () => {
        expect(await run(p(), lb())).toEqual({ reports: [], notApplicable: false });
    });

    it("reports an unprotected load balancer by name and URN", async () => {
        const { reports } = await run(p(), lb({}, { protect: false }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain('"proxy-lb"');
        expect(reports[0]).toContain(urnOf(LB, "proxy-lb"));
        expect(reports[0]).toContain("not protected");
    });

    it("does not apply to droplets", async () => {
        expect(await run(p(), droplet("mask-ams3-01", {}))).toEqual({
            reports: [],
            notApplicable: true,
        });
    });
});

describe(LB_SIZE_UNIT_WITHIN_BOUNDS, () => {
    const p = () => policy(LB_SIZE_UNIT_WITHIN_BOUNDS);

    it("accepts the bounds 1 and 200 with the default config", async () => {
        expect((await run(p(), lb({ sizeUnit: 1 }))).reports).toEqual([]);
        expect((await run(p(), lb({ sizeUnit: 200 }))).reports).toEqual([]);
        expect(
            (await run(p(), lb({ sizeUnit: 200 }, { protect: true }, { maxNodes: 200 }))).reports,
        ).toEqual([]);
    });

    it("reports sizeUnit 0 with the value and the lower bound", async () => {
        const { reports } = await run(p(), lb({ sizeUnit: 0 }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("sizeUnit 0");
        expect(reports[0]).toContain("minimum of 1");
    });

    it("reports sizeUnit 201 against the default maxNodes 200", async () => {
        const { reports } = await run(p(), lb({ sizeUnit: 201 }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("sizeUnit 201");
        expect(reports[0]).toContain("maxNodes 200");
    });

    it("uses a configured maxNodes of 10", async () => {
        const config = { maxNodes: 10 };
        expect((await run(p(), lb({ sizeUnit: 10 }, { protect: true }, config))).reports).toEqual(
            [],
        );
        const { reports } = await run(p(), lb({ sizeUnit: 11 }, { protect: true }, config));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("sizeUnit 11");
        expect(reports[0]).toContain("maxNodes 10");
    });

    it("reports a missing or non-integer sizeUnit", async () => {
        const missing = await run(p(), lb({ sizeUnit: undefined }));
        expect(missing.reports).toHaveLength(1);
        expect(missing.reports[0]).toContain("has no sizeUnit");
        const fractional = await run(p(), lb({ sizeUnit: 2.5 }));
        expect(fractional.reports).toHaveLength(1);
        expect(fractional.reports[0]).toContain("sizeUnit 2.5");
    });

    it("fails instead of weakening the check when maxNodes is outside the schema", async () => {
        await expect(
            run(p(), lb({ sizeUnit: 300 }, { protect: true }, { maxNodes: 500 })),
        ).rejects.toThrow(/maxNodes must be an integer in \[1, 200\], got 500/);
    });
});

describe(LB_TCP_PASSTHROUGH_ONLY, () => {
    const p = () => policy(LB_TCP_PASSTHROUGH_ONLY);

    it("passes TCP passthrough rules", async () => {
        expect(await run(p(), lb())).toEqual({ reports: [], notApplicable: false });
    });

    it("reports an https rule with a certificate by index and ports", async () => {
        const https = {
            entryProtocol: "https",
            entryPort: 443,
            targetProtocol: "http",
            targetPort: 80,
            certificateName: "proxy-cert",
        };
        const { reports } = await run(p(), lb({ forwardingRules: [tcpRule(1080), https] }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("forwardingRules[1]");
        expect(reports[0]).toContain("entry https:443 -> target http:80");
        expect(reports[0]).toContain('entryProtocol is "https"');
        expect(reports[0]).toContain('targetProtocol is "http"');
        expect(reports[0]).toContain('certificateName "proxy-cert"');
    });

    it("reports a udp rule by index and ports", async () => {
        const udp = {
            entryProtocol: "udp",
            entryPort: 53,
            targetProtocol: "udp",
            targetPort: 5353,
        };
        const { reports } = await run(p(), lb({ forwardingRules: [udp] }));
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain("forwardingRules[0]");
        expect(reports[0]).toContain("entry udp:53 -> target udp:5353");
        expect(reports[0]).toContain('entryProtocol is "udp"');
        expect(reports[0]).toContain('targetProtocol is "udp"');
    });

    it("reports a certificateId on an otherwise TCP rule", async () => {
        const { reports } = await run(
            p(),
            lb({ forwardingRules: [{ ...tcpRule(443), certificateId: "cert-123" }] }),
        );
        expect(reports).toHaveLength(1);
        expect(reports[0]).toContain('certificateId "cert-123"');
    });

    it("reports every offending rule once, with its own index", async () => {
        const rules = [
            tcpRule(22),
            { ...tcpRule(80), entryProtocol: "http" },
            tcpRule(443),
            { ...tcpRule(8080), targetProtocol: "http" },
        ];
        const { reports } = await run(p(), lb({ forwardingRules: rules }));
        expect(reports).toHaveLength(2);
        expect(reports[0]).toContain("forwardingRules[1] (entry http:80 -> target tcp:80)");
        expect(reports[1]).toContain("forwardingRules[3] (entry tcp:8080 -> target http:8080)");
    });
});

describe("program shape", () => {
    it("the program's resources pass every policy with zero reports", async () => {
        const resources: FakeResource[] = [
            { type: "pulumi:pulumi:Stack", name: "proxy-lb-prod", props: {} },
            { type: "pulumi:providers:digitalocean", name: "default_4_57_0", props: {} },
            droplet("mask-ams3-01"),
            droplet("mask-ams3-02"),
            lb(),
        ];
        const reports: string[] = [];
        const applied: string[] = [];
        for (const r of resources) {
            for (const p of policies) {
                const result = await run(p, r);
                reports.push(...result.reports);
                if (!result.notApplicable) applied.push(`${p.name}:${r.name}`);
            }
        }
        expect(reports).toEqual([]);
        // Guard against a vacuous pass: each droplet and the LB were actually checked.
        expect(applied.sort()).toEqual(
            [
                `${DROPLETS_PROTECTED_AND_FROZEN}:mask-ams3-01`,
                `${DROPLETS_PROTECTED_AND_FROZEN}:mask-ams3-02`,
                `${LB_PROTECTED}:proxy-lb`,
                `${LB_SIZE_UNIT_WITHIN_BOUNDS}:proxy-lb`,
                `${LB_TCP_PASSTHROUGH_ONLY}:proxy-lb`,
            ].sort(),
        );
    });
});
