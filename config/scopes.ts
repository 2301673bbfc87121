// The DigitalOcean token scopes each command needs: one source for the docs, the end-to-end
// tests (each runs on its command's token) and the hint that turns a provider's bare 403 into
// "the token lacks <scope>". Pure.
//
// Scope names and the scopes each requires are DigitalOcean's (its scope reference,
// docs.digitalocean.com/reference/api/scopes/<type>/<verb>; the console adds the required ones
// itself). Which endpoints each command really calls was read from the emulator's request log
// of the end-to-end runs (an end-to-end test keeps that true: every command passes on its token,
// and a token without a scope of its list fails).

/** A DigitalOcean token scope, `<resource type>:<verb>`. */
export type Scope = `${string}:${string}`;

/**
 * What DigitalOcean's scope reference lists under "Required Scopes" for the scopes this project
 * meets: adding a scope to a token adds these. Scopes without an entry require nothing more.
 * load_balancer:create's page was not found; it is taken to require what load_balancer:update
 * does (a non-read scope requires its type's read scope, and load_balancer:read the rest).
 */
export const REQUIRED_SCOPES: Readonly<Record<string, readonly Scope[]>> = {
    "load_balancer:read": [
        "regions:read",
        "sizes:read",
        "actions:read",
        "droplet:read",
        "image:read",
        "tag:read",
        "vpc:read",
    ],
    "load_balancer:update": [
        "load_balancer:read",
        "regions:read",
        "sizes:read",
        "actions:read",
        "droplet:read",
        "image:read",
        "tag:read",
        "vpc:read",
    ],
    "load_balancer:create": [
        "load_balancer:read",
        "regions:read",
        "sizes:read",
        "actions:read",
        "droplet:read",
        "image:read",
        "tag:read",
        "vpc:read",
    ],
    "droplet:read": ["regions:read", "sizes:read", "actions:read", "image:read"],
    "image:read": ["droplet:read", "regions:read", "sizes:read", "actions:read"],
    "vpc:read": ["regions:read", "sizes:read", "actions:read"],
    "monitoring:read": ["droplet:read", "regions:read", "sizes:read", "actions:read", "image:read"],
    "droplet:update": ["droplet:read", "regions:read", "sizes:read", "actions:read", "image:read"],
    "droplet:create": ["droplet:read", "regions:read", "sizes:read", "actions:read", "image:read"],
    "droplet:delete": ["droplet:read", "regions:read", "sizes:read", "actions:read", "image:read"],
    // "to add a non-read scope for a resource type, you must also add the read scope for that resource type"
    "tag:create": ["tag:read"],
    "tag:delete": ["tag:read"],
};

/** Scopes that write to a droplet (or its tags): the recommended tokens never carry one, so DigitalOcean itself refuses every droplet write. */
export const DROPLET_WRITE_SCOPES: readonly Scope[] = [
    "droplet:create",
    "droplet:update",
    "droplet:delete",
    "tag:create",
    "tag:delete",
];

/** `scopes` and every scope they require, transitively; sorted, each once. */
export function withRequired(scopes: readonly string[]): Scope[] {
    const all = new Set<string>();
    const visit = (scope: string) => {
        if (all.has(scope)) return;
        all.add(scope);
        for (const required of REQUIRED_SCOPES[scope] ?? []) visit(required);
    };
    scopes.forEach(visit);
    return [...all].sort() as Scope[];
}

export interface CommandScopes {
    /** What it is, as the docs name it. */
    what: string;
    /** The scopes to pick in the console; the console adds the required ones (`tokenScopes` lists them all). */
    scopes: readonly Scope[];
    /** Why each scope, from what the command calls (the request log of its end-to-end run). */
    why: string;
}

/** The endpoints behind the reads every program run makes, and the scopes for them. */
const PROGRAM_READS =
    "GET /v2/load_balancers/{id} (load_balancer:read), GET /v2/droplets/{id} or /v2/droplets?tag_name= for the masking servers (droplet:read), GET /v2/certificates/{id} when a forwarding rule terminates TLS and GET /v2/certificates?name= for each such certificate's name (certificate:read)";

/** The live size and the crowd it carries: what every sizing of "now" reads (plan, the program, the cheap check). */
export const LIVE_LOAD_SCOPES = [
    "load_balancer:read",
    "monitoring:read",
] as const satisfies readonly Scope[];

/** What the gate reads before letting a scale-down through. */
const LIVE_LOAD_READS =
    "GET /v2/load_balancers/{id} or /v2/load_balancers (load_balancer:read), GET /v2/monitoring/metrics/load_balancer/frontend_connections_current and _limit (monitoring:read)";

/**
 * Each command, the program and the workflows, with the scopes its token needs. The recommended
 * token is `program`'s: it resizes the adopted load balancer and can write to no droplet.
 */
