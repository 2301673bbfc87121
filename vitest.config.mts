import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "emulator/**/*.test.ts", "policy/**/*.test.ts"],
        // Pulumi mock tests share the SDK's process-wide runtime state; isolate files.
        pool: "forks",
        testTimeout: 30_000,
    },
});
