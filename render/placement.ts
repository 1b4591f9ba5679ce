// Where the pods of one RedisFailover may run: the purpose's nodes only, one redis and one sentinel
// of a failover per node, spread over zones. Rendered into spec.redis and spec.sentinel
// (`affinity`, `topologySpreadConstraints`; both in the operator's CRD, `matchLabelKeys` included).

import { componentSelector, FailoverComponent } from "../facts/operator";

/** Node label of a node's host name and zone (well-known labels the kubelet and cloud provider set). */
export const HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname";
export const ZONE_TOPOLOGY_KEY = "topology.kubernetes.io/zone";
/**
 * The label the Deployment controller puts on the pods of each ReplicaSet, one value per pod
 * template (k8s.io/api apps/v1/types.go `DefaultDeploymentUniqueLabelKey`; kubernetes
 * pkg/controller/deployment/sync.go `getNewReplicaSet`). A StatefulSet's pods do not carry it.
 */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";
/** The skew every rendered spread allows: at most one pod more in a domain than in the emptiest. */
export const SPREAD_MAX_SKEW = 1;

/** A pod's `affinity` as rendered: required node affinity, and for redis a required anti-affinity. */
export interface PlacementAffinity {
    nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: Array<{ matchExpressions: Array<{ key: string; operator: "In"; values: string[] }> }>;
        };
    };
    podAntiAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution: Array<{
            topologyKey: string;
            labelSelector: { matchLabels: Record<string, string> };
        }>;
    };
}

/** One entry of a pod's `topologySpreadConstraints` as rendered. */
export interface SpreadConstraint {
    maxSkew: number;
    topologyKey: string;
    whenUnsatisfiable: "DoNotSchedule";
    nodeAffinityPolicy: "Honor";
    nodeTaintsPolicy: "Honor";
    labelSelector: { matchLabels: Record<string, string> };
    matchLabelKeys?: string[];
}

/**
 * Where one component's pods may run: only on nodes labelled `<labelKey>=<purpose>` (required node
 * affinity). Redis pods also get a required pod anti-affinity on the host name, so never two redis
 * of one failover on one node. A given affinity replaces the operator's default, a preferred (soft)
 * hostname anti-affinity (`service/generator.go`, `getAffinity`), so it must be given here or it is
 * lost. Redis is a StatefulSet updated `OnDelete` (`generateRedisStatefulSet`): the operator deletes
 * one pod and its replacement takes the freed node, so a required anti-affinity never blocks it.
 * Sentinels keep one per node by a spread instead (`zoneSpread`): see there. A redis and a sentinel
 * may share a node.
 */
export function placementAffinity(
    labelKey: string,
    purpose: string,
    failoverName: string,
    component: FailoverComponent,
): PlacementAffinity {
    const nodeAffinity = {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: labelKey, operator: "In" as const, values: [purpose] }] }],
        },
    };
    if (component === "sentinel") {
        return { nodeAffinity };
    }
    return {
        nodeAffinity,
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
 * more nodes with room, and losing that zone would then lose the quorum. Only nodes a pod could use
 * count as zones: those of its purpose (nodeAffinityPolicy Honor) and without a taint it does not
 * tolerate (nodeTaintsPolicy Honor), so a zone whose nodes are cordoned (drain) or unreachable stops
 * counting, and a replacement pod may still go to a spare node in a surviving zone instead of waiting
 * for the lost one (both policies are beta and on by default from Kubernetes 1.26; the stacks run
 * 1.28). The price of DoNotSchedule: a node without a `topology.kubernetes.io/zone` label is never
 * used, so managed nodes get one (components/redisNode.ts) and bring-your-own nodes must have one.
 *
 * Sentinels also get the same spread over `kubernetes.io/hostname`, in place of a required
 * anti-affinity. Their Deployment has no strategy (the operator's `generateSentinelDeployment`), so
 * Kubernetes' RollingUpdate 25%/25% applies (pkg/apis/apps/v1/defaults.go), which at 3 replicas is
 * maxSurge 1 (rounded up), maxUnavailable 0 (rounded down; pkg/controller/deployment/util/
 * deployment_util.go `ResolveFenceposts`): on any template change a 4th pod must run before an old
 * one is deleted (pkg/controller/deployment/rolling.go). With a required anti-affinity and as many
 * nodes as sentinels that 4th pod has no node: it stays Pending and the rollout stalls.
 * `matchLabelKeys: [pod-template-hash]` (sentinels only) makes each constraint count the pods of the
 * incoming pod's own ReplicaSet revision alone (pkg/scheduler/framework/plugins/podtopologyspread/
 * common.go ANDs the pod's values into the selector; beta, on by default from 1.27: pkg/features/
 * kube_features.go `MatchLabelKeysInPodTopologySpread`). So the surge pod may share a node with an
 * old pod; the old ReplicaSet then deletes the old pod on the doubled-up node first (pkg/controller/
 * controller_utils.go `ActivePodsWithRanks`), and when the rollout ends N pods of one revision on N
 * nodes with maxSkew 1 are one per node. Without it, old and new pods count together: 1/1/1 lets the
 * surge go to a node that already holds a new pod (its old one deleted), and a rollout can end 2/1/0.
 * render/rolloutModel.ts checks all this on the prod stack's nodes (tests/components/
 * sentinelRollout.test.ts). Two limits: the one rollout from the old anti-affinity still stalls (the
 * old pods' required anti-affinity also refuses new pods, interpodaffinity/filtering.go
 * `satisfyExistingPodsAntiAffinity`); and a spread is only checked at scheduling, so a sentinel that
 * replaced one on a lost node stays beside another after the node returns, until the next rollout.
 */