export const COMMAND_SCOPES = {
    program: {
        what: "the program (`pulumi up`): adopt the load balancer and resize it",
        scopes: [
            "load_balancer:read",
            "load_balancer:update",
            "droplet:read",
            "certificate:read",
            "monitoring:read",
        ],
        why: `${PROGRAM_READS}; PUT /v2/load_balancers/{id} for a resize (load_balancer:update); with proxy-lb:autopilot.enabled, the crowd it sizes for: GET /v2/monitoring/metrics/load_balancer/frontend_connections_current and _limit (monitoring:read)`,
    },
    programCreate: {
        what: "the program when it creates the load balancer (no loadBalancer.id)",
        scopes: [
            "load_balancer:read",
            "load_balancer:create",
            "load_balancer:update",
            "droplet:read",
            "certificate:read",
        ],
        why: `POST /v2/load_balancers, then GET /v2/load_balancers/{id} until it is active (load_balancer:create); ${PROGRAM_READS}; later resizes as the program`,
    },
    gate: {
        what: "`npm run gate` (a preview)",
        scopes: ["load_balancer:read", "droplet:read", "certificate:read", "monitoring:read"],
        why: `a preview reads only: ${PROGRAM_READS}; for a scale-down, the crowd it would drop: ${LIVE_LOAD_READS}`,
    },
    rollback: {
        what: "`npm run rollback` (a preview, then `pulumi up`)",
        scopes: [
            "load_balancer:read",
            "load_balancer:update",
            "droplet:read",
            "certificate:read",
            "monitoring:read",
        ],
        why: `as the program: its preview reads, its up resizes (PUT /v2/load_balancers/{id}); its gate checks a scale-down against the crowd (monitoring:read)`,
    },
    plan: {
        what: "`npm run plan` with the autopilot on and DIGITALOCEAN_TOKEN set (the live need; without a token plan reads nothing)",
        scopes: LIVE_LOAD_SCOPES,
        why: `the size a deploy would make now: ${LIVE_LOAD_READS}`,
    },
    drift: {
        what: "`npm run drift` (a refresh preview)",
        scopes: ["load_balancer:read", "droplet:read", "certificate:read"],
        why: `a refresh preview reads every resource in the state: ${PROGRAM_READS}`,
    },
    forget: {
        what: "`npm run forget` (a preview, then `pulumi state unprotect`)",
        scopes: ["load_balancer:read", "droplet:read", "certificate:read"],
        why: `its preview reads as the gate's does; \`state unprotect\` calls no API`,
    },
    observe: {
        what: "`npm run observe` (load balancer metrics)",
        scopes: ["monitoring:read"],
        why: "GET /v2/monitoring/metrics/load_balancer/<metric> (monitoring:read); nothing else",
    },
    discover: {
        what: "`npm run discover` (lists the load balancers, then a preview of the stack it writes)",
        scopes: ["load_balancer:read", "droplet:read", "certificate:read"],
        why: `GET /v2/load_balancers (load_balancer:read), then its preview: ${PROGRAM_READS}`,
    },
    due: {
        what: "`npm run schedule -- --due` (the scheduled run's cheap check)",
        scopes: ["load_balancer:read", "monitoring:read"],
        why: "GET /v2/load_balancers/{id} (or the list, by name) for the live size (load_balancer:read); with the autopilot on, GET /v2/monitoring/metrics/load_balancer/<metric> (monitoring:read)",
    },
    autopilot: {
        what: "`npm run autopilot` (each tick reads the load balancer and its metrics; a resize is the gate's preview and a resize-only `pulumi up`)",
        scopes: [
            "monitoring:read",
            "load_balancer:read",
            "load_balancer:update",
            "droplet:read",
            "certificate:read",
        ],
        why: `each tick: GET /v2/load_balancers/{id} (load_balancer:read), GET /v2/monitoring/metrics/load_balancer/frontend_connections_current and _limit (monitoring:read); a resize (the program runs, its own metrics read included): ${PROGRAM_READS}; PUT /v2/load_balancers/{id} (load_balancer:update)`,
    },
} as const satisfies Record<string, CommandScopes>;

export type Command = keyof typeof COMMAND_SCOPES;

/** The workflows and the commands their DigitalOcean token runs: its scopes are theirs together. */
export const WORKFLOW_COMMANDS = {
    "pull-request.yml": ["gate"],
    "deploy.yml": ["gate", "program"],
    "schedule.yml": ["due", "gate", "program"],
    "rollback.yml": ["rollback"],
} as const satisfies Record<string, readonly Command[]>;

/**
 * The token the docs recommend: one for every command here but creating a load balancer (the
 * program's resize, rollback, gate, drift, forget, observe, discover and the workflows). It can
 * resize the load balancer and read; it can write to no droplet.
 */
export const RECOMMENDED_SCOPES: readonly Scope[] = withRequired(
    (Object.keys(COMMAND_SCOPES) as Command[])
        .filter((command) => command !== "programCreate")
        .flatMap((command) => COMMAND_SCOPES[command].scopes),
);

/** Every scope a command's token carries: its own and all they require. */
export function tokenScopes(command: Command): Scope[] {
    return withRequired(COMMAND_SCOPES[command].scopes);
}

/** A workflow's token: the scopes of every command it runs. */
export function workflowScopes(workflow: keyof typeof WORKFLOW_COMMANDS): Scope[] {
    return withRequired(
        WORKFLOW_COMMANDS[workflow].flatMap((command) => COMMAND_SCOPES[command].scopes),
    );
}

