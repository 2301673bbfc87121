// The failures a user causes and fixes (no token or a refused one, an API that cannot be reached,
// a stack or a state backend that does not exist), each as ONE line saying what to do, found in
// whatever text carries them: our own API reads, the provider's errors inside Pulumi's output,
// Pulumi's own. The program, drift and the CLI shell say them the same way: no stack trace, no
// escape codes. Pure.
import { stripVTControlCharacters } from "node:util";

/** Text as a terminal would show it without colours: Pulumi and Node.js colour their errors. */
export function plainText(text: string): string {
    return stripVTControlCharacters(text);
}

/** A token DigitalOcean refused (401), whatever read it. */
export const TOKEN_REFUSED =
    "DigitalOcean refused the API token (401 Unable to authenticate you): export DIGITALOCEAN_TOKEN with a valid token (it is missing, revoked, expired or mistyped)";

/** What to do about the user-fixable failure in `text`, in one line; undefined when there is none. */
export function userFailure(
    text: string,
    env: Record<string, string | undefined> = process.env,
): string | undefined {
    const plain = plainText(text);
    const unset = /DIGITALOCEAN_TOKEN is not set[^\n]*/.exec(plain);
    if (unset) return unset[0];
    if (/\b401\b[^\n]*(Unable to authenticate|Unauthorized)/i.test(plain)) return TOKEN_REFUSED;
    if (UNREACHABLE.test(plain)) {
        const where = apiWhere(plain, env);
        return `the DigitalOcean API${where ? ` at ${where}` : ""} cannot be reached: check DIGITALOCEAN_API_URL (or the stack's digitalocean:apiEndpoint) and the network${offline(where) ? " (offline: is the emulator running?)" : ""}`;
    }
    const stack = /no stack named '([^']+)' found/.exec(plain);
    if (stack) {
        const backend = env.PULUMI_BACKEND_URL ? ` ${env.PULUMI_BACKEND_URL}` : "";
        return `stack ${stack[1]} does not exist in the state backend${backend}: create it with \`pulumi stack init ${stack[1]}\` (its first \`pulumi up\` adopts the load balancer of its Pulumi.${stack[1]}.yaml), or \`pulumi stack select\` / \`pulumi login\` where it lives`;
    }
    if (/PULUMI_ACCESS_TOKEN must be set/.test(plain))
        return "no Pulumi state backend is configured: run `pulumi login` (file://, s3:// or Pulumi Cloud) or export PULUMI_BACKEND_URL, e.g. PULUMI_BACKEND_URL=file://$PWD/.state";
    return undefined;
}

// Node.js's network error codes (our own reads; a fetch's "fetch failed" too), Go's net package
// (the provider), our own line.
const UNREACHABLE =
    /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|fetch failed|connection refused|no such host|i\/o timeout|network is unreachable|cannot be reached)\b/i;

/** The API's address as the text gives it (a URL, or Go's `dial tcp host:port`), else the environment's. */
function apiWhere(text: string, env: Record<string, string | undefined>): string | undefined {
    const url = /\bhttps?:\/\/[^\s"'/,;)]+/.exec(text)?.[0];
    if (url) return url;
    const dial = /dial tcp ([^\s:]+:\d+)/.exec(text)?.[1];
    if (dial) return `http://${dial}`;
    return env.DIGITALOCEAN_API_URL || undefined;
}

function offline(where: string | undefined): boolean {
    return where !== undefined && /\/\/(127\.|localhost|\[::1\])/.test(where);
}

/** An error's message, its code and its causes (a fetch hides the reason in `cause`). */
export function errorText(err: unknown): string {
    const parts: string[] = [];
    for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
        if (e instanceof Error) {
            const problems = (e as Error & { problems?: unknown }).problems;
            parts.push(Array.isArray(problems) ? problems.join("\n") : e.message);
            const code = (e as Error & { code?: unknown }).code;
            if (typeof code === "string") parts.push(code);
            e = e.cause;
        } else {
            parts.push(String(e));
            break;
        }
    }
    return parts.join("\n");
}
