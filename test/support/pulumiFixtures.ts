// Builders of Pulumi CLI JSON shaped exactly as Pulumi 3.248.0 prints it, for the gate,
// rollback and drift tests (and for reproducing a case by hand). Field names and casing come
// from the Go json tags cited next to each builder (Go module cache,
// github.com/pulumi/pulumi/{pkg,sdk}/v3@v3.248.0). Values are what this program and the
// DigitalOcean provider (Terraform bridge) put there: camelCase property names, `__defaults`
// in inputs, `__meta` in outputs, ids as strings.
import type {
    ConfigValue,
    PreviewDiagnostic,
    PreviewDigest,
    PreviewStep,
    PropertyDiff,
    ResourceV3,
    StepOp,
    UpdateInfo,
} from "../../ops/pulumiJson";

export const STACK = "drop";
export const PROJECT = "proxy-lb";
export const LB_ID = "6d4b9d3e-2f0a-4c1e-9b7a-3f5e8c2a1d40";
export const DROPLET_IDS = [501000101, 501000102, 501000103] as const;

/** urn.New, sdk/go/common/resource/urn/urn.go: urn:pulumi:<stack>::<project>::<type>::<name>. */
export function urn(type: string, name: string): string {
    return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

export const TYPES = {
    stack: "pulumi:pulumi:Stack",
    provider: "pulumi:providers:digitalocean",
    loadBalancer: "digitalocean:index/loadBalancer:LoadBalancer",
    droplet: "digitalocean:index/droplet:Droplet",
} as const;

const PROVIDER_REF = `${urn(TYPES.provider, "default_4_57_0")}::4f3c5a3e-4d3b-4c1c-9b55-2f9f2a6d8e11`;

/**
 * apitype.ResourceV3 (sdk/go/common/apitype/core.go), as stack.SerializeResource
 * (pkg/resource/stack/deployment.go) fills it for the digest (pkg/backend/display/json.go
 * stateForJSONOutput): omitempty fields are left out when empty, `custom` and `type` always there.
 */
export function resourceState(
    type: string,
    name: string,
    fields: Partial<ResourceV3> = {},
): ResourceV3 {
    const custom = type !== TYPES.stack;
    return {
        urn: urn(type, name),
        custom,
        type,
        ...(custom && !type.startsWith("pulumi:providers:") ? { provider: PROVIDER_REF } : {}),
        ...fields,
    };
}

// --- the load balancer, as index.ts declares it ------------------------------------------

/** LoadBalancer inputs after the provider's Check (index.ts's args, plus the bridge's __defaults). */
export function lbInputs(
    sizeUnit: number,
    patch: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        __defaults: [],
        dropletIds: [...DROPLET_IDS],
        forwardingRules: [
            {
                __defaults: [],
                entryPort: 8080,
                entryProtocol: "tcp",
                targetPort: 8080,
                targetProtocol: "tcp",
            },
        ],
        healthcheck: {
            __defaults: [
                "checkIntervalSeconds",
                "healthyThreshold",
                "responseTimeoutSeconds",
                "unhealthyThreshold",
            ],
            port: 8080,
            protocol: "tcp",
        },
        name: "proxy-lb",
        region: "nyc3",
        sizeUnit,
        type: "REGIONAL",
        ...patch,
    };
}

/** LoadBalancer outputs (the provider's state after Read/Update). */
export function lbOutputs(
    sizeUnit: number,
    patch: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        __meta: '{"schema_version":"1"}',
        algorithm: "round_robin",
        disableLetsEncryptDnsRecords: false,
        dropletIds: [...DROPLET_IDS],
        dropletTag: "",
        enableBackendKeepalive: false,
        enableProxyProtocol: false,
        forwardingRules: [
            {
                certificateId: "",
                certificateName: "",
                entryPort: 8080,
                entryProtocol: "tcp",
                targetPort: 8080,
                targetProtocol: "tcp",
                tlsPassthrough: false,
            },
        ],
        healthcheck: {
            checkIntervalSeconds: 10,
            healthyThreshold: 5,
            path: "",
            port: 8080,
            protocol: "tcp",
            responseTimeoutSeconds: 5,
            unhealthyThreshold: 3,
        },
        httpIdleTimeoutSeconds: 60,
        id: LB_ID,
        ip: "203.0.113.10",
        loadBalancerUrn: `do:loadbalancer:${LB_ID}`,
        name: "proxy-lb",
        region: "nyc3",
        size: "",
        sizeUnit,
        status: "active",
        type: "REGIONAL",
        vpcUuid: "c7a1f0f2-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        ...patch,
    };
}

