import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        // Child processes, not threads: the Pulumi SDK keeps process-wide runtime state.
        pool: "forks",
        // Every emulator a test starts checks its responses against DigitalOcean's spec (off for use).
        env: { DO_EMULATOR_VALIDATE_RESPONSES: "1" },
        projects: [
            {
                extends: true,
                test: {
                    name: "unit",
                    include: ["test/**/*.test.ts", "emulator/**/*.test.ts", "policy/**/*.test.ts"],
                    exclude: ["test/e2e/**"],
                    testTimeout: 30_000,
                    // One worker per core: vitest's default (cores - 1) is ONE worker on a 2-core
                    // machine, and the files that run commands as real processes mostly wait for them.
                    maxWorkers: Math.max(2, availableParallelism()),
                    // A worker runs file after file instead of a fresh process per file (a quarter
                    // of the suite's CPU time). Safe because no unit file leaves global state
                    // behind: the one that runs the program under Pulumi's mocks (test/program.test.ts)
                    // sets the config and mocks and resets the modules for every run.
                    isolate: false,
                    // ...so every stubbed global and env var is restored after its test, whatever
                    // the test threw (a leaked fetch stub broke the next file's emulator requests).
                    unstubGlobals: true,
                    unstubEnvs: true,
                    // The fast suite first; projects with different maxWorkers need distinct orders.
                    sequence: { groupOrder: 0 },
                },
            },
            {
                // The real engine and provider: each `pulumi up` takes seconds, a scenario minutes.
                extends: true,
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    // One file more than cores: a scenario waits on the provider's retries and
                    // polls, the emulator's pace and the controller's ticks for much of a run, so
                    // the extra file fills the gaps (on 2 cores: 2 files took 14:27, 3 files 11:10
                    // on 1.9 cores; vitest's default, cores - 1, is one).
                    maxWorkers: Math.max(3, availableParallelism() + 1),
                    testTimeout: 300_000,
                    hookTimeout: 120_000,
                    sequence: { groupOrder: 1 },
                },
            },
        ],
    },
});
