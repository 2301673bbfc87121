// Bad input: every malformed config is refused with a message naming the key (and the
// value), before any resource or API call; nothing crashes on arbitrary input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    ConfigError,
    loadSettings,
    numberFromDecimalText,
    OBJECT_KEYS,
    parseStackConfig,
} from "../config";
import { notifyTarget } from "../config/notify";
import { parseStackFile } from "../config/stackFile";

const valid = {
    region: "nyc3",
    loadBalancer: { name: "proxy-lb", forwarding: [{ port: 8080 }], healthCheck: { port: 8080 } },
    maskingServers: { ids: [501, 502] },
    demand: { users: 12, tasksPerUser: 2000 },
};
type Config = Record<string, unknown>;

/** Stack-file entries (namespaced keys, parsed values) for a config. */
const entries = (config: Config) =>
    Object.fromEntries(Object.entries(config).map(([k, v]) => [`proxy-lb:${k}`, v]));
const withKey = (key: string, value: unknown): Config => ({ ...valid, [key]: value });
const without = (key: string): Config =>
    Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));
const lb = (patch: Config) => withKey("loadBalancer", { ...valid.loadBalancer, ...patch });
const demand = (patch: Config) => withKey("demand", { ...valid.demand, ...patch });
const capacity = (patch: Config) => withKey("capacity", patch);

function problemsOf(config: Config): string[] {
    try {
        loadSettings(entries(config));
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
    return [];
}

describe("the valid example", () => {
    it("is accepted and gets every default", () => {
        const { config, sizing } = loadSettings(entries(valid));
        expect(config.demand.connectionsPerTask).toBe(1);
        expect(config.capacity).toEqual({
            connectionsPerNode: 10000,
            newConnectionsPerSecondPerNode: 10000,
            headroom: 0.25,
            minNodes: 1,
            maxNodes: 200,
            pricePerNodeMonthly: 12,
        });
        expect(sizing.sizeUnit).toBe(3);
    });

    it("reads objects given as JSON text, as Pulumi hands them to programs", () => {
        const asPulumi = Object.fromEntries(
            Object.entries(entries(valid)).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
            ]),
        );
        expect(parseStackConfig(asPulumi)).toEqual(parseStackConfig(entries(valid)));
    });

    it("ignores other namespaces such as digitalocean:", () => {
        expect(() =>
            parseStackConfig({
                ...entries(valid),
                "digitalocean:apiEndpoint": "http://127.0.0.1:1",
            }),
        ).not.toThrow();
    });
});

