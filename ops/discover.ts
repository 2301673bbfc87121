// `npm run discover`: from the load balancers of a DigitalOcean account to a stack file that
// adopts one of them as it is, so that the first `pulumi up` only imports. Pure: the listing's
// shape, which load balancers can be adopted and why not, the baseline demand that sizes to the
// live node count exactly, the stack file's text, and the verdict on its preview.
import { parse, stringify } from "yaml";
import { capacitySchema, loadSettings, NAMESPACE, type StackConfig } from "../config";
import { liveNodes, type LiveLoadBalancer } from "../infra/loadBalancers";
import { DROPLET_TYPE, LOAD_BALANCER_TYPE } from "../infra/names";
import {
    LEGACY_SINGLE_NODE_REGIONS,
    SizingError,
    size,
    type Capacity,
    type Demand,
} from "../sizing";
import { plural } from "../sizing/format";
import { NO_WRITE_OPS } from "./gate";
import {
    changedProperties,
    stepName,
    stepType,
    type PreviewDigest,
    type PreviewStep,
} from "./pulumiJson";

// One shape for a listed load balancer, the same the live-size read uses.
export { liveNodes, parseListPage, type LiveLoadBalancer } from "../infra/loadBalancers";

/** The droplets it sends traffic to, as DigitalOcean holds them. */
export function targets(lb: LiveLoadBalancer): { ids: number[] } | { tag: string } | undefined {
    if (lb.tag) return { tag: lb.tag };
    if (lb.droplet_ids.length > 0) return { ids: [...lb.droplet_ids].sort((a, b) => a - b) };
    return undefined;
}

export interface ListingRow {
    name: string;
    id: string;
    region: string;
    nodes: string;
    targets: string;
    ip: string;
    type: string;
    /** Why it cannot be adopted; absent when it can. */
    refused?: string;
}

export function listingRow(lb: LiveLoadBalancer): ListingRow {
    const target = targets(lb);
    const nodes = liveNodes(lb);
    const refused = refusal(lb);
    return {
        name: lb.name,
        id: lb.id,
        region: lb.region?.slug ?? "-",
        nodes:
            nodes === undefined ? "-" : lb.size_unit ? String(nodes) : `${nodes} (size ${lb.size})`,
        targets: !target
            ? "none"
            : "tag" in target
              ? `tag ${target.tag}`
              : `ids ${target.ids.join(",")}`,
        ip: lb.ip || "-",
        type: lb.type,
        ...(refused ? { refused } : {}),
    };
}

// ---------------------------------------------------------------------------
// Which load balancer, and whether it can be adopted.

/** The load balancer `wanted` names (its id, or its name when that is unique). */
export function pickLoadBalancer(
    lbs: readonly LiveLoadBalancer[],
    wanted: string,
): { ok: true; lb: LiveLoadBalancer } | { ok: false; reason: string } {
    const byId = lbs.find((lb) => lb.id === wanted);
    if (byId) return { ok: true, lb: byId };
    const byName = lbs.filter((lb) => lb.name === wanted);
    if (byName.length === 1) return { ok: true, lb: byName[0] };
    if (byName.length > 1) {
        return {
            ok: false,
            reason: `${byName.length} load balancers are named ${wanted}: give one's id with --lb (${byName.map((lb) => lb.id).join(", ")})`,
        };
    }
    const known = lbs.map((lb) => lb.name);
    return {
        ok: false,
        reason: known.length
            ? `no load balancer has the name or id ${wanted}; the account has ${known.join(", ")}`
            : `no load balancer has the name or id ${wanted}: the account has no load balancer`,
    };
}

/** Why this load balancer cannot be resized by the program, if it cannot. */
export function refusal(lb: LiveLoadBalancer): string | undefined {
    if (lb.type === "GLOBAL")
        return "a GLOBAL load balancer cannot be scaled: DigitalOcean sizes only regional load balancers (size_unit)";
    const region = lb.region?.slug;
    if (region === undefined)
        return "it has no region: only a regional load balancer can be scaled";
    if (
        LEGACY_SINGLE_NODE_REGIONS.includes(region) ||
        lb.size_unit === undefined ||
        lb.size_unit < 1
    ) {
        return `it is in ${LEGACY_SINGLE_NODE_REGIONS.includes(region) ? "the legacy region " : ""}${region}, which sizes load balancers with \`size\` (${lb.size ?? "no size"}), not size_unit: it cannot scale past 1 node; recreate it in a current region to scale it`;
    }
    if (!targets(lb))
        return "it targets no droplets (neither droplet ids nor a tag): there are no masking servers to adopt";
    return undefined;
}

// ---------------------------------------------------------------------------
// The baseline demand: one that sizes to exactly the live node count with the stack's capacity
// settings, so the first `up` changes nothing. sizing/'s `size` is the judge of every candidate.

