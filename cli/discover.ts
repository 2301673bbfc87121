// npm run discover -- --stack <name> [--lb <name|id>] [--force]
// From a DigitalOcean account to a stack: lists the account's load balancers, and with --lb
// writes Pulumi.<stack>.yaml adopting that one as it is, then runs the
// real preview and keeps the file only if the first `up` would do nothing but import. Reads only:
// it never writes to DigitalOcean (a read-only token is enough).
import { COMMAND_SCOPES } from "../config/scopes";
import { listingRow, type ListingRow, type LiveLoadBalancer } from "../ops/discover";
import { discoverAccount } from "../ops/discoverRun";
import { plural } from "../sizing/format";
import { command, UsageError } from "./run";

const USAGE = "usage: npm run discover -- --stack <name> [--lb <name|id>] [--force]";

const HELP = `Lists the load balancers of the DigitalOcean account (name, id, region, nodes, targets,
IP, type, and why one cannot be adopted). With --lb, writes Pulumi.<stack>.yaml adopting that
load balancer as it is: its id, region and targets (droplet ids or tag), no forwarding or
health check (the live ones are kept), and a baseline demand that sizes to its live node
count; then runs \`pulumi preview\` and keeps the file only if the first \`pulumi up\` would
only import. It never writes to DigitalOcean: a read-only token is enough
(${COMMAND_SCOPES.discover.scopes.join(", ")}).
Needs DIGITALOCEAN_TOKEN; the API is DIGITALOCEAN_API_URL, else the stack file's
digitalocean:apiEndpoint, else https://api.digitalocean.com.

  --stack <name>     the stack to write (Pulumi.<name>.yaml)
  --lb <name|id>     the load balancer to adopt (a name must be unique in the account)
  --force            replace an existing Pulumi.<name>.yaml (its other keys, such as an
                     encrypted digitalocean:token and proxy-lb:capacity, are kept)
  -h, --help         this help

exit codes: 0 listed, or written and previewed; 1 the load balancer cannot be adopted, the
preview shows more than imports (the file is left as it was), the file exists without
--force, or the token or the API's answer is wrong; 2 bad usage; 3 the Pulumi toolchain is
not built yet`;

export const run = command(
    {
        usage: USAGE,
        help: HELP,
        options: { lb: { type: "string" }, force: { type: "boolean", default: false } },
    },
    async ({ stack, lb: wanted, force }) => {
        if (force && wanted === undefined)
            throw new UsageError(
                "--force only goes with --lb (it replaces the stack file discover writes)",
            );
        const result = await discoverAccount({ stack, wanted, force });
        if ("listed" in result) return listing(result.listed, stack, result.api);
        const { file, lb, plan, imports, servers } = result.adopted;
        const nodes = plan.nodes;
        const target = plan.config.maskingServers;
        return [
            `Wrote ${file}: adopts load balancer ${lb.name} (${lb.id}) in ${plan.config.region} as it is, at its live ${plural(nodes, "node")}`,
            `  masking servers: ${target.tag !== undefined ? `tag ${target.tag}` : `ids ${target.ids!.join(", ")}`} (${plural(servers, "droplet")}, imported read-only)`,
            `  baseline demand: ${plan.demand.users.toLocaleString("en-US")} users × ${plan.demand.tasksPerUser.toLocaleString("en-US")} tasks (sizes to ${nodes})`,
            `The preview only imports (${plural(imports, "resource")}); nothing else changes. Next:`,
            `  pulumi up --stack ${stack}`,
        ].join("\n");
    },
);
if (require.main === module) void run();

function listing(lbs: LiveLoadBalancer[], stack: string, api: string): string {
    if (lbs.length === 0) return `No load balancer in the account at ${api}.`;
    const rows = lbs.map(listingRow);
    const columns: [string, keyof ListingRow][] = [
        ["NAME", "name"],
        ["ID", "id"],
        ["REGION", "region"],
        ["NODES", "nodes"],
        ["TARGETS", "targets"],
        ["IP", "ip"],
        ["TYPE", "type"],
    ];
    const widths = columns.map(([title, key]) =>
        Math.max(title.length, ...rows.map((r) => String(r[key] ?? "").length)),
    );
    const line = (cells: string[]) =>
        cells
            .map((cell, i) => cell.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    const refused = rows.filter((r) => r.refused);
    return [
        line(columns.map(([title]) => title)),
        ...rows.map((r) => line(columns.map(([, key]) => String(r[key] ?? "")))),
        ...(refused.length
            ? ["", "Cannot be adopted:", ...refused.map((r) => `  ${r.name}: ${r.refused}`)]
            : []),
        "",
        `Adopt one: npm run discover -- --stack ${stack} --lb <name|id>`,
    ].join("\n");
}
