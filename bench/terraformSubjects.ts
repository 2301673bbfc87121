// The Terraform subjects: the same load balancer alone, and with the drop stack's fleet adopted
// read-only (planning with and without -refresh=false), each on its own emulator.
import { randomBytes } from "node:crypto";
import { startEmulator, type Seed } from "../emulator/server";
import { baseSeed, LB_ID } from "../sandbox/harness";
import { UNPACED_RESIZES } from "../sandbox/workspace";
import { failed, MASKING_TAG, SIZES, type Subject } from "./subject";
import { type Peer, TERRAFORM_FLEET_CONFIG, terraformWorkdir } from "./terraform";

/** The Terraform peer adopts this fleet, the size the issue measures. */
export const TERRAFORM_FLEET = 200;

export async function terraformSubject(
    peer: Extract<Peer, { ok: true }>,
    runs: number,
): Promise<Subject> {
    const emulator = await startEmulator({
        port: 0,
        seed: { ...baseSeed({ ids: [] }), ...UNPACED_RESIZES },
    });
    const tf = terraformWorkdir(peer, emulator.url, `bench-${randomBytes(12).toString("hex")}`);
    const vars = (size: number) => [
        "-input=false",
        "-no-color",
        "-var",
        `lb_id=${LB_ID}`,
        "-var",
        `size_unit=${size}`,
    ];
    const label = "Terraform, the same LB";
    const applied = async (size: number, what: string) => {
        const run = await tf.run("apply", "-auto-approve", ...vars(size));
        if (run.status !== 0) throw failed(`${label}: ${what}`, run);
        const live = emulator.state.getLb(LB_ID).size_unit;
        if (live !== size)
            throw new Error(
                `${label}: after ${what} the load balancer has size_unit ${live}, expected ${size}`,
            );
        return run;
    };
    return {
        id: "terraform",
        label,
        tool: "terraform",
        masking: null,
        runs,
        emulator,
        previewCommand: "terraform plan -var size_unit=N",
        upCommand: "terraform apply -auto-approve -var size_unit=N",
        async setup() {
            const run = await applied(SIZES[0], "the import");
            if (!/1 imported, 0 added, 0 changed, 0 destroyed/.test(run.stdout))
                throw failed(
                    `${label}: the import block did not adopt the load balancer unchanged`,
                    run,
                );
        },
        prepare: () => undefined, // the size is a -var of each command
        async preview(size) {
            const run = await tf.run("plan", "-detailed-exitcode", ...vars(size));
            // -detailed-exitcode: 2 = the plan has changes.
            if (run.status !== 2 || !/Plan: 0 to add, 1 to change, 0 to destroy/.test(run.stdout))
                throw failed(`${label}: expected a plan with one change`, run);
        },
        async up(size) {
            await applied(size, "the resize");
        },
        async dispose() {
            tf.dispose();
            await emulator.close();
        },
    };
}

/** Terraform on the drop stack's work: the LB by tag and the fleet adopted read-only; plans refresh every droplet unless told not to. */
export async function terraformFleetSubject(
    peer: Extract<Peer, { ok: true }>,
    { refresh }: { refresh: boolean },
    runs: number,
): Promise<Subject> {
    const ids = Array.from({ length: TERRAFORM_FLEET }, (_, i) => 502_000_001 + i);
    const seed: Seed = { ...baseSeed({ ids, tags: [MASKING_TAG] }), ...UNPACED_RESIZES };
    seed.loadBalancers![0] = {
        ...seed.loadBalancers![0],
        droplet_ids: undefined,
        tag: MASKING_TAG,
    };
    const emulator = await startEmulator({ port: 0, seed });
    const tf = terraformWorkdir(peer, emulator.url, `bench-${randomBytes(12).toString("hex")}`, {
        config: TERRAFORM_FLEET_CONFIG,
        files: {
            "terraform.tfvars.json": JSON.stringify({ masking_droplet_ids: ids.map(String) }),
        },
    });
    const refreshArgs = refresh ? [] : ["-refresh=false"];
    const vars = (size: number) => [
        "-input=false",
        "-no-color",
        ...refreshArgs,
        "-var",
        `lb_id=${LB_ID}`,
        "-var",
        `size_unit=${size}`,
    ];
    const label = `Terraform, ${TERRAFORM_FLEET} droplets adopted${refresh ? "" : ", -refresh=false"}`;
    const applied = async (size: number, what: string, args: string[]) => {
        const run = await tf.run("apply", "-auto-approve", ...args);
        if (run.status !== 0) throw failed(`${label}: ${what}`, run);
        const live = emulator.state.getLb(LB_ID).size_unit;
        if (live !== size)
            throw new Error(
                `${label}: after ${what} the load balancer has size_unit ${live}, expected ${size}`,
            );
        return run;
    };
    const flag = refresh ? "" : " -refresh=false";
    return {
        id: `terraform-${TERRAFORM_FLEET}${refresh ? "" : "-no-refresh"}`,
        label,
        tool: "terraform",
        masking: { count: TERRAFORM_FLEET, by: "tag" },
        runs,
        emulator,
        previewCommand: `terraform plan${flag} -var size_unit=N`,
        upCommand: `terraform apply -auto-approve${flag} -var size_unit=N`,
        async setup() {
            // The import itself always reads every droplet: it is what adopting means.
            const run = await applied(SIZES[0], "the import", [
                "-input=false",
                "-no-color",
                "-var",
                `lb_id=${LB_ID}`,
                "-var",
                `size_unit=${SIZES[0]}`,
            ]);
            const imported = new RegExp(
                `${TERRAFORM_FLEET + 1} imported, 0 added, 0 changed, 0 destroyed`,
            );
            if (!imported.test(run.stdout))
                throw failed(
                    `${label}: the import blocks did not adopt the load balancer and the droplets unchanged`,
                    run,
                );
            if (emulator.state.summary().totals.writes !== 0)
                throw new Error(`${label}: adopting wrote to the API`);
        },
        prepare: () => undefined,
        async preview(size) {
            const run = await tf.run("plan", "-detailed-exitcode", ...vars(size));
            if (run.status !== 2 || !/Plan: 0 to add, 1 to change, 0 to destroy/.test(run.stdout))
                throw failed(`${label}: expected a plan with one change`, run);
        },
        async up(size) {
            await applied(size, "the resize", vars(size));
        },
        async dispose() {
            tf.dispose();
            await emulator.close();
        },
    };
}
