// DigitalOcean's two refusals of a resize that come from its own pace, read from what the engine
// printed (the provider passes the API's message on), read one way for every path that updates
// the load balancer, so each says the same when to try again. Pure.
//
//   too often   "load balancer can not be resized this often", with "next available resize at:
//               <Go time.String(), e.g. 2025-08-13 20:09:13 +0000 UTC>" (the wording client code
//               such as doks-lb-scale matches and parses): wait for that time, then resize
//   busy        403 "Load Balancer can't be updated while it processes previous actions": the
//               previous resize is still in progress; try again later
import { formatInstant } from "../sizing/format";

const TOO_OFTEN = /can ?not be resized this often/i;
const NEXT_AT =
    /next available resize at:\s*(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?/i;

/** DigitalOcean refuses an update while the load balancer is busy: 403 "... processes previous actions". */
export function isBusyError(text: string): boolean {
    return /process(es|ing)? previous actions/i.test(text);
}

/**
 * A "resized too often" refusal: `nextAt` (epoch ms) is the time DigitalOcean names, null when
 * the text names none. Null when the text is not that refusal.
 */
export function tooOftenRefusal(text: string): { nextAt: number | null } | null {
    if (!TOO_OFTEN.test(text)) return null;
    const m = NEXT_AT.exec(text);
    if (m === null) return { nextAt: null };
    const zone =
        m[3] === undefined || /^z$/i.test(m[3]) ? "Z" : m[3].replace(/^([+-]\d\d)(\d\d)$/, "$1:$2");
    const at = Date.parse(`${m[1]}T${m[2]}${zone}`);
    return { nextAt: Number.isFinite(at) ? at : null };
}

/**
 * The line to add under a failed run's output when DigitalOcean refused the resize for its pace,
 * or null: what happened and when to run again (never a loop: the run stops, once).
 */
export function resizeRefusalHint(output: string): string | null {
    const often = tooOftenRefusal(output);
    if (often !== null) {
        const when =
            often.nextAt === null
                ? "in a minute (DigitalOcean named no time)"
                : `after ${formatInstant(often.nextAt)}, the next available resize DigitalOcean names`;
        return `DigitalOcean refused the resize: the load balancer was resized too recently. Nothing changed; run again ${when}.`;
    }
    if (isBusyError(output))
        return "DigitalOcean refused the update: the load balancer is still processing its previous resize. Nothing changed; run again in a minute or two.";
    return null;
}
