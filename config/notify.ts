// The notification keys, proxy-lb:notify.webhookUrl (a secret) and proxy-lb:notify.format, as a
// schema fragment of its own, so the stack schema wires it in one line. Pure: no Pulumi import,
// no I/O.
//
// The URL carries its secret in its path (Discord: /api/webhooks/<id>/<token>; Slack:
// /services/<team>/<bot>/<secret>), so no check here ever echoes it: every issue about it is a
// custom one, and a custom issue is printed without the value (`(got …)` follows only the other
// issue codes).
import { z } from "zod";
import { isPlainTextSecretUrl, secretUrlProblem } from "./secretUrl";

export const NOTIFY_FORMATS = ["discord", "slack"] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** Hosts whose format is known, so `format` may be left out for them. */
const HOST_FORMATS: Readonly<Record<string, NotifyFormat>> = {
    "discord.com": "discord",
    "discordapp.com": "discord",
    "ptb.discord.com": "discord",
    "canary.discord.com": "discord",
    "hooks.slack.com": "slack",
};

/** The format a webhook's host implies, or undefined when the host is not a known one. */
export function formatForUrl(url: string): NotifyFormat | undefined {
    try {
        return HOST_FORMATS[new URL(url).hostname.toLowerCase()];
    } catch {
        return undefined;
    }
}

/** Why `url` cannot be a webhook URL (never quoting it), or undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
    return secretUrlProblem(
        url,
        "a webhook URL such as https://discord.com/api/webhooks/<id>/<token> or https://hooks.slack.com/services/<…>",
        "a webhook URL",
    );
}

const SET_AS_SECRET = "pulumi config set --secret --path 'proxy-lb:notify.webhookUrl' <url>";

/** A Pulumi secret as a stack file holds it: the program gets it decrypted, a stack-file reader does not. */
export const encryptedSchema = z.strictObject({ secure: z.string() });
export type Encrypted = z.output<typeof encryptedSchema>;

export const notifySchema = z
    .strictObject(
        {
            webhookUrl: z
                .union(
                    [
                        z.string().superRefine((url, ctx) => {
                            const problem = webhookUrlProblem(url);
                            if (problem !== undefined)
                                ctx.addIssue({ code: "custom", message: problem });
                        }),
                        encryptedSchema,
                    ],
                    { error: `must be the webhook URL, set as a secret: ${SET_AS_SECRET}` },
                )
                .describe(
                    "incoming-webhook URL for notifications (Discord or Slack); a secret: set it with `pulumi config set --secret --path`",
                ),
            format: z
                .enum(NOTIFY_FORMATS, { error: 'must be "discord" or "slack"' })
                .optional()
                .describe(
                    "the webhook's message format; defaults from the URL's host (discord.com, hooks.slack.com)",
                ),
        },
        { error: "must be an object with webhookUrl (and format)" },
    )
    .superRefine((notify, ctx) => {
        // An encrypted URL's host is unknown until decrypted: notifyTarget says so then.
        if (typeof notify.webhookUrl !== "string") return;
        if (
            notify.format === undefined &&
            webhookUrlProblem(notify.webhookUrl) === undefined &&
            formatForUrl(notify.webhookUrl) === undefined
        ) {
            ctx.addIssue({
                code: "custom",
                path: ["format"],
                message:
                    'is required: the webhook URL\'s host is neither Discord\'s nor Slack\'s; set "discord" or "slack"',
            });
        }
    });

export type NotifyConfig = z.output<typeof notifySchema>;

/**
 * Where and how to send, from a validated `notify` block: its format, or the one its host implies
 * (no transform in the schema: the generated docs read it as JSON Schema). Null while the URL is
 * still encrypted (a stack file read without Pulumi): decrypt it first (the controller does, once).
 * An error when a decrypted URL turns out wrong, never quoting it.
 */
export function notifyTarget(
    notify: NotifyConfig,
): { webhookUrl: string; format: NotifyFormat } | null {
    const url = notify.webhookUrl;
    if (typeof url !== "string") return null;
    const problem = webhookUrlProblem(url);
    if (problem !== undefined) throw new Error(`proxy-lb:notify.webhookUrl ${problem}`);
    const format = notify.format ?? formatForUrl(url);
    if (format === undefined)
        throw new Error(
            'proxy-lb:notify.format is required: the webhook URL\'s host is neither Discord\'s nor Slack\'s; set "discord" or "slack"',
        );
    return { webhookUrl: url, format };
}

/**
 * Why a stack file's notify block must not stand as it is: a webhook URL in plain text is a secret
 * in a file (one to this machine, a local receiver, carries none).
 */
export function plainTextWebhookProblem(notify: unknown, file: string): string | undefined {
    const url =
        typeof notify === "object" && notify !== null
            ? (notify as { webhookUrl?: unknown }).webhookUrl
            : undefined;
    if (!isPlainTextSecretUrl(url)) return undefined;
    return `${file}: proxy-lb:notify.webhookUrl is in plain text (a webhook URL is a secret; the value is not shown): set it encrypted with ${SET_AS_SECRET}`;
}
