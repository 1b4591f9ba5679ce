// What each Redis release writes to disk, written once: the RDB format version (redis `src/rdb.h`,
// `RDB_VERSION`, at each release's tag) and whether its AOF is the multi-part directory (7.0 and
// later, `appenddirname`). A server refuses to load an RDB of a newer version than its own
// (`rdbLoadRioWithLoadingCtx`: "Can't handle RDB format version"), and a 6.x server does not read
// 7.x's multi-part AOF (it looks for a single `appendonly.aof` and starts without the data).

/** The redis image the operator runs when a RedisFailover names none (api/redisfailover/v1/defaults.go `defaultImage`). */
export const OPERATOR_DEFAULT_REDIS_IMAGE = "redis:6.2.6-alpine";

/** Per release line (major.minor): the RDB version it writes and whether its AOF is multi-part. */
export const REDIS_RELEASES: Readonly<Record<string, { rdb: number; multipartAof: boolean }>> = {
    "6.0": { rdb: 9, multipartAof: false },
    "6.2": { rdb: 9, multipartAof: false },
    "7.0": { rdb: 10, multipartAof: true },
    "7.2": { rdb: 11, multipartAof: true },
};

/** The release line of an image reference's tag (`redis:7.0.15-alpine` → `7.0`), or undefined when the tag names none. */
export function redisReleaseOf(image: string): string | undefined {
    const tag = /:([^/@:]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
    const match = tag === undefined ? null : /^(\d+)\.(\d+)(?:\.\d+)?(?:[-.][\w.-]*)?$/.exec(tag);
    return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

/** Why config may not name this redis image, or undefined. */
export function redisImageProblem(image: string): string | undefined {
    const release = redisReleaseOf(image);
    if (release === undefined) {
        return "names no Redis version in its tag (e.g. redis:7.0.15-alpine); the version decides whether the data files survive a change";
    }
    if (!(release in REDIS_RELEASES)) {
        return `is Redis ${release}; accepted are ${Object.keys(REDIS_RELEASES).join(", ")} (Redis 6 or later: password rotation needs ACLs)`;
    }
    return undefined;
}
