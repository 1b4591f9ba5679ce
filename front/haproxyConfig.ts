// The front's HAProxy configuration, rendered from one description for the cluster and the lab.
//
// Plain TCP. Each redis server is health-checked every second with AUTH and `ROLE`, up only while
// it answers master; a server that goes down has its sessions cut, so
// clients reconnect and land on the master. With the gate (front/masterGate.lua) a server is
// served only while a majority of the group's sentinels name it master; without it (`gate:
// false`) this is the plain tcp-check front the benchmarks compare against.

import * as fs from "fs";
import * as path from "path";
import { FRONT_CHECK_FALL, FRONT_CHECK_INTERVAL_MS, FRONT_GATE_INTERVAL_MS } from "../config/frontTiming";

/** The Lua master gate, loaded by HAProxy next to the configuration. */
export const MASTER_GATE_FILE = path.join(__dirname, "masterGate.lua");
export const masterGateSource = (): string => fs.readFileSync(MASTER_GATE_FILE, "utf8");

/**
 * What a connection costs HAProxy at most: its two buffers (`tune.bufsize`, 16 KiB by default) and
 * the session around them. Half of the container's memory is kept for connections, the rest for
 * the process, Lua and pools.
 */
const BYTES_PER_CONNECTION = 2 * 16 * 1024 + 4 * 1024;
/** Descriptors beyond two per connection: listeners, checks, the gate's sockets, resolvers, logs. */
const SPARE_DESCRIPTORS = 256;

/**
 * `maxconn` and `fd-hard-limit` for a container with `memoryBytes`. Without a bound HAProxy takes
 * the descriptor limit of its environment (3.0 has no default fd-hard-limit) and touches 64 bytes
 * per descriptor at start: ~64 MiB at a ulimit of 1M, more than the front's whole memory limit.
 */
export function frontConnectionLimits(memoryBytes: number): { maxconn: number; fdHardLimit: number } {
    const maxconn = Math.max(64, Math.floor(memoryBytes / 2 / BYTES_PER_CONNECTION));
    return { maxconn, fdHardLimit: 2 * maxconn + SPARE_DESCRIPTORS };
}

/**
 * The front's own HTTP endpoint, for the kubelet: `/ready` answers 200 only while the gate serves
 * a master (503 otherwise), `/alive` answers 200 while HAProxy runs.
 */
export const FRONT_READY_PATH = "/ready";
export const FRONT_ALIVE_PATH = "/alive";

/** How long the resolvers keep a server's last good address through DNS errors (CoreDNS down, timeouts). */
export const FRONT_DNS_HOLD = "1h";

/** Backend names, as the gate is told them. */
const REDIS_BACKEND = "redis";
const SENTINEL_BACKEND = "sentinels";

/** Servers given by address (the lab), or found in DNS (a headless Service's A records). */
export type FrontServers = { addresses: Array<{ host: string; port: number }> } | { dns: { name: string; port: number; count: number } };

export interface FrontConfig {
    /** Where clients connect. */
    bind: { host: string; port: number };
    redis: FrontServers;
    /** The group's sentinels (needed by the gate). */
    sentinels: FrontServers;
    /** Sentinel's name of the master. */
    masterName: string;
    /** The environment variable holding the redis password: it is never written into the file. */
    passwordEnv: string;
    /** Serve only the server a majority of sentinels name (the shipped front); false for the plain check. */
    gate: boolean;
    /** Where the gate's Lua file is, as HAProxy sees it. */
    gateFile: string;
    /** A runtime API socket (lab diagnostics), if any. */
    statsSocket?: string;
    /** Name servers for the DNS-found servers (the lab's); the pod's resolv.conf when absent. */
    nameservers?: Array<{ host: string; port: number }>;
    /** Where `/ready` and `/alive` answer; none when absent. */
    monitor?: { host: string; port: number };
    /** The container's memory limit: bounds connections and descriptors (none when absent). */
    memoryLimitBytes?: number;
}

/** Refuses what HAProxy would take wrongly: a password variable it would not expand, no servers. */
export function validateFrontConfig(config: FrontConfig): void {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(config.passwordEnv)) {
        throw new Error(`front: passwordEnv "${config.passwordEnv}" is not an environment variable name`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(config.masterName)) {
        throw new Error(`front: masterName "${config.masterName}" has characters the gate's arguments cannot carry`);
    }
    for (const [what, servers] of [
        ["redis", config.redis],
        ["sentinels", config.sentinels],
    ] as const) {
        const count = "addresses" in servers ? servers.addresses.length : servers.dns.count;
        if (count < 1) throw new Error(`front: no ${what} servers`);
    }
}

function serverLines(prefix: string, servers: FrontServers, options: string): string[] {
    if ("addresses" in servers) {
        return servers.addresses.map(({ host, port }, index) => `    server ${prefix}${index} ${host}:${port} ${options}`.trimEnd());
    }
    // One server per A record; none has an address until DNS answers.
    const { name, port, count } = servers.dns;
    // ipv4: a pod has one A record; a AAAA question would only add a lookup that can fail.
    return [
        `    server-template ${prefix} ${count} ${name}:${port} resolvers cluster resolve-prefer ipv4 init-addr none ${options}`.trimEnd(),
    ];
}