// [what is wrong, config, the message expected (the key is always named)]
const malformed: [string, Config, string][] = [
    // region
    ["missing region", without("region"), "proxy-lb:region is required"],
    [
        "region not a string",
        withKey("region", 3),
        "proxy-lb:region must be a DigitalOcean region slug",
    ],
    [
        "region not a slug",
        withKey("region", "New York"),
        'proxy-lb:region must be a DigitalOcean region slug such as nyc3, ams3 or sfo3 (got "New York")',
    ],
    [
        "region upper case",
        withKey("region", "NYC3"),
        "proxy-lb:region must be a DigitalOcean region slug",
    ],
    ["legacy region needing 3 nodes", withKey("region", "sfo1"), "region sfo1"],
    ["legacy region ams2", withKey("region", "ams2"), "region ams2"],
    // loadBalancer
    ["missing loadBalancer", without("loadBalancer"), "proxy-lb:loadBalancer is required"],
    [
        "loadBalancer not an object",
        withKey("loadBalancer", "proxy-lb"),
        "proxy-lb:loadBalancer must be an object",
    ],
    [
        "loadBalancer as unparsable JSON text",
        withKey("loadBalancer", "{name: x"),
        "proxy-lb:loadBalancer must be an object",
    ],
    ["missing name", lb({ name: undefined }), "proxy-lb:loadBalancer.name is required"],
    ["name with spaces", lb({ name: "my lb" }), "proxy-lb:loadBalancer.name must be 1–255 letters"],
    ["empty name", lb({ name: "" }), "proxy-lb:loadBalancer.name must be"],
    ["id not a uuid", lb({ id: "12345" }), "proxy-lb:loadBalancer.id must be a load balancer id"],
    [
        "missing forwarding",
        lb({ forwarding: undefined }),
        "proxy-lb:loadBalancer.forwarding is required",
    ],
    [
        "empty forwarding",
        lb({ forwarding: [] }),
        "proxy-lb:loadBalancer.forwarding must list at least one forwarding rule",
    ],
    [
        "forwarding not a list",
        lb({ forwarding: { port: 80 } }),
        "proxy-lb:loadBalancer.forwarding must be a list",
    ],
    [
        "port 0",
        lb({ forwarding: [{ port: 0 }] }),
        "proxy-lb:loadBalancer.forwarding[0].port must be a whole number from 1 to 65535 (got 0)",
    ],
    [
        "port 70000",
        lb({ forwarding: [{ port: 70000 }] }),
        "proxy-lb:loadBalancer.forwarding[0].port must be a whole number from 1 to 65535 (got 70000)",
    ],
    [
        "port as text with a protocol",
        lb({ forwarding: [{ port: "8080/tcp" }] }),
        'proxy-lb:loadBalancer.forwarding[0].port must be a whole number from 1 to 65535 (got "8080/tcp")',
    ],
    [
        "fractional targetPort",
        lb({ forwarding: [{ port: 80, targetPort: 80.5 }] }),
        "proxy-lb:loadBalancer.forwarding[0].targetPort must be a whole number",
    ],
    [
        "duplicate entry port",
        lb({ forwarding: [{ port: 80 }, { port: 80, targetPort: 81 }] }),
        "proxy-lb:loadBalancer.forwarding[1].port repeats port 80",
    ],
    [
        "protocol key (TLS is not offered)",
        lb({ forwarding: [{ port: 443, protocol: "https" }] }),
        "proxy-lb:loadBalancer.forwarding[0].protocol is not a known key",
    ],
    [
        "missing health check",
        lb({ healthCheck: undefined }),
        "proxy-lb:loadBalancer.healthCheck is required",
    ],
    [
        "health check port missing",
        lb({ healthCheck: {} }),
        "proxy-lb:loadBalancer.healthCheck.port is required",
    ],
    [
        "health check path (TCP only)",
        lb({ healthCheck: { port: 80, path: "/" } }),
        "proxy-lb:loadBalancer.healthCheck.path is not a known key",
    ],
    [
        "typo in loadBalancer",
        lb({ nmae: "x" }),
        "proxy-lb:loadBalancer.nmae is not a known key; did you mean proxy-lb:loadBalancer.name?",
    ],
    // maskingServers
    ["missing maskingServers", without("maskingServers"), "proxy-lb:maskingServers is required"],
    [
        "neither ids nor tag",
        withKey("maskingServers", {}),
        "proxy-lb:maskingServers must give either ids",
    ],
    [
        "ids and tag together",
        withKey("maskingServers", { ids: [1], tag: "masking" }),
        "proxy-lb:maskingServers gives both ids and tag",
    ],
    [
        "empty ids",
        withKey("maskingServers", { ids: [] }),
        "proxy-lb:maskingServers.ids must list at least one droplet id",
    ],
    [
        "eleven ids",
        withKey("maskingServers", { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }),
        "proxy-lb:maskingServers.ids lists more than 10 droplets",
    ],
    [
        "duplicate id",
        withKey("maskingServers", { ids: [501, 502, 501] }),
        "proxy-lb:maskingServers.ids[2] repeats droplet 501",
    ],
    [
        "negative id",
        withKey("maskingServers", { ids: [-5] }),
        "proxy-lb:maskingServers.ids[0] must be a whole number ≥ 1 (got -5)",
    ],
    [
        "id as a droplet name",
        withKey("maskingServers", { ids: ["mask-01"] }),
        'proxy-lb:maskingServers.ids[0] must be a whole number ≥ 1 (got "mask-01")',
    ],
    [
        "ids not a list",
        withKey("maskingServers", { ids: 501 }),
        "proxy-lb:maskingServers.ids must be a list of droplet ids",
    ],
    [
        "tag with spaces",
        withKey("maskingServers", { tag: "masking servers" }),
        "proxy-lb:maskingServers.tag must be a DigitalOcean tag",
    ],
    [
        "typo: id for ids",
        withKey("maskingServers", { id: [501] }),
        "proxy-lb:maskingServers.id is not a known key; did you mean proxy-lb:maskingServers.ids?",
    ],
    // demand
    ["missing demand", without("demand"), "proxy-lb:demand is required"],
    ["missing users", demand({ users: undefined }), "proxy-lb:demand.users is required"],
    [
        "negative users",
        demand({ users: -1 }),
        "proxy-lb:demand.users must be a whole number ≥ 0 (got -1)",
    ],
    [
        "fractional users",
        demand({ users: 1.5 }),
        "proxy-lb:demand.users must be a whole number ≥ 0 (got 1.5)",
    ],
    [
        "users as words",
        demand({ users: "twelve" }),
        'proxy-lb:demand.users must be a whole number ≥ 0 (got "twelve")',
    ],
    [
        "users as negative decimal text",
        demand({ users: "-1" }),
        "proxy-lb:demand.users must be a whole number ≥ 0 (got -1)",
    ],
    [
        "users as fractional decimal text",
        demand({ users: "1.5" }),
        "proxy-lb:demand.users must be a whole number ≥ 0 (got 1.5)",
    ],
    [
        "users null",
        demand({ users: null }),
        "proxy-lb:demand.users must be a whole number ≥ 0 (got null)",
    ],
    [
        "missing tasksPerUser",
        demand({ tasksPerUser: undefined }),
        "proxy-lb:demand.tasksPerUser is required",
    ],
    [
        "connectionsPerTask 0",
        demand({ connectionsPerTask: 0 }),
        "proxy-lb:demand.connectionsPerTask must be a whole number ≥ 1 (got 0)",
    ],
    [
        "negative newConnectionsPerSecond",
        demand({ newConnectionsPerSecond: -10 }),
        "proxy-lb:demand.newConnectionsPerSecond must be a whole number ≥ 0",
    ],
    [
        "typo: user",
        demand({ user: 3 }),
        "proxy-lb:demand.user is not a known key; did you mean proxy-lb:demand.users?",
    ],
    [
        "typo: tasksPerUsers",
        demand({ tasksPerUsers: 3 }),
        "proxy-lb:demand.tasksPerUsers is not a known key; did you mean proxy-lb:demand.tasksPerUser?",
    ],
    ["demand above maxNodes", demand({ users: 1000, tasksPerUser: 2000 }), "needs 250 nodes"],
    // capacity
    ["capacity not an object", withKey("capacity", 3), "proxy-lb:capacity must be an object"],
    [
        "headroom negative",
        capacity({ headroom: -0.1 }),
        "proxy-lb:capacity.headroom must be a number from 0 to 10 (got -0.1)",
    ],
    [
        "headroom as percent text",
        capacity({ headroom: "25%" }),
        'proxy-lb:capacity.headroom must be a number from 0 to 10 (got "25%")',
    ],
    [
        "connectionsPerNode 0",
        capacity({ connectionsPerNode: 0 }),
        "proxy-lb:capacity.connectionsPerNode must be a whole number ≥ 1 (got 0)",
    ],
    [
        "maxNodes above DigitalOcean's 200",
        capacity({ maxNodes: 500 }),
        "proxy-lb:capacity.maxNodes must be a whole number from 1 to 200 (got 500)",
    ],
    [
        "minNodes 0",
        capacity({ minNodes: 0 }),
        "proxy-lb:capacity.minNodes must be a whole number from 1 to 200 (got 0)",
    ],
    [
        "minNodes above maxNodes",
        capacity({ minNodes: 5, maxNodes: 3 }),
        "proxy-lb:capacity.minNodes (5) must not exceed capacity.maxNodes (3)",
    ],
    [
        "demand above a configured maxNodes",
        capacity({ maxNodes: 2 }),
        "proxy-lb:capacity.maxNodes is 2",
    ],
    [
        "negative price",
        capacity({ pricePerNodeMonthly: -12 }),
        "proxy-lb:capacity.pricePerNodeMonthly must be a number from 0 to 10000",
    ],
    [
        "typo: headrom",
        capacity({ headrom: 0.3 }),
        "proxy-lb:capacity.headrom is not a known key; did you mean proxy-lb:capacity.headroom?",
    ],
    // top level
    [
        "unknown top-level key",
        withKey("demnd", { users: 1 }),
        "proxy-lb:demnd is not a known key; did you mean proxy-lb:demand?",
    ],
    [
        "unrelated unknown key",
        withKey("colour", "blue"),
        "proxy-lb:colour is not a known key; known keys: region, loadBalancer, maskingServers, demand, capacity",
    ],
];

