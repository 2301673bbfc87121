import * as path from "node:path";

/** The project's checkout: the docs, package.json and the manifest are read from here. */
export const ROOT = path.resolve(__dirname, "..", "..");
