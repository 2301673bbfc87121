// Notifications (ops/notices.ts, notifyFormat.ts, notifySend.ts, redact.ts): the exact words of each message in Discord's and Slack's formats,
// that no message or failure line ever shows the webhook URL or its secret path, and what a real
// HTTP exchange does (a local receiver on 127.0.0.1): delivered, refused, failing, hanging.
import fc from "fast-check";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
    formatForUrl,
    notifySchema,
    notifyTarget,
    webhookUrlProblem,
    type NotifyFormat,
} from "../config/notify";
import { decisionNotices, nearLimitNotice, type Notice } from "../ops/notices";
import { DISCORD_CONTENT_LIMIT, renderMessage, webhookBody } from "../ops/notifyFormat";
import { retryAfterMs, sendNotice } from "../ops/notifySend";
import { redact } from "../ops/redact";
import { decideSize } from "../sizing/autopilot";
import { observedLoad } from "../sizing/observedLoad";
import { CAPACITY_DEFAULTS } from "../sizing/index";

const AT = Date.UTC(2027, 10, 26, 14, 3, 0);
const DISCORD_URL =
    "https://discord.com/api/webhooks/112233445566778899/Zx9_secret-TOKEN_abcdefghijklmnopqrstuvwxyz0123456789";
const SLACK_URL = "https://hooks.slack.com/services/T0AAAA111/B0BBBB222/s3cr3tS3cr3tS3cr3tXyZ";

const resizeUp: Notice = {
    kind: "resize",
    stack: "drop",
    from: 3,
    to: 10,
    why: "black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z",
    pricePerNodeMonthly: 12,
};
const resizeDown: Notice = {
    kind: "resize",
    stack: "drop",
    from: 15,
    to: 3,
    why: "baseline (proxy-lb:demand)",
    pricePerNodeMonthly: 12,
};
const clamped: Notice = {
    kind: "clamped",
    stack: "drop",
    sizeUnit: 20,
    wanted: 38,
    maxNodes: 20,
    why: "CLAMPED at 20 nodes by proxy-lb:autopilot.maxNodes (20): the crowd needs 38 nodes (raise autopilot.maxNodes, up to DigitalOcean's 200)",
};
const nearLimit: Notice = {
    kind: "nearLimit",
    stack: "drop",
    connections: 27_500,
    limit: 30_000,
    sizeUnit: 3,
    at: AT,
};
const metrics: Notice = {
    kind: "metricsUnavailable",
    stack: "drop",
    sizeUnit: 3,
    why: "holding 3 nodes (the live size): the metrics could not be read (HTTP 503), and the autopilot never scales down on missing data",
};
const tickFailed: Notice = {
    kind: "tickFailed",
    stack: "drop",
    at: AT,
    error: "GET /v2/load_balancers/<id>: HTTP 500 *boom* & more",
};
const late: Notice = {
    kind: "lateScaleUp",
    stack: "drop",
    drop: "black_friday",
    dueSince: Date.UTC(2027, 10, 26, 13, 30),
    minutesLate: 33,
    dueSizeUnit: 10,
    liveSizeUnit: 3,
    seenBy: "the scheduled run",
};

