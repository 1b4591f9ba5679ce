// The redis and sentinel settings a RedisFailover renders: the owned directives on the redis
// command line and again in customConfig, and the sentinel timings.

import { SentinelSettings } from "../config/types";
import { OPERATOR_REDIS_COMMAND } from "../facts/operator";

/** The AOF fsync policy of a data-holding instance when config does not say (`redis.appendfsync`). */
export const DATA_HOLDING_APPENDFSYNC = "everysec";

/** The typed redis settings the program owns, as directives. */
export interface OwnedRedisSettings {
    maxmemory: string;
    maxmemoryPolicy: string;
    appendonly: boolean;
    appendfsync?: string;
    minReplicasToWrite?: number;
    minReplicasMaxLag?: number;
}

/**
 * The owned settings as `[directive, value]`, in one order for the command line and customConfig.
 * A data-holding instance always has AOF (the schema refuses otherwise), with its fsync policy.
 */
export function ownedRedisDirectives(redis: OwnedRedisSettings, holdsData: boolean): Array<[string, string]> {
    const appendonly = holdsData || redis.appendonly;
    return [
        ["maxmemory", String(redis.maxmemory)],
        ["maxmemory-policy", redis.maxmemoryPolicy],
        ["appendonly", appendonly ? "yes" : "no"],
        ...(appendonly ? [["appendfsync", redis.appendfsync ?? DATA_HOLDING_APPENDFSYNC] as [string, string]] : []),
        // Rendered even when 0 (off): CONFIG SET state outlives a config change, so turning it off must be said.
        ...(redis.minReplicasToWrite === undefined
            ? []
            : [["min-replicas-to-write", String(redis.minReplicasToWrite)] as [string, string]]),
        ...(redis.minReplicasMaxLag === undefined ? [] : [["min-replicas-max-lag", String(redis.minReplicasMaxLag)] as [string, string]]),
        // A master that needs a replica to write refuses writes until one has synced; Redis's 5 s
        // wait for more replicas before a full sync (repl-diskless-sync-delay) would be 5 s of write
        // outage after every failover that needs one (BENCHMARKS.md section 5, master re-created).
        ...((redis.minReplicasToWrite ?? 0) > 0 ? [["repl-diskless-sync-delay", "0"] as [string, string]] : []),
    ];
}

/**
 * The redis container's command: the operator's default with every owned setting after it, which
 * Redis applies over the config file. The operator applies `customConfig` only by CONFIG SET, late
 * in a completed pass (`service/redis/client.go`, `SetCustomRedisConfig`; checker.go runs it after
 * the master checks, and not at all while a pod is Pending), so a pod re-created from the template
 * would otherwise run, and could be promoted, with no memory bound, the config file's defaults for
 * the policy and min-replicas (off), and without AOF: a data-holding server would then ignore its
 * file, come up empty, and the next CONFIG SET would rewrite the AOF from that empty dataset.
 * `spec.redis.command` replaces the default whole (`service/generator.go`, `getRedisCommand`).
 */
export function redisCommand(instance: { holdsData: boolean; redis: OwnedRedisSettings }): string[] {
    return [
        ...OPERATOR_REDIS_COMMAND,
        ...ownedRedisDirectives(instance.redis, instance.holdsData).flatMap(([directive, value]) => [`--${directive}`, value]),
    ];
}

/** Redis directives for customConfig: the owned settings again (applied at runtime when they change), then the free-form lines. */
export function redisConfigLines(redis: OwnedRedisSettings & { customConfig: string[] }, holdsData: boolean): string[] {
    return [...ownedRedisDirectives(redis, holdsData).map((pair) => pair.join(" ")), ...redis.customConfig];
}

/** Sentinel directives: the typed timings first, then the free-form lines. */
export function sentinelConfigLines(
    sentinel: Pick<SentinelSettings, "downAfterMilliseconds" | "failoverTimeout" | "customConfig">,
): string[] {
    return [
        `down-after-milliseconds ${sentinel.downAfterMilliseconds}`,
        `failover-timeout ${sentinel.failoverTimeout}`,
        ...sentinel.customConfig,
    ];
}
