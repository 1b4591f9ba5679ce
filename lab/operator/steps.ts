// What the Spotahome redis-operator does to start a group, for the labs: the redis.conf and
// sentinel.conf it renders, the command line it runs, and the commands its check loop sends.
// Paths are in spotahome/redis-operator at its last commit (632aa3da), as in facts/operator.ts.
// Lines a lab adds of its own (bind, dir, port of a sentinel, logs) are not here: see redisLab.ts.

import IORedis from "ioredis";
import { OPERATOR_REDIS_COMMAND } from "../../facts/operator";
import { redisCommand, redisConfigLines, sentinelConfigLines } from "../../render/redisConfig";
import { MASTER_NAME } from "../../facts/operator";
import type { GroupSpec } from "../redisLab";

/** An address a step connects to. */
export interface Address {
    host: string;
    port: number;
}

/** What the steps need to know of a group. */
export type OperatorGroup = Pick<
    GroupSpec,
    | "password"
    | "maxmemory"
    | "maxmemoryPolicy"
    | "appendonly"
    | "downAfterMilliseconds"
    | "failoverTimeout"
    | "holdsData"
    | "customConfig"
    | "sentinelCustomConfig"
    | "minReplicasToWrite"
    | "minReplicasMaxLag"
>;

/** redis.conf of one server, as the operator writes it to its redis ConfigMap (`redisName`, facts/operator.ts). */
export function operatorRedisConf(port: number, password: string): string[] {
    return [
        // service/generator.go, redisConfigTemplate: every redis starts as a replica of
        // 127.0.0.1:<port>, itself in its own pod; the check loop picks the master afterwards.
        `slaveof 127.0.0.1 ${port}`,
        // redisConfigTemplate: the port of spec.redis.port (6379 by default, api/redisfailover/v1/defaults.go).
        `port ${port}`,
        // redisConfigTemplate: keepalive and RDB snapshots (no appendonly: that comes later by CONFIG SET).
        "tcp-keepalive 60",
        "save 900 1",
        "save 300 10",
        // redisConfigTemplate: the ACL user of the readiness probe.
        "user pinger -@all +ping on >pingpass",
        // redisConfigTemplate renders spec.redis.customCommandRenames here; the labs set none.
        // service/generator.go, generateRedisConfigMap: with auth, the password is appended.
        `masterauth ${password}`,
        `requirepass ${password}`,
    ];
}

/** The group's owned settings, as the rendering takes them from an instance. */
function ownedSettings(group: OperatorGroup) {
    return { ...group, maxmemory: String(group.maxmemory) };
}

/** Arguments after the config file on the command line: the rendered command (`redisCommand`) minus the operator's default. */
export function operatorRedisArgs(group: OperatorGroup): string[] {
    const command = redisCommand({ holdsData: group.holdsData ?? false, redis: ownedSettings(group) });
    // service/generator.go, getRedisCommand: spec.redis.command replaces the default whole; the
    // rendering keeps the default as its prefix, which is what lets the lab use its own file path.
    if (OPERATOR_REDIS_COMMAND.some((word, index) => command[index] !== word)) {
        throw new Error(`lab: rendered redis command ${JSON.stringify(command)} does not start with the operator's default`);
    }
    return command.slice(OPERATOR_REDIS_COMMAND.length);
}

/** The redis customConfig the rendering puts in the RedisFailover, in order. */
export function operatorRedisCustomConfig(group: OperatorGroup): string[] {
    return redisConfigLines({ ...ownedSettings(group), customConfig: group.customConfig ?? [] }, group.holdsData ?? false);
}

/** The sentinel customConfig the rendering puts in the RedisFailover, in order. */
export function operatorSentinelCustomConfig(group: OperatorGroup): string[] {
    return sentinelConfigLines({ ...group, customConfig: group.sentinelCustomConfig ?? [] });
}