describe("renderMessage: the exact words", () => {
    it.each<[string, Notice, NotifyFormat, string]>([
        [
            "a scale-up",
            resizeUp,
            "discord",
            "**proxy-lb drop: scaled up 3 → 10 nodes**\nwhy: black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z\ncost: +$84.00 a month at this size (+$0.125 an hour): $36.00 → $120.00 a month",
        ],
        [
            "a scale-up",
            resizeUp,
            "slack",
            "*proxy-lb drop: scaled up 3 → 10 nodes*\nwhy: black-friday-2027: scaled up 30 min before its start at 2027-11-26T14:00Z\ncost: +$84.00 a month at this size (+$0.125 an hour): $36.00 → $120.00 a month",
        ],
        [
            "a scale-down",
            resizeDown,
            "discord",
            "**proxy-lb drop: scaled down 15 → 3 nodes**\nwhy: baseline (proxy-lb:demand)\ncost: −$144.00 a month at this size (−$0.2143 an hour): $180.00 → $36.00 a month",
        ],
        [
            "a scale-down",
            resizeDown,
            "slack",
            "*proxy-lb drop: scaled down 15 → 3 nodes*\nwhy: baseline (proxy-lb:demand)\ncost: −$144.00 a month at this size (−$0.2143 an hour): $180.00 → $36.00 a month",
        ],
        [
            "a clamp",
            clamped,
            "discord",
            "**proxy-lb drop: CLAMPED at 20 nodes: the crowd needs 38 nodes (limit 20)**\nwhy: CLAMPED at 20 nodes by proxy-lb:autopilot.maxNodes (20): the crowd needs 38 nodes (raise autopilot.maxNodes, up to DigitalOcean's 200)",
        ],
        [
            "a clamp",
            clamped,
            "slack",
            "*proxy-lb drop: CLAMPED at 20 nodes: the crowd needs 38 nodes (limit 20)*\nwhy: CLAMPED at 20 nodes by proxy-lb:autopilot.maxNodes (20): the crowd needs 38 nodes (raise autopilot.maxNodes, up to DigitalOcean's 200)",
        ],
        [
            "near the limit",
            nearLimit,
            "discord",
            "**proxy-lb drop: the load balancer is at 91% of its limit**\n27,500 of 30,000 connections on 3 nodes at 2027-11-26T14:03Z",
        ],
        [
            "near the limit",
            nearLimit,
            "slack",
            "*proxy-lb drop: the load balancer is at 91% of its limit*\n27,500 of 30,000 connections on 3 nodes at 2027-11-26T14:03Z",
        ],
        [
            "metrics unavailable",
            metrics,
            "discord",
            "**proxy-lb drop: metrics unavailable, holding 3 nodes**\nwhy: holding 3 nodes (the live size): the metrics could not be read (HTTP 503), and the autopilot never scales down on missing data",
        ],
        [
            "metrics unavailable",
            metrics,
            "slack",
            "*proxy-lb drop: metrics unavailable, holding 3 nodes*\nwhy: holding 3 nodes (the live size): the metrics could not be read (HTTP 503), and the autopilot never scales down on missing data",
        ],
        // Markdown in an error is shown as typed: escaped for Discord, entities for Slack.
        [
            "a failed tick",
            tickFailed,
            "discord",
            "**proxy-lb drop: the autopilot's tick at 2027-11-26T14:03Z failed**\nerror: GET /v2/load\\_balancers/<id>: HTTP 500 \\*boom\\* & more\nthe size is unchanged; the next tick tries again",
        ],
        [
            "a failed tick",
            tickFailed,
            "slack",
            "*proxy-lb drop: the autopilot's tick at 2027-11-26T14:03Z failed*\nerror: GET /v2/load_balancers/&lt;id&gt;: HTTP 500 *boom* &amp; more\nthe size is unchanged; the next tick tries again",
        ],
        [
            "a late scale-up",
            late,
            "discord",
            "**proxy-lb drop: the scale-up for black\\_friday is 33 minutes late**\ndue since 2027-11-26T13:30Z: 10 nodes; live: 3 nodes (seen by the scheduled run)",
        ],
        [
            "a late scale-up",
            late,
            "slack",
            "*proxy-lb drop: the scale-up for black_friday is 33 minutes late*\ndue since 2027-11-26T13:30Z: 10 nodes; live: 3 nodes (seen by the scheduled run)",
        ],
    ])("%s (%s)", (_what, notice, format, text) => {
        expect(renderMessage(notice, format)).toBe(text);
    });

    it("one minute late, one node: singular words", () => {
        expect(
            renderMessage({ ...late, minutesLate: 1, dueSizeUnit: 1, liveSizeUnit: 1 }, "slack"),
        ).toBe(
            "*proxy-lb drop: the scale-up for black_friday is 1 minute late*\ndue since 2027-11-26T13:30Z: 1 node; live: 1 node (seen by the scheduled run)",
        );
    });

    it("a multi-line error becomes one line (it cannot start a quote or a heading)", () => {
        expect(
            renderMessage({ ...tickFailed, error: "first\n> quoted\n# heading" }, "discord"),
        ).toBe(
            "**proxy-lb drop: the autopilot's tick at 2027-11-26T14:03Z failed**\nerror: first > quoted # heading\nthe size is unchanged; the next tick tries again",
        );
    });

    it("Discord's 2,000 characters: a longer message is cut, ends with …, and never ends in half an escape", () => {
        for (const filler of ["x", "_", "é", "😀"]) {
            const text = renderMessage({ ...tickFailed, error: filler.repeat(3000) }, "discord");
            expect(text.length).toBeLessThanOrEqual(DISCORD_CONTENT_LIMIT);
            expect(text.endsWith("…")).toBe(true);
            expect(text).not.toMatch(/(^|[^\\])(\\\\)*\\…$/);
            expect(text).not.toMatch(/[\uD800-\uDBFF]…$/);
        }
        const slack = renderMessage({ ...tickFailed, error: "<".repeat(3000) }, "slack");
        expect(slack.length).toBeLessThanOrEqual(4000);
        expect(slack).toMatch(/(&lt;)+…$/);
    });

    it("wire formats: Discord {content} with mentions off, Slack {text}", () => {
        expect(webhookBody("discord", "hi")).toEqual({
            content: "hi",
            allowed_mentions: { parse: [] },
        });
        expect(webhookBody("slack", "hi")).toEqual({ text: "hi" });
    });
});