describe("malformed configs", () => {
    it("has at least 40 cases", () => expect(malformed.length).toBeGreaterThanOrEqual(40));

    it.each(malformed)("refuses %s", (_what, config, expected) => {
        const problems = problemsOf(config);
        expect(problems.join("\n")).toContain(expected);
        for (const line of problems)
            expect(line).not.toMatch(/\n|at .*\.ts:\d+|undefined|\[object Object\]/);
    });

    it("reports every problem at once, not just the first", () => {
        const problems = problemsOf({
            ...valid,
            region: "x",
            demand: { users: -1, tasksPerUser: 1.5 },
        });
        expect(problems).toEqual([
            'proxy-lb:region must be a DigitalOcean region slug such as nyc3, ams3 or sfo3 (got "x")',
            "proxy-lb:demand.users must be a whole number ≥ 0 (got -1)",
            "proxy-lb:demand.tasksPerUser must be a whole number ≥ 0 (got 1.5)",
        ]);
    });
});

// `pulumi config set --path proxy-lb:capacity.headroom 0.3` stores the string "0.3" (only
// integers and booleans are typed), and Pulumi's config.getNumber accepts it: so does every
// number key here, but only plain decimal text.
describe("numbers given as decimal text", () => {
    const accepted: [
        string,
        Config,
        (config: ReturnType<typeof parseStackConfig>) => unknown,
        number,
    ][] = [
        ['capacity.headroom "0.3"', capacity({ headroom: "0.3" }), (c) => c.capacity.headroom, 0.3],
        ['capacity.headroom "0"', capacity({ headroom: "0" }), (c) => c.capacity.headroom, 0],
        [
            'capacity.pricePerNodeMonthly "12.50"',
            capacity({ pricePerNodeMonthly: "12.50" }),
            (c) => c.capacity.pricePerNodeMonthly,
            12.5,
        ],
        ['capacity.maxNodes "40"', capacity({ maxNodes: "40" }), (c) => c.capacity.maxNodes, 40],
        ['demand.users "12"', demand({ users: "12" }), (c) => c.demand.users, 12],
        ['demand.users "007"', demand({ users: "007" }), (c) => c.demand.users, 7],
        [
            'demand.newConnectionsPerSecond "5000"',
            demand({ newConnectionsPerSecond: "5000" }),
            (c) => c.demand.newConnectionsPerSecond,
            5000,
        ],
        [
            'a forwarding port "8080"',
            lb({ forwarding: [{ port: "8080", targetPort: "80" }] }),
            (c) => c.loadBalancer.forwarding?.[0]?.targetPort,
            80,
        ],
        [
            'a droplet id "501"',
            withKey("maskingServers", { ids: ["501", 502] }),
            (c) => c.maskingServers.ids?.[0],
            501,
        ],
    ];
    it.each(accepted)("accepts %s as the number", (_what, config, read, expected) => {
        const parsed = parseStackConfig(entries(config));
        expect(read(parsed)).toBe(expected);
        expect(typeof read(parsed)).toBe("number");
    });

    it("converts inside objects given as JSON text, as Pulumi hands them to programs", () => {
        const parsed = parseStackConfig({
            ...entries(valid),
            "proxy-lb:capacity": JSON.stringify({ headroom: "0.3", minNodes: "2" }),
        });
        expect(parsed.capacity).toMatchObject({ headroom: 0.3, minNodes: 2 });
    });

    it("sizes the same from text as from numbers", () => {
        const fromText = loadSettings(
            entries(capacity({ headroom: "0.3", connectionsPerNode: "8000" })),
        ).sizing;
        const fromNumbers = loadSettings(
            entries(capacity({ headroom: 0.3, connectionsPerNode: 8000 })),
        ).sizing;
        expect(fromText).toEqual(fromNumbers);
    });

    // Not plain decimal text: refused naming the key and the value exactly as given.
    const refused = [
        "abc",
        "1e999",
        "1e3",
        " 3",
        "3 ",
        "",
        "0x10",
        "1_000",
        "1,000",
        "Infinity",
        "-Infinity",
        "NaN",
        "+3",
        ".5",
        "5.",
        "-",
        "0.3.1",
        "٣",
        "9".repeat(400),
    ];
    it.each(refused)("refuses %j for a number key and an integer key", (text) => {
        const shown =
            JSON.stringify(text).length > 60
                ? `${JSON.stringify(text).slice(0, 57)}...`
                : JSON.stringify(text);
        expect(problemsOf(capacity({ headroom: text }))).toEqual([
            `proxy-lb:capacity.headroom must be a number from 0 to 10 (got ${shown})`,
        ]);
        expect(problemsOf(demand({ users: text }))).toEqual([
            `proxy-lb:demand.users must be a whole number ≥ 0 (got ${shown})`,
        ]);
    });

    it("still refuses other types: booleans, null, lists", () => {
        expect(problemsOf(capacity({ headroom: true }))).toEqual([
            "proxy-lb:capacity.headroom must be a number from 0 to 10 (got true)",
        ]);
        expect(problemsOf(demand({ users: null }))).toEqual([
            "proxy-lb:demand.users must be a whole number ≥ 0 (got null)",
        ]);
        expect(problemsOf(demand({ users: ["12"] }))).toEqual([
            'proxy-lb:demand.users must be a whole number ≥ 0 (got ["12"])',
        ]);
    });

    it("property: any finite number's canonical decimal text converts back to the same number", () => {
        const plainDecimal = (x: number) => /^-?[0-9]+(\.[0-9]+)?$/.test(String(x)); // String() uses exponents below 1e-6 and from 1e21
        fc.assert(
            fc.property(
                fc.double({ noNaN: true, noDefaultInfinity: true }).filter(plainDecimal),
                (x) => {
                    expect(numberFromDecimalText(String(x))).toBe(x === 0 ? 0 : x); // "-0" is written "0"
                },
            ),
            { numRuns: 1000 },
        );
    });

    it("property: a headroom or user count written as text gives the same config as the number", () => {
        fc.assert(
            fc.property(
                fc.double({ min: 0, max: 10, noNaN: true }).filter((x) => !String(x).includes("e")),
                fc.nat({ max: 1_000_000 }),
                (headroom, users) => {
                    const fromText = parseStackConfig(
                        entries({
                            ...valid,
                            demand: { users: String(users), tasksPerUser: 1 },
                            capacity: { headroom: String(headroom) },
                        }),
                    );
                    expect(fromText.capacity.headroom).toBe(headroom === 0 ? 0 : headroom);
                    expect(fromText.demand.users).toBe(users);
                },
            ),
            { numRuns: 300 },
        );
    });

    it("property: any text with whitespace or a letter is refused, naming the key and the text", () => {
        const spoiler = fc.constantFrom(
            " ",
            "\t",
            "\n",
            "\u00a0",
            "\u2003",
            "\ufeff",
            "e",
            "E",
            "x",
            "a",
            "Z",
            "é",
            "_",
        );
        const numberish = fc.oneof(fc.double().map(String), fc.integer().map(String), fc.string());
        fc.assert(
            fc.property(numberish, spoiler, numberish, fc.nat(), (before, inserted, after, at) => {
                const cut = at % (before.length + 1);
                const text = `${before.slice(0, cut)}${inserted}${before.slice(cut)}${after}`;
                expect(numberFromDecimalText(text)).toBe(text);
                const problems = problemsOf(capacity({ headroom: text }));
                expect(problems).toHaveLength(1);
                expect(problems[0]).toMatch(
                    /^proxy-lb:capacity\.headroom must be a number from 0 to 10 \(got ".*"\)$/s,
                );
            }),
            { numRuns: 500 },
        );
    });
});

