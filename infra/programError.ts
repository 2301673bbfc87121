// How the program stops on a failure it explains: a RunError (Pulumi prints its message alone)
// with no stack. Pulumi's run.js still formats every uncaught error with util.inspect and colours
// (for its trace span), and Node.js 20 loops about 25 s of CPU before a RangeError on a stack
// frame in a file directly under a scope, node_modules/@scope/<file> — which the Pulumi SDK's own
// source maps produce (node_modules/@pulumi/resource.ts). A RunError's stack is never shown.
import * as pulumi from "@pulumi/pulumi";

export function programError(message: string): pulumi.RunError {
    const error = new pulumi.RunError(message);
    error.stack = undefined;
    return error;
}
