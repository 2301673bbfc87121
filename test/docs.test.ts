// Pulumi.yaml's config block and docs/config.md's reference are generated from the schema;
// this fails when someone edits one by hand or changes the schema without `npm run docs`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    CONFIG_REFERENCE_FILE,
    renderPulumiYaml,
    renderScopesReference,
    replaceRecommendedScopes,
    replaceReference,
    replaceScopesReference,
    SCOPES_REFERENCE_FILE,
} from "../scripts/docs";
import { COMMAND_SCOPES, type Command, DROPLET_WRITE_SCOPES, tokenScopes } from "../config/scopes";
import { stackConfigSchema } from "../config";

const read = (file: string) => readFileSync(`${__dirname}/../${file}`, "utf8");

describe("generated docs", () => {
    it("Pulumi.yaml matches the schema (run npm run docs)", () => {
        expect(read("Pulumi.yaml")).toBe(renderPulumiYaml());
    });

    it("declares every top-level key of the schema, and only those", () => {
        const project = parse(read("Pulumi.yaml"));
        expect(Object.keys(project.config)).toEqual(Object.keys(stackConfigSchema.shape));
        expect(project.name).toBe("proxy-lb");
    });

    it("docs/config.md's config reference matches the schema (run npm run docs)", () => {
        expect(CONFIG_REFERENCE_FILE).toBe("docs/config.md");
        const doc = read(CONFIG_REFERENCE_FILE);
        expect(replaceReference(doc)).toBe(doc);
    });

    it("docs/config.md lists a drop's demand once, by naming proxy-lb:demand, whose keys it lists", () => {
        const reference = read(CONFIG_REFERENCE_FILE);
        expect(reference).toContain("| `demand.users` |");
        expect(reference).not.toContain("`drops[].demand.");
        const row = reference.split("\n").find((l) => l.startsWith("| `drops[].demand` |"));
        expect(row).toContain("proxy-lb:demand");
    });

    it("the README links the config reference", () => {
        expect(read("README.md")).toContain("(docs/config.md)");
    });

    it("the token scopes in docs/scopes.md and the README's tick list are config/scopes.ts's (run npm run docs), and the README's token has no droplet write", () => {
        const scopes = read(SCOPES_REFERENCE_FILE);
        expect(replaceScopesReference(scopes)).toBe(scopes);
        const readme = read("README.md");
        expect(replaceRecommendedScopes(readme)).toBe(readme);
        const tickList = readme.slice(
            readme.indexOf("<!-- recommended-scopes:start"),
            readme.indexOf("<!-- recommended-scopes:end"),
        );
        expect(tickList).toContain("`load_balancer:update`");
        for (const write of DROPLET_WRITE_SCOPES) expect(tickList).not.toContain(`\`${write}\``);
        expect(readme).toContain("(docs/scopes.md)");
    });

    it("docs/scopes.md's line of what the console adds gives each command's whole token: its ticks and, in turn, what they require", () => {
        const line = renderScopesReference()
            .split("\n")
            .find((l) => l.startsWith("The console adds"))!;
        const adds = new Map(
            line
                .slice(line.indexOf(": ") + 2, -1)
                .split("; ")
                .map((entry) => {
                    const [scope, required] = entry.split(" → ");
                    return [scope.replace(/`/g, ""), required.replace(/`/g, "").split(", ")];
                }),
        );
        for (const command of Object.keys(COMMAND_SCOPES) as Command[]) {
            const token = new Set<string>();
            const add = (scope: string) => {
                if (token.has(scope)) return;
                token.add(scope);
                (adds.get(scope) ?? []).forEach(add);
            };
            COMMAND_SCOPES[command].scopes.forEach(add);
            expect([...token].sort(), command).toEqual(tokenScopes(command));
        }
    });
});
