// A secret (the webhook URL, a push monitor's URL, the DigitalOcean token) is never shown: every
// line that may quote one goes through `redact`, which also finds a URL's secret parts on their own.

/**
 * Path segments that are the same in every webhook or push-monitor URL, hence no secret
 * (Healthchecks.io's /ping/<uuid>, Uptime Kuma's /api/push/<token>).
 */
const PUBLIC_SEGMENTS = new Set([
    "api",
    "webhooks",
    "services",
    "hooks",
    "slack",
    "github",
    "ping",
    "push",
]);

/**
 * The strings that must never be shown, longest first: each secret as given and, for a URL, the
 * URL without its scheme, its path (with the query) and each path segment that may be secret.
 */
export function secretForms(secrets: readonly string[]): string[] {
    const forms = new Set<string>();
    for (const secret of secrets) {
        if (secret === "") continue;
        forms.add(secret);
        let url: URL | undefined;
        try {
            url = new URL(secret);
        } catch {
            url = undefined;
        }
        if (url === undefined || url.pathname === "/") continue;
        forms.add(url.href);
        forms.add(url.href.replace(/^[a-z]+:\/\//i, ""));
        forms.add(url.pathname + url.search);
        for (const part of [...url.pathname.split("/"), ...url.search.slice(1).split("&")]) {
            if (part.length >= 4 && !PUBLIC_SEGMENTS.has(part.toLowerCase())) {
                forms.add(part);
                try {
                    forms.add(decodeURIComponent(part));
                } catch {
                    // not valid percent-encoding: the raw form is enough
                }
            }
        }
    }
    return [...forms].filter((f) => f !== "").sort((a, b) => b.length - a.length);
}

export const REDACTED = "[redacted]";

/** `text` with every form of every secret replaced by [redacted], until none is left. */
export function redact(text: string, secrets: readonly string[]): string {
    const forms = secretForms(secrets);
    let out = text;
    for (let round = 0; round < 10; round++) {
        let next = out;
        for (const form of forms) next = next.split(form).join(REDACTED);
        if (next === out) return out;
        out = next;
    }
    return out;
}