describe("stack files", () => {
    const problemsIn = (text: string, file = "Pulumi.drop.yaml"): string[] => {
        try {
            parseStackFile(text, file);
        } catch (err) {
            if (err instanceof ConfigError) return err.problems;
            throw err;
        }
        throw new Error("parseStackFile accepted it");
    };

    it("reads the config mapping of a valid file", () => {
        expect(parseStackFile("config:\n  proxy-lb:region: nyc3\n", "f")).toEqual({
            "proxy-lb:region": "nyc3",
        });
    });
    it("reads the committed stack files with their other Pulumi keys and namespaces", () => {
        const text =
            "encryptionsalt: v1:abc\nconfig:\n  digitalocean:token:\n    secure: v1:xyz\n  proxy-lb:region: nyc3\n";
        expect(parseStackFile(text, "f")).toEqual({
            "digitalocean:token": { secure: "v1:xyz" },
            "proxy-lb:region": "nyc3",
        });
    });

    // [what is wrong, the file's text, the problems expected, in full]
    const broken: [string, string, string[]][] = [
        [
            "an unclosed flow list (the error is at the end of the file: shown on the last line with content)",
            "config:\n  proxy-lb:demand:\n    users: [1,\n\n",
            [
                "Pulumi.drop.yaml is not valid YAML at line 3, column 15: Flow sequence in block collection must be sufficiently indented and end with a ]",
                "  3 |     users: [1,",
                "    |               ^",
            ],
        ],
        [
            "a repeated key",
            "config:\n  proxy-lb:region: nyc3\n  proxy-lb:region: ams3\n",
            [
                "Pulumi.drop.yaml is not valid YAML at line 3, column 3: Map keys must be unique",
                "  3 |   proxy-lb:region: ams3",
                "    |   ^",
            ],
        ],
        [
            "a tab as indentation (shown as →, one column)",
            "config:\n\tproxy-lb:region: nyc3\n",
            [
                "Pulumi.drop.yaml is not valid YAML at line 2, column 1: Tabs are not allowed as indentation",
                "  2 | →proxy-lb:region: nyc3",
                "    | ^",
            ],
        ],
        [
            "an unclosed quote",
            "config:\n  proxy-lb:region: 'nyc3\n",
            [
                "Pulumi.drop.yaml is not valid YAML at line 2, column 25: Missing closing 'quote",
                "  2 |   proxy-lb:region: 'nyc3",
                "    |                         ^",
            ],
        ],
        [
            "an empty file",
            "",
            ["Pulumi.drop.yaml is empty: expected a `config:` block with proxy-lb: keys"],
        ],
        [
            "a file of blank lines",
            "\n  \n",
            ["Pulumi.drop.yaml is empty: expected a `config:` block with proxy-lb: keys"],
        ],
        [
            "a file of comments only",
            "# the drop stack\n# config: to come\n",
            ["Pulumi.drop.yaml has only comments: expected a `config:` block with proxy-lb: keys"],
        ],
        [
            "a list instead of a mapping",
            "- proxy-lb:region: nyc3\n",
            [
                "Pulumi.drop.yaml must be a YAML mapping with a `config:` block of proxy-lb: keys (got a list)",
            ],
        ],
        [
            "a typo in `config`",
            "confg:\n  proxy-lb:region: nyc3\n",
            ["Pulumi.drop.yaml: `confg` is not a Pulumi stack-file key; did you mean `config`?"],
        ],
        [
            "a typo in `encryptionsalt`",
            "encryptionsalts: v1:abc\nconfig:\n  proxy-lb:region: nyc3\n",
            [
                "Pulumi.drop.yaml: `encryptionsalts` is not a Pulumi stack-file key; did you mean `encryptionsalt`?",
            ],
        ],
        [
            "an unrelated top-level key",
            "owner: ops\nconfig:\n  proxy-lb:region: nyc3\n",
            [
                "Pulumi.drop.yaml: `owner` is not a Pulumi stack-file key (those are config, environment, secretsprovider, encryptedkey, encryptionsalt)",
            ],
        ],
        [
            "config keys at the top level",
            "proxy-lb:region: nyc3\n",
            [
                "Pulumi.drop.yaml: `proxy-lb:region` is at the top level; config keys go under `config:` (indented)",
            ],
        ],
        [
            "no config block",
            "encryptionsalt: v1:abc\n",
            ["Pulumi.drop.yaml has no `config:` block: expected one with proxy-lb: keys"],
        ],
        [
            "an empty config block",
            "config:\n",
            [
                "Pulumi.drop.yaml: `config:` is empty: expected proxy-lb: keys under it, such as proxy-lb:region",
            ],
        ],
        [
            "a config that is not a mapping",
            "config: [1, 2]\n",
            ["Pulumi.drop.yaml: config must be a mapping of keys to values"],
        ],
        [
            "keys without the namespace",
            "config:\n  region: nyc3\n  demnd: {users: 1}\n  colour: blue\n",
            [
                "Pulumi.drop.yaml: `region` has no namespace; did you mean `proxy-lb:region`?",
                "Pulumi.drop.yaml: `demnd` has no namespace; did you mean `proxy-lb:demand`?",
                "Pulumi.drop.yaml: `colour` has no namespace: config keys are written <namespace>:<name>, such as proxy-lb:region",
            ],
        ],
        [
            "a misspelt namespace",
            "config:\n  proxylb:region: nyc3\n  Proxy-LB:demand: {users: 1}\n  digitalocean:token: x\n",
            [
                "Pulumi.drop.yaml: `proxylb:region` is not in the proxy-lb: namespace; did you mean `proxy-lb:region`?",
                "Pulumi.drop.yaml: `Proxy-LB:demand` is not in the proxy-lb: namespace; did you mean `proxy-lb:demand`?",
            ],
        ],
    ];
    it.each(broken)("says what is wrong with %s", (_what, text, expected) => {
        expect(problemsIn(text)).toEqual(expected);
    });

    it("shows a long line around the error, not all of it", () => {
        const [, line, caret] = problemsIn(
            `config:\n  proxy-lb:loadBalancer: {name: ${"x".repeat(300)}\n`,
        );
        expect(line.length).toBeLessThan(120);
        expect(line).toMatch(/^ {2}2 \| …x+$/);
        expect(caret.indexOf("^")).toBe(line.length); // just after the end of the line, where } is missing
    });

    it("names where a stack file at a git ref went wrong, as plan --base reads it", () => {
        expect(problemsIn("confg: {}\n", "Pulumi.drop.yaml at origin/main")).toEqual([
            "Pulumi.drop.yaml at origin/main: `confg` is not a Pulumi stack-file key; did you mean `config`?",
        ]);
    });
});

