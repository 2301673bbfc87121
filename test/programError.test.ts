// The program's failures as Pulumi's run.js meets them: it formats every uncaught error with
// util.inspect and colours for its trace span. On Node.js 20 that costs about 25 s of CPU (then a
// RangeError) for a stack with a frame directly under a scope directory, which the Pulumi SDK's
// own source maps produce; a failing `pulumi up` took 27 s instead of 3.
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { programError } from "../infra/programError";

describe("programError", () => {
    const error = programError("DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token");

    it("is a RunError, so Pulumi prints its message alone", () => {
        expect(pulumi.RunError.isInstance(error)).toBe(true);
        expect(error.message).toBe(
            "DIGITALOCEAN_TOKEN is not set: export a DigitalOcean API token",
        );
    });

    it("carries no stack, so run.js's coloured inspect has no frames to walk", () => {
        expect(error.stack).toBeUndefined();
        const started = performance.now();
        expect(inspect(error, { colors: true })).toContain("DIGITALOCEAN_TOKEN is not set");
        expect(performance.now() - started).toBeLessThan(1_000);
    });
});
