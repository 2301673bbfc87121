// GET /v2/monitoring/metrics/load_balancer/<metric>?lb_id&start&end, one route per metric in
// the spec so responses are validated against that operation.
import type { FastifyInstance } from "fastify";
import { ApiError } from "../errors";
import type { AppContext } from "../http";
import { LB_METRICS, parseWindow } from "../metrics";

export const METRICS_BASE = "/v2/monitoring/metrics/load_balancer";

export function registerMetricsRoutes(app: FastifyInstance, ctx: AppContext): void {
    for (const metric of LB_METRICS) {
        const url = `${METRICS_BASE}/${metric}`;
        app.get(url, async (req) => {
            const query = req.query as Record<string, string | undefined>;
            const specErrors = ctx.openapi?.queryErrors("GET", url, query) ?? [];
            if (specErrors.length) throw new ApiError(400, specErrors.join("; "));
            const window = parseWindow(query);
            if (typeof window === "string") throw new ApiError(400, window);
            return ctx.store.lbMetric(metric, window);
        });
    }
}
