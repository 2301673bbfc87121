// The load balancer Pulumi.drop.yaml adopts, as the emulator seeds it: TCP 443 through, at
// `sizeUnit` nodes, in front of `dropletIds`.
import type { SeedLoadBalancer } from "../../emulator/seedTypes";
import { LB_ID } from "./pulumiFixtures";

export function dropStackLb(
    sizeUnit: number,
    dropletIds: readonly number[] = [],
): SeedLoadBalancer {
    return {
        id: LB_ID,
        name: "proxy-lb",
        region: "nyc3",
        size_unit: sizeUnit,
        droplet_ids: [...dropletIds],
        forwarding_rules: [
            { entry_protocol: "tcp", entry_port: 443, target_protocol: "tcp", target_port: 443 },
        ],
    };
}
