// How a sizing and a node change are shown: table, JSON and pull-request markdown.
// Pure, and the one place these are worded, so every command shows a sizing the same way.
import Table from "cli-table3";
import type { Settings } from "../config";
import { lbNodeChange, type LoadBalancerChange } from "../ops/gate";
import type { Sizing } from "../sizing";
import {
    count,
    money,
    percent,
    plural,
    rate,
    signed,
    signedMoney,
    signedRate,
} from "../sizing/format";
import type { NodeChange } from "../sizing/nodeChange";
import type { UpdateInfo } from "../ops/pulumiJson";

export const BINDING_TEXT: Record<Sizing["binding"], string> = {
    connections: "simultaneous connections",
    newConnectionsPerSecond: "new connections per second",
    minimum: "capacity.minNodes",
};

export function sizingJson(stack: string, sizing: Sizing) {
    return {
        stack,
        region: sizing.region,
        sizeUnit: sizing.sizeUnit,
        binding: sizing.binding,
        peak: sizing.peak,
        planned: sizing.planned,
        capacity: sizing.capacity,
        utilization: sizing.utilization,
        cost: sizing.cost,
    };
}

export function sizingTable(stack: string, sizing: Sizing): string {
    const table = new Table({
        head: ["", "connections", "new connections/s"],
        colAligns: ["left", "right", "right"],
        style: { head: [], border: [] },
    });
    table.push(
        ["peak demand", count(sizing.peak.connections), count(sizing.peak.newConnectionsPerSecond)],
        [
            "planned (with headroom)",
            count(Math.ceil(sizing.planned.connections)),
            count(Math.ceil(sizing.planned.newConnectionsPerSecond)),
        ],
        [
            `capacity at ${plural(sizing.sizeUnit, "node")}`,
            count(sizing.capacity.connections),
            count(sizing.capacity.newConnectionsPerSecond),
        ],
        [
            "utilization at peak",
            percent(sizing.utilization.connections),
            percent(sizing.utilization.newConnectionsPerSecond),
        ],
    );
    return [
        `stack ${stack} (${sizing.region}): size_unit ${sizing.sizeUnit}, bound by ${BINDING_TEXT[sizing.binding]}`,
        table.toString(),
        `cost: ${rate(sizing.cost.hourly)}/hour, ${money(sizing.cost.monthly)}/month (${money(sizing.cost.perNodeMonthly)} per node per month)`,
    ].join("\n");
}

/**
 * One line: "size_unit 1 → 3 (+2 nodes, +$0.0357/hour, +$24.00/month)", or for an adoption
 * "load balancer adopted as it is at size_unit 3 (no change)".
 */
export function nodeChangeLine(change: NodeChange): string {
    if (change.adopted)
        return `load balancer adopted as it is at size_unit ${change.after.sizeUnit} (no change)`;
    const from = change.before ? String(change.before.sizeUnit) : "none";
    const nodes = signed(change.nodes, plural(Math.abs(change.nodes), "node"));
    const cost = `${signedRate(change.hourly)}/hour, ${signedMoney(change.monthly)}/month`;
    const window = change.window
        ? `; a ${change.window.hours}-hour drop window costs ${signedMoney(change.window.cost)}`
        : "";
    return `size_unit ${from} → ${change.after.sizeUnit} (${nodes}, ${cost})${window}`;
}

export function nodeChangeMarkdown(stack: string, base: string, change: NodeChange): string {
    const { before, after } = change;
    const cell = (s: Sizing | null, pick: (s: Sizing) => string) => (s ? pick(s) : "—");
    const rows: [string, (s: Sizing) => string][] = [
        ["load balancer nodes (size_unit)", (s) => String(s.sizeUnit)],
        ["bound by", (s) => BINDING_TEXT[s.binding]],
        ["peak connections", (s) => count(s.peak.connections)],
        ["peak new connections/s", (s) => count(s.peak.newConnectionsPerSecond)],
        ["capacity: connections", (s) => count(s.capacity.connections)],
        ["capacity: new connections/s", (s) => count(s.capacity.newConnectionsPerSecond)],
        ["utilization at peak", (s) => percent(s.utilization.peak)],
        ["cost per hour", (s) => rate(s.cost.hourly)],
        ["cost per month", (s) => money(s.cost.monthly)],
    ];
    return [
        `### proxy-lb: \`${stack}\` load balancer`,
        "",
        `**${nodeChangeLine(change)}**`,
        "",
        `| | before (\`${base}\`) | after (this change) |`,
        "|---|---:|---:|",
        ...rows.map(
            ([label, pick]) => `| ${label} | ${cell(before, pick)} | ${cell(after, pick)} |`,
        ),
        "",
        "_Masking servers are never changed; the load balancer is resized in place and keeps its IP._",
    ].join("\n");
}

/** The gate's one line on the load balancer: its node change, "no change", or an adoption (and the resize that follows it). */
export function lbChangeLine(change: LoadBalancerChange | undefined, settings: Settings): string {
    if (change?.to === undefined) return "load balancer: no change";
    if (change.from === change.to && !change.adopted) return `size_unit ${change.to} (no change)`;
    const line = nodeChangeLine(lbNodeChange({ ...change, to: change.to }, settings));
    return change.adopted && change.from !== undefined && change.from !== change.to
        ? `load balancer adopted at size_unit ${change.from}, then resized: ${line}`
        : line;
}

/** The longest update message shown: Pulumi records a commit's whole message, which can run long. */
const MESSAGE_WIDTH = 72;

/** A history entry in one line: version, start, the message's first line (shortened), the commit. */
export function updateLabel(version: number, entry: UpdateInfo): string {
    const commit = entry.environment?.["git.head"];
    const title = entry.message?.split("\n")[0].trim() ?? "";
    const shown = title.length > MESSAGE_WIDTH ? `${title.slice(0, MESSAGE_WIDTH - 1)}…` : title;
    return [
        `version ${version}`,
        entry.startTime,
        shown && JSON.stringify(shown),
        commit && `commit ${commit.slice(0, 12)}`,
    ]
        .filter(Boolean)
        .join(", ");
}

/**
 * When the live load balancer's size is not the state's (resized in the console): the gate's
 * "no change" or "3 → 4" is about the state, so say what is live, as drift does. Undefined when
 * they agree, or for a load balancer being created or adopted (the preview read it live).
 */
export function liveSizeLine(
    change: LoadBalancerChange | undefined,
    live: number,
): string | undefined {
    if (change?.from === undefined || change.adopted || change.from === live) return undefined;
    return `  the live load balancer has size_unit ${live}, not the state's ${change.from} (resized outside the program, e.g. in the console): \`npm run drift\` shows it; \`pulumi up --refresh\` sets it to ${change.to ?? change.from}`;
}
