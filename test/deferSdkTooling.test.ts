// The program's Node.js, started with Pulumi.yaml's nodeargs as the language host starts it:
// the Pulumi SDK loads without TypeScript and npm's arborist, and the one feature that needs
// them (serializing a function, with its code paths) still works, loading them then.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

const SCRIPT = `
const loaded = () => {
    const files = Object.keys(require.cache);
    return {
        typescript: files.some((f) => f.endsWith("/node_modules/typescript/lib/typescript.js")),
        arborist: files.some((f) => f.includes("/node_modules/@npmcli/arborist/")),
    };
};
const pulumi = require("@pulumi/pulumi");
const atLoad = loaded();
(async () => {
    const fn = await pulumi.runtime.serializeFunction(() => 6 * 7);
    const paths = await pulumi.runtime.computeCodePaths({ extraIncludePackages: ["zod"] });
    console.log(JSON.stringify({
        atLoad,
        afterUse: loaded(),
        serialized: fn.text.includes("6 * 7"),
        codePaths: [...paths.keys()].some((p) => p.endsWith("node_modules/zod")),
    }));
})();
`;

function nodeargs(): string[] {
    const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        runtime: { options: { nodeargs: string } };
    };
    return project.runtime.options.nodeargs.split(/\s+/);
}

function run(args: string[]): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) =>
        execFile(
            process.execPath,
            [...args, "-e", SCRIPT],
            { cwd: ROOT, timeout: 30_000 },
            (err, stdout, stderr) =>
                err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
        ),
    );
}

describe("the program's Node.js defers the SDK's function-serialization tooling", () => {
    it("with Pulumi.yaml's nodeargs: neither loads with the SDK, both load on first use, and serialization works", async () => {
        expect(await run(nodeargs())).toEqual({
            atLoad: { typescript: false, arborist: false },
            afterUse: { typescript: true, arborist: true },
            serialized: true,
            codePaths: true,
        });
    });

    it("without the preload, the SDK loads both as it loads (what the preload is for)", async () => {
        const args = nodeargs();
        const at = args.indexOf("./infra/deferSdkTooling.ts");
        expect(args[at - 1]).toBe("--require");
        const plain = [...args.slice(0, at - 1), ...args.slice(at + 1)];
        expect(await run(plain)).toMatchObject({ atLoad: { typescript: true, arborist: true } });
    });
});
