// The single source of truth for the stack configuration: the Pulumi program, the
// CLIs (plan, …) and the generated docs (Pulumi.yaml's config block, README) all read
// this schema. Pure: no Pulumi import, no I/O.
import { z } from "zod";
import { CAPACITY_DEFAULTS, DEMAND_DEFAULTS, MAX_SIZE_UNIT } from "../sizing";
import { AUTOPILOT_DEFAULTS } from "../sizing/autopilot";
import { CLOSED_CONNECTIONS_DEFAULTS } from "../sizing/closedConnections";
import { heartbeatUrlSchema } from "./heartbeat";
import {
    DEFAULT_LEAD_MINUTES,
    HOUR_MS,
    MAX_DROP_HOURS,
    MAX_LEAD_MINUTES,
    parseInstant,
} from "../sizing/calendar";
import { notifySchema } from "./notify";

export const NAMESPACE = "proxy-lb";

/** DigitalOcean's limit for load balancer targets given by droplet id. */
export const MAX_DROPLET_IDS = 10;

/** Plain decimal text: an optional minus, digits, optionally a point and more digits. */
const DECIMAL_TEXT = /^-?[0-9]+(\.[0-9]+)?$/;

/**
 * The number that plain decimal text ("0.3", "12", "-1") stands for; any other value is
 * returned unchanged, for the number schema to refuse it as given. `pulumi config set
 * --path` stores a value such as 0.3 as the string "0.3" (only integers and booleans are
 * typed), and Pulumi's own config.getNumber accepts it, so every number key does too.
 * Whitespace, exponents, hex, separators and text that overflows to Infinity stay refused.
 */
export function numberFromDecimalText(value: unknown): unknown {
    if (typeof value !== "string" || !DECIMAL_TEXT.test(value)) return value;
    const number = Number(value);
    return Number.isFinite(number) ? number : value;
}

// Number keys convert decimal text first (a transform), and zod's JSON Schema (the generated
// docs) leaves out the `.default()` of a transformed key: give their defaults with
// `.prefault()`, which is parsed like a given value and shown as the default.
function wholeNumber(min: number, max?: number) {
    const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
    const error = `must be a whole number ${range}`;
    const base = z.number({ error }).int({ error }).min(min, { error });
    return z.preprocess(numberFromDecimalText, max === undefined ? base : base.max(max, { error }));
}

function decimal(min: number, max: number) {
    const error = `must be a number from ${min} to ${max}`;
    return z.preprocess(
        numberFromDecimalText,
        z.number({ error }).min(min, { error }).max(max, { error }),
    );
}

function text(pattern: RegExp, error: string) {
    return z.string({ error }).regex(pattern, { error });
}

const isEmptyObject = (value: unknown) =>
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0;

const port = () => wholeNumber(1, 65535);

/**
 * true or false; the text "true"/"false" too, as Pulumi's own config.getBoolean accepts it (a
 * program receives an object's booleans as JSON, a stack file may quote them).
 */
function flag() {
    const error = "must be true or false";
    return z.preprocess(
        (value) => (value === "true" ? true : value === "false" ? false : value),
        z.boolean({ error }),
    );
}

const forwardingRule = z.strictObject(
    {
        port: port().describe("port the proxy users connect to on the load balancer (TCP)"),
        targetPort: port().optional().describe("port on the masking servers; defaults to `port`"),
    },
    { error: "must be an object like { port: 8080 }" },
);