const sizedNodes = (
    connections: number,
    region: string,
    capacity: Capacity,
): number | undefined => {
    try {
        return size({
            region,
            demand: { users: 1, tasksPerUser: connections, connectionsPerTask: 1 },
            capacity,
        }).sizeUnit;
    } catch (err) {
        if (err instanceof SizingError) return undefined; // more than maxNodes
        throw err;
    }
};

/** Tasks per user the written demand prefers (the runbook's users run 2,000 tasks each). */
const TASKS_PER_USER = [2000, 1000, 500, 100, 10, 1];

/**
 * A demand (users × tasksPerUser connections) that sizes to exactly `nodes`, the roundest the
 * range allows; undefined when none does (e.g. minNodes above `nodes`, or capacity settings so
 * coarse that no whole number of connections lands on it).
 */
export function baselineDemand(
    nodes: number,
    region: string,
    capacity: Capacity,
): Pick<Demand, "users" | "tasksPerUser"> | undefined {
    if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > capacity.maxNodes) return undefined;
    const at = (connections: number) => sizedNodes(connections, region, capacity);
    // The most connections that still fit `nodes`: start from the float estimate, then let
    // size() settle it exactly (a few steps at most; bounded all the same).
    const perNode = Math.min(capacity.connectionsPerNode, capacity.newConnectionsPerSecondPerNode);
    let most = Math.max(0, Math.floor((nodes * perNode) / (1 + capacity.headroom)));
    for (let i = 0; i < 64 && most > 0 && (at(most) ?? Infinity) > nodes; i++) most--;
    for (let i = 0; i < 64 && (at(most + 1) ?? Infinity) <= nodes; i++) most++;
    for (const tasksPerUser of TASKS_PER_USER) {
        const users = Math.floor(most / tasksPerUser);
        if (at(users * tasksPerUser) === nodes) return { users, tasksPerUser };
    }
    return at(0) === nodes ? { users: 0, tasksPerUser: 0 } : undefined;
}

// ---------------------------------------------------------------------------
// The adoption: the stack's proxy-lb: config, checked by the config schema and sized as the
// program will size it.

export type Adoption =
    | {
          ok: true;
          entries: Record<string, unknown>;
          config: StackConfig;
          nodes: number;
          demand: Pick<Demand, "users" | "tasksPerUser">;
      }
    | { ok: false; reason: string };

/**
 * The config that adopts `lb` as it is: its id, region and targets; no forwarding or health
 * check (the program keeps the live ones); a baseline demand that sizes to its live nodes.
 * `capacity` is the stack's (an existing stack file's proxy-lb:capacity), else the defaults.
 */
export function adoption(lb: LiveLoadBalancer, capacityInput: unknown = {}): Adoption {
    const why = refusal(lb);
    if (why)
        return {
            ok: false,
            reason: `load balancer ${lb.name} (${lb.id}) cannot be adopted: ${why}`,
        };
    const capacityParse = capacitySchema.safeParse(capacityInput ?? {});
    if (!capacityParse.success)
        return {
            ok: false,
            reason: `${NAMESPACE}:capacity of the existing stack file is invalid: ${capacityParse.error.issues[0].message}`,
        };
    const capacity = capacityParse.data;
    const region = lb.region!.slug;
    const nodes = lb.size_unit!;
    const demand = baselineDemand(nodes, region, capacity);
    if (!demand) {
        return {
            ok: false,
            reason: `no baseline demand sizes to exactly the live ${plural(nodes, "node")} of ${lb.name} with ${NAMESPACE}:capacity ${JSON.stringify(capacityInput ?? {})} (minNodes ${capacity.minNodes}, maxNodes ${capacity.maxNodes}): change the capacity settings so that ${nodes} is reachable`,
        };
    }
    const target = targets(lb)!;
    const entries: Record<string, unknown> = {
        [`${NAMESPACE}:region`]: region,
        [`${NAMESPACE}:loadBalancer`]: { name: lb.name, id: lb.id },
        [`${NAMESPACE}:maskingServers`]: target,
        [`${NAMESPACE}:demand`]: demand,
        ...(capacityInput && Object.keys(capacityInput).length
            ? { [`${NAMESPACE}:capacity`]: capacityInput }
            : {}),
    };
    // The program reads exactly this: refuse what it would refuse, before anything is written.
    let settings: ReturnType<typeof loadSettings>;
    try {
        settings = loadSettings(entries);
    } catch (err) {
        const problems = (err as { problems?: string[] }).problems ?? [(err as Error).message];
        return {
            ok: false,
            reason: `load balancer ${lb.name} (${lb.id}) cannot be adopted as it is: ${problems.join("; ")}`,
        };
    }
    if (settings.sizing.sizeUnit !== nodes) {
        return {
            ok: false,
            reason: `internal: the baseline sizes to ${settings.sizing.sizeUnit} nodes, not the live ${nodes}`,
        };
    }
    return { ok: true, entries, config: settings.config, nodes, demand };
}