/** sentinel.conf, as the operator writes it to its sentinel ConfigMap (`sentinelName`); `redisPort` is spec.redis.port. */
export function operatorSentinelConf(redisPort: number): string[] {
    // service/generator.go, sentinelConfigTemplate: monitor 127.0.0.1 (nothing, in the sentinel's
    // pod) with quorum 2 and short timings, until the check loop points it at the master.
    return [
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${redisPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 3000`,
        `sentinel parallel-syncs ${MASTER_NAME} 2`,
    ];
}

/** service/redis/client.go, getConfigParameters: `<parameter> <value...>`; `""` alone is the empty value. */
export function configParameters(line: string): [string, string] {
    const words = line.split(" ");
    if (words.length < 2) {
        throw new Error(`configuration '${line}' malformed`);
    }
    if (words.length === 2 && words[1] === '""') {
        return [words[0], ""];
    }
    return [words[0], words.slice(1).join(" ")];
}

export async function withClient<T>(address: Address, password: string | undefined, work: (client: IORedis) => Promise<T>): Promise<T> {
    const client = new IORedis({
        host: address.host,
        port: address.port,
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 2000,
        commandTimeout: 5000,
    });
    client.on("error", () => undefined);
    try {
        await client.connect();
        return await work(client);
    } finally {
        client.disconnect();
    }
}

/** heal.go, SetOldestAsMaster: the first (oldest) becomes master (SLAVEOF NO ONE), the others its replicas. */
export async function setOldestAsMaster(redis: Address[], password: string): Promise<void> {
    const [master, ...replicas] = redis;
    // service/redis/client.go, MakeMaster and MakeSlaveOfWithPort.
    await withClient(master, password, (client) => client.call("SLAVEOF", "NO", "ONE"));
    for (const replica of replicas) {
        await withClient(replica, password, (client) => client.call("SLAVEOF", master.host, String(master.port)));
    }
}

/** service/redis/client.go, SetCustomRedisConfig: CONFIG SET of every customConfig line, empty parameters skipped. */
export async function setRedisCustomConfig(address: Address, password: string, lines: string[]): Promise<void> {
    await withClient(address, password, async (client) => {
        for (const line of lines) {
            const [parameter, value] = configParameters(line);
            if (parameter.trim() !== "") {
                await client.call("CONFIG", "SET", parameter, value);
            }
        }
    });
}

/** service/redis/client.go, MonitorRedisWithPort: REMOVE (errors ignored), MONITOR with the quorum, then auth-pass. */
export async function newSentinelMonitor(sentinel: Address, master: Address, quorum: number, password: string): Promise<void> {
    // Sentinels have no password (the client connects with Password "").
    await withClient(sentinel, undefined, async (client) => {
        await client.call("SENTINEL", "REMOVE", MASTER_NAME).catch(() => undefined);
        await client.call("SENTINEL", "MONITOR", MASTER_NAME, master.host, String(master.port), String(quorum));
        await client.call("SENTINEL", "SET", MASTER_NAME, "auth-pass", password);
    });
}

/** service/redis/client.go, SetCustomSentinelConfig: `SENTINEL SET <MASTER_NAME> <parameter> <value>` per line. */
export async function setSentinelCustomConfig(sentinel: Address, lines: string[]): Promise<void> {
    await withClient(sentinel, undefined, async (client) => {
        for (const line of lines) {
            const [parameter, value] = configParameters(line);
            await client.call("SENTINEL", "SET", MASTER_NAME, parameter, value);
        }
    });
}

/** service/generator.go, getQuorum: a majority of the sentinels. */
export function operatorQuorum(sentinelCount: number): number {
    return Math.floor(sentinelCount / 2) + 1;
}

/** Number of replicas the master's INFO lists (in any state): what Sentinel learns replicas from. */
export async function listedReplicas(master: Address, password: string): Promise<number> {
    return withClient(master, password, async (client) => {
        const info = (await client.call("INFO", "replication")) as string;
        return (info.match(/^slave\d+:/gm) ?? []).length;
    });
}
