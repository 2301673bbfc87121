// Which masking servers the next `up` would drop from the stack because they left the config
// (an id removed, or a tag taken off in the console). Pulumi refuses to delete a protected
// resource even when deleting it only forgets it (retainOnDelete), so the whole update stops;
// `forget` unprotects exactly these, and the next `up` drops them from state with zero API
// calls. Pure: a decision over `pulumi preview --json`.
import { DROPLET_TYPE, maskingServerId } from "../infra/names";
import { PreviewDigest, stepName, stepType } from "./pulumiJson";

export interface DepartedServer {
    urn: string;
    /** The droplet id, as state has it. */
    id: string;
    name?: string;
}

export interface ForgetPlan {
    /** Masking servers no longer declared, each retained on delete: safe to forget. */
    departed: DepartedServer[];
    /** Reasons to touch nothing (a droplet that would really be deleted, or replaced). */
    refused: string[];
}

export function forgetPlan(preview: PreviewDigest): ForgetPlan {
    const plan: ForgetPlan = { departed: [], refused: [] };
    for (const step of preview.steps ?? []) {
        if (stepType(step) !== DROPLET_TYPE) continue;
        const id = step.oldState?.id ?? maskingServerId(stepName(step)) ?? stepName(step);
        if (step.op === "delete") {
            if (step.oldState?.retainOnDelete) {
                plan.departed.push({
                    urn: step.urn,
                    id,
                    name: step.oldState?.outputs?.name as string | undefined,
                });
            } else {
                plan.refused.push(
                    `droplet ${id} would be deleted for real (it is not retained on delete): not forgetting it`,
                );
            }
        } else if (!["same", "read", "refresh", "import"].includes(step.op)) {
            plan.refused.push(
                `droplet ${id} would be changed (${step.op}): run \`npm run gate\` to see why; not forgetting anything`,
            );
        }
    }
    return plan;
}
