// The scheduled run's cheap check, before anything installs Pulumi: the size the program would
// choose for the run's moment (`sizeNow`, the decision every `pulumi up` makes) against the live
// size, and whether a scale-up is late. A late one is notified (never throwing, bounded, the URL
// never shown); the caller says it loudly too, since a webhook may be missing or down.
//
//   the moment     a run that starts early (the scale-up lines fire 10 minutes before their
//                  boundary) sizes for the boundary (`scheduledMoment`). The workflow
//                  pins PROXY_LB_NOW to it, so the gate and `up` size for the same moment.
//   lateness       measured at the run's real time, against the calendar's size then
import { ConfigError, loadSettings } from "../config";
import {
    formatForUrl,
    NOTIFY_FORMATS,
    notifyTarget,
    webhookUrlProblem,
    type NotifyConfig,
    type NotifyFormat,
} from "../config/notify";
import type { ApiRead } from "../infra/digitaloceanApi";
import { sizeNow } from "../infra/liveSize";
import { CRON_DEFAULTS, scheduledMoment } from "../sizing/cron";
import { dueCheck, type DueCheck } from "../sizing/dueCheck";
import { lateScaleUp, type LateScaleUp } from "../sizing/lateScaleUp";
import { lateScaleUpNotice, type Notice } from "./notices";
import { sendNotice, type NotifyTarget, type SendResult } from "./notifySend";

export interface ScheduledCheckInput {
    stack: string;
    /** the stack file's config entries */
    entries: Record<string, unknown>;
    read: ApiRead;
    /** epoch ms: the run's real time */
    now: number;
    /** where a late scale-up is told; null: nowhere but the log */
    notify: NotifyTarget | null;
    /** who saw it, for the message */
    seenBy: string;
    log?: (line: string) => void;
}

export interface ScheduledCheck {
    now: number;
    /** the moment sized for (PROXY_LB_NOW for the rest of the run) */
    moment: number;
    check: DueCheck;
    late: LateScaleUp | null;
    /** the late notice, when there is one */
    notice: Notice | null;
    /** what the webhook said; null when nothing was sent */
    notified: SendResult | null;
    warnings: string[];
}

export async function scheduledCheck(input: ScheduledCheckInput): Promise<ScheduledCheck> {
    const { entries, now } = input;
    const atNow = loadSettings(entries, { now });
    const context = { region: atNow.config.region, capacity: atNow.config.capacity };
    const moment = scheduledMoment(atNow.calendar, context, now, CRON_DEFAULTS.marginMinutes);
    const settings = moment === now ? atNow : loadSettings(entries, { now: moment });
    const size = await sizeNow(settings, input.read, moment, { readLive: true });
    const late =
        size.live === null ? null : lateScaleUp(atNow.calendar, context, size.live.sizeUnit, now);
    const check = dueCheck(size.decision, size.live, late, moment);
    const notice: Notice | null =
        late === null ? null : lateScaleUpNotice(input.stack, late, input.seenBy);
    const notified =
        notice === null || input.notify === null
            ? null
            : await sendNotice(input.notify, notice, {
                  secrets: [input.read.token],
                  log: input.log,
              });
    return { now, moment, check, late, notice, notified, warnings: atNow.warnings };
}

/**
 * Where to send notices from a run that cannot decrypt the stack's secrets (no Pulumi installed
 * yet): PROXY_LB_NOTIFY_WEBHOOK_URL (a repository secret; its format from PROXY_LB_NOTIFY_FORMAT,
 * else the URL's host), else the stack file's proxy-lb:notify when it holds the URL as text; null
 * when neither is set. The URL is never quoted in an error.
 */
export function notifyTargetFrom(
    env: Record<string, string | undefined>,
    stackNotify: NotifyConfig | undefined,
): NotifyTarget | null {
    const url = env.PROXY_LB_NOTIFY_WEBHOOK_URL;
    if (url === undefined || url === "")
        return stackNotify === undefined ? null : notifyTarget(stackNotify);
    const problem = webhookUrlProblem(url);
    if (problem !== undefined) throw new ConfigError([`PROXY_LB_NOTIFY_WEBHOOK_URL ${problem}`]);
    const given = env.PROXY_LB_NOTIFY_FORMAT || undefined;
    if (given !== undefined && !(NOTIFY_FORMATS as readonly string[]).includes(given)) {
        throw new ConfigError([
            `PROXY_LB_NOTIFY_FORMAT must be "discord" or "slack" (got ${JSON.stringify(given)})`,
        ]);
    }
    const format = (given as NotifyFormat | undefined) ?? formatForUrl(url);
    if (format === undefined)
        throw new ConfigError([
            'PROXY_LB_NOTIFY_FORMAT is required: the webhook URL\'s host is neither Discord\'s nor Slack\'s; set "discord" or "slack"',
        ]);
    return { webhookUrl: url, format };
}
