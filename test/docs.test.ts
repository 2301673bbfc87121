// Pulumi.yaml's config block and docs/config.md's reference are generated from the schema;
// this fails when someone edits one by hand or changes the schema without `npm run docs`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    CONFIG_REFERENCE_FILE,
    renderPulumiYaml,
    replaceRecommendedScopes,
    replaceReference,
    replaceScopesReference,
    SCOPES_REFERENCE_FILE,
} from "../scripts/docs";
import { DROPLET_WRITE_SCOPES } from "../config/scopes";
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
});
