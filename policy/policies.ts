// CrossGuard policies for the proxy-lb program.
//
// This module only *declares* the policies. `new PolicyPack(...)` lives in ./index.ts because
// constructing a PolicyPack starts the analyzer gRPC server; tests import this file instead.
//
// All checks are resource-level (`validateResource`), not stack-level: the engine calls the
// analyzer for each resource *before* its step runs, so a mandatory violation stops `pulumi up`
// before the droplet/LB is touched. `validateStack` only runs after every step has been applied,
// which is too late to protect anything. @pulumi/policy 1.21 passes the resource options
// (protect, ignoreChanges, ...) to resource-level validations as `args.opts`.

import * as digitalocean from "@pulumi/digitalocean";
import {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { FROZEN_DROPLET_INPUTS } from "../infra/maskingServers";
import { MAX_SIZE_UNIT } from "../sizing";

export const DROPLETS_PROTECTED_AND_FROZEN = "masking-droplets-protected-and-frozen";
export const LB_PROTECTED = "lb-protected";
export const LB_SIZE_UNIT_WITHIN_BOUNDS = "lb-size-unit-within-bounds";
export const LB_TCP_PASSTHROUGH_ONLY = "lb-forwarding-rules-tcp-passthrough-only";

export const POLICY_NAMES = [
    DROPLETS_PROTECTED_AND_FROZEN,
    LB_PROTECTED,
    LB_SIZE_UNIT_WITHIN_BOUNDS,
    LB_TCP_PASSTHROUGH_ONLY,
] as const;

/** Upper bound for `maxNodes`: DigitalOcean's size_unit limit, as sizing/ defines it. */
export const MAX_NODES_LIMIT = MAX_SIZE_UNIT;

/** Policy config of LB_SIZE_UNIT_WITHIN_BOUNDS, as delivered by `args.getConfig()`. */
export interface SizeUnitPolicyConfig {
    maxNodes?: number;
}

function describe(args: ResourceValidationArgs): string {
    return `"${args.name}" (${args.urn})`;
}

/**
 * The bound for sizeUnit. The CLI fills in the schema default (200) and rejects config that does
 * not match the schema before any validation runs, so `undefined` only happens when a validation
 * is called without the engine. A value outside the schema can then only come from a direct call;
 * throw instead of silently falling back, so a bad bound never weakens the check (the engine turns
 * a thrown error into a failed preview/update).
 */
export function resolveMaxNodes(config: SizeUnitPolicyConfig): number {
    const v = config.maxNodes;
    if (v === undefined) {
        return MAX_NODES_LIMIT;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_NODES_LIMIT) {
        throw new Error(
            `${LB_SIZE_UNIT_WITHIN_BOUNDS}: policy config maxNodes must be an integer in [1, ${MAX_NODES_LIMIT}], got ${JSON.stringify(v)}`,
        );
    }
    return v;
}

// 1. Masking droplets must never be modified: protect blocks delete/replace, ignoreChanges on
//    every input (["*"], or the program's list, which leaves out only a deprecated computed
//    flag) makes the engine reuse the old inputs so no update is ever sent. Only options are checked:
//    with ignoreChanges ["*"] the props the analyzer receives are the *old* inputs anyway.
//    retainOnDelete (also set by the program) is not exposed to policies in @pulumi/policy 1.21.
const dropletsProtectedAndFrozen: ResourceValidationPolicy = {
    name: DROPLETS_PROTECTED_AND_FROZEN,
    description:
        "Masking droplets must be protected and ignore changes to every input: modifying them breaks the proxy masking service.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: validateResourceOfType(
        digitalocean.Droplet,
        (_props, args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const what = `Masking droplet ${describe(args)}`;
            if (args.opts.protect !== true) {
                reportViolation(
                    `${what} is not protected: set protect: true so it can never be deleted or replaced.`,
                );
            }
            const ignoreChanges = args.opts.ignoreChanges ?? [];
            const unfrozen = FROZEN_DROPLET_INPUTS.filter(
                (input) => !ignoreChanges.includes(input),
            );
            if (ignoreChanges.length === 0) {
                reportViolation(
                    `${what} has no ignoreChanges: freeze every input (MASKING_SERVER_OPTIONS) so Pulumi never updates it.`,
                );
            } else if (!ignoreChanges.includes("*") && unfrozen.length) {
                reportViolation(
                    `${what} has ignoreChanges ${JSON.stringify(ignoreChanges)}, which leaves ${unfrozen.join(", ")} free: ` +
                        `freeze every input (MASKING_SERVER_OPTIONS) so Pulumi never updates it.`,
                );
            }
        },
    ),
};

