// npx tsx cli/pulumi.ts <pulumi arguments>
// The pinned pulumi (scripts/toolchain.sh), run as it is with its output on the terminal, for a
// bare `pulumi up` in a workflow: when DigitalOcean refuses a call for want of a token scope,
// a line on stderr names the scope and how to add it. Exits with pulumi's
// status; 3 when the toolchain is not built yet.
import { ConfigError } from "../config";
import { pulumiFromToolchain } from "../ops/pulumiCli";

const args = process.argv.slice(2);
if (args.length === 0 || args[0] === "--help" || args[0] === "-h") {
    process.stdout.write(
        "usage: npx tsx cli/pulumi.ts <pulumi arguments>, e.g. up --yes --stack drop\n",
    );
    process.exitCode = args.length === 0 ? 2 : 0;
} else {
    try {
        process.exitCode = pulumiFromToolchain().interactive(args) ?? 1;
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`${err.problems.join("\n")}\n`);
        process.exitCode = (err as ConfigError & { exitCode?: number }).exitCode ?? 1;
    }
}
