// An S3 bucket (DigitalOcean Spaces, any S3-compatible store) as Pulumi's s3:// backend names it,
// reached with the same credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else the SDK's own
// chain) and the same URL query: endpoint (a scheme-less one takes http:// with disableSSL=true,
// as Pulumi translates it), region, s3ForcePathStyle / use_path_style, a path as a key prefix.
// Writes can be conditional: If-None-Match: * creates, If-Match: <etag> replaces only that version.
import type { S3Client } from "@aws-sdk/client-s3";
import { ConfigError } from "../config";

type Sdk = typeof import("@aws-sdk/client-s3");
// Loaded with a store's first request: a controller on a file:// state never loads it (~20 MB).
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => (sdk ??= import("@aws-sdk/client-s3"));

export interface S3Location {
    bucket: string;
    /** "" or a prefix ending in "/" */
    prefix: string;
    endpoint: string | undefined;
    region: string;
    forcePathStyle: boolean;
}

/** The bucket, prefix and client options of an s3:// URL, or a refusal naming the URL's problem. */
export function parseS3Url(url: string, env: Record<string, string | undefined>): S3Location {
    let u: URL;
    try {
        u = new URL(url.trim());
    } catch {
        throw new ConfigError([`${url} is not an s3:// URL (s3://<bucket>?endpoint=…&region=…)`]);
    }
    if (u.protocol !== "s3:" || u.hostname === "")
        throw new ConfigError([`${url} is not an s3:// URL (s3://<bucket>?endpoint=…&region=…)`]);
    const q = u.searchParams;
    const flag = (name: string) => /^(1|true)$/i.test(q.get(name) ?? "");
    let endpoint = q.get("endpoint") ?? undefined;
    if (endpoint !== undefined && !endpoint.includes("://"))
        endpoint = `${flag("disableSSL") || flag("disable_https") ? "http" : "https"}://${endpoint}`;
    const sub = decodeURIComponent(u.pathname).replace(/^\/+/, "");
    return {
        bucket: u.hostname,
        prefix: sub === "" || sub.endsWith("/") ? sub : `${sub}/`,
        endpoint,
        region: q.get("region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
        forcePathStyle: flag("s3ForcePathStyle") || flag("use_path_style"),
    };
}

export interface StoredObject {
    text: string;
    etag: string;
}

/** A conditional write the store refused: someone else's write came first. */
export class PreconditionFailed extends Error {}

export interface S3Store {
    /** s3://bucket/prefix, for messages (never the credentials) */
    where: string;
    get(key: string): Promise<StoredObject | null>;
    /** Writes `text`; with `ifMatch` only over that version, with "absent" only where nothing is. Returns the new etag. */
    put(key: string, text: string, condition: { ifMatch: string } | "absent"): Promise<string>;
    delete(key: string): Promise<void>;
    list(dir: string): Promise<string[]>;
}

const statusOf = (s3: Sdk, err: unknown) =>
    err instanceof s3.S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/** The store at `location`; keys are relative to its prefix. */
export function s3Store(location: S3Location, env: Record<string, string | undefined>): S3Store {
    // The keys from the environment only: the SDK's own chain would also ask a cloud's instance
    // metadata address, which a droplet does not serve (a hang, then a vague error).
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
        throw new ConfigError([
            `the autopilot's lease in s3://${location.bucket} needs the bucket's keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the Spaces access key the s3:// state backend uses)`,
        ]);
    const credentials = {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
    // The SDK warns on stderr that later releases will need Node.js 22; the pinned one runs on 20,
    // and the controller's stderr is its journal: one line per event, nothing else.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    let client: S3Client | undefined;
    const connect = async () => {
        const s3 = await loadSdk();
        client ??= new s3.S3Client({
            region: location.region,
            endpoint: location.endpoint,
            forcePathStyle: location.forcePathStyle,
            credentials,
            // Checksums only where S3 requires them: S3-compatible stores (Spaces among them) refuse some of the newer ones.
            requestChecksumCalculation: "WHEN_REQUIRED",
            responseChecksumValidation: "WHEN_REQUIRED",
            maxAttempts: 3,
        });
        return { s3, client };
    };
    const Bucket = location.bucket;
    const full = (key: string) => `${location.prefix}${key}`;
    const where = `s3://${Bucket}/${location.prefix}`;
    const failed = (what: string, key: string, err: unknown) =>
        new ConfigError([
            `${what} s3://${Bucket}/${full(key)} failed: ${(err as Error).name}: ${(err as Error).message}`,
        ]);
    return {
        where,
        async get(key) {
            const { s3, client } = await connect();
            try {
                const out = await client.send(new s3.GetObjectCommand({ Bucket, Key: full(key) }));
                return { text: (await out.Body?.transformToString()) ?? "", etag: out.ETag ?? "" };
            } catch (err) {
                if (statusOf(s3, err) === 404) return null;
                throw failed("reading", key, err);
            }
        },
        async put(key, text, condition) {
            const { s3, client } = await connect();
            try {
                const out = await client.send(
                    new s3.PutObjectCommand({
                        Bucket,
                        Key: full(key),
                        Body: text,
                        ContentType: "application/json",
                        ...(condition === "absent"
                            ? { IfNoneMatch: "*" }
                            : { IfMatch: condition.ifMatch }),
                    }),
                );
                return out.ETag ?? "";
            } catch (err) {
                // 412 Precondition Failed; 409 ConditionalRequestConflict (a racing conditional write); 404 If-Match on nothing
                const status = statusOf(s3, err);
                if (status === 412 || status === 409 || (status === 404 && condition !== "absent"))
                    throw new PreconditionFailed(`${status}`);
                throw failed("writing", key, err);
            }
        },
        async delete(key) {
            const { s3, client } = await connect();
            try {
                await client.send(new s3.DeleteObjectCommand({ Bucket, Key: full(key) }));
            } catch (err) {
                if (statusOf(s3, err) !== 404) throw failed("deleting", key, err);
            }
        },
        async list(dir) {
            const Prefix = full(dir.endsWith("/") ? dir : `${dir}/`);
            const { s3, client } = await connect();
            try {
                const out = await client.send(new s3.ListObjectsV2Command({ Bucket, Prefix }));
                return (out.Contents ?? []).map((o) => o.Key!.slice(location.prefix.length));
            } catch (err) {
                throw failed("listing", dir, err);
            }
        },
    };
}
