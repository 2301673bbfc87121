// Which droplet inputs the program freezes on every masking server, shared with the gate and
// the policy pack. Pure (a type-only import): the commands that read a preview (gate,
// rollback) do not load the Pulumi SDK for this list.
import type * as digitalocean from "@pulumi/digitalocean";

/**
 * Every input of a droplet, each one frozen (the compiler checks the list is complete).
 * `privateNetworking` is the one exception: it is deprecated, and the imported state carries
 * it, so freezing it (as `["*"]` would) re-sends it on every run and the provider warns twice
 * per droplet. Left out of the program, it cannot differ: the provider computes it (Optional +
 * Computed) and never diffs an absent value; the end-to-end tests show no diff and no write.
 */
const FROZEN: Record<keyof digitalocean.DropletArgs, boolean> = {
    backupPolicy: true,
    backups: true,
    dropletAgent: true,
    gracefulShutdown: true,
    image: true,
    ipv6: true,
    ipv6Address: true,
    monitoring: true,
    name: true,
    privateNetworking: false,
    region: true,
    resizeDisk: true,
    size: true,
    sshKeys: true,
    tags: true,
    userData: true,
    volumeIds: true,
    vpcUuid: true,
};
export const FROZEN_DROPLET_INPUTS = Object.keys(FROZEN).filter(
    (key) => FROZEN[key as keyof typeof FROZEN],
);
