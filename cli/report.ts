// How a sizing and a node change are shown: table, JSON and pull-request markdown.
// Pure: plan, gate and rollback print through these so they always agree.
import Table from "cli-table3";
import type { Sizing } from "../sizing";

const count = new Intl.NumberFormat("en-US");
const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });

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
        ["peak demand", count.format(sizing.peak.connections), count.format(sizing.peak.newConnectionsPerSecond)],
        ["planned (with headroom)", count.format(Math.ceil(sizing.planned.connections)), count.format(Math.ceil(sizing.planned.newConnectionsPerSecond))],
        [`capacity at ${sizing.sizeUnit} node${sizing.sizeUnit === 1 ? "" : "s"}`, count.format(sizing.capacity.connections), count.format(sizing.capacity.newConnectionsPerSecond)],
        ["utilization at peak", percent.format(sizing.utilization.connections), percent.format(sizing.utilization.newConnectionsPerSecond)],
    );
    return [
        `stack ${stack} (${sizing.region}): size_unit ${sizing.sizeUnit}, bound by ${BINDING_TEXT[sizing.binding]}`,
        table.toString(),
        `cost: ${usd.format(sizing.cost.hourly)}/hour, ${usd.format(sizing.cost.monthly)}/month (${usd.format(sizing.cost.perNodeMonthly)} per node per month)`,
    ].join("\n");
}

export interface NodeChange {
    before: Sizing | null;
    after: Sizing;
    nodes: number;
    hourly: number;
    monthly: number;
    window?: { hours: number; cost: number };
}

export function nodeChange(before: Sizing | null, after: Sizing, hours?: number): NodeChange {
    const round = (n: number, digits: number) => Number(n.toFixed(digits));
    const hourly = round(after.cost.hourly - (before?.cost.hourly ?? 0), 6);
    return {
        before,
        after,
        nodes: after.sizeUnit - (before?.sizeUnit ?? 0),
        hourly,
        monthly: round(after.cost.monthly - (before?.cost.monthly ?? 0), 2),
        ...(hours === undefined ? {} : { window: { hours, cost: round(hourly * hours, 2) } }),
    };
}

/** One line: "size_unit 1 → 3 (+2 nodes, +$0.0357/hour, +$24.00/month)". */
export function nodeChangeLine(change: NodeChange): string {
    const from = change.before ? String(change.before.sizeUnit) : "none";
    const signed = (n: number, text: string) => `${n > 0 ? "+" : n < 0 ? "−" : "±"}${text}`;
    const nodes = signed(change.nodes, `${Math.abs(change.nodes)} node${Math.abs(change.nodes) === 1 ? "" : "s"}`);
    const money = `${signed(change.hourly, usd.format(Math.abs(change.hourly)))}/hour, ${signed(change.monthly, usd.format(Math.abs(change.monthly)))}/month`;
    const window = change.window ? `; a ${change.window.hours}-hour drop window costs ${signed(change.window.cost, usd.format(Math.abs(change.window.cost)))}` : "";
    return `size_unit ${from} → ${change.after.sizeUnit} (${nodes}, ${money})${window}`;
}

export function nodeChangeMarkdown(stack: string, base: string, change: NodeChange): string {
    const { before, after } = change;
    const cell = (s: Sizing | null, pick: (s: Sizing) => string) => (s ? pick(s) : "—");
    const rows: [string, (s: Sizing) => string][] = [
        ["load balancer nodes (size_unit)", (s) => String(s.sizeUnit)],
        ["bound by", (s) => BINDING_TEXT[s.binding]],
        ["peak connections", (s) => count.format(s.peak.connections)],
        ["peak new connections/s", (s) => count.format(s.peak.newConnectionsPerSecond)],
        ["capacity: connections", (s) => count.format(s.capacity.connections)],
        ["capacity: new connections/s", (s) => count.format(s.capacity.newConnectionsPerSecond)],
        ["utilization at peak", (s) => percent.format(s.utilization.peak)],
        ["cost per hour", (s) => usd.format(s.cost.hourly)],
        ["cost per month", (s) => usd.format(s.cost.monthly)],
    ];
    return [
        `### proxy-lb: \`${stack}\` load balancer`,
        "",
        `**${nodeChangeLine(change)}**`,
        "",
        `| | before (\`${base}\`) | after (this change) |`,
        "|---|---:|---:|",
        ...rows.map(([label, pick]) => `| ${label} | ${cell(before, pick)} | ${cell(after, pick)} |`),
        "",
        "_Masking servers are never changed; the load balancer is resized in place and keeps its IP._",
    ].join("\n");
}
