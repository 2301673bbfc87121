// The program's resource names and types, shared with the commands that read its previews
// (gate, drift) so they can never disagree about which resource is which. Pure.
export const LOAD_BALANCER_NAME = "proxy-lb";
export const LOAD_BALANCER_TYPE = "digitalocean:index/loadBalancer:LoadBalancer";
export const DROPLET_TYPE = "digitalocean:index/droplet:Droplet";
const MASKING_SERVER_PREFIX = "masking-server-";

export const maskingServerName = (id: number | string) => `${MASKING_SERVER_PREFIX}${id}`;
/** The droplet id in a masking server's resource name, if it is one. */
export const maskingServerId = (name: string) =>
    name.startsWith(MASKING_SERVER_PREFIX) ? name.slice(MASKING_SERVER_PREFIX.length) : undefined;
