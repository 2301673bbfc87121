// One lint config for every TypeScript file: typescript-eslint's recommended rules, plus the
// type-aware promise rules (a floating or misused promise is a resize nobody waits for).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "coverage/", ".toolchain/", ".offline/", "**/*.mjs", "**/*.js"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/await-thenable": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        // Tests read JSON bodies and fixtures of any shape; the source keeps its types.
        files: ["**/*.test.ts", "test/**/*.ts", "emulator/testkit.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
