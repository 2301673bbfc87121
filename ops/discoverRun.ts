// From a DigitalOcean account to a stack, run: the account's load balancers, and for the one
// picked the stack file adopting it, kept only when the real preview shows nothing but imports.
// Reads DigitalOcean only; writes the stack file and the state backend.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, NAMESPACE } from "../config";
import { COMMAND_SCOPES } from "../config/scopes";
import { stackFileName } from "../config/stackFile";
import { apiBase, tokenFrom } from "../infra/digitaloceanApi";
import {
    adoption,
    keptFrom,
    type Adoption,
    type LiveLoadBalancer,
    pickLoadBalancer,
    stackFileText,
    unexpectedSteps,
} from "./discover";
import { listLoadBalancers } from "./loadBalancerList";
import { CommandError, pulumiFromToolchain, type Pulumi } from "./pulumiCli";
import { parsePreviewDigest, stepType } from "./pulumiJson";

export interface DiscoverRequest {
    stack: string;
    /** the load balancer to adopt, by name or id; without it, the account is listed */
    wanted?: string;
    /** replace an existing stack file's proxy-lb: keys */
    force: boolean;
    env?: Record<string, string | undefined>;
    cwd?: string;
    pulumi?: () => Pulumi;
}

export type DiscoverResult =
    | { listed: LiveLoadBalancer[]; api: string }
    | {
          adopted: {
              file: string;
              lb: LiveLoadBalancer;
              plan: Adoption & { ok: true };
              /** resources the preview imports */
              imports: number;
              /** of them, masking servers */
              servers: number;
          };
      };

export async function discoverAccount(req: DiscoverRequest): Promise<DiscoverResult> {
    const { stack, wanted } = req;
    const env = req.env ?? process.env;
    const cwd = req.cwd ?? process.cwd();
    const file = stackFileName(stack);
    const where = path.join(cwd, file);
    const textNow = () => (existsSync(where) ? readFileSync(where, "utf8") : undefined);
    const before = textNow();
    if (wanted !== undefined && before !== undefined && !req.force) {
        throw new ConfigError([
            `${file} exists: discover does not overwrite it. Pass --force to replace its ${NAMESPACE}: keys (the rest is kept), or pick another --stack.`,
        ]);
    }
    const previous = keptFrom(before);
    const read = {
        api: apiBase(env, previous.otherConfig),
        token: tokenFrom(env, COMMAND_SCOPES.discover.scopes),
    };
    const lbs = await listLoadBalancers(read);
    if (wanted === undefined) return { listed: lbs, api: read.api };

    const picked = pickLoadBalancer(lbs, wanted);
    if (!picked.ok) throw new ConfigError([`discover: ${picked.reason}`]);
    const plan = adoption(picked.lb, previous.capacity);
    if (!plan.ok) throw new ConfigError([`discover: ${plan.reason}; nothing was written`]);

    // The stack must exist for the preview; creating it writes to the state backend only
    // (with a passphrase, Pulumi adds the stack's encryptionsalt to the stack file: kept).
    const pulumi = req.pulumi ? req.pulumi() : pulumiFromToolchain(cwd);
    const init = pulumi.capture(["stack", "init", stack, "--non-interactive"]);
    if (init.status !== 0 && !/already exists/i.test(init.stderr)) {
        throw new CommandError(
            [
                `discover: pulumi stack init ${stack} failed (exit ${init.status}):`,
                `  ${init.stderr.trim()}`,
            ],
            1,
        );
    }
    const current = textNow();
    writeFileSync(where, stackFileText(stack, picked.lb, plan, keptFrom(current)));

    const preview = pulumi.json(
        ["preview", "--json", "--show-sames", "--non-interactive", "--stack", stack],
        parsePreviewDigest,
    );
    const problems = unexpectedSteps(preview.value, { id: picked.lb.id, nodes: plan.nodes });
    if (preview.status !== 0 && problems.length === 0)
        problems.push(
            `pulumi preview failed (exit ${preview.status}): ${preview.stderr.trim().split("\n").at(-1) ?? ""}`,
        );
    if (problems.length > 0) {
        // Leave the file as it was before the preview: nothing to `up` by mistake.
        if (current === undefined) rmSync(where, { force: true });
        else writeFileSync(where, current);
        throw new CommandError(
            [
                `discover: the preview of ${file} shows more than imports, so it was not kept:`,
                ...problems.map((p) => `  ${p}`),
            ],
            1,
        );
    }
    const imports = (preview.value.steps ?? []).filter((s) => s.op === "import");
    const servers = imports.filter((s) => stepType(s).endsWith("droplet:Droplet")).length;
    return { adopted: { file, lb: picked.lb, plan, imports: imports.length, servers } };
}