// ---------------------------------------------------------------------------
// The stack file: commented like Pulumi.drop.yaml, so an operator can read and change it.

const group = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Keys of an existing stack file kept when it is rewritten (--force): all but the proxy-lb: ones discover writes. */
export interface KeptFromExisting {
    /** Top-level keys other than config (encryptionsalt, secretsprovider, …). */
    topLevel: Record<string, unknown>;
    /** config keys outside proxy-lb: (digitalocean:token as a secret, digitalocean:apiEndpoint, …). */
    otherConfig: Record<string, unknown>;
}

/**
 * What of an existing stack file's text survives discover rewriting it: its top-level keys
 * (Pulumi's encryptionsalt…), its config outside proxy-lb: (an encrypted digitalocean:token,
 * digitalocean:apiEndpoint) and its proxy-lb:capacity (the stack's capacity settings). Read
 * leniently: a file discover replaces may be one the config check would refuse.
 */
export function keptFrom(text: string | undefined): KeptFromExisting & { capacity?: unknown } {
    let root: unknown;
    try {
        root = text === undefined ? undefined : parse(text);
    } catch {
        root = undefined;
    }
    if (!isRecord(root)) return { topLevel: {}, otherConfig: {} };
    const { config, ...topLevel } = root;
    const entries = isRecord(config) ? Object.entries(config) : [];
    const capacity = isRecord(config) ? config[`${NAMESPACE}:capacity`] : undefined;
    return {
        topLevel,
        otherConfig: Object.fromEntries(
            entries.filter(([key]) => !key.startsWith(`${NAMESPACE}:`)),
        ),
        ...(capacity !== undefined && capacity !== null ? { capacity } : {}),
    };
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stackFileText(
    stack: string,
    lb: LiveLoadBalancer,
    plan: Extract<Adoption, { ok: true }>,
    kept: KeptFromExisting = { topLevel: {}, otherConfig: {} },
): string {
    const { config, demand, nodes } = plan;
    const sized = size({
        region: config.region,
        demand: { ...demand, connectionsPerTask: 1 },
        capacity: config.capacity,
    });
    const headroom = `${Number((config.capacity.headroom * 100).toPrecision(12))}%`;
    const target = config.maskingServers;
    const rules = lb.forwarding_rules.map(
        (r) => `${r.entry_protocol} ${r.entry_port} → ${r.target_protocol} ${r.target_port}`,
    );
    const health = lb.health_check ? `${lb.health_check.protocol} ${lb.health_check.port}` : "none";
    const yamlBlock = (value: Record<string, unknown>, indent: string) =>
        stringify(value)
            .trimEnd()
            .split("\n")
            .map((line) => `${indent}${line}`);
    const lines = [
        `# Stack ${stack}, written by \`npm run discover\`: adopts load balancer ${lb.name} as it is,`,
        `# so the first \`pulumi up --stack ${stack}\` only imports it and its masking servers (discover`,
        "# previewed it: no write). Then change `demand` (or add drops) to resize it.",
        "#",
        "# Credentials are never written here: give the DigitalOcean token in the environment as",
        `# DIGITALOCEAN_TOKEN, or as an encrypted secret: pulumi config set --secret digitalocean:token --stack ${stack}`,
        ...(Object.keys(kept.topLevel).length ? yamlBlock(kept.topLevel, "") : []),
        "config:",
        `  ${NAMESPACE}:region: ${config.region}`,
        `  ${NAMESPACE}:loadBalancer:`,
        `    name: ${config.loadBalancer.name}`,
        ...comment(
            `Adopted by id: it keeps its IP (${lb.ip || "none yet"}), its forwarding rules (${rules.join(", ") || "none"}) and its health check (${health}) as they are live; the program manages only its size and its targets. No forwarding or healthCheck here: given, they must match the live ones.`,
            "    ",
        ),
        `    id: ${config.loadBalancer.id}`,
        "  # The masking droplets, as the load balancer targets them: imported read-only, never modified.",
        `  ${NAMESPACE}:maskingServers:`,
        ...("tag" in target && target.tag !== undefined
            ? [`    tag: ${target.tag}`]
            : [`    ids: [${(target.ids ?? []).join(", ")}]`]),
        `  ${NAMESPACE}:demand:`,
        ...comment(
            `The baseline between drops, chosen to size to the live ${plural(nodes, "node")}: ${demandStory(demand, sized, headroom)}.`,
            "    ",
        ),
        `    users: ${demand.users}`,
        `    tasksPerUser: ${demand.tasksPerUser}`,
        ...(config.capacity && plan.entries[`${NAMESPACE}:capacity`] !== undefined
            ? [
                  "  # Kept from the stack file this one replaced.",
                  ...yamlBlock(
                      { [`${NAMESPACE}:capacity`]: plan.entries[`${NAMESPACE}:capacity`] },
                      "  ",
                  ),
              ]
            : [
                  "  # Optional, with the defaults shown (the baseline above was sized with them):",
                  `  # ${NAMESPACE}:capacity:`,
                  `  #   connectionsPerNode: ${config.capacity.connectionsPerNode}`,
                  `  #   newConnectionsPerSecondPerNode: ${config.capacity.newConnectionsPerSecondPerNode}`,
                  `  #   headroom: ${config.capacity.headroom}`,
                  `  #   minNodes: ${config.capacity.minNodes}`,
                  `  #   maxNodes: ${config.capacity.maxNodes}`,
                  `  #   pricePerNodeMonthly: ${config.capacity.pricePerNodeMonthly}`,
              ]),
        "  # The drop calendar: see Pulumi.drop.yaml for an example (proxy-lb:drops, proxy-lb:leadMinutes).",
        ...(Object.keys(kept.otherConfig).length
            ? [
                  "  # Kept from the stack file this one replaced.",
                  ...yamlBlock(kept.otherConfig, "  "),
              ]
            : []),
    ];
    return `${lines.join("\n")}\n`;
}

/** `text` as comment lines of at most 100 characters, at `indent`. */
function comment(text: string, indent: string): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(" ")) {
        if (line && `${indent}# ${line} ${word}`.length > 100) {
            lines.push(`${indent}# ${line}`);
            line = word;
        } else line = line ? `${line} ${word}` : word;
    }
    return [...lines, `${indent}# ${line}`];
}

