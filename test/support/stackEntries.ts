// The smallest valid stack config, as Pulumi.<stack>.yaml's entries: 12 users × 2,000 tasks in
// nyc3 behind one load balancer. Tests add or override the keys they are about.
export const MINIMAL_ENTRIES = {
    "proxy-lb:region": "nyc3",
    "proxy-lb:loadBalancer": {
        name: "proxy-lb",
        forwarding: [{ port: 8080 }],
        healthCheck: { port: 8080 },
    },
    "proxy-lb:maskingServers": { ids: [501] },
    "proxy-lb:demand": { users: 12, tasksPerUser: 2000 },
};
