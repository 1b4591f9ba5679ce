// The ioredis settings this project recommends to applications that reach an instance through
// Sentinel. Measured against ioredis's defaults by `npm run bench` (see BENCHMARKS.md).

import type { RedisOptions } from "ioredis";

/**
 * Options for `new Redis({ sentinels, name, password, ...recommendedSentinelClientOptions() })`.
 * - `failoverDetector`: subscribe to Sentinel's +switch-master and reconnect at once; without it a
 *   client keeps waiting on a hung master.
 * - `commandTimeout`: a command to a silent server fails instead of waiting forever.
 * - `reconnectOnError` on READONLY: a demoted old master sends the client back to Sentinel.
 * - bounded connect and Sentinel timeouts, and a short reconnect back-off.
 */
export function recommendedSentinelClientOptions(): RedisOptions {
    return {
        failoverDetector: true,
        commandTimeout: 1000,
        connectTimeout: 2000,
        sentinelCommandTimeout: 1000,
        maxRetriesPerRequest: 2,
        retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 1000),
        reconnectOnError: (error: Error) => (/READONLY/.test(error.message) ? 2 : false),
    };
}

/**
 * Options for a client given only a URL (the front, or the operator's master Service): no Sentinel. The same bounded
 * timeouts and back-off, and a reconnect on READONLY (a demoted master), so it reconnects through
 * the URL on any error.
 */
export function plainUrlClientOptions(): RedisOptions {
    const { failoverDetector: _detector, sentinelCommandTimeout: _sentinelTimeout, ...plain } = recommendedSentinelClientOptions();
    return plain;
}
