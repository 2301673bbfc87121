// Reads a load balancer's metrics from DigitalOcean's monitoring API, for whatever needs what the
// LB carries. Thin on purpose: the answer as it came, analysed elsewhere. No Pulumi here.
//   GET {api}/v2/monitoring/metrics/load_balancer/<metric>?lb_id=&start=&end=   (unix seconds)
// answers a Prometheus-style matrix {status, data: {resultType: "matrix", result: [{metric,
// values: [[unixSeconds, "value"], ...]}]}}.
import { z } from "zod";
import { ConfigError } from "../config";
import type { Sample, Series } from "../sizing/observe";
import { type ApiRead, getJson } from "./digitaloceanApi";

export const METRICS = {
    connections: "frontend_connections_current",
    limit: "frontend_connections_limit",
    cpu: "frontend_cpu_utilization",
} as const;

const matrixSchema = z.object({
    status: z.string(),
    data: z.object({
        resultType: z.literal("matrix"),
        result: z.array(
            z.object({
                metric: z.record(z.string(), z.string()).optional(),
                values: z.array(
                    z.tuple([z.union([z.number(), z.string()]), z.union([z.number(), z.string()])]),
                ),
            }),
        ),
    }),
});

export interface MetricsRequest extends ApiRead {
    lbId: string;
    /** unix seconds */
    start: number;
    end: number;
}

/** One metric's samples; several result series (one per node, say) are combined by `combine`. */
export async function fetchMetric(
    req: MetricsRequest,
    metric: string,
    combine: "sum" | "mean",
): Promise<Sample[]> {
    const url = new URL(`${req.api}/v2/monitoring/metrics/load_balancer/${metric}`);
    url.searchParams.set("lb_id", req.lbId);
    url.searchParams.set("start", String(Math.floor(req.start)));
    url.searchParams.set("end", String(Math.ceil(req.end)));
    const json = await getJson(req, url);
    let parsed: z.infer<typeof matrixSchema>;
    try {
        parsed = matrixSchema.parse(json);
    } catch {
        throw new ConfigError([
            `GET ${url.pathname} answered something that is not a metrics matrix: ${JSON.stringify(json).slice(0, 120)}`,
        ]);
    }
    if (parsed.status !== "success")
        throw new ConfigError([
            `GET ${url.pathname} answered status ${JSON.stringify(parsed.status)}`,
        ]);

    const byTime = new Map<number, number[]>();
    for (const result of parsed.data.result) {
        for (const [t, v] of result.values) {
            const time = Number(t);
            const value = Number(v);
            if (!Number.isFinite(time) || !Number.isFinite(value)) continue;
            byTime.set(time, [...(byTime.get(time) ?? []), value]);
        }
    }
    return [...byTime.entries()]
        .sort(([a], [b]) => a - b)
        .map(([t, values]): Sample => {
            const sum = values.reduce((a, b) => a + b, 0);
            return [t, combine === "sum" ? sum : sum / values.length];
        });
}

/** The three series the analysis needs: connections and limit summed over series, CPU averaged. */
export async function fetchLbMetrics(req: MetricsRequest): Promise<Series> {
    const [connections, limit, cpu] = await Promise.all([
        fetchMetric(req, METRICS.connections, "sum"),
        fetchMetric(req, METRICS.limit, "sum"),
        fetchMetric(req, METRICS.cpu, "mean"),
    ]);
    return { connections, limit, cpu };
}
