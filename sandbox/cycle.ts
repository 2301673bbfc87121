// npm start: the whole drop cycle on the sandbox (dev) stack with the real Pulumi engine and
// DigitalOcean provider against the local API emulator. Leaves the repository unchanged.
// Exits non-zero if any promise does not hold: the LB keeps its id and IP, the masking
// droplets receive zero writes, protection refuses destroy.
import { nodeChange } from "../sizing/nodeChange";
import { nodeChangeLine } from "../cli/report";
import { scopeHints } from "../config/scopes";
import { ToolchainUnavailable } from "../ops/toolchain";
import { openSandbox, Sandbox } from "./workspace";

const DROP = { users: 12, tasksPerUser: 2000 }; // the runbook's example drop: 24,000 connections

async function main(): Promise<number> {
    const sandbox = await openSandbox("dev");
    const failures: string[] = [];
    const check = (ok: boolean, what: string) => {
        console.log(`${ok ? "✓" : "✗"} ${what}`);
        if (!ok) failures.push(what);
    };
    try {
        const { stack, baseline } = sandbox;
        step("1. baseline: adopt the load balancer, import the masking servers");
        const first = await stack.up({ onOutput: process.stdout.write.bind(process.stdout) });
        const lbId = first.outputs.loadBalancerId.value;
        const ip = first.outputs.loadBalancerIp.value;
        check(
            first.outputs.sizeUnit.value === baseline.sizing.sizeUnit,
            `size_unit ${baseline.sizing.sizeUnit} at baseline`,
        );

        step(`2. drop: ${DROP.users} users × ${DROP.tasksPerUser} tasks`);
        await setDemand(sandbox, DROP);
        const drop = sandbox.current().sizing;
        console.log(nodeChangeLine(nodeChange(baseline.sizing, drop, 6)));
        const preview = await stack.preview();
        check(
            preview.changeSummary.update === 1 &&
                !preview.changeSummary.replace &&
                !preview.changeSummary.delete,
            "the drop previews as exactly one in-place update",
        );
        const up = await stack.up({ onOutput: process.stdout.write.bind(process.stdout) });
        check(
            up.outputs.sizeUnit.value === drop.sizeUnit,
            `size_unit ${drop.sizeUnit} during the drop`,
        );

        step("3. after the drop: back to the baseline");
        await setDemand(sandbox, baseline.config.demand);
        console.log(nodeChangeLine(nodeChange(drop, baseline.sizing)));
        const back = await stack.up({ onOutput: process.stdout.write.bind(process.stdout) });
        check(
            back.outputs.sizeUnit.value === baseline.sizing.sizeUnit,
            `size_unit back to ${baseline.sizing.sizeUnit}`,
        );

        step("4. destroy: protection must refuse it");
        const destroyed = await stack.destroy().then(
            () => true,
            (err: Error) => (/protect/i.test(err.message) ? false : Promise.reject(err)),
        );
        check(!destroyed, "destroy refused by protection");

        step("5. summary");
        const outputs = await stack.outputs();
        check(
            outputs.loadBalancerId.value === lbId && outputs.loadBalancerIp.value === ip,
            `load balancer ${lbId} kept its IP ${ip}`,
        );
        const summary = sandbox.emulator.state.summary();
        console.log(
            `API writes per kind: ${JSON.stringify(Object.fromEntries(Object.entries(summary.writes).map(([kind, ids]) => [kind, Object.values(ids ?? {}).reduce((a, b) => a + b, 0)])))}`,
        );
        check(
            summary.dropletWrites === 0,
            `zero writes to the masking droplets (${summary.dropletWrites})`,
        );
    } finally {
        await sandbox.dispose();
    }
    console.log(
        failures.length ? `\n${failures.length} promise(s) broken` : "\nthe drop cycle holds",
    );
    return failures.length ? 1 : 0;
}

async function setDemand(sandbox: Sandbox, demand: { users: number; tasksPerUser: number }) {
    await sandbox.stack.setConfig("proxy-lb:demand.users", { value: String(demand.users) }, true);
    await sandbox.stack.setConfig(
        "proxy-lb:demand.tasksPerUser",
        { value: String(demand.tasksPerUser) },
        true,
    );
}

function step(title: string) {
    console.log(`\n── ${title}`);
}

main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
        if (err instanceof ToolchainUnavailable) {
            console.error(
                `npm start: the Pulumi toolchain is not available here (the reasons are above).`,
            );
            process.exitCode = 3;
        } else {
            // A run refused for want of a token scope: name it (the Automation API's error holds pulumi's output).
            for (const hint of scopeHints(String((err as Error)?.message ?? err)))
                console.error(hint);
            throw err;
        }
    },
);
