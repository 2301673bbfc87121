// Entry point of the "proxy-lb-guardrails" policy pack. Run it against the stack from the repo root:
//
//   pulumi preview --policy-pack policy
//   pulumi preview --policy-pack policy --policy-pack-config policy/config.example.json
//
// No `npm install` in policy/: Node resolves @pulumi/policy, @pulumi/pulumi and
// @pulumi/digitalocean from the repo root's node_modules (see README.md).
// Tests import ./policies, never this file: constructing a PolicyPack starts its gRPC server.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("proxy-lb-guardrails", {
    policies,
    enforcementLevel: "mandatory",
});
