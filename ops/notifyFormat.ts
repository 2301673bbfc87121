// A notice in a webhook's format: Discord {"content"} up to 2,000 characters or Slack {"text"},
// each dynamic part redacted, put on one line and escaped for the format's markup.
import type { NotifyFormat } from "../config/notify";
import { noticeMessage, type Notice } from "./notices";
import { redact } from "./redact";

/** Discord refuses a message whose content is longer (Execute Webhook: content, up to 2000 characters). */
export const DISCORD_CONTENT_LIMIT = 2000;
/** Slack truncates text past 40,000 characters and advises keeping it under 4,000. */
export const SLACK_TEXT_LIMIT = 4000;

/**
 * Discord markdown: a backslash before each character that would format text. Every line starts
 * with fixed words, so the line-start marks (> quote, # heading, - list) need no escape.
 */
function escapeDiscord(text: string): string {
    return text.replace(/[\\*_~`|]/g, (c) => `\\${c}`);
}

/** Slack mrkdwn: only &, < and > are control characters, written as entities. */
function escapeSlack(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** At most `limit` UTF-16 units ending in "…", never cutting a surrogate pair, an escape or an entity. */
function truncate(text: string, limit: number, format: NotifyFormat): string {
    if (text.length <= limit) return text;
    let cut = text.slice(0, limit - 1);
    if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
    if (format === "slack") cut = cut.replace(/&[a-z]*$/, "");
    else if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
    return `${cut}…`;
}

export interface RenderOptions {
    /** strings never to show: the webhook URL, the DigitalOcean token */
    secrets?: readonly string[];
}

/** The exact text of a notice in a webhook's format: the headline in bold, then one line each. */
export function renderMessage(
    notice: Notice,
    format: NotifyFormat,
    options: RenderOptions = {},
): string {
    const secrets = options.secrets ?? [];
    const m = noticeMessage(notice);
    // One line each (a multi-line error would otherwise start a line with a quote or a heading).
    const clean = (s: string) =>
        (format === "discord" ? escapeDiscord : escapeSlack)(
            redact(s, secrets).replace(/\s*[\r\n]+\s*/g, " "),
        );
    const bold = format === "discord" ? (s: string) => `**${s}**` : (s: string) => `*${s}*`;
    const text = [bold(clean(m.headline)), ...m.lines.map(clean)].join("\n");
    return truncate(text, format === "discord" ? DISCORD_CONTENT_LIMIT : SLACK_TEXT_LIMIT, format);
}

/** The JSON body a webhook takes for `text`. Discord's mentions are switched off: a drop name or an error never pings anyone. */
export function webhookBody(format: NotifyFormat, text: string): Record<string, unknown> {
    return format === "discord" ? { content: text, allowed_mentions: { parse: [] } } : { text };
}