describe("notices from the decision", () => {
    const capacity = { ...CAPACITY_DEFAULTS };
    const minutely = (values: number[], end: number) =>
        values.map((v, i) => [(end - (values.length - 1 - i) * 60_000) / 1000, v] as const);

    it("a surge clamped at maxNodes: a resize and a clamp, with the decision's why", () => {
        const decision = decideSize({
            calendar: 3,
            liveSizeUnit: 3,
            load: observedLoad(AT, null, {
                ok: true,
                connections: minutely([20_000, 30_000], AT),
                limit: minutely([30_000, 30_000], AT),
            }),
            settings: { enabled: true, scaleDownAfterMinutes: 30, maxNodes: 5 },
            capacity,
        });
        const notices = decisionNotices("drop", decision, 12);
        expect(notices.map((n) => n.kind)).toEqual(["resize", "clamped"]);
        expect(notices[0]).toEqual({
            kind: "resize",
            stack: "drop",
            from: 3,
            to: 5,
            why: decision.why,
            pricePerNodeMonthly: 12,
        });
        expect(notices[1]).toMatchObject({
            kind: "clamped",
            sizeUnit: 5,
            maxNodes: 5,
            wanted: decision.observed!.sizeUnit,
        });
    });

    it("metrics unreadable: no resize, a metrics-unavailable notice holding the live size", () => {
        const decision = decideSize({
            calendar: 3,
            liveSizeUnit: 7,
            load: observedLoad(AT, null, { ok: false, error: "HTTP 503" }),
            settings: { enabled: true, scaleDownAfterMinutes: 30, maxNodes: 200 },
            capacity,
        });
        const notices = decisionNotices("drop", decision, 12);
        expect(notices).toEqual([
            {
                kind: "metricsUnavailable",
                stack: "drop",
                sizeUnit: 7,
                why: decision.reasons[0].text,
            },
        ]);
    });

    it("no change, nothing to say", () => {
        const decision = decideSize({
            calendar: 3,
            liveSizeUnit: 3,
            load: observedLoad(AT, null, { ok: true, connections: minutely([100], AT) }),
            settings: { enabled: true, scaleDownAfterMinutes: 30, maxNodes: 200 },
            capacity,
        });
        expect(decisionNotices("drop", decision, 12)).toEqual([]);
    });

    it.each([
        [27_000, 30_000, true],
        [26_999, 30_000, false],
        [30_000, 30_000, true],
        [9, 10, true],
        [8, 10, false],
        [0, 0, false],
    ])("%d of %d connections is near the limit: %s", (connections, limit, near) => {
        expect(nearLimitNotice("drop", { connections, limit, sizeUnit: 3, at: AT }) !== null).toBe(
            near,
        );
    });
});

