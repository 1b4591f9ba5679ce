// The cross-key rules on managed nodes (crossRules.ts runs them): each `nodes.<purpose>` names an
// instance and has the nodes its pods need, and the cluster they join is given.

import { field } from "./common";
import { frontReplicas, instanceOf, StackView } from "./stackView";

/** The smallest managed node group a highly available stack accepts per purpose, and its spread. */
export const HA_MIN_NODES = 3;
export const HA_MIN_SUBNETS = 2;

/**
 * A purpose's managed nodes against its instance. Redis pods of one instance never share a node,
 * nor do its sentinels or its front pods (required pod anti-affinity, render/placement.ts and
 * render/front.ts), so each needs a node of its own; a highly available stack needs at
 * least 3 nodes in at least 2 subnets (the zones behind them, and whether the zone spread places
 * every pod on them, are checked at preview: preflight/nodeZones.ts).
 */
function nodeCountRules(view: StackView, purpose: string) {
    // Parsed (a flat list with purposes) when every node is valid, else as given (a record).
    const nodes = field(view.value, "nodes");
    const given = Array.isArray(nodes) ? nodes.filter((node) => field(node, "purpose") === purpose) : field(nodes, purpose);
    const list = Array.isArray(given) ? given : given !== null && typeof given === "object" ? [given] : [];
    if (list.length === 0) return;
    const instance = instanceOf(view.value, purpose);
    // Counts that are themselves refused (an even sentinel count) are left to their own message.
    const valid = (part: string, n: unknown) => Number.isInteger(n) && (part !== "sentinel" || (n as number) % 2 === 1);
    const counts = [
        ...(["redis", "sentinel"] as const).map((part) => [part, field(instance, part, "replicas")] as const),
        ["front", frontReplicas(instance)] as const,
    ];
    const [part, most] = counts.filter(([p, n]) => valid(p, n)).sort((a, b) => (b[1] as number) - (a[1] as number))[0] ?? [];
    const highlyAvailable = field(view.value, "highlyAvailable") === true;
    if (highlyAvailable && list.length < HA_MIN_NODES)
        view.problem(
            ["nodes", purpose],
            `a highly available stack needs at least ${HA_MIN_NODES} nodes per purpose (list them, one per zone subnet), got ${list.length}`,
        );
    else if (part && (most as number) > list.length)
        view.problem(
            ["nodes", purpose],
            `lists ${list.length} node(s), but instances.${purpose}.${part}.replicas is ${most}: no two ${part} pods of one ` +
                `instance share a node (required pod anti-affinity), so the rest would never be scheduled`,
        );
    const subnets = new Set(list.map((node) => field(node, "subnetId")).filter((id) => typeof id === "string"));
    if (highlyAvailable && list.length >= HA_MIN_NODES && subnets.size < HA_MIN_SUBNETS)
        view.problem(
            ["nodes", purpose],
            `a highly available stack needs its nodes in at least ${HA_MIN_SUBNETS} subnets of different zones, got only ${[...subnets].join(", ")}`,
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
    else nodeCountRules(view, purpose);
}

/** nodes.<purpose>: node names, `<prefix>-<purpose>-<8 hex of the instance id>` (components/redisNode.ts), are DNS labels. */
function nodeNameRule(view: StackView, purpose: string) {
    const prefix = field(view.value, "cluster", "nodeNamePrefix");
    const nodeName = `${typeof prefix === "string" ? prefix : "k8s-redis"}-${purpose}-01234567`;
    if (nodeName.length > 63)
        view.problem(["nodes", purpose], `node names like ${nodeName} are longer than 63 characters; shorten cluster.nodeNamePrefix`);
}

/** Each purpose managed nodes are declared for in turn, its rules in order on it. */
export function nodeRules(view: StackView) {
    for (const purpose of nodePurposes(view.value)) for (const rule of [nodeInstanceRule, nodeNameRule]) rule(view, purpose);
}

/** cluster: declaring managed nodes requires the cluster they join. */
export function clusterRule(view: StackView) {
    if (nodePurposes(view.value).length > 0 && field(view.value, "cluster") === undefined)
        view.problem(["cluster"], "is required when nodes are declared: the cluster they join");
}