/** The load balancer's state in the stack (protect: true; adopted with import, so importID). */
export function lbState(
    sizeUnit: number,
    opts: {
        name?: string;
        inputs?: Record<string, unknown>;
        outputs?: Record<string, unknown>;
    } = {},
): ResourceV3 {
    return resourceState(TYPES.loadBalancer, opts.name ?? "proxy-lb", {
        id: LB_ID,
        inputs: lbInputs(sizeUnit, opts.inputs),
        outputs: lbOutputs(sizeUnit, opts.outputs),
        protect: true,
        importID: LB_ID,
    });
}

/** The load balancer the program asks for: a preview's newState has inputs and no outputs yet. */
export function lbGoal(
    sizeUnit: number,
    opts: { name?: string; inputs?: Record<string, unknown>; protect?: boolean } = {},
): ResourceV3 {
    return resourceState(TYPES.loadBalancer, opts.name ?? "proxy-lb", {
        id: LB_ID,
        inputs: lbInputs(sizeUnit, opts.inputs),
        ...(opts.protect === false ? {} : { protect: true }),
        importID: LB_ID,
    });
}

// --- a masking droplet, as infra/maskingServers.ts imports it ------------------------------

export function dropletOutputs(
    id: number,
    patch: Record<string, unknown> = {},
): Record<string, unknown> {
    const n = DROPLET_IDS.indexOf(id as (typeof DROPLET_IDS)[number]) + 1;
    return {
        __meta: '{"e2bfb730-ecaa-11e6-8f88-34363bc7c4c0":{"create":3600000000000,"delete":3600000000000,"update":3600000000000},"schema_version":"1"}',
        backups: false,
        createdAt: "2026-05-02T09:14:07Z",
        disk: 25,
        dropletUrn: `do:droplet:${id}`,
        gracefulShutdown: false,
        id: String(id),
        image: "ubuntu-22-04-x64",
        ipv4Address: `198.51.100.${10 + n}`,
        ipv4AddressPrivate: `10.108.0.${1 + n}`,
        ipv6: false,
        ipv6Address: "",
        locked: false,
        memory: 1024,
        monitoring: true,
        name: `mask-nyc3-0${n}`,
        priceHourly: 0.00893,
        priceMonthly: 6,
        privateNetworking: true,
        region: "nyc3",
        resizeDisk: true,
        size: "s-1vcpu-1gb",
        status: "active",
        tags: ["masking"],
        urn: `do:droplet:${id}`,
        vcpus: 1,
        volumeIds: [],
        vpcUuid: "c7a1f0f2-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        ...patch,
    };
}

export function dropletInputs(id: number): Record<string, unknown> {
    const o = dropletOutputs(id);
    return {
        __defaults: [],
        backups: o.backups,
        image: o.image,
        ipv6: o.ipv6,
        monitoring: o.monitoring,
        name: o.name,
        region: o.region,
        size: o.size,
        tags: o.tags,
        volumeIds: o.volumeIds,
        vpcUuid: o.vpcUuid,
    };
}

/** A masking droplet's state: protect, retainOnDelete, ignoreChanges ["*"], imported by id. */
export function dropletState(
    id: number,
    opts: { outputs?: Record<string, unknown>; options?: Partial<ResourceV3> } = {},
): ResourceV3 {
    return resourceState(TYPES.droplet, `masking-server-${id}`, {
        id: String(id),
        inputs: dropletInputs(id),
        outputs: dropletOutputs(id, opts.outputs),
        protect: true,
        importID: String(id),
        retainOnDelete: true,
        ignoreChanges: ["*"],
        ...opts.options,
    });
}

// --- steps and digests ----------------------------------------------------------------------