describe("secrets", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
    const webhookUrl = fc
        .tuple(
            fc.constantFrom(
                "https://discord.com/api/webhooks",
                "https://hooks.slack.com/services",
                "http://127.0.0.1:9/hook",
            ),
            fc.array(segment, { minLength: 1, maxLength: 3 }),
        )
        .map(([base, parts]) => `${base}/${parts.join("/")}`);
    const token = fc.stringMatching(/^dop_v1_[a-f0-9]{16,64}$/);
    /** Text that may quote the URL, its path, its last segment or the token. */
    const leaky = (url: string, tok: string) =>
        fc
            .array(
                fc.oneof(
                    fc.string({ maxLength: 20 }),
                    fc.constant(url),
                    fc.constant(new URL(url).pathname),
                    fc.constant(url.split("/").pop()!),
                    fc.constant(tok),
                ),
                { maxLength: 5 },
            )
            .map((parts) => parts.join(" "));
    const notice = (url: string, tok: string): fc.Arbitrary<Notice> =>
        fc.oneof(
            leaky(url, tok).map((why) => ({ ...resizeUp, why })),
            leaky(url, tok).map((why) => ({ ...clamped, why })),
            leaky(url, tok).map((why) => ({ ...metrics, why })),
            leaky(url, tok).map((error) => ({ ...tickFailed, error })),
            leaky(url, tok).map((drop) => ({ ...late, drop, stack: drop })),
        );
    const shows = (text: string, url: string, tok: string) => {
        const path = new URL(url).pathname;
        return [url, path, url.split("/").pop()!, tok].filter((s) => text.includes(s));
    };

    it("no rendered message, in either format, contains the webhook URL, its path, its secret or the token (property)", () => {
        fc.assert(
            fc.property(
                webhookUrl.chain((url) =>
                    token.chain((tok) =>
                        fc.tuple(
                            fc.constant(url),
                            fc.constant(tok),
                            notice(url, tok),
                            fc.constantFrom<NotifyFormat>("discord", "slack"),
                        ),
                    ),
                ),
                ([url, tok, n, format]) => {
                    const text = renderMessage(n, format, { secrets: [url, tok] });
                    expect(shows(text, url, tok)).toEqual([]);
                    expect(shows(JSON.stringify(webhookBody(format, text)), url, tok)).toEqual([]);
                },
            ),
            { numRuns: 300 },
        );
    });

    it("no failure line contains them, even when the receiver echoes the path back (property, local receiver)", async () => {
        const receiver = await listen((req, res) => {
            req.resume();
            req.on("end", () =>
                res
                    .writeHead(500, { "content-type": "text/plain" })
                    .end(`no such hook: ${req.url}`),
            );
        });
        await fc.assert(
            fc.asyncProperty(
                fc.array(segment, { minLength: 1, maxLength: 3 }),
                token,
                fc.constantFrom<NotifyFormat>("discord", "slack"),
                async (parts, tok, format) => {
                    const url = `${receiver.base}/api/webhooks/${parts.join("/")}`;
                    const result = await sendNotice(
                        { webhookUrl: url, format },
                        { ...tickFailed, error: `${url} ${tok}` },
                        { secrets: [tok], timeoutMs: 2000 },
                    );
                    expect(result.ok).toBe(false);
                    if (result.ok) return;
                    expect(result.line).toContain("HTTP 500");
                    expect(shows(result.line, url, tok)).toEqual([]);
                },
            ),
            { numRuns: 40 },
        );
    });

    it("redact replaces every occurrence, and text without a secret is unchanged", () => {
        expect(redact(`a ${DISCORD_URL} b /api/webhooks/112233445566778899 c`, [DISCORD_URL])).toBe(
            "a [redacted] b /api/webhooks/[redacted] c",
        );
        expect(redact("nothing secret here", [DISCORD_URL])).toBe("nothing secret here");
    });
});

