// The masking droplets are adopted, never managed: each is imported as it really is and
// locked so that no `up`, `destroy` or config change can write to it. Changing one breaks
// the masking and every proxy fails.
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { FROZEN_DROPLET_INPUTS } from "./frozenInputs";
import { maskingServerName } from "./names";
import { programError } from "./programError";

// The list lives in a pure module (the gate reads it without loading the SDK); the program uses it here.
export { FROZEN_DROPLET_INPUTS };

export const MASKING_SERVER_OPTIONS = {
    protect: true, // never deleted or replaced
    ignoreChanges: FROZEN_DROPLET_INPUTS, // never updated, whatever the program or the console says
    retainOnDelete: true, // dropping one from the config forgets it; the droplet stays
} satisfies pulumi.CustomResourceOptions;

type LiveDroplet = Pick<
    digitalocean.GetDropletResult,
    | "id"
    | "name"
    | "image"
    | "region"
    | "size"
    | "backups"
    | "ipv6"
    | "monitoring"
    | "vpcUuid"
    | "tags"
    | "volumeIds"
>;

/** Reads the masking droplets' live attributes (reads only), by id or by tag. */
export async function readMaskingServers(
    servers: StackConfig["maskingServers"],
): Promise<LiveDroplet[]> {
    if (servers.ids) return Promise.all(servers.ids.map((id) => digitalocean.getDroplet({ id })));
    const { droplets } = await digitalocean.getDroplets({
        filters: [{ key: "tags", values: [servers.tag!] }],
    });
    if (droplets.length === 0) {
        throw programError(
            `no droplet carries the tag ${servers.tag} (proxy-lb:maskingServers.tag): the load balancer would have no masking servers. The program never tags droplets; check the tag.`,
        );
    }
    return droplets;
}

/**
 * Imports every masking droplet. The SDK captures a stack trace for each of the ~150 promises
 * behind a resource's properties (debugging detail for its promise-leak report), and with the
 * program's source maps on each trace is mapped frame by frame: about 45 ms a droplet, most of a
 * 200-droplet preview. With no frames to capture while the droplets are declared that cost is
 * gone; the resources' source positions are kept (the SDK lifts the limit for those) and the
 * limit is restored before anything else runs.
 */
export function importMaskingServers(live: LiveDroplet[]): digitalocean.Droplet[] {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return live.map((droplet) => importMaskingServer(droplet));
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/** Imports a masking droplet declared exactly as it is, so there is no diff even without ignoreChanges. */
export function importMaskingServer(live: LiveDroplet): digitalocean.Droplet {
    return new digitalocean.Droplet(
        maskingServerName(live.id),
        {
            name: live.name,
            image: live.image,
            region: live.region,
            size: live.size,
            backups: live.backups,
            ipv6: live.ipv6,
            monitoring: live.monitoring,
            vpcUuid: live.vpcUuid,
            tags: live.tags,
            volumeIds: live.volumeIds,
        },
        { ...MASKING_SERVER_OPTIONS, import: String(live.id) },
    );
}
