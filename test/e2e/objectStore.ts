// A real S3-compatible object server for the end-to-end tests: SeaweedFS's `weed mini`
// (scripts/s3.sh builds it once from the Go module proxy), on 127.0.0.1 on free ports, with one
// access key, one bucket and its data in a temporary directory. It stands in for DigitalOcean
// Spaces: Pulumi's s3:// backend speaks to both through the same S3 API.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const READY_TIMEOUT_MS = 90_000;
/** A cold build of SeaweedFS on two busy cores; warm, the script answers in a second. */
export const BUILD_TIMEOUT_MS = 20 * 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ObjectStore {
    /** http://127.0.0.1:PORT, the S3 endpoint. */
    endpoint: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    /** The Pulumi login URL for the bucket, in the form docs/team-state.md gives for Spaces. */
    loginUrl: string;
    /** What `pulumi` needs in its environment to reach the bucket (the AWS SDK's variables). */
    env: Record<string, string>;
    /** Object names directly under `dir` in the bucket (read through the server's filer, not S3). */
    list(dir: string): Promise<string[]>;
    /** The server's log so far (for failure messages). */
    log(): string;
    stop(): Promise<void>;
}

/**
 * The `weed` binary: found in the cache, or built there first by scripts/s3.sh (minutes, once).
 * Where it cannot be had, an error with the reason (never a skip).
 */
export function weedBinary(): string {
    try {
        return execFileSync("bash", [path.join(ROOT, "scripts/s3.sh")], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: BUILD_TIMEOUT_MS,
        })
            .trim()
            .split("\n")
            .pop()!;
    } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? "");
        throw new Error(
            `the S3 server for the team-state tests cannot be had: ${stderr.trim() || (e as Error).message}`,
            { cause: e },
        );
    }
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}

async function distinctFreePorts(count: number): Promise<number[]> {
    const ports = new Set<number>();
    for (let tries = 0; ports.size < count && tries < count * 20; tries++)
        ports.add(await freePort());
    if (ports.size < count) throw new Error(`could not find ${count} free ports on 127.0.0.1`);
    return [...ports];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startObjectStore({
    bucket = "proxy-lb-state",
}: { bucket?: string } = {}): Promise<ObjectStore> {
    const weed = weedBinary();
    const dir = mkdtempSync(path.join(tmpdir(), "proxy-lb-s3-"));
    const accessKeyId = `E2E${randomBytes(8).toString("hex").toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString("hex");
    const config = path.join(dir, "s3.json");
    writeFileSync(
        config,
        JSON.stringify({
            identities: [
                {
                    name: "team",
                    credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
                    actions: ["Admin", "Read", "Write", "List", "Tagging"],
                },
            ],
        }),
    );

    const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc, admin, adminGrpc] =
        await distinctFreePorts(10);
    const logFile = path.join(dir, "weed.log");
    const out = openSync(logFile, "a");
    const args = [
        "mini",
        `-dir=${path.join(dir, "data")}`,
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        `-master.port=${master}`,
        `-master.port.grpc=${masterGrpc}`,
        `-volume.port=${volume}`,
        `-volume.port.grpc=${volumeGrpc}`,
        `-filer.port=${filer}`,
        `-filer.port.grpc=${filerGrpc}`,
        `-s3.port=${s3}`,
        `-s3.port.grpc=${s3Grpc}`,
        `-admin.port=${admin}`,
        `-admin.port.grpc=${adminGrpc}`,
        "-admin.port.legacy=0",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-master.telemetry=false", // it would report to a public address otherwise
        `-s3.config=${config}`,
        `-bucket=${bucket}`,
    ];
    mkdirSync(path.join(dir, "data"));
    const child: ChildProcess = spawn(weed, args, {
        cwd: dir,
        stdio: ["ignore", out, out],
        detached: true,
    });
    let exited: number | null | undefined;
    child.on("exit", (code) => (exited = code));
    const log = () => {
        try {
            return readFileSync(logFile, "utf8");
        } catch {
            return "";
        }
    };
    const filerUrl = `http://127.0.0.1:${filer}`;
    const endpoint = `http://127.0.0.1:${s3}`;

    const stop = async () => {
        if (exited === undefined) {
            try {
                process.kill(-child.pid!, "SIGTERM");
            } catch {
                // gone
            }
            const deadline = Date.now() + STOP_TIMEOUT_MS;
            while (exited === undefined && Date.now() < deadline) await sleep(100);
            if (exited === undefined) {
                try {
                    process.kill(-child.pid!, "SIGKILL");
                } catch {
                    // gone
                }
                while (exited === undefined && Date.now() < deadline + STOP_TIMEOUT_MS)
                    await sleep(100);
            }
        }
        rmSync(dir, { recursive: true, force: true });
    };

    const list = async (sub: string): Promise<string[]> => {
        const res = await fetch(
            `${filerUrl}/buckets/${bucket}/${sub.replace(/^\/+|\/+$/g, "")}/?limit=1000`,
            { headers: { Accept: "application/json" } },
        );
        if (res.status === 404) return [];
        if (!res.ok) throw new Error(`filer listing of ${sub}: HTTP ${res.status}`);
        const body = (await res.json()) as { Entries?: { FullPath: string }[] | null };
        return (body.Entries ?? []).map((e) => path.posix.basename(e.FullPath));
    };

    // Ready when the S3 port answers and the bucket exists (the filer shows its directory).
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
        if (exited !== undefined) {
            const text = log();
            rmSync(dir, { recursive: true, force: true });
            throw new Error(
                `weed mini exited (${exited}) before it was ready:\n${text.slice(-3000)}`,
            );
        }
        if (Date.now() > deadline) {
            const text = log();
            await stop();
            throw new Error(
                `weed mini was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${text.slice(-3000)}`,
            );
        }
        try {
            const s3Up = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
            const bucketDir = await fetch(`${filerUrl}/buckets/${bucket}/`, {
                headers: { Accept: "application/json" },
                signal: AbortSignal.timeout(2000),
            });
            if (s3Up.status > 0 && bucketDir.ok) break;
        } catch {
            // not listening yet
        }
        await sleep(250);
    }

    return {
        endpoint,
        bucket,
        accessKeyId,
        secretAccessKey,
        loginUrl: `s3://${bucket}?endpoint=${endpoint}&s3ForcePathStyle=true&region=us-east-1`,
        env: {
            AWS_ACCESS_KEY_ID: accessKeyId,
            AWS_SECRET_ACCESS_KEY: secretAccessKey,
            AWS_REGION: "us-east-1",
        },
        list,
        log,
        stop,
    };
}
