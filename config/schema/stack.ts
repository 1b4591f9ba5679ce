// The whole stack: top-level keys (`redis-ha:<key>`), the rules that span them, and the defaults that
// depend on other settings (protectData, keepAfterDeletion, appSecrets.recoveryWindowInDays).

import { z } from "zod";
import { dnsLabelProblem, imageReferenceProblem } from "../../facts/patterns";
import { sentinelDirectiveProblem } from "./directives";
import { alertsSchema, appEnvSchema, appSecretsSchema, verifySchema } from "./apps";
import { clusterSchema, nodesSchema } from "./cluster";
import { ALWAYS, field, grammar, labelKey, strict } from "./common";
import { FRONT_DETECTION_MS } from "../frontTiming";
import { FRONT_DEFAULT_REPLICAS, instancesSchema, SENTINEL_DEFAULT_DOWN_AFTER_MS } from "./instances";
import { operatorSchema } from "./operator";

/** Top-level keys whose values are secrets: Pulumi must hold them encrypted. */
export const SECRET_KEYS = ["kubeconfig", "sshPrivateKey"] as const;

function stackShape(stackName: string) {
    return {
        // The stack promises high availability: every instance has at least 3 sentinels and 3 redis.
        highlyAvailable: z.boolean().default(false),
        // Defaults to highlyAvailable.
        protectData: z.boolean().optional(),
        namespace: grammar(dnsLabelProblem).default("redis"),
        placementLabel: labelKey().default("redis-cluster"),
        exporterImage: grammar(imageReferenceProblem).default("oliver006/redis_exporter:v1.62.0"),
        // Ambient (the environment's kubeconfig) when absent.
        kubeconfig: grammar().optional(),
        operator: operatorSchema.prefault({}),
        instances: instancesSchema,
        appEnv: appEnvSchema,
        cluster: clusterSchema.optional(),
        nodes: nodesSchema,
        // The SSH agent's keys when absent.
        sshPrivateKey: grammar().optional(),
        verify: verifySchema,
        appSecrets: appSecretsSchema(stackName),
        alerts: alertsSchema,
    };
}

/** The smallest managed node group a highly available stack accepts per purpose, and its spread. */
export const HA_MIN_NODES = 3;
export const HA_MIN_SUBNETS = 2;

/** An instance's front replicas as the schema will read them, or undefined when its front is off. */
function frontReplicas(instance: unknown): unknown {
    return field(instance, "front", "enabled") === false ? undefined : (field(instance, "front", "replicas") ?? FRONT_DEFAULT_REPLICAS);
}

/**
 * A purpose's managed nodes against its instance. Redis pods of one instance never share a node,
 * nor do its sentinels or its front pods (required pod anti-affinity, render/placement.ts and
 * components/redisFront.ts), so each needs a node of its own; a highly available stack needs at
 * least 3 nodes in at least 2 subnets (the zones behind them are checked at preview:
 * components/nodeZones.ts).
 */
