// Preloaded into the program's Node.js (Pulumi.yaml's nodeargs), before the Pulumi SDK loads.
// The SDK requires TypeScript and npm's arborist as it loads, for one feature: serializing a
// JavaScript function into a resource. This program serializes none, and the two cost each run
// about 55 MB and half a second of CPU (docs/benchmarks.md). They load on first use instead,
// so the feature still works if a later version of the program needs it.
import Module from "node:module";

type Load = (request: string, parent: NodeJS.Module | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };
const load = loader._load;

/** The SDK's own modules that require each deferred one (the only requests deferred). */
const DEFERRED: Record<string, RegExp> = {
    typescript: /[\\/]@pulumi[\\/]pulumi[\\/]typescript-shim\.js$/,
    "@npmcli/arborist": /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]closure[\\/]codePaths\.js$/,
};

/**
 * Stands for a CommonJS module until one of its properties is read. Two questions asked of every
 * module as it loads are answered without loading it: `__esModule` (true, so TypeScript's
 * `__importStar` keeps it as it is instead of copying its keys; `default` is then the module
 * itself, as `__importStar` would have made it) and tsx's look for an ES module's
 * `module.exports` (a CommonJS module has none).
 */
function deferredModule(loadModule: () => object): object {
    let real: object | undefined;
    const module = () => (real ??= loadModule());
    return new Proxy(
        {},
        {
            get: (_, key) => {
                if (key === "__esModule") return true;
                const target = module();
                return key === "default" && !("default" in target)
                    ? target
                    : Reflect.get(target, key);
            },
            has: (_, key) => Reflect.has(module(), key),
            ownKeys: () => Reflect.ownKeys(module()),
            getOwnPropertyDescriptor: (_, key) => {
                if (key === "module.exports" && real === undefined) return undefined;
                const descriptor = Reflect.getOwnPropertyDescriptor(module(), key);
                // A proxy may only report a property its empty target lacks as configurable.
                return descriptor && { ...descriptor, configurable: true };
            },
        },
    );
}

loader._load = function (request, parent, isMain) {
    const from = DEFERRED[request];
    if (from && parent && from.test(parent.filename))
        return deferredModule(() => load(request, parent, false) as object);
    return load.call(this, request, parent, isMain);
};