describe("arbitrary input", () => {
    // Any JSON for any key either validates or fails with clean, key-naming lines: never a crash.
    it.each([...OBJECT_KEYS, "region"])("never crashes on arbitrary JSON for %s", (key) => {
        fc.assert(
            fc.property(fc.jsonValue(), fc.boolean(), (value, asText) => {
                const config = entries(withKey(key, asText ? JSON.stringify(value) : value));
                try {
                    loadSettings(config);
                } catch (err) {
                    expect(err).toBeInstanceOf(ConfigError);
                    const problems = (err as ConfigError).problems;
                    expect(problems.length).toBeGreaterThan(0);
                    for (const line of problems)
                        expect(line).toMatch(/^(proxy-lb:|demand needs|region )/);
                }
            }),
            { numRuns: 300 },
        );
    });
});

describe("proxy-lb:autopilot and proxy-lb:notify", () => {
    const autopilot = (value: unknown) => ({ ...valid, autopilot: value });
    const notify = (value: unknown) => ({ ...valid, notify: value });

    it("defaults: off, a 30-minute window, maxNodes from capacity.maxNodes", () => {
        expect(loadSettings(entries(valid)).autopilot).toEqual({
            enabled: false,
            scaleDownAfterMinutes: 30,
            maxNodes: 200,
        });
        expect(
            loadSettings(entries({ ...valid, capacity: { maxNodes: 40 } })).autopilot.maxNodes,
        ).toBe(40);
        expect(loadSettings(entries(autopilot({ enabled: true, maxNodes: 12 }))).autopilot).toEqual(
            { enabled: true, scaleDownAfterMinutes: 30, maxNodes: 12 },
        );
    });

    it("reads the block as Pulumi hands it to programs (JSON text), its booleans and numbers as text too", () => {
        const settings = loadSettings({
            ...entries(valid),
            "proxy-lb:autopilot": JSON.stringify({
                enabled: "true",
                scaleDownAfterMinutes: "45",
                maxNodes: "20",
            }),
        });
        expect(settings.autopilot).toEqual({
            enabled: true,
            scaleDownAfterMinutes: 45,
            maxNodes: 20,
        });
    });

    it.each([
        [{ enabled: "yes" }, 'proxy-lb:autopilot.enabled must be true or false (got "yes")'],
        [{ enabled: 1 }, "proxy-lb:autopilot.enabled must be true or false (got 1)"],
        [
            { scaleDownAfterMinutes: "abc" },
            'proxy-lb:autopilot.scaleDownAfterMinutes must be a whole number from 1 to 1440 (got "abc")',
        ],
        [
            { scaleDownAfterMinutes: "1e999" },
            'proxy-lb:autopilot.scaleDownAfterMinutes must be a whole number from 1 to 1440 (got "1e999")',
        ],
        [
            { scaleDownAfterMinutes: " 3" },
            'proxy-lb:autopilot.scaleDownAfterMinutes must be a whole number from 1 to 1440 (got " 3")',
        ],
        [
            { scaleDownAfterMinutes: 0 },
            "proxy-lb:autopilot.scaleDownAfterMinutes must be a whole number from 1 to 1440 (got 0)",
        ],
        [
            { maxNodes: 201 },
            "proxy-lb:autopilot.maxNodes must be a whole number from 1 to 200 (got 201)",
        ],
        [
            { maxNodes: "abc" },
            'proxy-lb:autopilot.maxNodes must be a whole number from 1 to 200 (got "abc")',
        ],
        [
            { enable: true },
            "proxy-lb:autopilot.enable is not a known key; did you mean proxy-lb:autopilot.enabled?",
        ],
    ])("refuses %j naming the key", (value, problem) => {
        expect(problemsOf(autopilot(value))).toEqual([problem]);
    });

    it("an empty notify block (Pulumi.yaml's default) is no notifications; a webhook URL is never echoed", () => {
        expect(loadSettings(entries(notify({}))).config.notify).toBeUndefined();
        expect(
            loadSettings(
                entries(notify({ webhookUrl: "https://discord.com/api/webhooks/1/secret-token" })),
            ).config.notify,
        ).toEqual({
            webhookUrl: "https://discord.com/api/webhooks/1/secret-token",
        });
        const problems = problemsOf(
            notify({ webhookUrl: "http://example.com/hooks/secret-token" }),
        );
        expect(problems).toEqual([
            "proxy-lb:notify.webhookUrl must be an https:// URL (the value is not shown: it is a secret)",
        ]);
        expect(problems.join("\n")).not.toContain("secret-token");
    });
});