// ---------------------------------------------------------------------------
// Endpoint → scope, for the endpoints the provider and these commands call (and the droplet
// writes they must never make), as DigitalOcean's API reference gives them ("Required scopes").

export interface EndpointScope {
    method: string;
    /** The path, `{…}` for one segment. */
    path: string;
    scope: Scope;
}

export const ENDPOINT_SCOPES: readonly EndpointScope[] = [
    { method: "GET", path: "/v2/load_balancers", scope: "load_balancer:read" },
    { method: "GET", path: "/v2/load_balancers/{id}", scope: "load_balancer:read" },
    { method: "POST", path: "/v2/load_balancers", scope: "load_balancer:create" },
    { method: "PUT", path: "/v2/load_balancers/{id}", scope: "load_balancer:update" },
    { method: "DELETE", path: "/v2/load_balancers/{id}", scope: "load_balancer:delete" },
    { method: "GET", path: "/v2/certificates", scope: "certificate:read" },
    { method: "GET", path: "/v2/certificates/{id}", scope: "certificate:read" },
    { method: "GET", path: "/v2/droplets", scope: "droplet:read" },
    { method: "GET", path: "/v2/droplets/{id}", scope: "droplet:read" },
    { method: "GET", path: "/v2/droplets/{id}/actions", scope: "droplet:read" },
    { method: "GET", path: "/v2/actions/{id}", scope: "actions:read" },
    { method: "POST", path: "/v2/droplets", scope: "droplet:create" },
    { method: "DELETE", path: "/v2/droplets", scope: "droplet:delete" },
    { method: "DELETE", path: "/v2/droplets/{id}", scope: "droplet:delete" },
    { method: "POST", path: "/v2/droplets/{id}/actions", scope: "droplet:update" },
    { method: "GET", path: "/v2/tags", scope: "tag:read" },
    { method: "GET", path: "/v2/tags/{id}", scope: "tag:read" },
    { method: "POST", path: "/v2/tags", scope: "tag:create" },
    { method: "POST", path: "/v2/tags/{id}/resources", scope: "tag:create" },
    { method: "DELETE", path: "/v2/tags/{id}/resources", scope: "tag:delete" },
    { method: "DELETE", path: "/v2/tags/{id}", scope: "tag:delete" },
    { method: "GET", path: "/v2/monitoring/metrics/load_balancer/{id}", scope: "monitoring:read" },
];

const endpointPattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}/?$`);
const ENDPOINTS = ENDPOINT_SCOPES.map((e) => ({ ...e, pattern: endpointPattern(e.path) }));

/** The scope a request needs, if it is one of the endpoints above. */
export function scopeForRequest(method: string, path: string): EndpointScope | undefined {
    const bare = path.split("?")[0];
    return ENDPOINTS.find((e) => e.method === method.toUpperCase() && e.pattern.test(bare));
}

// ---------------------------------------------------------------------------
// The hint: godo reports an API error as `<METHOD> <URL>: <status> (request "<id>") <message>`,
// and the provider passes it up into pulumi's output as it is. A 403 there, on an endpoint above,
// is a token without that endpoint's scope, unless its message is one of DigitalOcean's other
// 403s (a load balancer still busy with a previous change).

const GODO_ERROR =
    /\b(GET|POST|PUT|PATCH|DELETE) (?:https?:\/\/[^\s/]+)?(\/v2\/[^\s?:"\\]*)(?:\?[^\s:"\\]*)?: 403\b([^\n]*)/g;

/** DigitalOcean's 403s that are not about the token. */
const NOT_A_SCOPE_403 = [/can't be updated while it processes previous actions/i];

export const TOKEN_CONSOLE_STEPS = "console: API > Tokens > edit scopes";

/**
 * One line per scope a 403 in `output` (pulumi's stdout and stderr) shows the token lacks,
 * saying what to add. A droplet write refused is not a scope to add: the line says the token
 * did its job and which program change tried it.
 */
export function scopeHints(output: string): string[] {
    const hints = new Map<string, string>();
    for (const [, method, path, rest] of output.matchAll(GODO_ERROR)) {
        if (NOT_A_SCOPE_403.some((pattern) => pattern.test(rest))) continue;
        const endpoint = scopeForRequest(method, path);
        if (!endpoint || hints.has(endpoint.scope)) continue;
        hints.set(endpoint.scope, missingScopeHint(endpoint));
    }
    return [...hints.values()];
}

/** What to do about a 403 on `endpoint`: add its scope, unless it is a droplet write (never add those). */
export function missingScopeHint(endpoint: EndpointScope): string {
    const request = `${endpoint.method} ${endpoint.path}`;
    return (DROPLET_WRITE_SCOPES as readonly string[]).includes(endpoint.scope)
        ? `DigitalOcean refused ${request}: the token has no ${endpoint.scope}, on purpose (nothing here may write to a masking droplet). Do not add the scope: find the change that tries to write (npm run gate shows it).`
        : `the token lacks ${endpoint.scope} (needed for ${request}): add it (${TOKEN_CONSOLE_STEPS})`;
}