export const loadBalancerSchema = z
    .strictObject(
        {
            name: text(
                /^[a-zA-Z0-9][a-zA-Z0-9.-]{0,254}$/,
                "must be 1–255 letters, digits, dots or dashes, starting with a letter or digit",
            ).describe("the load balancer's name in DigitalOcean"),
            id: text(
                /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
                "must be a load balancer id (a lowercase UUID)",
            )
                .optional()
                .describe(
                    "id of an existing load balancer to adopt (import) instead of creating one",
                ),
            forwarding: z
                .array(forwardingRule, { error: "must be a list of forwarding rules" })
                .min(1, { error: "must list at least one forwarding rule" })
                .optional()
                .describe(
                    "TCP passthrough forwarding rules; for an adopted load balancer, optional (its live rules are kept) and, when given, must match it",
                ),
            healthCheck: z
                .strictObject(
                    { port: port().describe("TCP port probed on each masking server") },
                    { error: "must be an object like { port: 8080 }" },
                )
                .optional()
                .describe(
                    "TCP health check; for an adopted load balancer, optional (its live check is kept) and, when given, must match it",
                ),
        },
        { error: "must be an object with name, forwarding and healthCheck" },
    )
    .superRefine((lb, ctx) => {
        // A load balancer the program creates needs its traffic rules; an adopted one keeps its own.
        if (lb.id === undefined) {
            for (const key of ["forwarding", "healthCheck"] as const) {
                if (lb[key] === undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: [key],
                        message:
                            "is required when loadBalancer.id is not set (the program creates the load balancer)",
                    });
                }
            }
        }
        const seen = new Set<number>();
        lb.forwarding?.forEach((rule, index) => {
            if (seen.has(rule.port)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["forwarding", index, "port"],
                    message: `repeats port ${rule.port}: each entry port may be forwarded once`,
                });
            }
            seen.add(rule.port);
        });
    });

export const maskingServersSchema = z
    .strictObject(
        {
            ids: z
                .array(wholeNumber(1), { error: "must be a list of droplet ids" })
                .min(1, { error: "must list at least one droplet id" })
                .max(MAX_DROPLET_IDS, {
                    error: `lists more than ${MAX_DROPLET_IDS} droplets, DigitalOcean's limit for load balancer targets by id; tag the droplets and use maskingServers.tag instead`,
                })
                .optional()
                .describe(`ids of the masking droplets (at most ${MAX_DROPLET_IDS})`),
            tag: text(
                /^[a-zA-Z0-9_:-]{1,255}$/,
                "must be a DigitalOcean tag: 1–255 letters, digits, _, : or -",
            )
                .optional()
                .describe("a tag the masking droplets already carry (the program never tags them)"),
        },
        { error: "must be an object with either ids or tag" },
    )
    .superRefine((servers, ctx) => {
        if ((servers.ids === undefined) === (servers.tag === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [],
                message:
                    servers.ids === undefined
                        ? "must give either ids (a list of droplet ids) or tag"
                        : "gives both ids and tag; DigitalOcean targets one or the other: keep one",
            });
        }
        const seen = new Set<number>();
        servers.ids?.forEach((id, index) => {
            if (seen.has(id)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["ids", index],
                    message: `repeats droplet ${id}`,
                });
            }
            seen.add(id);
        });
    });

export const demandSchema = z.strictObject(
    {
        users: wholeNumber(0).describe("proxy users running during the drop"),
        tasksPerUser: wholeNumber(0).describe("tasks each user runs at the peak"),
        connectionsPerTask: wholeNumber(1)
            .prefault(DEMAND_DEFAULTS.connectionsPerTask)
            .describe("simultaneous connections one task holds"),
        newConnectionsPerSecond: wholeNumber(0)
            .optional()
            .describe(
                "peak new connections per second; defaults to every peak connection opening in the same second",
            ),
    },
    { error: "must be an object with users and tasksPerUser" },
);

export const capacitySchema = z
    .strictObject(
        {
            connectionsPerNode: wholeNumber(1)
                .prefault(CAPACITY_DEFAULTS.connectionsPerNode)
                .describe("simultaneous connections one load balancer node handles"),
            newConnectionsPerSecondPerNode: wholeNumber(1)
                .prefault(CAPACITY_DEFAULTS.newConnectionsPerSecondPerNode)
                .describe("new connections per second one node accepts"),
            headroom: decimal(0, 10)
                .prefault(CAPACITY_DEFAULTS.headroom)
                .describe("plan this fraction above the expected peak (0.25 = 25%)"),
            minNodes: wholeNumber(1, MAX_SIZE_UNIT)
                .prefault(CAPACITY_DEFAULTS.minNodes)
                .describe("never size below this many nodes"),
            maxNodes: wholeNumber(1, MAX_SIZE_UNIT)
                .prefault(CAPACITY_DEFAULTS.maxNodes)
                .describe(
                    "refuse demand that needs more nodes than this (an error, never a silent cap)",
                ),
            pricePerNodeMonthly: decimal(0, 10_000)
                .prefault(CAPACITY_DEFAULTS.pricePerNodeMonthly)
                .describe("USD per node per month; hourly = monthly / 672"),
        },
        { error: "must be an object" },
    )
    .superRefine((capacity, ctx) => {
        if (capacity.minNodes > capacity.maxNodes) {
            ctx.addIssue({
                code: "custom",
                path: ["minNodes"],
                message: `(${capacity.minNodes}) must not exceed capacity.maxNodes (${capacity.maxNodes})`,
            });
        }
    });

