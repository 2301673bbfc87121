// Request/response validation against DigitalOcean's own OpenAPI description
// (openapi/do-openapi-subset.json, unmodified; see openapi/NOTICE.md).
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { contractFor } from "./contract";

export const SPEC_ENV = "DO_OPENAPI_SPEC";
export const DEFAULT_SPEC_PATH = resolve(__dirname, "openapi", "do-openapi-subset.json");
/** Load balancer monitoring metrics (unmodified subset, always the copy in this repository). */
export const METRICS_SPEC_PATH = resolve(__dirname, "openapi", "do-openapi-lb-metrics.json");

export class SpecUnavailableError extends Error {}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document, walked by key
type Schema = Record<string, any>;
interface Parameter {
    in: string;
    name: string;
    required?: boolean;
    schema?: Schema;
}

interface Operation {
    operationId: string;
    parameters?: Parameter[];
    requestBody?: { content?: Record<string, { schema?: Schema }> };
    responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export function resolveSpecPath(explicit?: string): string {
    return resolve(explicit ?? process.env[SPEC_ENV] ?? DEFAULT_SPEC_PATH);
}

/** Known deviations of the spec from what the API and provider accept; applied in place. */
export interface SpecPatches {
    sizeUnitMax: number;
    regionEnums: number;
    lbRegionOptional: number;
}

function patchSpec(node: unknown, patches: SpecPatches): void {
    if (Array.isArray(node)) {
        node.forEach((n) => patchSpec(n, patches));
        return;
    }
    if (!node || typeof node !== "object") return;
    const obj = node as Schema;
    // The spec still says size_unit <= 100; the API and the provider's validator
    // (IntBetween(1, 200), since Dec 2024) allow 200 nodes.
    const su = obj.properties?.size_unit;
    if (su && su.maximum === 100) {
        su.maximum = 200;
        patches.sizeUnitMax++;
    }
    // Region enums list retired slugs (ams1) but miss atl1, a current region.
    if (
        Array.isArray(obj.enum) &&
        obj.enum.includes("nyc3") &&
        obj.enum.includes("sfo1") &&
        !obj.enum.includes("atl1")
    ) {
        obj.enum.push("atl1");
        patches.regionEnums++;
    }
    // The LB create/update variants require `region`, but GLOBAL load balancers have none (the
    // provider sends no region for them); the request checks require it for every other type.
    if (
        Array.isArray(obj.required) &&
        obj.required.includes("region") &&
        (obj.required.includes("droplet_ids") || obj.required.includes("tag"))
    ) {
        obj.required = obj.required.filter((k: string) => k !== "region");
        patches.lbRegionOptional++;
    }
    for (const v of Object.values(obj)) patchSpec(v, patches);
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
    const out = new Set<string>();
    for (const e of errors ?? []) {
        const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "body";
        let msg = `${where} ${e.message ?? "is invalid"}`;
        if (e.keyword === "enum")
            msg += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
        if (e.keyword === "additionalProperties")
            msg += `: ${(e.params as { additionalProperty: string }).additionalProperty}`;
        out.add(msg);
    }
    return [...out];
}

/** Keys a schema requires, including those of its allOf parts (the droplet create variants keep them there). */
function requiredKeys(schema: Schema): string[] {
    return [
        ...(schema.required ?? []),
        ...(schema.allOf ?? []).flatMap((s: Schema) => requiredKeys(s)),
    ];
}

export class OpenApi {
    readonly patches: SpecPatches = { sizeUnitMax: 0, regionEnums: 0, lbRegionOptional: 0 };
    private readonly ajv: Ajv;
    private readonly cache = new Map<string, ValidateFunction>();

    constructor(
        private readonly spec: { paths: Record<string, Record<string, Operation>> },
        readonly path: string,
    ) {
        patchSpec(spec, this.patches);
        // strict: false because the spec uses OpenAPI-only keywords (example, discriminator, deprecated...).
        this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
        addFormats(this.ajv);
    }

    operation(method: string, template: string): Operation | undefined {
        return this.spec.paths[template]?.[method.toLowerCase()];
    }