function demandStory(
    demand: Pick<Demand, "users" | "tasksPerUser">,
    sized: ReturnType<typeof size>,
    headroom: string,
): string {
    if (sized.binding === "minimum")
        return `no demand; proxy-lb:capacity.minNodes is ${sized.sizeUnit}`;
    const peak = `${group(demand.users)} users × ${group(demand.tasksPerUser)} tasks = ${group(sized.peak.connections)} connections`;
    return `${peak}; with ${headroom} headroom that plans for ${group(sized.planned.connections)} -> ${plural(sized.sizeUnit, "node")}`;
}

// ---------------------------------------------------------------------------
// The preview of the written stack: only imports (and sames) may show.

const STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/**
 * One line per step of `pulumi preview --json --show-sames` that is not an import, a same or a
 * read (the stack and its default provider are created on a first run: no infrastructure), and
 * per error. Empty: the first `up` only imports. Also checks that the load balancer is among the
 * imports at its live size.
 */
export function unexpectedSteps(
    preview: PreviewDigest,
    lb: { id: string; nodes: number },
): string[] {
    const problems: string[] = [];
    const steps = preview.steps ?? [];
    for (const step of steps) {
        const type = stepType(step);
        if (
            (type === STACK_TYPE || type.startsWith(PROVIDER_TYPE_PREFIX)) &&
            (step.op === "create" || NO_WRITE_OPS.has(step.op))
        )
            continue;
        if (NO_WRITE_OPS.has(step.op)) continue;
        problems.push(describeStep(step));
    }
    const lbSteps = steps.filter((s) => stepType(s) === LOAD_BALANCER_TYPE);
    const imported = lbSteps.find((s) => s.op === "import" || s.op === "same");
    if (!imported)
        problems.push(
            `the load balancer ${lb.id} is not imported by the preview: the stack's state no longer matches it (it holds another load balancer, or this one changed); adopt it into a new stack (npm run discover -- --stack <new name> --lb ${lb.id}), or see what the state holds with \`npm run drift\` on this stack`,
        );
    else {
        const sizeUnit =
            imported.newState?.inputs?.sizeUnit ?? imported.newState?.outputs?.sizeUnit;
        if (sizeUnit !== undefined && sizeUnit !== lb.nodes)
            problems.push(
                `the load balancer would be sized ${String(sizeUnit)}, not its live ${lb.nodes}`,
            );
    }
    for (const d of preview.diagnostics ?? []) {
        if (d.severity === "error")
            problems.push(
                `error: ${
                    (d.message ?? "")
                        .replace(/^\s*error:\s*/, "")
                        .trim()
                        .split("\n")[0]
                }`,
            );
    }
    return problems;
}

function describeStep(step: PreviewStep): string {
    const type = stepType(step);
    const what =
        type === LOAD_BALANCER_TYPE
            ? "the load balancer"
            : type === DROPLET_TYPE
              ? "masking server"
              : type;
    const properties = changedProperties(step);
    return `${what} ${stepName(step)}: ${step.op}${properties.length ? ` (${properties.join(", ")})` : ""}`;
}
