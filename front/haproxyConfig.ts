// The front's HAProxy configuration, rendered from one description for the cluster and the lab.
//
// Plain TCP. Each redis server is health-checked every second with AUTH and `INFO replication`,
// up only while it answers `role:master`; a server that goes down has its sessions cut, so
// clients reconnect and land on the master. With the gate (front/masterGate.lua) a server is
// served only while a majority of the group's sentinels name it master; without it (`gate:
// false`) this is the plain tcp-check front the benchmarks compare against.

import * as fs from "fs";
import * as path from "path";

/** The Lua master gate, loaded by HAProxy next to the configuration. */
export const MASTER_GATE_FILE = path.join(__dirname, "masterGate.lua");
export const masterGateSource = (): string => fs.readFileSync(MASTER_GATE_FILE, "utf8");

/** Health-check period of each redis server, and the gate's polling period. */
export const FRONT_CHECK_INTERVAL_MS = 1000;
export const FRONT_GATE_INTERVAL_MS = 200;
/** Failed checks before a server is down. */
const FRONT_CHECK_FALL = 2;
/** How long a hung server can go unnoticed, at most: `fall` checks, each up to `inter` apart and waiting up to `timeout check`. */
export const FRONT_DETECTION_MS = FRONT_CHECK_FALL * (FRONT_CHECK_INTERVAL_MS + FRONT_CHECK_INTERVAL_MS);

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
    return [`    server-template ${prefix} ${count} ${name}:${port} resolvers cluster init-addr none ${options}`.trimEnd()];
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
                  "    parse-resolv-conf",
                  "    hold valid 1s",
                  "    hold obsolete 5s",
                  "    accepted_payload_size 8192",
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
        "    tcp-check send INFO\\ replication\\r\\n",
        "    tcp-check expect string role:master",
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
