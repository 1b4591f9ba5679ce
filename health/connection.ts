// One bounded conversation with a redis or a sentinel, and the parsing of what they answer. Every
// network call has its own deadline: a server that accepts TCP and never answers must not hang a
// check.
//
// Written to survive Pulumi's function serialization (the dynamic provider runs these functions in
// another process): packages are required inside functions and no client outlives a call.

import type { Membership } from "./membership";

/** A host and port. */
export interface Endpoint {
    /** Host name or address. */
    host: string;
    /** TCP port. */
    port: number;
}

/** A front (HAProxy) of the group, for the `front-serves-master` check. */
export interface FrontEndpoint {
    /** How reports name it: the address given, or its pod. */
    name: string;
    /** Where this process connects to it. */
    local: Endpoint;
}

/** How to reach the group. */
export interface Target {
    /** Sentinel addresses. */
    sentinels: Endpoint[];
    /** Redis password (AUTH); none when absent. */
    password?: string;
    /** Deadline of each network call, in milliseconds. */
    probeTimeoutMs?: number;
    /**
     * Maps an address as the sentinels report it (a pod IP, say) to one this process can connect
     * to (a forwarded local port). Identity when absent.
     */
    dial?: (endpoint: Endpoint) => Endpoint | Promise<Endpoint>;
    /**
     * Who belongs to the group (the RedisFailover's pods, or a given list of addresses): every
     * address a sentinel knows must be one of them. The `membership` check does not apply when absent.
     */
    membership?: Membership;
    /**
     * The group's fronts: each must lead a new connection to the master the sentinels agree on.
     * The `front-serves-master` check is not reported when absent (a group without a front).
     */
    fronts?: FrontEndpoint[];
}

/** Parses `host:port`. */
export function parseEndpoint(text: string): Endpoint {
    const at = text.lastIndexOf(":");
    const port = Number(text.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new Error(`"${text}" is not host:port`);
    }
    return { host: text.slice(0, at), port };
}

/** `host:port`, as reports name a server. */
export function formatEndpoint(endpoint: Endpoint): string {
    return `${endpoint.host}:${endpoint.port}`;
}

/** The message of anything thrown. */
export function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** Rejects with `what` timed out after `ms`, unless `promise` settles first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A connected client for the duration of `use`; every command bounded, no reconnects, no queueing. */
export async function withConnection<T>(
    endpoint: Endpoint,
    options: { password?: string; timeoutMs: number },
    use: (client: import("ioredis").Redis) => Promise<T>,
): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const IORedis = require("ioredis") as typeof import("ioredis").default;
    const client = new IORedis({
        host: endpoint.host,
        port: endpoint.port,
        lazyConnect: true,
        connectTimeout: options.timeoutMs,
        commandTimeout: options.timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
        enableReadyCheck: false,
    });
    // ioredis reports a refused or reset connection as "Connection is closed"; keep the cause.
    let cause: Error | undefined;
    client.on("error", (error: Error) => {
        cause = error;
    });
    try {
        // The outer deadline covers what ioredis's own timeouts do not (a silent peer mid-handshake).
        // AUTH is sent by hand: ioredis's own handshake turns a wrong password into a closed stream.
        const session = async () => {
            await client.connect();
            if (options.password !== undefined) {
                await client.auth(options.password);
            }
            return use(client);
        };
        return await withDeadline(session(), options.timeoutMs * 3, formatEndpoint(endpoint));
    } catch (error) {
        if (cause && /Connection is closed/.test(errorText(error))) {
            throw new Error(`${errorText(error)} (${cause.message})`, { cause: error });
        }
        throw error;
    } finally {
        client.disconnect();
    }
}

/** `[k1, v1, k2, v2...]` as Sentinel answers, as an object. */
export function pairs(reply: unknown): Record<string, string> {
    const list = Array.isArray(reply) ? (reply as string[]) : [];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < list.length; i += 2) {
        out[list[i]] = list[i + 1];
    }
    return out;
}

/** `INFO` text as key/value pairs. */
export function parseInfo(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
        const at = line.indexOf(":");
        if (at > 0 && !line.startsWith("#")) {
            out[line.slice(0, at)] = line.slice(at + 1).trim();
        }
    }
    return out;
}
