// The cross-key rules on each instance (crossRules.ts runs them): what a setting needs from the rest
// of the stack to do what it says, and what a highly available stack must survive.

import { field } from "./common";
import { directiveOf, quorumOf, sentinelDirectiveProblem } from "./directives";
import { FRONT_DETECTION_MS } from "../frontTiming";
import { defaultMinReplicasToWrite, SENTINEL_DEFAULT_DOWN_AFTER_MS } from "./instances";
import { eachInstance, frontReplicas, holdsData, StackView } from "./stackView";

/**
 * instances.<purpose>.sentinel.downAfterMilliseconds, with the front on: the front holds a master
 * out once its check fails; Sentinel must not fail over before that, or a master resuming right
 * after the failover could be served before the gate hears of it.
 */
function downAfterRule(view: StackView, purpose: string, instance: unknown) {
    const downAfter = field(instance, "sentinel", "downAfterMilliseconds") ?? SENTINEL_DEFAULT_DOWN_AFTER_MS;
    if (frontReplicas(instance) !== undefined && Number.isInteger(downAfter) && (downAfter as number) <= FRONT_DETECTION_MS)
        view.problem(
            ["instances", purpose, "sentinel", "downAfterMilliseconds"],
            `with the front on, must be more than the ${FRONT_DETECTION_MS} ms the front takes to notice a hung master; got ${downAfter}`,
        );
}

/** The master's min-replicas-to-write as the stack will set it, and why when it was not given. */
function minReplicasToWrite(view: StackView, instance: unknown): { count: unknown; why: string } {
    const given = field(instance, "redis", "minReplicasToWrite");
    if (given !== undefined) return { count: given, why: "as set" };
    const highlyAvailable = field(view.value, "highlyAvailable") === true;
    const why = highlyAvailable ? "the default for an instance that holds no data" : "the default outside a highly available stack";
    return { count: defaultMinReplicasToWrite(highlyAvailable, holdsData(instance)), why };
}

/**
 * instances.<purpose>.redis.minReplicasMaxLag: Redis counts a replica's lag only toward
 * min-replicas-to-write, so with that at 0 a given lag does nothing.
 */
function replicaLagRule(view: StackView, purpose: string, instance: unknown) {
    const lag = field(instance, "redis", "minReplicasMaxLag");
    const { count, why } = minReplicasToWrite(view, instance);
    if (lag !== undefined && count === 0)
        view.problem(
            ["instances", purpose, "redis", "minReplicasMaxLag"],
            `${JSON.stringify(lag)} does nothing here: Redis reads min-replicas-max-lag only while min-replicas-to-write is at ` +
                `least 1, and instances.${purpose}.redis.minReplicasToWrite is 0 (${why}); set minReplicasToWrite, or remove this`,
        );
}

/**
 * instances.<purpose>.redis.exporter, with alerts on: every alert rule of the instance reads its
 * exporter's series, so without it RedisNoMaster fires for ever (its series is absent) and no other
 * rule can fire.
 */
function exporterRule(view: StackView, purpose: string, instance: unknown) {
    const alerts = field(view.value, "alerts");
    if (alerts !== undefined && field(alerts, "enabled") !== false && field(instance, "redis", "exporter") === false)
        view.problem(
            ["instances", purpose, "redis", "exporter"],
            "false leaves the instance's alert rules (alerts.enabled) without their metrics: RedisNoMaster would fire for ever " +
                "and no other rule could ever fire; keep the exporter, or turn alerts off",
        );
}

/**
 * instances.<purpose>.sentinel.customConfig[i], `quorum <n>` (outside highly available stacks, which
 * refuse the line): more than the sentinels can never agree that the master is down, so no failover
 * would ever start (SENTINEL CKQUORUM answers NOQUORUM; SENTINEL SET accepts it all the same).
 */
