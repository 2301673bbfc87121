/**
 * The scheduled run's cheap check: is anything due, so that the run goes on to install Pulumi,
 * run the gate and `pulumi up`? Most runs find nothing and end here, for one billed minute.
 *
 *   due            the size the program would choose at the run's moment (the same decision
 *                  every `pulumi up` makes) differs from the live size, or a scale-up is late
 *                  (a late one always differs too)
 *   no live size   no load balancer found: due, so the run goes on and the gate says what the
 *                  update would do (create, or refuse a replace)
 *
 * Pure: no clock, no I/O.
 */
import type { AutopilotDecision } from "./autopilot";
import { formatInstant } from "./format";
import type { LateScaleUp } from "./lateScaleUp";
import type { LiveLoadBalancerRef } from "./observedLoad";

export interface DueCheck {
    due: boolean;
    /** one line: why the run goes on, or why it ends here (nothing due) */
    why: string;
    /** the size the program would choose at the run's moment */
    sizeUnit: number;
    liveSizeUnit: number | null;
}

export function dueCheck(
    decision: AutopilotDecision,
    live: LiveLoadBalancerRef | null,
    late: LateScaleUp | null,
    at: number,
): DueCheck {
    const moment = formatInstant(at);
    const base = { sizeUnit: decision.sizeUnit, liveSizeUnit: live?.sizeUnit ?? null };
    if (live === null)
        return {
            ...base,
            due: true,
            why: `no load balancer found: the run goes on, and the gate says what the update would do (the program's size at ${moment}: size_unit ${decision.sizeUnit})`,
        };
    if (decision.sizeUnit !== live.sizeUnit || late !== null) {
        const lateText =
            late === null
                ? ""
                : `; the scale-up for ${late.drops.join(" + ")} is ${late.minutesLate} min late`;
        return {
            ...base,
            due: true,
            why: `size_unit ${live.sizeUnit} -> ${decision.sizeUnit} at ${moment}: ${decision.why}${lateText}`,
        };
    }
    return {
        ...base,
        due: false,
        why: `load balancer ${live.name} has size_unit ${live.sizeUnit}, the size the program chooses at ${moment} (${decision.why})`,
    };
}