export function zoneSpread(failoverName: string, component: FailoverComponent): SpreadConstraint[] {
    const spread = (topologyKey: string): SpreadConstraint => ({
        maxSkew: SPREAD_MAX_SKEW,
        topologyKey,
        whenUnsatisfiable: "DoNotSchedule",
        nodeAffinityPolicy: "Honor",
        nodeTaintsPolicy: "Honor",
        labelSelector: { matchLabels: componentSelector(failoverName, component) },
        ...(component === "sentinel" ? { matchLabelKeys: [POD_TEMPLATE_HASH_LABEL] } : {}),
    });
    return component === "sentinel" ? [spread(ZONE_TOPOLOGY_KEY), spread(HOSTNAME_TOPOLOGY_KEY)] : [spread(ZONE_TOPOLOGY_KEY)];
}

/**
 * How many pods of one component the zone spread can place, one per node, on nodes counted per zone
 * (only zones with a node the pod may use: nodeAffinityPolicy and nodeTaintsPolicy Honor). The
 * scheduler lets a pod into a zone only while `pods there + 1 - the fewest in any counted zone` is
 * at most maxSkew (kubernetes pkg/scheduler/framework/plugins/podtopologyspread/filtering.go,
 * `Filter`: `matchNum + selfMatchNum - minMatchNum > maxSkew` is Unschedulable; `calPreFilterState`
 * counts every eligible node's zone, empty or not). One pod per node (redis: the required hostname
 * anti-affinity; sentinels: the hostname spread, which puts a second pod on a node only once every
 * node has one) caps a zone at its nodes, so the emptiest zone never holds more than the fewest
 * nodes any zone has, and no zone more than that plus maxSkew: each zone takes
 * `min(its nodes, fewest nodes + maxSkew)`, and the scheduler reaches that sum in any order.
 */
export function zoneSpreadCapacity(nodesPerZone: Record<string, number>, maxSkew = SPREAD_MAX_SKEW): number {
    const counts = Object.values(nodesPerZone).filter((nodes) => nodes > 0);
    if (counts.length === 0) return 0;
    const fewest = Math.min(...counts);
    return counts.reduce((sum, nodes) => sum + Math.min(nodes, fewest + maxSkew), 0);
}

/**
 * Why `pods` pods (`what`: "5 sentinels") cannot all be placed by the zone spread on these nodes, or
 * undefined when they can: the arithmetic, what is left Pending, and the ways out (`allowed`: which
 * counts the setting accepts, e.g. odd sentinel counts).
 */
export function zoneSpreadProblem(
    pods: number,
    what: string,
    nodesPerZone: Record<string, number>,
    allowed: (count: number) => boolean = () => true,
): string | undefined {
    const capacity = zoneSpreadCapacity(nodesPerZone);
    if (pods <= capacity) return undefined;
    const zones = Object.entries(nodesPerZone).filter(([, nodes]) => nodes > 0);
    const fewest = Math.min(...zones.map(([, nodes]) => nodes));
    const smallest = zones.filter(([, nodes]) => nodes === fewest).map(([zone]) => zone);
    let most = capacity;
    while (most > 1 && !allowed(most)) most -= 1;
    return (
        `${what} over zones ${zones.map(([zone, nodes]) => `${zone}:${nodes}`).join(" ")} (nodes per zone) with maxSkew ` +
        `${SPREAD_MAX_SKEW} place at most ${capacity}: one per node, and no zone more than ${SPREAD_MAX_SKEW} above the ` +
        `emptiest, which ${smallest.join(", ")} (${fewest} node${fewest === 1 ? "" : "s"}) keep${smallest.length === 1 ? "s" : ""} ` +
        `at ${fewest} or fewer; ${pods - capacity} would stay Pending, and a Pending pod stops the operator's pass. Run ` +
        `at most ${most}, or add nodes in ${smallest.join(", ")}`
    );
}
