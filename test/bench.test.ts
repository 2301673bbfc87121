// The benchmark's summary and formatting (bench/report.ts): medians, ratios against the
// minimal program, API requests by kind. The benchmark itself (npm run bench) is not a test.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    benchTable,
    countsByKind,
    formatRequests,
    formatWrites,
    median,
    msPerServer,
    ratio,
    spreadByKind,
    summarizeOp,
    withRatios,
    type BenchReport,
    type Sample,
    type SubjectResult,
} from "../bench/report";

const sample = (
    ms: number,
    reads: Record<string, number>,
    writes: Record<string, number> = {},
    dropletWrites = 0,
): Sample => ({ ms, reads, writes, dropletWrites });

describe("median", () => {
    it.each([
        [[7], 7],
        [[3, 1, 2], 2],
        [[4, 1, 3, 2], 2.5],
        [[10, 10, 400], 10], // one slow outlier does not move it
    ])("median(%j) = %d", (values, expected) => expect(median(values)).toBe(expected));

    it("refuses no values rather than inventing one", () =>
        expect(() => median([])).toThrow(/no values/));

    it("lies between the lowest and highest value and ignores their order", () => {
        fc.assert(
            fc.property(
                fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 15 }),
                (values) => {
                    const m = median(values);
                    expect(m).toBeGreaterThanOrEqual(Math.min(...values));
                    expect(m).toBeLessThanOrEqual(Math.max(...values));
                    expect(median([...values].reverse())).toBe(m);
                },
            ),
        );
    });
});

describe("ratio", () => {
    it.each([
        [3000, 1500, 2],
        [1000, 3000, 0.33],
        [1500, 1500, 1],
        [1234, 0, null],
        [1234, undefined, null],
    ])("ratio(%d, %s) = %s", (a, b, expected) => expect(ratio(a, b)).toBe(expected));
});

describe("requests by kind", () => {
    it("sums the emulator's per-id counters per kind and leaves out kinds with none", () => {
        expect(
            countsByKind({
                load_balancer: { "6d4b": 2, "*": 1 },
                droplet: { "1": 1, "2": 1, "3": 1 },
                tag: {},
            }),
        ).toEqual({ load_balancer: 3, droplet: 3 });
    });

    it("gives each kind its lowest and highest count over the runs; a kind missing from a run counts 0", () => {
        expect(spreadByKind([{ droplet: 10, load_balancer: 1 }, { droplet: 10 }])).toEqual({
            droplet: { min: 10, max: 10 },
            load_balancer: { min: 0, max: 1 },
        });
    });

    it("shows the total, then each kind most first, with a range where the runs differed", () => {
        expect(
            formatRequests(
                { droplet: { min: 20, max: 20 }, load_balancer: { min: 1, max: 1 } },
                {},
            ),
        ).toBe("21 (droplet 20, lb 1)");
        expect(
            formatRequests(
                { load_balancer: { min: 1, max: 2 } },
                { load_balancer: { min: 1, max: 1 }, action: { min: 0, max: 1 } },
            ),
        ).toBe("2–4 (lb 2–3, action 0–1)");
        expect(formatRequests({}, {})).toBe("0");
    });

    it("shows the writes of a resize as the load balancer's and the masking droplets'", () => {
        const up = summarizeOp("pulumi up", [
            sample(9000, { load_balancer: 2 }, { load_balancer: 1 }),
            sample(9500, { load_balancer: 2 }, { load_balancer: 1 }),
        ]);
        expect(formatWrites(up)).toBe("lb 1; droplets 0");
        const touched = summarizeOp("pulumi up", [
            sample(9000, {}, { load_balancer: 1, tag: 1 }, 3),
        ]);
        expect(formatWrites(touched)).toBe("lb 1, tag 1; droplets 3");
    });

    it("counts the targeted resize's writes with the up's, so a droplet write in either shows", () => {
        const up = summarizeOp("pulumi up", [sample(9000, {}, { load_balancer: 1 })]);
        const resize = summarizeOp("pulumi up --target", [
            sample(3000, {}, { load_balancer: 1, droplet: 1 }, 1),
        ]);
        expect(formatWrites(up, resize)).toBe("lb 1, droplet 0–1; droplets 0–1");
        expect(
            formatWrites(
                up,
                summarizeOp("pulumi up --target", [sample(3000, {}, { load_balancer: 1 })]),
            ),
        ).toBe("lb 1; droplets 0");
    });
});