describe("config/notify.ts: the notify keys", () => {
    it.each([
        [{ webhookUrl: DISCORD_URL }, "discord"],
        [{ webhookUrl: SLACK_URL }, "slack"],
        [{ webhookUrl: "https://chat.example.com/hooks/abcdef123456", format: "slack" }, "slack"],
        [{ webhookUrl: "http://127.0.0.1:8080/hook/abc", format: "discord" }, "discord"],
    ])("accepts %j as %s", (input, format) => {
        const parsed = notifySchema.parse(input);
        expect(notifyTarget(parsed)).toEqual({ webhookUrl: input.webhookUrl, format });
    });

    const SECRET_ISH = "https://evil.example.com/hooks/SHOULD-NOT-PRINT-abc123";
    it.each([
        [
            "not a URL",
            { webhookUrl: "hooks/SHOULD-NOT-PRINT-abc123" },
            [
                "webhookUrl: must be a webhook URL such as https://discord.com/api/webhooks/<id>/<token> or https://hooks.slack.com/services/<…> (the value is not shown: it is a secret)",
            ],
        ],
        [
            "plain http to another machine",
            { webhookUrl: SECRET_ISH.replace("https", "http") },
            ["webhookUrl: must be an https:// URL (the value is not shown: it is a secret)"],
        ],
        [
            "an unknown host without a format",
            { webhookUrl: SECRET_ISH },
            [
                'format: is required: the webhook URL\'s host is neither Discord\'s nor Slack\'s; set "discord" or "slack"',
            ],
        ],
        [
            "a bad format",
            { webhookUrl: DISCORD_URL, format: "teams" },
            ['format: must be "discord" or "slack"'],
        ],
        [
            "no path",
            { webhookUrl: "https://discord.com/" },
            [
                "webhookUrl: has no path: a webhook URL carries its secret in its path (the value is not shown)",
            ],
        ],
        [
            "a password in it",
            { webhookUrl: "https://u:SHOULD-NOT-PRINT-abc123@discord.com/x" },
            [
                "webhookUrl: must not carry a user name or password (the value is not shown: it is a secret)",
            ],
        ],
    ])("refuses %s, never quoting the URL", (_what, input, problems) => {
        const result = notifySchema.safeParse(input, { reportInput: true });
        expect(result.success).toBe(false);
        if (result.success) return;
        expect(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual(
            problems,
        );
        // config/index.ts shows `(got <input>)` for every issue but a custom one: no issue about the URL may be of another code.
        for (const issue of result.error.issues) {
            const shown =
                issue.code === "custom"
                    ? issue.message
                    : `${issue.message} ${JSON.stringify(issue.input)}`;
            expect(shown).not.toContain("SHOULD-NOT-PRINT");
        }
    });

    it("knows the hosts' formats", () => {
        expect(formatForUrl("https://discordapp.com/api/webhooks/1/x")).toBe("discord");
        expect(formatForUrl("https://hooks.slack.com/services/x")).toBe("slack");
        expect(formatForUrl("https://example.com/x")).toBeUndefined();
        expect(webhookUrlProblem(DISCORD_URL)).toBeUndefined();
    });
});

// ---------------------------------------------------------------------------
// A real HTTP exchange with a local receiver

interface Receiver {
    base: string;
    server: Server;
    received: { method: string; url: string; contentType: string | undefined; body: string }[];
}

const open: Receiver[] = [];

/** A receiver on 127.0.0.1 (a free port), closed after each test. */
async function listen(
    handler: (req: IncomingMessage, res: ServerResponse, r: Receiver) => void,
): Promise<Receiver> {
    const server = createServer();
    const receiver: Receiver = { base: "", server, received: [] };
    server.on("request", (req, res) => handler(req, res, receiver));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    open.push(receiver);
    return receiver;
}

function recording(status: number, headers: Record<string, string> = {}) {
    return (req: IncomingMessage, res: ServerResponse, r: Receiver) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => {
            r.received.push({
                method: req.method!,
                url: req.url!,
                contentType: req.headers["content-type"],
                body,
            });
            res.writeHead(status, headers).end(status === 204 ? undefined : "ok");
        });
    };
}

afterEach(async () => {
    for (const r of open.splice(0)) {
        r.server.closeAllConnections();
        await new Promise<void>((resolve) => r.server.close(() => resolve()));
    }
});

