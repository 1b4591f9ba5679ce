// The rules of the stack schema that span top-level keys (config/schema/stack.ts runs them): one
// named rule per key it guards, run in a fixed order so the problems are always reported alike.

import { z } from "zod";
import { field } from "./common";
import { sentinelDirectiveProblem } from "./directives";
import { FRONT_DETECTION_MS } from "../frontTiming";
import { FRONT_DEFAULT_REPLICAS, SENTINEL_DEFAULT_DOWN_AFTER_MS } from "./instances";

/** The smallest managed node group a highly available stack accepts per purpose, and its spread. */
export const HA_MIN_NODES = 3;
export const HA_MIN_SUBNETS = 2;

/** Records one problem at `path`. */
type Problem = (path: Array<string | number>, message: string) => void;

/** An instance by its purpose, whether the instances are parsed (a list) or as given (a record). */
function instanceOf(value: unknown, purpose: string): unknown {
    const instances = field(value, "instances");
    return Array.isArray(instances) ? instances.find((i) => field(i, "purpose") === purpose) : field(instances, purpose);
}

/** An instance's front replicas as the schema will read them, or undefined when its front is off. */
function frontReplicas(instance: unknown): unknown {
    return field(instance, "front", "enabled") === false ? undefined : (field(instance, "front", "replicas") ?? FRONT_DEFAULT_REPLICAS);
}

/**
 * A purpose's managed nodes against its instance. Redis pods of one instance never share a node,
 * nor do its sentinels or its front pods (required pod anti-affinity, render/placement.ts and
 * render/front.ts), so each needs a node of its own; a highly available stack needs at
 * least 3 nodes in at least 2 subnets (the zones behind them are checked at preview:
 * preflight/nodeZones.ts).
 */
function nodeCountRules(value: unknown, purpose: string, problem: Problem) {
    // Parsed (a flat list with purposes) when every node is valid, else as given (a record).
    const nodes = field(value, "nodes");
    const given = Array.isArray(nodes) ? nodes.filter((node) => field(node, "purpose") === purpose) : field(nodes, purpose);
    const list = Array.isArray(given) ? given : given !== null && typeof given === "object" ? [given] : [];
    if (list.length === 0) return;
    const instance = instanceOf(value, purpose);
    // Counts that are themselves refused (an even sentinel count) are left to their own message.
    const valid = (part: string, n: unknown) => Number.isInteger(n) && (part !== "sentinel" || (n as number) % 2 === 1);
    const counts = [
        ...(["redis", "sentinel"] as const).map((part) => [part, field(instance, part, "replicas")] as const),
        ["front", frontReplicas(instance)] as const,
    ];
    const [part, most] = counts.filter(([p, n]) => valid(p, n)).sort((a, b) => (b[1] as number) - (a[1] as number))[0] ?? [];
    const highlyAvailable = field(value, "highlyAvailable") === true;
    if (highlyAvailable && list.length < HA_MIN_NODES)
        problem(
            ["nodes", purpose],
            `a highly available stack needs at least ${HA_MIN_NODES} nodes per purpose (list them, one per zone subnet), got ${list.length}`,
        );
    else if (part && (most as number) > list.length)
        problem(
            ["nodes", purpose],
            `lists ${list.length} node(s), but instances.${purpose}.${part}.replicas is ${most}: no two ${part} pods of one ` +
                `instance share a node (required pod anti-affinity), so the rest would never be scheduled`,
        );
    const subnets = new Set(list.map((node) => field(node, "subnetId")).filter((id) => typeof id === "string"));
    if (highlyAvailable && list.length >= HA_MIN_NODES && subnets.size < HA_MIN_SUBNETS)
        problem(
            ["nodes", purpose],
            `a highly available stack needs its nodes in at least ${HA_MIN_SUBNETS} subnets of different zones, got only ${[...subnets].join(", ")}`,
        );
}

/** What the cross-key rules read. `value` may be partly invalid: every read is checked. */
interface StackView {
    value: unknown;
    /** The instances' purposes: parsed (a list) when every instance is valid, else as given (a record). */
    purposes: string[];
    /** `defined: auth, streams, cache`, the end of a "names no instance" message. */
    defined: string;
    problem: Problem;
}

function viewOf(value: unknown, ctx: z.RefinementCtx): StackView {
    const instances = field(value, "instances");
    const purposes = Array.isArray(instances) ? instances.map((i) => String(field(i, "purpose"))) : Object.keys(instances ?? {});
    const problem: Problem = (path, message) => ctx.addIssue({ code: "custom", path, message });
    return { value, purposes, defined: `defined: ${purposes.join(", ") || "(none)"}`, problem };
}

/** A rule on one instance: `instance` is its value as read, `purpose` its key. */
type InstanceRule = (view: StackView, purpose: string, instance: unknown) => void;

/** Each instance in turn, `rules` in order on it (so its problems stay together). */
const eachInstance =
    (...rules: InstanceRule[]) =>
    (view: StackView) => {
        for (const purpose of view.purposes) {
            const instance = instanceOf(view.value, purpose);
            for (const rule of rules) rule(view, purpose, instance);
        }
    };

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