    private compile(key: string, schema: Schema): ValidateFunction {
        let v = this.cache.get(key);
        if (!v) {
            v = this.ajv.compile(schema);
            this.cache.set(key, v);
        }
        return v;
    }

    /**
     * Errors of a request body against the operation's schema. For a oneOf body (the LB
     * "by ID" / "by tag" variants) the branch whose required keys are present is used so
     * the messages are about that variant rather than "must match exactly one schema".
     */
    requestErrors(
        method: string,
        template: string,
        body: unknown,
        opts: { wholeSchema?: boolean } = {},
    ): string[] {
        const op = this.operation(method, template);
        const schema = op?.requestBody?.content?.["application/json"]?.schema;
        if (!op || !schema) return [];
        let key = `req:${op.operationId}`;
        let target = schema;
        if (!opts.wholeSchema && Array.isArray(schema.oneOf) && body && typeof body === "object") {
            const matching = schema.oneOf
                .map((b: Schema, i: number) => ({ b, i }))
                .filter(({ b }: { b: Schema }) =>
                    requiredKeys(b).every((k: string) => k in (body as object)),
                );
            if (matching.length === 1) {
                target = matching[0].b;
                key += `:${matching[0].i}`;
            }
        }
        const v = this.compile(key, target);
        return v(body) ? [] : formatErrors(v.errors);
    }

    /** Errors of a request's query string against the operation's query parameters. */
    queryErrors(method: string, template: string, query: Record<string, unknown>): string[] {
        const op = this.operation(method, template);
        const errs: string[] = [];
        for (const p of op?.parameters ?? []) {
            if (p.in !== "query") continue;
            const v = query[p.name];
            if (v === undefined) {
                if (p.required) errs.push(`query parameter ${p.name} is required`);
                continue;
            }
            const check = this.compile(`query:${op!.operationId}:${p.name}`, p.schema ?? {});
            if (!check(v))
                errs.push(
                    `query parameter ${p.name} ${formatErrors(check.errors)
                        .join(", ")
                        .replace(/^body /, "")}`,
                );
        }
        return errs;
    }

    /** Errors of a response body against the spec schema for that status plus the provider-contract overlay. */
    responseErrors(method: string, template: string, status: number, body: unknown): string[] {
        const op = this.operation(method, template);
        if (!op) return [];
        const res =
            op.responses[String(status)] ??
            op.responses[`${String(status)[0]}XX`] ??
            (status >= 400 ? op.responses.default : undefined);
        if (!res) return [`status ${status} is not a documented response of ${op.operationId}`];
        const schema = res.content?.["application/json"]?.schema;
        if (!schema)
            return body === undefined || body === ""
                ? []
                : [`${op.operationId} ${status} must have no body`];
        const overlay = contractFor(op.operationId, status);
        const v = this.compile(
            `res:${op.operationId}:${status}`,
            overlay ? { allOf: [schema, overlay] } : schema,
        );
        return v(body) ? [] : formatErrors(v.errors);
    }
}

const loaded = new Map<string, OpenApi>();

/** Loads (once per path) and patches the spec; throws SpecUnavailableError with a clear message. */
export function loadOpenApi(specPath?: string): OpenApi {
    const path = resolveSpecPath(specPath);
    let api = loaded.get(path);
    if (api) return api;
    if (!existsSync(path)) {
        throw new SpecUnavailableError(
            `DigitalOcean OpenAPI spec not found at ${path}. Set ${SPEC_ENV} (or the specPath option) to ` +
                `the do-openapi-subset.json file; it is not copied into this repo.`,
        );
    }
    let spec: unknown;
    try {
        spec = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
        throw new SpecUnavailableError(
            `DigitalOcean OpenAPI spec at ${path} is not valid JSON: ${(e as Error).message}`,
        );
    }
    const metrics = JSON.parse(readFileSync(METRICS_SPEC_PATH, "utf8")) as {
        paths: Record<string, Record<string, Operation>>;
    };
    const paths = (spec as { paths: Record<string, unknown> }).paths;
    for (const [p, ops] of Object.entries(metrics.paths)) paths[p] ??= ops;
    api = new OpenApi(spec as ConstructorParameters<typeof OpenApi>[0], path);
    loaded.set(path, api);
    return api;
}
