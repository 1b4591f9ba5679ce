// Asking the servers: what each sentinel believes about the master, what each redis reports about
// itself, and whether the master takes a write. Each call has its own deadline; a failure becomes
// part of the view (`error`), never an exception, so one silent server cannot stop a round.

import { Endpoint, errorText, FrontEndpoint, pairs, parseInfo, Target, withConnection } from "./connection";

/** What one sentinel said about the master. */
export interface SentinelView {
    /** The sentinel asked. */
    endpoint: Endpoint;
    /** Why it did not answer. */
    error?: string;
    /** The master it names (`GET-MASTER-ADDR-BY-NAME`); absent when it knows no such master. */
    masterAddress?: Endpoint;
    /** `SENTINEL MASTER` fields. */
    master?: Record<string, string>;
    /** `SENTINEL CKQUORUM` answer (or its error). */
    quorum?: string;
    /** `SENTINEL REPLICAS` entries. */
    replicas?: Array<Record<string, string>>;
    /** `SENTINEL SENTINELS` entries (the other sentinels). */
    sentinels?: Array<Record<string, string>>;
}

/** What one redis said about itself. */
export interface RedisView {
    /** Its address as the sentinels report it. */
    address: Endpoint;
    /** Why it did not answer. */
    error?: string;
    /** `INFO replication`. */
    replication?: Record<string, string>;
    /** `run_id` of `INFO server`: what tells this server apart from any other at the same address. */
    runId?: string;
    /** `maxmemory-policy`. */
    policy?: string;
    /** `maxmemory` in bytes. */
    maxmemory?: number;
}

/** Asks one sentinel everything it knows about `masterName`. */
export async function askSentinel(endpoint: Endpoint, masterName: string, timeoutMs: number): Promise<SentinelView> {
    try {
        return await withConnection(endpoint, { timeoutMs }, async (client) => {
            await client.ping();
            const address = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as [string, string] | null;
            if (!address) {
                return { endpoint };
            }
            const [master, replicas, sentinels, quorum] = await Promise.all([
                client.call("SENTINEL", "MASTER", masterName),
                client.call("SENTINEL", "REPLICAS", masterName),
                client.call("SENTINEL", "SENTINELS", masterName),
                client.call("SENTINEL", "CKQUORUM", masterName).then(String, (error: unknown) => errorText(error)),
            ]);
            return {
                endpoint,
                masterAddress: { host: address[0], port: Number(address[1]) },
                master: pairs(master),
                replicas: (replicas as unknown[]).map(pairs),
                sentinels: (sentinels as unknown[]).map(pairs),
                quorum,
            };
        });
    } catch (error) {
        return { endpoint, error: errorText(error) };
    }
}

/** Asks one redis (at an address as the sentinels report it) for its replication and memory settings. */
export async function askRedis(address: Endpoint, target: Target, timeoutMs: number): Promise<RedisView> {
    try {
        const reachable = target.dial ? await target.dial(address) : address;
        return await withConnection(reachable, { password: target.password, timeoutMs }, async (client) => {
            const [info, server, policy, maxmemory] = await Promise.all([
                client.info("replication"),
                client.info("server"),
                client.config("GET", "maxmemory-policy") as Promise<string[]>,
                client.config("GET", "maxmemory") as Promise<string[]>,
            ]);
            return {
                address,
                replication: parseInfo(info),
                runId: parseInfo(server).run_id,
                policy: policy[1],
                maxmemory: Number(maxmemory[1]),
            };
        });
    } catch (error) {
        return { address, error: errorText(error) };
    }
}

/** Where a new connection through one front led. */
export interface FrontView {
    /** The front, as reports name it. */
    name: string;
    /** Why the connection gave no answer. */
    error?: string;
    /** `role` of `INFO replication` of the server reached. */
    role?: string;
    /** `run_id` of `INFO server` of the server reached. */
    runId?: string;
}

/**
 * Opens a new connection through a front and asks the server behind it who it is. New each time:
 * the front picks a server per connection, so only a new one shows where applications land now.
 */
export async function askFront(front: FrontEndpoint, password: string | undefined, timeoutMs: number): Promise<FrontView> {
    try {
        return await withConnection(front.local, { password, timeoutMs }, async (client) => {
            const [server, replication] = await Promise.all([client.info("server"), client.info("replication")]);
            return { name: front.name, role: parseInfo(replication).role, runId: parseInfo(server).run_id };
        });
    } catch (error) {
        return { name: front.name, error: errorText(error) };
    }
}

/** Writes, reads back and deletes a short-TTL key on the master; what went wrong, if anything. */
export async function tryWrite(master: Endpoint, target: Target, timeoutMs: number): Promise<string | undefined> {
    try {
        const reachable = target.dial ? await target.dial(master) : master;
        return await withConnection(reachable, { password: target.password, timeoutMs }, async (client) => {
            const key = `redis-ha:verify:${process.pid}:${Date.now()}`;
            await client.set(key, "probe", "PX", 10_000);
            const read = await client.get(key);
            await client.del(key);
            return read === "probe" ? undefined : `read back ${JSON.stringify(read)} instead of "probe"`;
        });
    } catch (error) {
        return errorText(error);
    }
}
