// The redis pods' preStop hook (scripts/redis-shutdown.sh) as a ConfigMap the RedisFailover names in
// `spec.redis.shutdownConfigMap`: a master being deleted hands over and waits for Sentinel to name
// another server before the kubelet stops it (why: the script's header).

import * as fs from "fs";
import * as path from "path";
import { DEFAULT_TERMINATION_GRACE_SECONDS, MASTER_NAME, sentinelServiceEnv } from "../facts/operator";

/** How long a deleted master's hook lets the operator's pass end before it asks for a failover. */
export const SHUTDOWN_PASS_SETTLE_SECONDS = 5;
/** How long a deleted master's hook then asks for and waits on a failover. */
export const SHUTDOWN_FAILOVER_WAIT_SECONDS = 45;
/**
 * The redis pods' grace period: the hook's waits plus 10 s for its SAVE and redis's own shutdown,
 * since the kubelet kills a container whose preStop hook and stop outlast it.
 */
export const REDIS_TERMINATION_GRACE_SECONDS = SHUTDOWN_PASS_SETTLE_SECONDS + SHUTDOWN_FAILOVER_WAIT_SECONDS + 10;
if (REDIS_TERMINATION_GRACE_SECONDS <= DEFAULT_TERMINATION_GRACE_SECONDS) throw new Error("the grace period must exceed the operator's");

/** The ConfigMap holding the hook, named apart from the operator's own. */
export const shutdownConfigMapName = (failover: string) => `${failover}-shutdown`;

const SCRIPT = path.resolve(__dirname, "..", "scripts", "redis-shutdown.sh");

/** The hook for one failover: its parameters as shell lines, then the script. */
export function redisShutdownScript(
    failover: string,
    waitSeconds = SHUTDOWN_FAILOVER_WAIT_SECONDS,
    settleSeconds = SHUTDOWN_PASS_SETTLE_SECONDS,
): string {
    const env = sentinelServiceEnv(failover);
    const parameters = [
        `SENTINEL_HOST="\${${env.host}}"`,
        `SENTINEL_PORT="\${${env.port}}"`,
        `MASTER_NAME=${MASTER_NAME}`,
        `PASS_SETTLE_SECONDS=${settleSeconds}`,
        `FAILOVER_WAIT_SECONDS=${waitSeconds}`,
    ];
    const body = fs.readFileSync(SCRIPT, "utf8").replace(/^#!.*\n/, "");
    return `#!/bin/sh\n${parameters.join("\n")}\n${body}`;
}