function nodeCountRules(value: unknown, purpose: string, problem: (path: Array<string | number>, message: string) => void) {
    // Parsed (a flat list with purposes) when every node is valid, else as given (a record).
    const nodes = field(value, "nodes");
    const given = Array.isArray(nodes) ? nodes.filter((node) => field(node, "purpose") === purpose) : field(nodes, purpose);
    const list = Array.isArray(given) ? given : given !== null && typeof given === "object" ? [given] : [];
    if (list.length === 0) return;
    const instances = field(value, "instances");
    const instance = Array.isArray(instances) ? instances.find((i) => field(i, "purpose") === purpose) : field(instances, purpose);
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

/** Rules that need more than one top-level key. `value` may be partly invalid: every read is checked. */
function crossRules(value: unknown, ctx: z.RefinementCtx) {
    const problem = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
    const instances = field(value, "instances");
    const purposes = Array.isArray(instances) ? instances.map((i) => String(field(i, "purpose"))) : Object.keys(instances ?? {});
    const defined = `defined: ${purposes.join(", ") || "(none)"}`;

    for (const purpose of purposes) {
        const instance = Array.isArray(instances) ? instances.find((i) => field(i, "purpose") === purpose) : field(instances, purpose);
        // The front holds a master out once its check fails; Sentinel must not fail over before that,
        // or a master resuming right after the failover could be served before the gate hears of it.
        const downAfter = field(instance, "sentinel", "downAfterMilliseconds") ?? SENTINEL_DEFAULT_DOWN_AFTER_MS;
        if (frontReplicas(instance) !== undefined && Number.isInteger(downAfter) && (downAfter as number) <= FRONT_DETECTION_MS)
            problem(
                ["instances", purpose, "sentinel", "downAfterMilliseconds"],
                `with the front on, must be more than the ${FRONT_DETECTION_MS} ms the front takes to notice a hung master; got ${downAfter}`,
            );
    }

    if (field(value, "highlyAvailable") === true) {
        for (const purpose of purposes) {
            const instance = Array.isArray(instances) ? instances.find((i) => field(i, "purpose") === purpose) : field(instances, purpose);
            const sentinels = field(instance, "sentinel", "replicas");
            const redis = field(instance, "redis", "replicas");
            // Other counts below 3 already fail "odd and at least 3".
            if (sentinels === 1)
                problem(
                    ["instances", purpose, "sentinel", "replicas"],
                    "a highly available stack needs at least 3 sentinels for a quorum, got 1",
                );
            if (Number.isInteger(redis) && (redis as number) < 3)
                problem(
                    ["instances", purpose, "redis", "replicas"],
                    `a highly available stack needs at least 3 redis (1 master + 2 replicas), got ${redis}`,
                );
            // One front pod per node: with one, losing its node cuts the applications off a healthy group.
            const front = frontReplicas(instance);
            if (Number.isInteger(front) && (front as number) < 2)
                problem(
                    ["instances", purpose, "front", "replicas"],
                    `a highly available stack needs at least 2 front replicas, so applications keep a way in when a node is lost; got ${front}`,
                );
            const lines = field(instance, "sentinel", "customConfig");
            (Array.isArray(lines) ? lines : []).forEach((line, index) => {
                const why = typeof line === "string" && !sentinelDirectiveProblem(line) ? sentinelDirectiveProblem(line, true) : undefined;
                if (why) problem(["instances", purpose, "sentinel", "customConfig", index], `${JSON.stringify(line)} ${why}`);
            });
        }
    }

    // Without a readable set of instances, "names no instance" would only repeat the instances problem.
    if (instances === null || typeof instances !== "object") return;
    const appEnv = field(value, "appEnv");
    (Array.isArray(appEnv) ? appEnv : []).forEach((entry, index) => {
        const instance = field(entry, "instance");
        if (typeof instance === "string" && instance.trim() !== "" && !purposes.includes(instance))
            problem(["appEnv", index, "instance"], `names no instance; ${defined}`);
    });

    // A protected stack keeps a deleted app secret for a while: 0 (delete at once) is refused there.
    const protectData = field(value, "protectData") ?? field(value, "highlyAvailable");
    if (protectData === true && field(value, "appSecrets", "recoveryWindowInDays") === 0)
        problem(
            ["appSecrets", "recoveryWindowInDays"],
            "0 deletes the secret without recovery, but this stack protects its data (protectData); use 7 to 30 days",
        );

    // Managed nodes: declaring any requires the cluster they join.
    const nodes = field(value, "nodes");
    const nodePurposes = Array.isArray(nodes) ? nodes.map((n) => String(field(n, "purpose"))) : Object.keys(nodes ?? {});
    const prefix = field(value, "cluster", "nodeNamePrefix");
    for (const purpose of nodePurposes) {
        if (!purposes.includes(purpose)) problem(["nodes", purpose], `names no instance; ${defined}`);
        else nodeCountRules(value, purpose, problem);
        // Node names are `<prefix>-<purpose>-<8 hex of the instance id>` (components/redisNode.ts): a DNS label.
        const nodeName = `${typeof prefix === "string" ? prefix : "k8s-redis"}-${purpose}-01234567`;
        if (nodeName.length > 63)
            problem(["nodes", purpose], `node names like ${nodeName} are longer than 63 characters; shorten cluster.nodeNamePrefix`);
    }
    if (nodePurposes.length > 0 && field(value, "cluster") === undefined)
        problem(["cluster"], "is required when nodes are declared: the cluster they join");
}

function buildStackSchema(stackName: string) {
    return (
        strict(stackShape(stackName))
            .superRefine(crossRules, ALWAYS)
            // kubeconfig and sshPrivateKey are left out: `loadConfig` reads them as secret outputs.
            .transform(({ kubeconfig: _kubeconfig, sshPrivateKey: _sshPrivateKey, protectData: givenProtectData, cluster, ...stack }) => {
                const protectData = givenProtectData ?? stack.highlyAvailable;
                const instances = stack.instances.map((instance) => {
                    const given = instance.redis.storage;
                    const storage =
                        given.kind === "emptyDir" ? given : { ...given, keepAfterDeletion: given.keepAfterDeletion ?? protectData };
                    // A data-holding instance of an HA stack acknowledges a write only with a replica in sync.
                    const minReplicasToWrite = instance.redis.minReplicasToWrite ?? (stack.highlyAvailable && instance.holdsData ? 1 : 0);
                    return { ...instance, redis: { ...instance.redis, storage, minReplicasToWrite } };
                });
                // A deleted app secret is kept 7 days where data is protected, deleted at once elsewhere.
                const appSecrets = {
                    ...stack.appSecrets,
                    recoveryWindowInDays: stack.appSecrets.recoveryWindowInDays ?? (protectData ? 7 : 0),
                };
                // The cluster is only used, and so only handed on, when nodes are managed.
                return { ...stack, protectData, instances, appSecrets, ...(cluster && stack.nodes.length > 0 ? { cluster } : {}) };
            })
    );
}

const schemas = new Map<string, ReturnType<typeof buildStackSchema>>();

/** The stack schema; only the default Secrets Manager name depends on the stack, so one is built per stack name. */
export function stackConfigSchema(stackName: string): ReturnType<typeof buildStackSchema> {
    let schema = schemas.get(stackName);
    if (!schema) schemas.set(stackName, (schema = buildStackSchema(stackName)));
    return schema;
}

/** The top-level keys and their schemas (for the parser and the README check). */
export const STACK_SHAPE = stackShape("<stack>");