/** The most minutes the autopilot's stabilization window may span: a day. */
export const MAX_SCALE_DOWN_AFTER_MINUTES = 24 * 60;

export const autopilotSchema = z.strictObject(
    {
        enabled: flag()
            .prefault(AUTOPILOT_DEFAULTS.enabled)
            .describe(
                "size for the larger of the calendar and what the load balancer really carries (its frontend_connections_current); needs monitoring:read",
            ),
        scaleDownAfterMinutes: wholeNumber(1, MAX_SCALE_DOWN_AFTER_MINUTES)
            .prefault(AUTOPILOT_DEFAULTS.scaleDownAfterMinutes)
            .describe(
                "the window: the highest sample of the last this many minutes sets the observed need, so a fall lowers the size only after it (no flapping)",
            ),
        maxNodes: wholeNumber(1, MAX_SIZE_UNIT)
            .optional()
            .describe(
                "the most nodes the autopilot may size for; above it, it clamps and says so (never blocking a deploy); defaults to capacity.maxNodes",
            ),
        maxClosedConnections: wholeNumber(0)
            .prefault(CLOSED_CONNECTIONS_DEFAULTS.maxClosedConnections)
            .describe(
                "the most live connections a scale-down by the controller may close (DigitalOcean closes the removed nodes' connections after a one-minute drain: their share of the crowd); above it, it waits for the crowd to thin",
            ),
        maxScaleDownWaitMinutes: wholeNumber(0, MAX_SCALE_DOWN_AFTER_MINUTES)
            .prefault(CLOSED_CONNECTIONS_DEFAULTS.maxScaleDownWaitMinutes)
            .describe(
                "the most minutes a scale-down waits for the crowd to thin below maxClosedConnections; then it scales down anyway and says how many connections it closed",
            ),
        heartbeatUrl: heartbeatUrlSchema.optional(),
    },
    { error: "must be an object like { enabled: true }" },
);

export type AutopilotConfig = z.output<typeof autopilotSchema>;

// ---------------------------------------------------------------------------
// The drop calendar: between drops the stack runs at `demand`; inside a
// drop's window, from leadMinutes before its start to its end, at the drop's demand; where
// windows overlap, their demands add.

const instant = (what: string) =>
    z
        .string({
            error: `must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z`,
        })
        .refine((value) => parseInstant(value) !== undefined, {
            // A refinement's issue is "custom", whose value the messages leave out: name it here.
            error: (issue) =>
                `must be an ISO-8601 time with an offset or Z, such as 2027-11-26T14:00:00Z or 2027-11-26T09:00:00-05:00 (got ${JSON.stringify(issue.input)})`,
        })
        .describe(what);

export const dropSchema = z
    .strictObject(
        {
            name: text(
                /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/,
                "must be 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit",
            ).describe(
                "the drop's name, unique in the calendar (shown in plan, schedule and observe)",
            ),
            start: instant(
                "when the drop starts (ISO-8601 with an offset or Z); the load balancer is scaled up leadMinutes before",
            ),
            end: instant(
                "when the drop ends (ISO-8601 with an offset or Z); the size returns to the baseline then",
            ),
            demand: demandSchema.describe(
                "the drop's peak demand (same keys as proxy-lb:demand); replaces the baseline during the window",
            ),
        },
        { error: "must be an object with name, start, end and demand" },
    )
    .superRefine((drop, ctx) => {
        const start = parseInstant(drop.start);
        const end = parseInstant(drop.end);
        if (start === undefined || end === undefined) return; // already reported on the key
        if (end <= start) {
            ctx.addIssue({
                code: "custom",
                path: ["end"],
                message: `(${drop.end}) must be after start (${drop.start})`,
            });
        } else if (end - start > MAX_DROP_HOURS * HOUR_MS) {
            const hours = Number(((end - start) / HOUR_MS).toFixed(2));
            ctx.addIssue({
                code: "custom",
                path: ["end"],
                message: `(${drop.end}) is ${hours} hours after start (${drop.start}); a drop window may last at most ${MAX_DROP_HOURS} hours (7 days): check the dates, or raise proxy-lb:demand for a longer period`,
            });
        }
    });