describe("summary and ratios", () => {
    const op = (ms: number[], reads: Record<string, number> = {}) =>
        summarizeOp(
            "cmd",
            ms.map((m) => sample(m, reads)),
        );
    const subject = (id: string, previewMs: number[], upMs: number[]): SubjectResult => ({
        id,
        label: id,
        tool: "pulumi",
        masking: null,
        setupMs: 1,
        preview: op(previewMs, { load_balancer: 1 }),
        up: op(upMs),
    });

    it("summarises the runs by their median, keeping every run's time", () => {
        const result = op([6100.4, 5900.6, 9000], { droplet: 10, load_balancer: 1 });
        expect(result).toMatchObject({
            runs: 3,
            ms: [6100, 5901, 9000],
            medianMs: 6100,
            requests: { min: 11, max: 11 },
            ratio: null,
        });
    });

    it("divides each subject's medians by the baseline's, per operation", () => {
        const [minimal, drop] = withRatios(
            [
                subject("minimal", [4000, 4100, 3900], [6000]),
                subject("drop", [8000, 9000, 8200], [9000]),
            ],
            "minimal",
        );
        expect(minimal.preview.ratio).toBe(1);
        expect(drop.preview.ratio).toBe(2.05); // 8200 / 4000
        expect(drop.up.ratio).toBe(1.5);
    });

    it("puts the targeted resize over the baseline's up, as it is an up", () => {
        const drop = { ...subject("drop", [8000], [9000]), resize: op([3000]) };
        const [, withResize] = withRatios([subject("minimal", [4000], [6000]), drop], "minimal");
        expect(withResize.resize?.ratio).toBe(0.5);
        expect(
            withRatios([subject("minimal", [4000], [6000])], "minimal")[0].resize,
        ).toBeUndefined();
    });

    it("has no ratio when the baseline is missing", () => {
        const [drop] = withRatios([subject("drop", [8000], [9000])], "minimal");
        expect(drop.preview.ratio).toBeNull();
    });

    it("prints one row per subject with its times and ratios, and says why Terraform is missing", () => {
        const report: BenchReport = {
            date: "2026-11-26T05:00:00.000Z",
            machine: {
                cores: 2,
                cpu: "Some CPU",
                platform: "linux 6.1",
                node: "v20.19.0",
                loadAverage: 3.14,
            },
            versions: { pulumi: "v3.248.0" },
            baseline: "minimal",
            subjects: withRatios(
                [
                    subject("minimal", [4000], [6000]),
                    subject("drop stack, 10 masking servers by id", [8000], [9000]),
                ],
                "minimal",
            ),
            terraform: { measured: false, reason: "terraform is not installed" },
            notes: ["what is compared"],
            totalSeconds: 300.4,
        };
        const text = benchTable(report);
        expect(text).toContain("2026-11-26T05:00:00.000Z: 2 cores (Some CPU, load average 3.1)");
        expect(text).toMatch(
            /drop stack, 10 masking servers by id\s*│\s*1\s*│\s*8\.0 s\s*│\s*2\.00×\s*│\s*9\.0 s\s*│\s*1\.50×/,
        );
        expect(text).toContain("Terraform peer not measured: terraform is not installed");
        expect(text).toContain("- what is compared");
        expect(text).toContain("total 300 s");
    });

    it("shows the targeted resize and its ratio, and what each further masking server by tag costs", () => {
        const byTag = (count: number, previewMs: number, resizeMs: number): SubjectResult => ({
            ...subject(
                `drop stack, ${count} masking servers by tag`,
                [previewMs],
                [previewMs + 1000],
            ),
            masking: { count, by: "tag" },
            resize: op([resizeMs]),
        });
        const report: BenchReport = {
            date: "2026-11-26T05:00:00.000Z",
            machine: {
                cores: 2,
                cpu: "Some CPU",
                platform: "linux 6.1",
                node: "v20.19.0",
                loadAverage: 1,
            },
            versions: {},
            baseline: "minimal",
            subjects: withRatios(
                [subject("minimal", [4000], [6000]), byTag(10, 4500, 6000), byTag(110, 9500, 6100)],
                "minimal",
            ),
            terraform: { measured: true },
            notes: [],
            totalSeconds: 1,
        };
        const text = benchTable(report);
        expect(text).toMatch(
            /drop stack, 110 masking servers by tag\s*│\s*1\s*│\s*9\.5 s\s*│\s*2\.38×\s*│\s*10\.5 s\s*│\s*1\.75×\s*│\s*6\.1 s\s*│\s*1\.02×/,
        );
        expect(text).toMatch(
            /minimal\s*│\s*1\s*│\s*4\.0 s\s*│\s*1\.00×\s*│\s*6\.0 s\s*│\s*1\.00×\s*│\s*—\s*│\s*—/,
        );
        expect(text).toContain(
            "each further masking server by tag adds (least squares over the by-tag rows): preview 50 ms, up 50 ms, resize 1 ms",
        );
    });
});

describe("cost per masking server", () => {
    it.each([
        [
            [
                { servers: 2, ms: 3000 },
                { servers: 202, ms: 12000 },
            ],
            45,
        ],
        [
            [
                { servers: 10, ms: 5000 },
                { servers: 10, ms: 6000 },
            ],
            null,
        ], // one count: no slope
        [[{ servers: 50, ms: 5000 }], null],
    ])("msPerServer(%j) = %s", (points, expected) => expect(msPerServer(points)).toBe(expected));

    it("recovers the slope of points on a line, whatever the intercept", () => {
        fc.assert(
            fc.property(
                fc.uniqueArray(fc.integer({ min: 1, max: 2000 }), { minLength: 2, maxLength: 6 }),
                fc.integer({ min: 0, max: 500 }),
                fc.integer({ min: 0, max: 10_000 }),
                (servers, slope, intercept) => {
                    expect(
                        msPerServer(
                            servers.map((n) => ({ servers: n, ms: intercept + slope * n })),
                        ),
                    ).toBeCloseTo(slope, 5);
                },
            ),
        );
    });
});
