// What the drills on the lab of nodes share: the group they break, polling with a deadline, and
// waiting for a broken master to rejoin as a replica.

import IORedis from "ioredis";
import { MASTER_NAME } from "../facts/operator";
import { GroupSpec, LabServer } from "../lab/redisLab";
import { sleep } from "./support";

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

/**
 * Waits (at most a minute) until the old master is a replica of the new one at `newHost` with its
 * link up (its own writes discarded), then a second more: the group has settled.
 */
export async function untilDemoted(oldMaster: LabServer, password: string, newHost: string): Promise<void> {
    const old = new IORedis({ host: oldMaster.host, port: oldMaster.port, password, retryStrategy: () => 200 });
    old.on("error", () => undefined);
    await until(async () => {
        const info = (await old.info("replication")) as string;
        return info.includes("role:slave") && info.includes(`master_host:${newHost}`) && info.includes("master_link_status:up");
    }, 60_000);
    old.disconnect();
    await sleep(1000);
}