export const dropsSchema = z
    .array(dropSchema, { error: "must be a list of drops like { name, start, end, demand }" })
    .superRefine((drops, ctx) => {
        const seen = new Map<string, number>();
        drops.forEach((drop, index) => {
            const first = seen.get(drop.name);
            if (first !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: [index, "name"],
                    message: `repeats "${drop.name}" (already proxy-lb:drops[${first}].name): each drop needs its own name`,
                });
            } else seen.set(drop.name, index);
        });
    });

export const stackConfigSchema = z.strictObject({
    region: text(
        /^[a-z]{3}[1-9]$/,
        "must be a DigitalOcean region slug such as nyc3, ams3 or sfo3",
    ).describe("DigitalOcean region of the load balancer and the masking servers"),
    loadBalancer: loadBalancerSchema.describe("the load balancer every proxy user connects to"),
    maskingServers: maskingServersSchema.describe("the masking droplets behind it: never modified"),
    demand: demandSchema.describe("expected peak demand of the drop"),
    capacity: capacitySchema
        .default(capacitySchema.parse({}))
        .describe("per-node capacity, limits and price"),
    drops: dropsSchema
        .default([])
        .describe(
            "the drop calendar: each drop's demand replaces proxy-lb:demand (the between-drops baseline) during its window; overlapping windows add their demands",
        ),
    leadMinutes: wholeNumber(0, MAX_LEAD_MINUTES)
        .prefault(DEFAULT_LEAD_MINUTES)
        .describe(
            "scale up this many minutes before each drop's start (a DigitalOcean load balancer resize takes minutes)",
        ),
    autopilot: autopilotSchema
        .default(autopilotSchema.parse({}))
        .describe(
            "the autopilot: follow the crowd the load balancer really carries, within bounds",
        ),
    // Pulumi.yaml declares every object key with the default {}, which Pulumi hands to the
    // program: an empty notify block is "no notifications".
    notify: z
        .preprocess((value) => (isEmptyObject(value) ? undefined : value), notifySchema.optional())
        .optional()
        .describe(
            "notifications: each resize, a clamp at autopilot.maxNodes, the load balancer at 90% of its limit, metrics unavailable, a failed or late run",
        ),
});

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/** Top-level keys whose values are objects (Pulumi hands them to programs as JSON text). */
export const OBJECT_KEYS = [
    "loadBalancer",
    "maskingServers",
    "demand",
    "capacity",
    "autopilot",
    "notify",
] as const;

/** Top-level keys whose values are lists (Pulumi hands these to programs as JSON text too). */
export const LIST_KEYS = ["drops"] as const;

/** Every top-level key a program receives as JSON text (Pulumi hands numbers over as text too). */
export const JSON_TEXT_KEYS: readonly string[] = [...OBJECT_KEYS, ...LIST_KEYS, "leadMinutes"];

/**
 * The defaults Pulumi.yaml declares (namespaced): the optional top-level keys default to an
 * empty object there (an empty list for lists, the schema's default for plain values), since
 * Pulumi demands a value for every declared key. Pulumi records them in every update's
 * config, so rollback must not write them into stack files.
 */
export const PROJECT_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = Object.fromEntries(
    Object.entries(stackConfigSchema.shape)
        .filter(
            ([, schema]) =>
                schema instanceof z.ZodDefault ||
                schema instanceof z.ZodPrefault ||
                schema instanceof z.ZodOptional,
        )
        .map(([key, schema]) => [
            `${NAMESPACE}:${key}`,
            (OBJECT_KEYS as readonly string[]).includes(key)
                ? {}
                : (LIST_KEYS as readonly string[]).includes(key)
                  ? []
                  : schema.parse(undefined),
        ]),
);
