// proxy-lb:autopilot.heartbeatUrl (a secret) as a schema fragment of its own: the URL of
// a push monitor (a dead man's switch such as Healthchecks.io or an Uptime Kuma push monitor) the
// controller pings after each good tick. Such a URL carries its secret in its path, so no check
// here ever echoes it. Pure: no Pulumi import, no I/O.
import { z } from "zod";
import { encryptedSchema } from "./notify";
import { isPlainTextSecretUrl, secretUrlProblem } from "./secretUrl";

export const SET_HEARTBEAT_AS_SECRET =
    "pulumi config set --secret --path 'proxy-lb:autopilot.heartbeatUrl' <url>";

/** Why `url` cannot be a heartbeat URL (never quoting it), or undefined when it can. */
export function heartbeatUrlProblem(url: string): string | undefined {
    return secretUrlProblem(
        url,
        "a push monitor's URL such as https://hc-ping.com/<uuid>",
        "a push monitor's URL",
    );
}

export const heartbeatUrlSchema = z
    .union(
        [
            z.string().superRefine((url, ctx) => {
                const problem = heartbeatUrlProblem(url);
                if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
            }),
            encryptedSchema,
        ],
        { error: `must be the push monitor's URL, set as a secret: ${SET_HEARTBEAT_AS_SECRET}` },
    )
    .describe(
        "a push monitor's URL (Healthchecks.io, Uptime Kuma…) the controller pings (GET) after each good tick, so a monitor off its host reports a dead controller; a secret: set it with `pulumi config set --secret --path`",
    );

/**
 * Why a stack file's autopilot block must not stand as it is: a heartbeat URL in plain text is a
 * secret in a file (one to this machine carries none).
 */
export function plainTextHeartbeatProblem(autopilot: unknown, file: string): string | undefined {
    const url =
        typeof autopilot === "object" && autopilot !== null
            ? (autopilot as { heartbeatUrl?: unknown }).heartbeatUrl
            : undefined;
    if (!isPlainTextSecretUrl(url)) return undefined;
    return `${file}: proxy-lb:autopilot.heartbeatUrl is in plain text (a heartbeat URL is a secret; the value is not shown): set it encrypted with ${SET_HEARTBEAT_AS_SECRET}`;
}

/** The heartbeat URL to ping, from a validated autopilot block: null when unset or still encrypted. */
export function heartbeatTarget(autopilot: { heartbeatUrl?: unknown }): string | null {
    const url = autopilot.heartbeatUrl;
    return typeof url === "string" && heartbeatUrlProblem(url) === undefined ? url : null;
}
