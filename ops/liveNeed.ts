// What a deploy now would size the load balancer for, read as the program reads it (`plan` with
// the autopilot on). Never fatal: without a token or an answer, it says why it was not read,
// so plan stays usable offline.
import { ConfigError, type Settings } from "../config";
import { COMMAND_SCOPES } from "../config/scopes";
import { programApiRead } from "../infra/digitaloceanApi";
import { sizeNow, type SizeNow } from "../infra/liveSize";

/** The program's decision and its reasons, or why it was not read. */
export type LiveNeed =
    { read: true; now: SizeNow } | { read: false; why: string; calendarSizeUnit: number };

export async function liveNeed(
    settings: Settings,
    stackEntries: Record<string, unknown>,
    now: number,
    env: Record<string, string | undefined> = process.env,
): Promise<LiveNeed> {
    const calendarSizeUnit = settings.sizing.sizeUnit;
    if (!env.DIGITALOCEAN_TOKEN)
        return { read: false, why: "DIGITALOCEAN_TOKEN is not set", calendarSizeUnit };
    try {
        return {
            read: true,
            now: await sizeNow(
                settings,
                programApiRead(env, stackEntries, COMMAND_SCOPES.plan.scopes),
                now,
            ),
        };
    } catch (err) {
        if (err instanceof ConfigError)
            return { read: false, why: err.problems.join("; "), calendarSizeUnit };
        throw err;
    }
}
