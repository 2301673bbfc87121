// Pulumi.yaml's config block and docs/config.md's reference are generated from the schema;
// this fails when someone edits one by hand or changes the schema without `npm run docs`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_REFERENCE_FILE, renderPulumiYaml, replaceReference } from "../scripts/docs";
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
});
