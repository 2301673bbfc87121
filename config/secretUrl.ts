// A webhook's or a push monitor's URL carries its secret in its path: why such a URL cannot be
// used, and whether a stack file holds one in plain text, each said without ever quoting it.

/** Plain http only to this machine (a local receiver or monitor, a test's); anything else needs https. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Why `url` cannot be a secret URL, or undefined when it can. `example` is what to give instead
 * ("a webhook URL such as …"); `kind` names it in the path problem ("a webhook URL").
 */
export function secretUrlProblem(url: string, example: string, kind: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return `must be ${example} (the value is not shown: it is a secret)`;
    }
    if (
        parsed.protocol !== "https:" &&
        !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))
    )
        return "must be an https:// URL (the value is not shown: it is a secret)";
    if (parsed.username !== "" || parsed.password !== "")
        return "must not carry a user name or password (the value is not shown: it is a secret)";
    if (parsed.pathname === "/" || parsed.pathname === "")
        return `has no path: ${kind} carries its secret in its path (the value is not shown)`;
    return undefined;
}

/** True when `url` is a URL in plain text that carries a secret (one to this machine carries none). */
export function isPlainTextSecretUrl(url: unknown): boolean {
    if (typeof url !== "string") return false;
    try {
        return !LOOPBACK.has(new URL(url).hostname);
    } catch {
        return false; // the schema refuses it, without quoting it
    }
}