// 2. A replaced or deleted LB gets a new public IP, which breaks every user.
const lbProtected: ResourceValidationPolicy = {
    name: LB_PROTECTED,
    description:
        "The load balancer must be protected: replacing or deleting it changes its public IP.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: validateResourceOfType(
        digitalocean.LoadBalancer,
        (_props, args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            if (args.opts.protect !== true) {
                reportViolation(
                    `Load balancer ${describe(args)} is not protected: set protect: true; ` +
                        `replacing or deleting it changes its public IP and breaks every user.`,
                );
            }
        },
    ),
};

// 3. sizeUnit is the number of LB nodes (cost and capacity); keep it in [1, maxNodes].
const lbSizeUnitWithinBounds: ResourceValidationPolicy = {
    name: LB_SIZE_UNIT_WITHIN_BOUNDS,
    description: "The load balancer's sizeUnit must be an integer in [1, maxNodes].",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            maxNodes: {
                type: "integer",
                default: MAX_NODES_LIMIT,
                minimum: 1,
                maximum: MAX_NODES_LIMIT,
                description: `Largest allowed sizeUnit (1-${MAX_NODES_LIMIT}).`,
            },
        },
    },
    validateResource: validateResourceOfType(
        digitalocean.LoadBalancer,
        (lb, args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const maxNodes = resolveMaxNodes(args.getConfig<SizeUnitPolicyConfig>());
            const what = `Load balancer ${describe(args)}`;
            const sizeUnit: unknown = lb.sizeUnit;
            if (sizeUnit === undefined || sizeUnit === null) {
                // Without sizeUnit the LB falls back to the legacy `size` slug, outside this bound.
                reportViolation(
                    `${what} has no sizeUnit: set sizeUnit to an integer in [1, ${maxNodes}].`,
                );
            } else if (typeof sizeUnit !== "number" || !Number.isInteger(sizeUnit)) {
                reportViolation(
                    `${what} has sizeUnit ${JSON.stringify(sizeUnit)}, which is not an integer in [1, ${maxNodes}].`,
                );
            } else if (sizeUnit < 1) {
                reportViolation(`${what} has sizeUnit ${sizeUnit}, below the minimum of 1.`);
            } else if (sizeUnit > maxNodes) {
                reportViolation(`${what} has sizeUnit ${sizeUnit}, above maxNodes ${maxNodes}.`);
            }
        },
    ),
};

// 4. The proxy relies on plain TCP passthrough: TLS termination at the LB (https/http2 + cert)
//    or other protocols would change what clients see.
const lbTcpPassthroughOnly: ResourceValidationPolicy = {
    name: LB_TCP_PASSTHROUGH_ONLY,
    description:
        'Every load balancer forwarding rule must be TCP passthrough: entryProtocol and targetProtocol "tcp", no certificate.',
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateResourceOfType(
        digitalocean.LoadBalancer,
        (lb, args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            (lb.forwardingRules ?? []).forEach((rule, i) => {
                const problems: string[] = [];
                if (rule.entryProtocol !== "tcp") {
                    problems.push(
                        `entryProtocol is ${JSON.stringify(rule.entryProtocol)} (must be "tcp")`,
                    );
                }
                if (rule.targetProtocol !== "tcp") {
                    problems.push(
                        `targetProtocol is ${JSON.stringify(rule.targetProtocol)} (must be "tcp")`,
                    );
                }
                if (rule.certificateName) {
                    problems.push(
                        `certificateName ${JSON.stringify(rule.certificateName)} is set (must be empty)`,
                    );
                }
                if (rule.certificateId) {
                    problems.push(
                        `certificateId ${JSON.stringify(rule.certificateId)} is set (must be empty)`,
                    );
                }
                if (problems.length > 0) {
                    reportViolation(
                        `Load balancer ${describe(args)} forwardingRules[${i}] ` +
                            `(entry ${rule.entryProtocol}:${rule.entryPort} -> target ${rule.targetProtocol}:${rule.targetPort}) ` +
                            `is not TCP passthrough: ${problems.join("; ")}.`,
                    );
                }
            });
        },
    ),
};

export const policies: ResourceValidationPolicy[] = [
    dropletsProtectedAndFrozen,
    lbProtected,
    lbSizeUnitWithinBounds,
    lbTcpPassthroughOnly,
];
