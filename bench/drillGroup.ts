// What the drills on the lab of nodes share: the group they break, and polling with a deadline.

import { MASTER_NAME } from "../facts/operator";
import { GroupSpec } from "../lab/redisLab";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `condition` holds within `timeoutMs`, polled every 100 ms (a throw counts as not yet). */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (
            await Promise.resolve()
                .then(condition)
                .catch(() => false)
        )
            return true;
        await sleep(100);
    }
    return false;
}

/**
 * A data-holding group of 3 redis and 3 sentinels (auth's shape) with the drill's Sentinel timings;
 * `customConfig` by CONFIG SET, as the operator applies it.
 */
export function drillGroupSpec(
    name: string,
    timings: { downAfterMilliseconds: number; failoverTimeout: number },
    customConfig: string[] = [],
): GroupSpec {
    return {
        name: `${name}-${Date.now()}`,
        redisCount: 3,
        sentinelCount: 3,
        password: `${name}-pw`,
        maxmemory: "256mb",
        maxmemoryPolicy: "noeviction",
        appendonly: true,
        holdsData: true,
        downAfterMilliseconds: timings.downAfterMilliseconds,
        failoverTimeout: timings.failoverTimeout,
        masterName: MASTER_NAME,
        replicaSyncDelaySeconds: 0,
        customConfig,
    };
}
