// The drift report as `npm run drift` prints it: what drifted, and what to do about it.
import { LOAD_BALANCER_NAME } from "../infra/names";
import { plainText, userFailure } from "../infra/userFailure";
import type { DriftReport, PropertyChange } from "../ops/drift";
import { plural } from "../sizing/format";

/** A readable report: what drifted, and what to do about it. */
export function formatDriftReport(report: DriftReport, stack?: string): string {
    const lines: string[] = [];
    const on = stack ? ` (stack ${stack})` : "";
    // A check that could not read is said first: its "no drift" below covers only what it read.
    if (report.errors.length > 0) {
        const why = userFailure(report.errors.join("\n"));
        lines.push(
            `Drift could not be checked${on}: ${why ?? "the refresh could not read everything"}.`,
        );
        for (const error of report.errors) lines.push(`error: ${plainText(error)}`);
        lines.push("The refresh could not read everything: this report is incomplete.", "");
    }

    const drifted = report.maskingServers.length;
    if (drifted === 0 && report.loadBalancer.length === 0 && !report.loadBalancerDeleted) {
        lines.push(
            report.errors.length > 0
                ? `No drift found${on} in what the refresh could read.`
                : `No drift${on}: the ${plural(report.maskingServersChecked, "masking droplet")} and the load balancer match the stack's state.`,
        );
        return lines.join("\n");
    }

    if (drifted === 0) {
        lines.push(`Masking droplets: ${report.maskingServersChecked} checked, none changed.`);
    } else {
        lines.push(
            `Masking droplets: ${drifted} of ${report.maskingServersChecked} changed outside the program${on}:`,
        );
        for (const server of report.maskingServers) {
            lines.push(
                `  ${server.resource} (${server.name}, id ${server.id})${server.deleted ? ": DELETED" : ""}`,
            );
            lines.push(...server.changes.map(changeLine));
        }
        lines.push(
            "  The program never writes to masking droplets and will not undo this. If it was not",
            "  intended, put it back in the DigitalOcean console: the masking depends on these droplets.",
        );
    }

    if (report.loadBalancerDeleted) {
        lines.push(
            `Load balancer ${LOAD_BALANCER_NAME}: DELETED outside the program. Do not run \`pulumi up\` blindly: it would create a new one with a new IP.`,
        );
    } else if (report.loadBalancer.length > 0) {
        lines.push(`Load balancer ${LOAD_BALANCER_NAME}: changed outside the program${on}:`);
        lines.push(...report.loadBalancer.map(changeLine));
        lines.push(
            "  The stack's state still has the old values, so a plain `pulumi up` sees no change.",
            `  \`pulumi up --refresh${stack ? ` --stack ${stack}` : ""}\` sets it back to what the config says.`,
        );
    } else {
        lines.push(`Load balancer ${LOAD_BALANCER_NAME}: no change.`);
    }
    lines.push("Nothing was changed: this was a refresh preview.");
    return lines.join("\n");
}

function changeLine(change: PropertyChange): string {
    return `    ${change.property}: ${shown(change.from)} → ${shown(change.to)}`;
}

function shown(value: unknown): string {
    if (value === undefined) return "(none)";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
