// CLI: tsx emulator/main.ts --port 8787 --seed seed.json [--state state.json]
import { parseArgs } from "node:util";
import { loadSeedFile } from "./seed";
import { startEmulator } from "./server";

const USAGE = `usage: tsx emulator/main.ts [--port 8787] [--seed seed.json|seed.yaml] [--state state.json]
                               [--validate-responses] [--spec do-openapi-subset.json]
                               [--activate-after-gets N] [--quiet]`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: "string", default: "8787" },
            seed: { type: "string" },
            state: { type: "string" },
            spec: { type: "string" },
            "validate-responses": { type: "boolean", default: false },
            "activate-after-gets": { type: "string" },
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
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535\n${USAGE}`);
    const activateAfterGets = values["activate-after-gets"] !== undefined ? Number(values["activate-after-gets"]) : undefined;

    const emu = await startEmulator({
        port,
        seed: values.seed ? loadSeedFile(values.seed) : undefined,
        stateFile: values.state,
        specPath: values.spec,
        validateResponses: values["validate-responses"],
        activateAfterGets,
        // One line per request; the log entry never holds the token.
        onRequestLogged: values.quiet
            ? undefined
            : (e) => console.log(`${e.seq} ${e.method} ${e.path} -> ${e.status || "dropped"}${e.write ? " [write]" : ""}${e.fault ? ` [fault:${e.fault}]` : ""}`),
    });
    console.log(emu.url);
    console.error(`DigitalOcean API emulator on ${emu.url} (control: ${emu.url}/_emulator/summary); set DIGITALOCEAN_API_URL=${emu.url}`);

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
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
});