describe("sendNotice against a local receiver", () => {
    it.each<[NotifyFormat, number, string]>([
        ["discord", 204, "content"],
        ["slack", 200, "text"],
    ])(
        "%s: one POST of JSON with the rendered text (receiver answers %d)",
        async (format, status, field) => {
            const r = await listen(recording(status));
            const url = `${r.base}/api/webhooks/123/secret-token-value`;
            const result = await sendNotice({ webhookUrl: url, format }, resizeUp);
            expect(result).toEqual({ ok: true, status, attempts: 1 });
            expect(r.received).toHaveLength(1);
            expect(r.received[0]).toMatchObject({
                method: "POST",
                url: "/api/webhooks/123/secret-token-value",
                contentType: "application/json",
            });
            expect(JSON.parse(r.received[0].body)[field]).toBe(
                renderMessage(resizeUp, format, { secrets: [url] }),
            );
        },
    );

    it("a 500: a failure line with the status and the receiver's words, naming the host only", async () => {
        const r = await listen((req, res) => {
            req.resume();
            res.writeHead(500).end("invalid_payload");
        });
        const url = `${r.base}/services/T1/B2/secret-path-value`;
        const logged: string[] = [];
        const result = await sendNotice({ webhookUrl: url, format: "slack" }, late, {
            log: (l) => logged.push(l),
        });
        const host = new URL(r.base).host;
        expect(result).toEqual({
            ok: false,
            attempts: 1,
            line: `notify: the slack webhook at ${host} did not take the "lateScaleUp" message: HTTP 500 Internal Server Error: invalid_payload`,
        });
        expect(logged).toEqual([(result as { line: string }).line]);
    });

    it("a hanging receiver: the call returns within its bound (plus slack), as a failure", async () => {
        const r = await listen(() => {
            // never answers
        });
        const started = Date.now();
        const result = await sendNotice(
            { webhookUrl: `${r.base}/api/webhooks/1/hang-token`, format: "discord" },
            resizeUp,
            { timeoutMs: 400 },
        );
        const took = Date.now() - started;
        expect(took).toBeGreaterThanOrEqual(350);
        expect(took).toBeLessThan(400 + 1500);
        expect(result).toMatchObject({
            ok: false,
            line: `notify: the discord webhook at ${new URL(r.base).host} did not take the "resize" message: no answer within 400 ms`,
        });
    });

    it("a refused connection: a failure line, no throw", async () => {
        const r = await listen(() => undefined);
        const base = r.base;
        await new Promise<void>((resolve) => r.server.close(() => resolve()));
        open.splice(open.indexOf(r), 1);
        const result = await sendNotice(
            { webhookUrl: `${base}/api/webhooks/1/refused-token`, format: "discord" },
            metrics,
            { timeoutMs: 2000 },
        );
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.line).toMatch(
            new RegExp(
                `^notify: the discord webhook at ${new URL(base).host.replace(/\./g, "\\.")} did not take the "metricsUnavailable" message: connect ECONNREFUSED ${new URL(base).host.replace(/\./g, "\\.")}$`,
            ),
        );
        expect(result.line).not.toContain("refused-token");
    });

    it("a 429 whose Retry-After fits in the bound: retried once, delivered", async () => {
        let calls = 0;
        const r = await listen((req, res, rec) => {
            calls++;
            if (calls === 1) {
                req.resume();
                res.writeHead(429, { "retry-after": "0.2" }).end();
            } else recording(204)(req, res, rec);
        });
        const result = await sendNotice(
            { webhookUrl: `${r.base}/api/webhooks/1/t0ken-429`, format: "discord" },
            nearLimit,
            { timeoutMs: 3000 },
        );
        expect(result).toEqual({ ok: true, status: 204, attempts: 2 });
        expect(r.received).toHaveLength(1);
    });

    it("a 429 asking for longer than the bound: not retried, a failure line at once", async () => {
        const r = await listen((req, res) => {
            req.resume();
            res.writeHead(429, { "retry-after": "30" }).end();
        });
        const started = Date.now();
        const result = await sendNotice(
            { webhookUrl: `${r.base}/api/webhooks/1/t0ken-429`, format: "discord" },
            nearLimit,
            { timeoutMs: 3000 },
        );
        expect(Date.now() - started).toBeLessThan(2000);
        expect(result).toEqual({
            ok: false,
            attempts: 1,
            line: `notify: the discord webhook at ${new URL(r.base).host} did not take the "nearLimit" message: rate-limited (HTTP 429, Retry-After 30 s); not retried past the 3000 ms bound`,
        });
    });

    it.each([
        ["2", 2000],
        ["0.5", 500],
        ["", undefined],
        ["soon", undefined],
        ["Thu, 26 Nov 2027 14:03:10 GMT", 10_000],
    ])("Retry-After %j is %s ms", (header, ms) => {
        expect(retryAfterMs(header, AT)).toBe(ms);
    });
});
