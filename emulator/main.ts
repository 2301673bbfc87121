// CLI: npm run -s emulator -- --port 8787 --seed seed.json [--state state.json]
// (npm runs this file with `exec node --require tsx/cjs`: one process, so npm's signals reach it).
import { parseArgs } from "node:util";
import { loadSeedFile } from "./seed";
import { startEmulator } from "./server";

const USAGE = `usage: tsx emulator/main.ts [--port 8787] [--seed seed.json|seed.yaml] [--state state.json]
                               [--validate-responses] [--spec do-openapi-subset.json]
                               [--activate-after-gets N] [--resize-delay-seconds N]
                               [--now ISO-8601 (default: $PROXY_LB_NOW, else real time)] [--quiet]`;

/** How often to check that the parent is still there. */
const PARENT_CHECK_MS = 250;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "8787" },
            seed: { type: "string" },
            state: { type: "string" },
            spec: { type: "string" },
            "validate-responses": { type: "boolean", default: false },
            "activate-after-gets": { type: "string" },
            "resize-delay-seconds": { type: "string" },
            now: { type: "string" },
            quiet: { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        return;
    }
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be 0..65535\n${USAGE}`);
    const activateAfterGets =
        values["activate-after-gets"] !== undefined
            ? Number(values["activate-after-gets"])
            : undefined;
    const delay = values["resize-delay-seconds"];
    if (delay !== undefined && !/^\d+$/.test(delay))
        throw new Error(
            `--resize-delay-seconds must be whole seconds (got ${JSON.stringify(delay)})\n${USAGE}`,
        );
    // The program's clock override, so an emulator started next to it agrees on now.
    const now = values.now ?? (process.env.PROXY_LB_NOW || undefined);

    const emu = await startEmulator({
        port,
        seed: values.seed ? loadSeedFile(values.seed) : undefined,
        stateFile: values.state,
        specPath: values.spec,
        validateResponses: values["validate-responses"],
        activateAfterGets,
        resizeDelaySeconds: delay === undefined ? undefined : Number(delay),
        now,
        // One line per request; the log entry never holds the token.
        onRequestLogged: values.quiet
            ? undefined
            : (e) =>
                  console.log(
                      `${e.seq} ${e.method} ${e.path} -> ${e.status || "dropped"}${e.write ? " [write]" : ""}${e.fault ? ` [fault:${e.fault}]` : ""}`,
                  ),
    });
    // The first stdout line is the URL: a script reads it to find a --port 0 emulator.
    console.log(emu.url);
    console.error(
        `DigitalOcean API emulator on ${emu.url} (control: ${emu.url}/_emulator/summary); set DIGITALOCEAN_API_URL=${emu.url}`,
    );

    let closing = false;
    const stop = (signal: string): void => {
        if (closing) return;
        closing = true;
        console.error(`${signal}: stopping emulator`);
        emu.close().then(
            () => process.exit(0),
            () => process.exit(1),
        );
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
        process.on(signal, () => stop(signal));
    // Whoever started us (npm, a shell, a test) going away must not leave the port held: a
    // parent killed without forwarding its signal leaves us reparented, so exit then too.
    const parent = process.ppid;
    setInterval(() => {
        if (process.ppid !== parent) stop(`parent process ${parent} exited`);
    }, PARENT_CHECK_MS).unref();
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
