// The /v2 endpoints the DigitalOcean provider (godo) calls, plus the droplet/tag writes
// it must never make against masking droplets (served so attempts are recorded).
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../errors";
import { type AppContext, ctxOf, intParam, objectBody, paginate } from "../http";
import type { EmulatorStore } from "../store";

type Params<K extends string> = FastifyRequest<{ Params: Record<K, string> }>;

const apiBase = (req: FastifyRequest): string => `http://${req.headers.host ?? "127.0.0.1"}`;

export function registerApiRoutes(app: FastifyInstance, ctx: AppContext): void {
    // The account's operations only (the log and faults belong to the hooks).
    const store: EmulatorStore = ctx.store;

    // ---- load balancers ----
    app.post("/v2/load_balancers", async (req, reply) => {
        const lb = store.createLb(objectBody(req), { stuck: ctxOf(req).holdNew });
        ctxOf(req).entry.id = lb.id;
        return reply.code(202).send({ load_balancer: lb });
    });

    app.get("/v2/load_balancers", async (req) => {
        const p = paginate(req, store.listLbs());
        return { load_balancers: p.items, links: p.links, meta: p.meta };
    });

    app.get("/v2/load_balancers/:lb_id", async (req: Params<"lb_id">) => {
        return { load_balancer: store.getLb(req.params.lb_id, { holdNew: ctxOf(req).holdNew }) };
    });

    app.put("/v2/load_balancers/:lb_id", async (req: Params<"lb_id">) => {
        return { load_balancer: store.updateLb(req.params.lb_id, objectBody(req)) };
    });

    app.delete("/v2/load_balancers/:lb_id", async (req: Params<"lb_id">, reply) => {
        store.deleteLb(req.params.lb_id);
        return reply.code(204).send();
    });

    // ---- certificates (the provider resolves forwarding rules' certificate_id through them) ----
    app.get("/v2/certificates", async (req) => {
        const name = (req.query as Record<string, string | undefined>).name;
        const p = paginate(req, store.listCertificates(name || undefined), { name });
        return { certificates: p.items, links: p.links, meta: p.meta };
    });

    app.get("/v2/certificates/:cert_id", async (req: Params<"cert_id">) => ({
        certificate: store.getCertificate(req.params.cert_id),
    }));

    // ---- droplets (reads) ----
    app.get("/v2/droplets", async (req) => {
        const q = req.query as Record<string, string | undefined>;
        const p = paginate(req, store.listDroplets({ tag: q.tag_name, name: q.name }), {
            tag_name: q.tag_name,
            name: q.name,
        });
        return { droplets: p.items, links: p.links, meta: p.meta };
    });

    app.get("/v2/droplets/:droplet_id", async (req: Params<"droplet_id">) => {
        return { droplet: store.getDroplet(intParam(req.params.droplet_id)) };
    });

    app.get("/v2/droplets/:droplet_id/actions", async (req: Params<"droplet_id">) => {
        const p = paginate(req, store.dropletActions(intParam(req.params.droplet_id)));
        return { actions: p.items, links: p.links, meta: p.meta };
    });

    app.get("/v2/actions/:action_id", async (req: Params<"action_id">) => {
        return { action: store.getAction(intParam(req.params.action_id)) };
    });

    // ---- droplet writes: realistic, recorded, and what tests assert never happens ----
    app.post("/v2/droplets", async (req, reply) => {
        const body = objectBody(req);
        const { droplets, actions } = store.createDroplets(body);
        const entry = ctxOf(req).entry;
        entry.dropletIds = droplets.map((d) => d.id);
        if (droplets.length === 1) entry.id = String(droplets[0].id);
        const links = {
            actions: actions.map((a) => ({
                id: a.id,
                rel: "create",
                href: `http://${req.headers.host}/v2/actions/${a.id}`,
            })),
        };
        return reply
            .code(202)
            .send(
                Array.isArray(body.names) ? { droplets, links } : { droplet: droplets[0], links },
            );
    });

    app.delete("/v2/droplets/:droplet_id", async (req: Params<"droplet_id">, reply) => {
        const id = intParam(req.params.droplet_id);
        ctxOf(req).entry.dropletIds = [id];
        store.deleteDroplet(id);
        return reply.code(204).send();
    });

    app.delete("/v2/droplets", async (req, reply) => {
        const tag = (req.query as Record<string, string | undefined>).tag_name;
        if (!tag) throw new ApiError(422, "tag_name is required");
        ctxOf(req).entry.dropletIds = store.deleteDropletsByTag(tag);
        return reply.code(204).send();
    });

    app.post("/v2/droplets/:droplet_id/actions", async (req: Params<"droplet_id">, reply) => {
        const id = intParam(req.params.droplet_id);
        ctxOf(req).entry.dropletIds = [id];
        return reply.code(201).send({ action: store.dropletAction(id, objectBody(req)) });
    });

    // ---- tags (writes on droplet resources count as droplet writes) ----
    app.post("/v2/tags", async (req, reply) => {
        const body = objectBody(req);
        if (typeof body.name === "string" && body.name) ctxOf(req).entry.id = body.name;
        return reply.code(201).send({ tag: store.createTag(body, apiBase(req)) });
    });

    app.get("/v2/tags", async (req) => {
        const p = paginate(req, store.listTags(apiBase(req)));
        return { tags: p.items, links: p.links, meta: p.meta };
    });

    app.get("/v2/tags/:tag", async (req: Params<"tag">) => ({
        tag: store.getTag(req.params.tag, apiBase(req)),
    }));

    app.delete("/v2/tags/:tag", async (req: Params<"tag">, reply) => {
        ctxOf(req).entry.dropletIds = store.deleteTag(req.params.tag);
        return reply.code(204).send();
    });

    for (const add of [true, false]) {
        const route = { method: add ? "POST" : "DELETE", url: "/v2/tags/:tag/resources" } as const;
        app.route({
            ...route,
            handler: async (req: Params<"tag">, reply) => {
                const body = objectBody(req);
                // Record the targeted droplets before the store checks the body, so refused attempts still count.
                if (Array.isArray(body.resources)) {
                    ctxOf(req).entry.dropletIds = body.resources
                        .filter((r) => r?.resource_type === "droplet")
                        .map((r) => Number(r.resource_id));
                }
                store.tagResources(req.params.tag, body, add);
                return reply.code(204).send();
            },
        });
    }
}
