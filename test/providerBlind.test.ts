// What the provider cannot carry through a resize, decided from the project's own read of the
// LB: the cipher policy declared only on a resize run, a shared certificate name refused, and
// drift naming a cipher policy changed in the console.
import { describe, expect, it } from "vitest";
import { ambiguousCertificates, providerBlindArgs } from "../infra/loadBalancerSettings";
import { type DriftReport, recordedCipherPolicy, withCipherPolicyDrift } from "../ops/drift";
import type { PreviewDigest } from "../ops/pulumiJson";
import { liveLoadBalancer } from "./support/programHarness";

describe("the cipher policy", () => {
    it.each([
        { policy: "STRONG", resizing: true, args: { tlsCipherPolicy: "STRONG" }, ignore: [] },
        { policy: "strong", resizing: true, args: { tlsCipherPolicy: "STRONG" }, ignore: [] },
        // An omitted policy resets to DEFAULT, which is what it is: no diff to add.
        { policy: "DEFAULT", resizing: true, args: {}, ignore: [] },
        { policy: undefined, resizing: true, args: {}, ignore: [] },
        // No resize: the state's value stays (the import run cannot declare what Read cannot see).
        { policy: "STRONG", resizing: false, args: {}, ignore: ["tlsCipherPolicy"] },
    ])("live $policy, resizing $resizing", ({ policy, resizing, args, ignore }) => {
        expect(providerBlindArgs({ tls_cipher_policy: policy }, resizing)).toEqual({
            args,
            ignoreChanges: ignore,
        });
    });
});

describe("certificates the provider finds by name", () => {
    const live = liveLoadBalancer("lb-1", [501]);
    live.forwardingRules[1] = {
        ...live.forwardingRules[1],
        entryProtocol: "https",
        certificateName: "shop-cert",
    };

    it("refuses a rule whose certificate name several certificates share, saying what to do", () => {
        expect(ambiguousCertificates(live, new Map([["shop-cert", 2]]))).toEqual([
            "load balancer lb-1: forwarding rule https 443 uses certificate \"shop-cert\", a name 2 certificates share; the DigitalOcean provider finds a rule's certificate by name on every update and could send another one: give the account's certificates unique names, then run again",
        ]);
    });

    it("passes a unique name and rules without a certificate", () => {
        expect(ambiguousCertificates(live, new Map([["shop-cert", 1]]))).toEqual([]);
    });
});

describe("drift of the cipher policy", () => {
    const report: DriftReport = {
        maskingServers: [],
        maskingServersChecked: 3,
        loadBalancer: [],
        loadBalancerDeleted: false,
        errors: [],
    };
    const refresh = (outputs: Record<string, unknown>): PreviewDigest =>
        ({
            steps: [
                {
                    op: "refresh",
                    urn: "urn:pulumi:s::proxy-lb::pulumi:pulumi:Stack::proxy-lb-s",
                    oldState: { outputs },
                },
                {
                    op: "refresh",
                    urn: "urn:pulumi:s::proxy-lb::digitalocean:index/loadBalancer:LoadBalancer::proxy-lb",
                    oldState: { id: "lb-1", outputs: {} },
                },
            ],
        }) as unknown as PreviewDigest;

    it("reads what the last up recorded", () => {
        expect(recordedCipherPolicy(refresh({ tlsCipherPolicy: "STRONG" }))).toEqual({
            id: "lb-1",
            policy: "STRONG",
        });
        expect(recordedCipherPolicy(refresh({}))).toBeUndefined();
    });

    it("names a change, and nothing when it is the same", () => {
        expect(withCipherPolicyDrift(report, "STRONG", "DEFAULT").loadBalancer).toEqual([
            { property: "tlsCipherPolicy", from: "STRONG", to: "DEFAULT" },
        ]);
        expect(withCipherPolicyDrift(report, "STRONG", "strong")).toBe(report);
        expect(withCipherPolicyDrift(report, "DEFAULT", undefined)).toBe(report);
    });
});