/** The whole haproxy.cfg. */
export function renderFrontConfig(config: FrontConfig): string {
    validateFrontConfig(config);
    const usesDns = "dns" in config.redis || "dns" in config.sentinels;
    const interval = `${FRONT_CHECK_INTERVAL_MS}ms`;
    // A gated server starts with weight 0 (checked, not served): nothing is served before a majority names a master.
    const redisOptions = `check inter ${interval} fall ${FRONT_CHECK_FALL} rise 1 on-marked-down shutdown-sessions${config.gate ? " weight 0" : ""}`;
    const lines = [
        "global",
        "    log stdout format raw local0 info",
        // The gate is one task; one thread keeps its view and the servers' states in one place.
        "    nbthread 1",
        ...(config.memoryLimitBytes === undefined
            ? []
            : (({ maxconn, fdHardLimit }) => [`    maxconn ${maxconn}`, `    fd-hard-limit ${fdHardLimit}`])(
                  frontConnectionLimits(config.memoryLimitBytes),
              )),
        ...(config.statsSocket ? [`    stats socket ${config.statsSocket} mode 600 level admin`] : []),
        ...(config.gate
            ? [
                  `    setenv GATE_REDIS_BACKEND ${REDIS_BACKEND}`,
                  `    setenv GATE_SENTINEL_BACKEND ${SENTINEL_BACKEND}`,
                  `    setenv GATE_MASTER_NAME ${config.masterName}`,
                  `    setenv GATE_INTERVAL_MS ${FRONT_GATE_INTERVAL_MS}`,
                  `    lua-load ${config.gateFile}`,
              ]
            : []),
        "",
        "defaults",
        "    mode tcp",
        "    timeout connect 1s",
        `    timeout check ${interval}`,
        // Clients hold connections open for pools, blocking reads and pub/sub: long idle timeouts,
        // with TCP keep-alives to find dead peers.
        "    timeout client 24h",
        "    timeout server 24h",
        "    option tcpka",
        "",
        ...(usesDns
            ? [
                  "resolvers cluster",
                  ...(config.nameservers
                      ? config.nameservers.map(({ host, port }, index) => `    nameserver dns${index} ${host}:${port}`)
                      : ["    parse-resolv-conf"]),
                  // After a DNS error a server keeps its address while a good answer came within
                  // the hold (the defaults are 30 s, after which every server, the served one
                  // included, goes to maintenance). A pod that really moved is caught by its
                  // check and by the gate, not by DNS. `hold valid` does not apply to servers.
                  `    hold timeout ${FRONT_DNS_HOLD}`,
                  `    hold refused ${FRONT_DNS_HOLD}`,
                  `    hold nx ${FRONT_DNS_HOLD}`,
                  `    hold other ${FRONT_DNS_HOLD}`,
                  // An address no longer in the answer (a deleted pod) is dropped after 5 s.
                  "    hold obsolete 5s",
                  "    accepted_payload_size 8192",
                  "",
              ]
            : []),
        ...(config.monitor
            ? [
                  "frontend health",
                  "    mode http",
                  `    bind ${config.monitor.host}:${config.monitor.port}`,
                  "    timeout client 5s",
                  `    monitor-uri ${FRONT_READY_PATH}`,
                  // The gate serves a server by giving it weight 1; a weight-0 server is not usable.
                  `    monitor fail if { nbsrv(${REDIS_BACKEND}) lt 1 }`,
                  `    http-request return status 200 if { path ${FRONT_ALIVE_PATH} }`,
                  "    http-request deny deny_status 404",
                  "",
              ]
            : []),
        "frontend clients",
        `    bind ${config.bind.host}:${config.bind.port}`,
        `    default_backend ${REDIS_BACKEND}`,
        "",
        `backend ${REDIS_BACKEND}`,
        "    option tcp-check",
        "    tcp-check connect",
        `    tcp-check send "AUTH \${${config.passwordEnv}}\\r\\n"`,
        "    tcp-check expect string +OK",
        // ROLE's reply starts `*3 $6 master` on a master and `*5 $5 slave` on a replica: with
        // min-recv, 14 bytes decide, so a replica fails at once instead of after `timeout check`
        // waiting for a string that never comes, and a promoted replica is served a check sooner.
        "    tcp-check send ROLE\\r\\n",
        "    tcp-check expect min-recv 14 string *3\\r\\n$6\\r\\nmaster",
        "    tcp-check send QUIT\\r\\n",
        "    tcp-check expect string +OK",
        ...serverLines("redis", config.redis, redisOptions),
        "",
        // Only an address book for the gate: no traffic, no checks.
        `backend ${SENTINEL_BACKEND}`,
        ...serverLines("sentinel", config.sentinels, ""),
        "",
    ];
    return lines.join("\n");
}