describe("the webhook URL is a secret in the stack file", () => {
    const file = (notify: string) =>
        `config:\n  proxy-lb:region: nyc3\n  proxy-lb:notify:\n${notify}`;

    it("reads an encrypted URL (as `pulumi config set --secret --path` writes it) without decrypting it", () => {
        const entries = parseStackFile(
            file("    webhookUrl:\n      secure: v1:abc\n    format: slack\n"),
            "Pulumi.drop.yaml",
        );
        const notify = parseStackConfig({
            ...entries,
            ...Object.fromEntries(Object.entries(valid).map(([k, v]) => [`proxy-lb:${k}`, v])),
        }).notify!;
        expect(notify).toEqual({ webhookUrl: { secure: "v1:abc" }, format: "slack" });
        expect(notifyTarget(notify)).toBeNull(); // until decrypted (the controller does it once)
        expect(notifyTarget({ webhookUrl: "https://hooks.slack.com/services/T/B/x" })).toEqual({
            webhookUrl: "https://hooks.slack.com/services/T/B/x",
            format: "slack",
        });
    });

    it("refuses one in plain text, never quoting it; a URL to this machine (a local receiver) holds no secret", () => {
        expect(() =>
            parseStackFile(
                file("    webhookUrl: https://discord.com/api/webhooks/1/secret-token\n"),
                "Pulumi.drop.yaml",
            ),
        ).toThrow(
            "Pulumi.drop.yaml: proxy-lb:notify.webhookUrl is in plain text (a webhook URL is a secret; the value is not shown): set it encrypted with pulumi config set --secret --path 'proxy-lb:notify.webhookUrl' <url>",
        );
        try {
            parseStackFile(
                file("    webhookUrl: https://discord.com/api/webhooks/1/secret-token\n"),
                "Pulumi.drop.yaml",
            );
        } catch (err) {
            expect((err as Error).message).not.toContain("secret-token");
        }
        expect(
            parseStackFile(
                file("    webhookUrl: http://127.0.0.1:8080/hook\n    format: slack\n"),
                "Pulumi.drop.yaml",
            )["proxy-lb:notify"],
        ).toEqual({ webhookUrl: "http://127.0.0.1:8080/hook", format: "slack" });
    });
});
