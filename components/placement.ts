// Where the pods of one RedisFailover may run: the purpose's nodes only, never two redis or two
// sentinels of one failover on one node, spread over zones. Rendered into spec.redis and
// spec.sentinel (`affinity`, `topologySpreadConstraints`; both in the operator's CRD).

import { FailoverComponent, LABEL_COMPONENT, LABEL_NAME, LABEL_PART_OF, PART_OF_VALUE } from "../facts/operator";

/** Node label of a node's host name and zone (well-known labels the kubelet and cloud provider set). */
export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";
export const ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone";

/** The labels the operator puts on every pod of one component of a failover (`generateSelectorLabels`). */
export function componentSelector(failoverName: string, component: FailoverComponent): Record<string, string> {
    return { [LABEL_PART_OF]: PART_OF_VALUE, [LABEL_NAME]: failoverName, [LABEL_COMPONENT]: component };
}

/**
 * Where one component's pods may run: only on nodes labelled `<labelKey>=<purpose>` (required node
 * affinity), and never two redis, or two sentinels, of one failover on one node (required pod
 * anti-affinity on the host name). A given affinity replaces the operator's default, a preferred
 * (soft) hostname anti-affinity (`service/generator.go`, `getAffinity`), so the anti-affinity must be
 * given here or it is lost. A redis and a sentinel may share a node.
 */
export function placementAffinity(labelKey: string, purpose: string, failoverName: string, component: FailoverComponent) {
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: labelKey, operator: "In", values: [purpose] }] }],
            },
        },
        podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
                { topologyKey: HOSTNAME_TOPOLOGY_KEY, labelSelector: { matchLabels: componentSelector(failoverName, component) } },
            ],
        },
    };
}

/**
 * One component's pods spread over zones: at most one more in any zone than in the emptiest
 * (maxSkew 1), as a rule (DoNotSchedule), not a preference. ScheduleAnyway would let the scheduler
 * put two of three redis, or two of three sentinels (a quorum), in one zone whenever that zone has
 * more nodes with room, and losing that zone would then lose the quorum; the hostname anti-affinity
 * alone only keeps pods off one node. Only nodes a pod could use count as zones: those of its purpose
 * (nodeAffinityPolicy Honor) and without a taint it does not tolerate (nodeTaintsPolicy Honor), so a
 * zone whose nodes are cordoned (drain) or unreachable stops counting, and a replacement pod may still
 * go to a spare node in a surviving zone instead of waiting for the lost one (both policies are
 * beta and on by default from Kubernetes 1.26; the stacks run 1.28). The price of DoNotSchedule: a
 * node without a `topology.kubernetes.io/zone` label is never used, so managed nodes get one
 * (components/redisNode.ts) and bring-your-own nodes must have one (README).
 */
export function zoneSpread(failoverName: string, component: FailoverComponent) {
    return [
        {
            maxSkew: 1,
            topologyKey: ZONE_TOPOLOGY_KEY,
            whenUnsatisfiable: "DoNotSchedule",
            nodeAffinityPolicy: "Honor",
            nodeTaintsPolicy: "Honor",
            labelSelector: { matchLabels: componentSelector(failoverName, component) },
        },
    ];
}
