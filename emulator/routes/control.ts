// /_emulator/* control endpoints for tests and humans. No auth, never logged as API traffic.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { clockFromBody } from "../clock";
import { ApiError } from "../errors";
import { FaultError } from "../faults";
import { type AppContext, intParam, objectBody } from "../http";
import type { FaultSpec } from "../faultTypes";

export function registerControlRoutes(app: FastifyInstance, ctx: AppContext): void {
    const { store } = ctx;

    app.get("/_emulator/requests", async (req) => {
        const since = Number((req.query as Record<string, string | undefined>).since ?? 0) || 0;
        return { requests: store.log.filter((e) => e.seq > since) };
    });

    app.get("/_emulator/summary", async () => store.summary());

    app.post("/_emulator/reset-log", async () => {
        store.resetLog();
        return { reset: true };
    });

    app.get("/_emulator/faults", async () => ({ faults: store.faults.list() }));

    app.post("/_emulator/faults", async (req, reply) => {
        try {
            const fault = store.faults.add(objectBody(req) as FaultSpec);
            return reply.code(201).send({ fault });
        } catch (e) {
            if (e instanceof FaultError) throw new ApiError(422, e.message);
            throw e;
        }
    });

    app.delete("/_emulator/faults", async (_req, reply) => {
        store.faults.clear();
        return reply.code(204).send();
    });

    app.patch(
        "/_emulator/droplets/:id",
        async (req: FastifyRequest<{ Params: { id: string } }>) => {
            return { droplet: store.patchDroplet(intParam(req.params.id), objectBody(req)) };
        },
    );

    app.patch(
        "/_emulator/load_balancers/:id",
        async (req: FastifyRequest<{ Params: { id: string } }>) => {
            return { load_balancer: store.patchLb(req.params.id, objectBody(req)) };
        },
    );

    app.put(
        "/_emulator/metrics/load_balancers/:id",
        async (req: FastifyRequest<{ Params: { id: string } }>) => {
            return { metrics: store.setLbMetrics(req.params.id, req.body) };
        },
    );

    // The emulator's now: real time until set; a set clock stays where it was put.
    const clock = () => ({
        now: store.clock.now().toISOString(),
        set: store.clock.fixedMs !== undefined,
        resizeDelaySeconds: store.resizeDelaySeconds,
    });
    app.get("/_emulator/clock", async () => clock());

    app.put("/_emulator/clock", async (req) => {
        const at = clockFromBody(req.body);
        if (typeof at === "string") throw new ApiError(400, at);
        store.setClock(at);
        return clock();
    });

    app.delete("/_emulator/clock", async () => {
        store.setClock(undefined);
        return clock();
    });

    app.get("/_emulator/state", async () => ({ ...store.saved(), faults: store.faults.list() }));
}