/** display.PreviewStep (pkg/display/json.go); detailedDiff has no omitempty, so `null` when absent. */
export function step(
    op: StepOp,
    state: { old?: ResourceV3; new?: ResourceV3 },
    diff: {
        diffReasons?: string[];
        replaceReasons?: string[];
        detailedDiff?: Record<string, PropertyDiff> | null;
    } = {},
): PreviewStep {
    const resource = state.new ?? state.old;
    if (!resource) throw new Error("a step needs an old or a new state");
    return {
        op,
        urn: resource.urn,
        ...(resource.provider ? { provider: resource.provider } : {}),
        ...(state.old ? { oldState: state.old } : {}),
        ...(state.new ? { newState: state.new } : {}),
        ...(diff.diffReasons?.length ? { diffReasons: diff.diffReasons } : {}),
        ...(diff.replaceReasons?.length ? { replaceReasons: diff.replaceReasons } : {}),
        detailedDiff: diff.detailedDiff ?? null,
    };
}

/** A detailedDiff entry (display.PropertyDiff; kind is plugin.DiffKind.String()). */
export function changed(kind: PropertyDiff["kind"] = "update", inputDiff = false): PropertyDiff {
    return { kind, inputDiff };
}

/** An "update" step with a detailedDiff and the diffReasons the engine derives from it. */
export function updateStep(
    old: ResourceV3,
    next: ResourceV3,
    paths: string[],
    kind: PropertyDiff["kind"] = "update",
): PreviewStep {
    const detailedDiff = Object.fromEntries(paths.map((p) => [p, changed(kind)]));
    const top = [...new Set(paths.map((p) => p.split(/[.[]/)[0]))];
    const replacing = kind.endsWith("-replace") ? top : [];
    return step(
        kind.endsWith("-replace") ? "replace" : "update",
        { old, new: next },
        { diffReasons: top, replaceReasons: replacing, detailedDiff },
    );
}

export function sameStep(state: ResourceV3): PreviewStep {
    return step("same", { old: state, new: state });
}

/** The stack and default provider steps every preview of this stack has (shown with --show-sames). */
export function baseSteps(): PreviewStep[] {
    const stack = resourceState(TYPES.stack, `${PROJECT}-${STACK}`);
    const provider = resourceState(TYPES.provider, "default_4_57_0", {
        id: "4f3c5a3e-4d3b-4c1c-9b55-2f9f2a6d8e11",
        inputs: { __internal: { pluginDownloadURL: "" }, version: "4.57.0" },
        outputs: { version: "4.57.0" },
    });
    return [sameStep(stack), sameStep(provider)];
}

export function dropletSames(): PreviewStep[] {
    return DROPLET_IDS.map((id) => sameStep(dropletState(id)));
}

/** display.PreviewDiagnostic as ShowPreviewDigest records it: message = prefix + text (uncolored). */
export function diagnostic(
    severity: PreviewDiagnostic["severity"],
    text: string,
    onUrn?: string,
): PreviewDiagnostic {
    const prefix = severity === "error" || severity === "warning" ? `${severity}: ` : "";
    return { ...(onUrn ? { urn: onUrn } : {}), message: `${prefix}${text}\n`, severity };
}

/**
 * display.PreviewDigest (pkg/display/json.go): config from the prelude (objects as JSON text,
 * secrets "[secret]"), changeSummary counted per op, duration in nanoseconds.
 */
export function digest(steps: PreviewStep[], diagnostics: PreviewDiagnostic[] = []): PreviewDigest {
    const changeSummary: Record<string, number> = {};
    for (const s of steps) changeSummary[s.op] = (changeSummary[s.op] ?? 0) + 1;
    return {
        config: {
            "digitalocean:token": "[secret]",
            "proxy-lb:demand": '{"tasksPerUser":2000,"users":12}',
            "proxy-lb:loadBalancer": `{"forwarding":[{"port":8080}],"healthCheck":{"port":8080},"id":"${LB_ID}","name":"proxy-lb"}`,
            "proxy-lb:maskingServers": `{"ids":[${DROPLET_IDS.join(",")}]}`,
            "proxy-lb:region": "nyc3",
        },
        steps,
        ...(diagnostics.length ? { diagnostics } : {}),
        duration: 4_812_345_678,
        changeSummary,
    };
}

// --- stack history --------------------------------------------------------------------------

export interface HistoryConfig {
    region?: string;
    loadBalancer?: Record<string, unknown>;
    maskingServers?: Record<string, unknown>;
    demand?: Record<string, unknown>;
    capacity?: Record<string, unknown>;
}

export const BASE_CONFIG: Required<Omit<HistoryConfig, "capacity">> = {
    region: "nyc3",
    loadBalancer: {
        forwarding: [{ port: 8080 }],
        healthCheck: { port: 8080 },
        id: LB_ID,
        name: "proxy-lb",
    },
    maskingServers: { ids: [...DROPLET_IDS] },
    demand: { tasksPerUser: 2000, users: 1 },
};

/** Demand for a given number of nodes at the default capacity (2,000 connections a user, 25% headroom). */
export function demandFor(nodes: number): Record<string, unknown> {
    return { tasksPerUser: 2000, users: nodes * 4 };
}

/**
 * configValueJSON (pkg/cmd/pulumi/stack/stack_history.go): `value` is the text Pulumi stores,
 * objects also get `objectValue` (json.Unmarshal of that text, so Go's sorted keys), secrets
 * have no value without --show-secrets.
 */
export function configValue(value: unknown): ConfigValue {
    if (typeof value === "object" && value !== null) {
        return {
            value: JSON.stringify(sortKeys(value)),
            objectValue: sortKeys(value),
            secret: false,
        };
    }
    return { value: String(value), secret: false };
}

/**
 * updateInfoJSON (pkg/cmd/pulumi/stack/stack_history.go). `config` is the update's whole
 * config: the stack file's keys, the project defaults from Pulumi.yaml (capacity: {}) and
 * other namespaces such as the secret digitalocean:token.
 */
export function historyEntry(
    version: number,
    config: HistoryConfig,
    opts: {
        kind?: string;
        result?: string;
        message?: string;
        minute?: number;
        secretKeys?: string[];
    } = {},
): UpdateInfo {
    const start = new Date(Date.UTC(2026, 5, 1, 10, opts.minute ?? version * 5));
    const merged: HistoryConfig = { ...BASE_CONFIG, capacity: {}, ...config };
    const entries: Record<string, ConfigValue> = { "digitalocean:token": { secret: true } };
    for (const [key, value] of Object.entries(merged)) {
        if (value === undefined) continue;
        entries[`proxy-lb:${key}`] = opts.secretKeys?.includes(key)
            ? { secret: true }
            : configValue(value);
    }
    const result = opts.result ?? "succeeded";
    const finished = result !== "in-progress";
    return {
        version,
        kind: opts.kind ?? "update",
        startTime: formatTime(start),
        message: opts.message ?? `update ${version}`,
        environment: {
            "exec.kind": "cli",
            "git.author": "ops",
            "git.dirty": "false",
            "git.head": `${String(version).padStart(2, "0")}a1b2c3d4e5f60718293a4b5c6d7e8f9012345`,
            "git.headName": "refs/heads/main",
        },
        config: entries,
        result,
        ...(finished
            ? {
                  endTime: formatTime(new Date(start.getTime() + 42_000)),
                  resourceChanges: { same: 5, update: 1 },
              }
            : {}),
    };
}

/** cmd.FormatTime (pkg/cmd/pulumi/cmd/time.go): RFC 5424 with milliseconds, UTC here. */
function formatTime(date: Date): string {
    return date.toISOString();
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
        Object.entries(value)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, v]) => [k, sortKeys(v)]),
    );
}

/** `pulumi stack history --json` lists newest first. */
export function historyJson(oldestFirst: UpdateInfo[]): UpdateInfo[] {
    return [...oldestFirst].reverse();
}

// --- refresh previews -----------------------------------------------------------------------
// pkg/backend/display/json.go ShowPreviewDigest: each resource's ResourcePreEvent adds a step
// with op "refresh" whose newState is the old state (RefreshStep.New() before Read); when
// Read finds a change (ResultOp update, with a detailedDiff) the step is replaced by an
// "update" with oldState = state and newState = what Read returned; when Read finds nothing,
// by a "delete" without newState. Unchanged resources keep the "refresh" step.

export function refreshStep(state: ResourceV3): PreviewStep {
    return step("refresh", { old: state, new: state });
}

/** A resource Read found changed: `paths` are the (inverted) detailedDiff keys. */
export function refreshedStep(
    old: ResourceV3,
    refreshed: ResourceV3,
    paths: string[],
): PreviewStep {
    return updateStep(old, refreshed, paths);
}

export function goneStep(old: ResourceV3): PreviewStep {
    return step("delete", { old });
}
