// What a free-form `customConfig` line may set: one directive per line, and none that this program
// or the operator owns, or that would break the high-availability promise.

import { MASTER_NAME, REDIS_PORT } from "../../facts/operator";

// The operator applies each redis line with `CONFIG SET <name> <value>` and each sentinel line with
// `SENTINEL SET <master> <name> <value>`, splitting at the first space (service/client.go).
const LINE = /^([A-Za-z][A-Za-z0-9-]*) (\S.*)$/;

/** Redis directives a line may not set, and why: typed settings, what the operator owns, what breaks HA.
 * maxmemory-samples, -eviction-tenacity and -clients stay allowed: they tune eviction, not the limit or
 * the policy. appendfsync is judged with its instance (`redisDirectiveProblem`). */
const REDIS_REFUSED: Record<string, string> = {
    ...Object.fromEntries(
        ["maxmemory", "maxmemory-policy", "appendonly"].map((d) => [d, "is set by this program from the typed setting; remove the line"]),
    ),
    ...Object.fromEntries(
        ["min-replicas-to-write", "min-replicas-max-lag", "min-slaves-to-write", "min-slaves-max-lag"].map((d) => [
            d,
            "is set by this program from redis.minReplicasToWrite / redis.minReplicasMaxLag; remove the line",
        ]),
    ),
    ...Object.fromEntries(
        ["requirepass", "masterauth", "masteruser", "user", "aclfile"].map((d) => [
            d,
            "is set by this program: auth comes from the instance's generated password Secret",
        ]),
    ),
    ...Object.fromEntries(["replicaof", "slaveof"].map((d) => [d, "is set by this program: Sentinel and the operator own replication"])),
    ...Object.fromEntries(
        ["replica-announce-ip", "replica-announce-port", "slave-announce-ip", "slave-announce-port", "bind"].map((d) => [
            d,
            "would hide the pod's own address from replicas and sentinels",
        ]),
    ),
    port: `is set by this program: services, probes and sentinels expect ${REDIS_PORT}`,
    save: "is set by the operator (its own save lines; the pre-stop hook runs SAVE); choose persistence with redis.appendonly",
    ...Object.fromEntries(
        ["dir", "dbfilename", "appendfilename", "appenddirname"].map((d) => [d, "would move data off the volume the operator mounts"]),
    ),
    "rename-command": "cannot be applied with CONFIG SET; the RedisFailover CRD has customCommandRenames for this",
    ...Object.fromEntries(
        ["include", "daemonize", "loadmodule", "supervised"].map((d) => [d, "is a start-up directive that CONFIG SET refuses"]),
    ),
};

/** Sentinel parameters a line may not set, and why. */
const SENTINEL_REFUSED: Record<string, string> = {
    monitor: `is set by the operator (the master is always ${MASTER_NAME})`,
    ...Object.fromEntries(["auth-pass", "auth-user"].map((d) => [d, "is set by the operator from the instance's password Secret"])),
    ...Object.fromEntries(
        ["down-after-milliseconds", "failover-timeout"].map((d) => [d, "is set by this program from the typed setting; remove the line"]),
    ),
    ...Object.fromEntries(
        ["notification-script", "client-reconfig-script"].map((d) => [d, "is refused by SENTINEL SET (deny-scripts-reconfig)"]),
    ),
};

function lineShapeProblem(line: string): string | undefined {
    if (/[\r\n]/.test(line)) return "holds more than one line; give each directive its own list entry";
    if (line.trim() === "") return "is empty";
    return LINE.test(line) ? undefined : 'is not "<directive> <value>" separated by one space';
}

/** The value of a well-formed `quorum <n>` line, as written. */
export function quorumOf(line: string): string {
    return (LINE.exec(line)?.[2] ?? "").trim();
}

/** The directive (lowercase) of a well-formed line. */
export function directiveOf(line: string): string {
    return (LINE.exec(line)?.[1] ?? "").toLowerCase();
}

/** Replica priorities; 0 marks a replica Sentinel never promotes. */
const REPLICA_PRIORITY = ["replica-priority", "slave-priority"];

/**
 * A redis `customConfig` line. `aof`, once the instance is known, also refuses an `appendfsync` line:
 * with AOF on (true) the typed redis.appendfsync owns it, without AOF (false) it does nothing.
 */
export function redisDirectiveProblem(line: string, aof?: boolean): string | undefined {
    const shape = lineShapeProblem(line);
    if (shape) return shape;
    const directive = directiveOf(line);
    const why = REDIS_REFUSED[directive];
    if (why) return `sets "${directive}", which ${why}`;
    // The operator applies every line to every redis of the group, so no replica could be promoted.
    if (REPLICA_PRIORITY.includes(directive) && /^0+$/.test(line.slice(directive.length + 1).trim()))
        return `sets "${directive}" 0 on every redis of the group: Sentinel never promotes a replica of priority 0, so a lost master would never be replaced`;
    if (aof === true && directive === "appendfsync")
        return "is set from redis.appendfsync where AOF is on (a data-holding instance, or redis.appendonly: true), on the command line from start-up; remove the line";
    if (aof === false && directive === "appendfsync") return "does nothing: this instance runs without AOF (redis.appendonly is false)";
    return undefined;
}

/** A sentinel `customConfig` line; in a highly available stack the quorum is the operator's majority. */
export function sentinelDirectiveProblem(line: string, highlyAvailable = false): string | undefined {
    const shape = lineShapeProblem(line);
    if (shape) return shape;
    const directive = directiveOf(line);
    if (directive === "sentinel")
        return `is a sentinel.conf line; give only "<parameter> <value>" (applied as SENTINEL SET ${MASTER_NAME} ...)`;
    const why = SENTINEL_REFUSED[directive];
    if (why) return `sets "${directive}", which ${why}`;
    if (highlyAvailable && directive === "quorum")
        return "sets the quorum, which the operator keeps at a majority of the sentinels in a highly available stack";
    if (directive === "quorum" && !/^[1-9][0-9]*$/.test(quorumOf(line)))
        return "is refused by SENTINEL SET: the quorum is a whole number of at least 1";
    return undefined;
}