/** appEnv[i].instance: names an instance. */
function appEnvInstanceRule(view: StackView) {
    const appEnv = field(view.value, "appEnv");
    (Array.isArray(appEnv) ? appEnv : []).forEach((entry, index) => {
        const instance = field(entry, "instance");
        if (typeof instance === "string" && instance.trim() !== "" && !view.purposes.includes(instance))
            view.problem(["appEnv", index, "instance"], `names no instance; ${view.defined}`);
    });
}

/**
 * appSecrets.recoveryWindowInDays: a protected stack keeps a deleted app secret for a while, so 0
 * (delete at once) is refused there.
 */
function recoveryWindowRule(view: StackView) {
    const protectData = field(view.value, "protectData") ?? field(view.value, "highlyAvailable");
    if (protectData === true && field(view.value, "appSecrets", "recoveryWindowInDays") === 0)
        view.problem(
            ["appSecrets", "recoveryWindowInDays"],
            "0 deletes the secret without recovery, but this stack protects its data (protectData); use 7 to 30 days",
        );
}

/** The purposes managed nodes are declared for: one per node when parsed (a flat list), else the keys as given. */
function nodePurposes(value: unknown): string[] {
    const nodes = field(value, "nodes");
    return Array.isArray(nodes) ? nodes.map((n) => String(field(n, "purpose"))) : Object.keys(nodes ?? {});
}

/** nodes.<purpose>: names an instance, and has the nodes that instance needs. */
function nodeInstanceRule(view: StackView, purpose: string) {
    if (!view.purposes.includes(purpose)) view.problem(["nodes", purpose], `names no instance; ${view.defined}`);
    else nodeCountRules(view.value, purpose, view.problem);
}

/** nodes.<purpose>: node names, `<prefix>-<purpose>-<8 hex of the instance id>` (components/redisNode.ts), are DNS labels. */
function nodeNameRule(view: StackView, purpose: string) {
    const prefix = field(view.value, "cluster", "nodeNamePrefix");
    const nodeName = `${typeof prefix === "string" ? prefix : "k8s-redis"}-${purpose}-01234567`;
    if (nodeName.length > 63)
        view.problem(["nodes", purpose], `node names like ${nodeName} are longer than 63 characters; shorten cluster.nodeNamePrefix`);
}

/** cluster: declaring managed nodes requires the cluster they join. */
function clusterRule(view: StackView) {
    if (nodePurposes(view.value).length > 0 && field(view.value, "cluster") === undefined)
        view.problem(["cluster"], "is required when nodes are declared: the cluster they join");
}

/** backup.instances[i]: names an instance, one that holds data (the others are caches: nothing to restore). */
function backupInstancesRule(view: StackView) {
    const listed = field(view.value, "backup", "instances");
    (Array.isArray(listed) ? listed : []).forEach((purpose, index) => {
        if (typeof purpose !== "string" || purpose.trim() === "") return;
        if (!view.purposes.includes(purpose)) return view.problem(["backup", "instances", index], `names no instance; ${view.defined}`);
        const instance = instanceOf(view.value, purpose);
        // As the instance schema decides it: holdsData, else "has a persistent volume claim".
        const holdsData = field(instance, "holdsData") ?? field(instance, "redis", "storage", "kind") === "persistentVolumeClaim";
        if (holdsData !== true)
            view.problem(
                ["backup", "instances", index],
                `${purpose} holds no data (instances.${purpose}.holdsData is false): only data-holding instances are backed up`,
            );
    });
}

/** Each purpose managed nodes are declared for in turn, `rules` in order on it. */
const eachNodePurpose =
    (...rules: Array<(view: StackView, purpose: string) => void>) =>
    (view: StackView) => {
        for (const purpose of nodePurposes(view.value)) for (const rule of rules) rule(view, purpose);
    };

/** The instance rules of a highly available stack, instance by instance. */
const haInstanceRules = eachInstance(haSentinelReplicasRule, haRedisReplicasRule, haFrontReplicasRule, haSentinelConfigRule);

/**
 * The rules that need more than one top-level key, by the key each guards, in the order their
 * problems are reported. `needsInstances`: skipped without a readable set of instances, where
 * "names no instance" would only repeat the instances problem.
 */
const CROSS_RULES: Array<{ key: string; check: (view: StackView) => void; needsInstances?: true }> = [
    { key: "instances.<purpose>.sentinel.downAfterMilliseconds", check: eachInstance(downAfterRule) },
    {
        key: "instances.<purpose>.{sentinel,redis,front}.replicas, sentinel.customConfig",
        check: (view) => {
            if (field(view.value, "highlyAvailable") === true) haInstanceRules(view);
        },
    },
    { key: "appEnv[i].instance", check: appEnvInstanceRule, needsInstances: true },
    { key: "appSecrets.recoveryWindowInDays", check: recoveryWindowRule, needsInstances: true },
    { key: "nodes.<purpose>", check: eachNodePurpose(nodeInstanceRule, nodeNameRule), needsInstances: true },
    { key: "cluster", check: clusterRule, needsInstances: true },
    { key: "backup.instances[i]", check: backupInstancesRule, needsInstances: true },
];

/** Runs CROSS_RULES on the stack (zod superRefine). */
export function crossRules(value: unknown, ctx: z.RefinementCtx) {
    const view = viewOf(value, ctx);
    const instances = field(value, "instances");
    const readable = instances !== null && typeof instances === "object";
    for (const rule of CROSS_RULES) if (readable || !rule.needsInstances) rule.check(view);
}