function sentinelQuorumRule(view: StackView, purpose: string, instance: unknown) {
    const [lines, sentinels] = [field(instance, "sentinel", "customConfig"), field(instance, "sentinel", "replicas")];
    if (field(view.value, "highlyAvailable") === true || !Number.isInteger(sentinels)) return;
    (Array.isArray(lines) ? lines : []).forEach((line, index) => {
        if (typeof line !== "string" || sentinelDirectiveProblem(line) || directiveOf(line) !== "quorum") return;
        if (Number(quorumOf(line)) > (sentinels as number))
            view.problem(
                ["instances", purpose, "sentinel", "customConfig", index],
                `${JSON.stringify(line)} can never be reached by ${sentinels} sentinel(s) (instances.${purpose}.sentinel.replicas): ` +
                    `no failover would ever start; at most ${sentinels}`,
            );
    });
}

/** instances.<purpose>.sentinel.replicas, highly available: a quorum (other counts below 3 already fail "odd and at least 3"). */
function haSentinelReplicasRule(view: StackView, purpose: string, instance: unknown) {
    if (field(instance, "sentinel", "replicas") === 1)
        view.problem(
            ["instances", purpose, "sentinel", "replicas"],
            "a highly available stack needs at least 3 sentinels for a quorum, got 1",
        );
}

/** instances.<purpose>.redis.replicas, highly available: a master and 2 replicas. */
function haRedisReplicasRule(view: StackView, purpose: string, instance: unknown) {
    const redis = field(instance, "redis", "replicas");
    if (Number.isInteger(redis) && (redis as number) < 3)
        view.problem(
            ["instances", purpose, "redis", "replicas"],
            `a highly available stack needs at least 3 redis (1 master + 2 replicas), got ${redis}`,
        );
}

/**
 * instances.<purpose>.redis.minReplicasToWrite, highly available: one node lost takes one replica
 * with it (or the master, whose successor has one replica fewer), so a master that needs every
 * replica in sync would then refuse every write (NOREPLICAS) until the node is back.
 */
function haMinReplicasToWriteRule(view: StackView, purpose: string, instance: unknown) {
    const [given, redis] = [field(instance, "redis", "minReplicasToWrite"), field(instance, "redis", "replicas")];
    if (!Number.isInteger(given) || !Number.isInteger(redis) || (redis as number) < 3) return;
    const [count, replicas] = [given as number, (redis as number) - 1];
    // More than the replicas is refused by the redis schema already.
    if (count === replicas)
        view.problem(
            ["instances", purpose, "redis", "minReplicasToWrite"],
            `${count} needs all ${replicas} replicas of ${redis} redis in sync, but losing one node leaves ${replicas - 1} ` +
                `(replicas - 1), and the master would then refuse every write (NOREPLICAS); a highly available stack keeps ` +
                `writing with one node down: at most ${replicas - 1}`,
        );
}

/**
 * instances.<purpose>.front.replicas, highly available: one front pod per node, so with one,
 * losing its node cuts the applications off a healthy group.
 */
function haFrontReplicasRule(view: StackView, purpose: string, instance: unknown) {
    const front = frontReplicas(instance);
    if (Number.isInteger(front) && (front as number) < 2)
        view.problem(
            ["instances", purpose, "front", "replicas"],
            `a highly available stack needs at least 2 front replicas, so applications keep a way in when a node is lost; got ${front}`,
        );
}

/** instances.<purpose>.sentinel.customConfig[i], highly available: directives refused only there (the quorum). */
function haSentinelConfigRule(view: StackView, purpose: string, instance: unknown) {
    const lines = field(instance, "sentinel", "customConfig");
    (Array.isArray(lines) ? lines : []).forEach((line, index) => {
        const why = typeof line === "string" && !sentinelDirectiveProblem(line) ? sentinelDirectiveProblem(line, true) : undefined;
        if (why) view.problem(["instances", purpose, "sentinel", "customConfig", index], `${JSON.stringify(line)} ${why}`);
    });
}

/** The rules every stack's instances follow, instance by instance. */
export const instanceRules = eachInstance(downAfterRule, replicaLagRule, exporterRule, sentinelQuorumRule);

/** The instance rules of a highly available stack, instance by instance. */
export const haInstanceRules = eachInstance(
    haSentinelReplicasRule,
    haRedisReplicasRule,
    haMinReplicasToWriteRule,
    haFrontReplicasRule,
    haSentinelConfigRule,
);
