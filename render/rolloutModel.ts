// A small model of a Deployment's rolling update under the scheduler's filters, explored over every
// choice: each feasible node the scheduler may pick, each tied pod the ReplicaSet may delete. It
// answers "can this placement stall a rollout, and how can it end?" for a handful of pods and nodes.
// Each rule names the upstream file it follows (kubernetes/kubernetes unless said otherwise).
// Abstractions: a bound pod is Running and Ready at once (minReadySeconds 0); a deleted pod is gone
// at once (the spread skips terminating pods anyway: podtopologyspread/common.go
// `countPodsMatchSelector`); a ReplicaSet acts on a new spec before the Deployment's next pass
// (its expectations, pkg/controller/replicaset/replica_set.go); scoring is not modelled, so any
// feasible node may be chosen (a superset of what the scheduler does).

import { POD_TEMPLATE_HASH_LABEL } from "./placement";

export type ModelTaint = { key: string; value?: string; effect: string };
export type ModelToleration = { key?: string; operator?: string; value?: string; effect?: string };
export type ModelNode = { name: string; labels: Record<string, string>; taints?: ModelTaint[] };
type Requirement = { key: string; operator: string; values?: string[] };
export type ModelSelector = { matchLabels?: Record<string, string>; matchExpressions?: Requirement[] };
export interface ModelSpread {
    maxSkew: number;
    topologyKey: string;
    whenUnsatisfiable: string;
    labelSelector?: ModelSelector;
    matchLabelKeys?: string[];
    minDomains?: number;
    nodeAffinityPolicy?: string;
    nodeTaintsPolicy?: string;
}
/** The scheduling part of a pod template, as `spec.sentinel` of a RedisFailover carries it. */
export interface ModelPlacement {
    affinity?: {
        nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: Array<{ matchExpressions?: Requirement[] }> };
        };
        podAntiAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: Array<{ topologyKey: string; labelSelector?: ModelSelector }>;
        };
        podAffinity?: unknown;
    };
    topologySpreadConstraints?: ModelSpread[];
    tolerations?: ModelToleration[];
}

export type Revision = "old" | "new";
type Pod = { revision: Revision; node: string | null };
type State = { replicas: Record<Revision, number>; pods: Pod[] };

/** A rollout of `replicas` pods from the template `from` to `to` (both carry `labels`). */
export type RolloutInput = {
    replicas: number;
    nodes: ModelNode[];
    labels: Record<string, string>;
    from: ModelPlacement;
    to: ModelPlacement;
};
/** A state where no controller or scheduler step is left. */
export interface EndState {
    complete: boolean;
    replicas: Record<Revision, number>;
    /** Pods on each node, both revisions. */
    perNode: Record<string, number>;
    /** Revisions of the pods no node takes. */
    pending: Revision[];
}
export interface RolloutOutcome {
    /** Every distinct end state reachable from every way the old revision could be placed. */
    ends: EndState[];
    /** Every path ends with all new pods Running and the old ReplicaSet at 0. */
    completes: boolean;
    /** The most pods on one node over the complete ends. */
    worstPerNode: number;
}

/**
 * maxSurge and maxUnavailable of the default 25%/25% (pkg/apis/apps/v1/defaults.go
 * `SetDefaults_Deployment`), resolved as pkg/controller/deployment/util/deployment_util.go
 * `ResolveFenceposts`: surge rounded up, unavailable down, and unavailable 1 if both are 0.
 */
export function resolveFenceposts(replicas: number, surgePercent = 25, unavailablePercent = 25) {
    const maxSurge = Math.ceil((replicas * surgePercent) / 100);
    const maxUnavailable = Math.floor((replicas * unavailablePercent) / 100);
    return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

/** A label selector (apimachinery labels); a missing selector selects nothing. */
function selects(selector: ModelSelector | undefined, labels: Record<string, string>): boolean {
    if (!selector) return false;
    const labelsMatch = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
    return labelsMatch && (selector.matchExpressions ?? []).every((req) => requirementHolds(req, labels));
}

function requirementHolds(req: Requirement, labels: Record<string, string>): boolean {
    const has = req.key in labels;
    const listed = has && (req.values ?? []).includes(labels[req.key]);
    const holds: Record<string, boolean> = { In: listed, NotIn: !listed, Exists: has, DoesNotExist: !has };
    if (!(req.operator in holds)) throw new Error(`rollout model: operator ${req.operator} is not modelled`);
    return holds[req.operator];
}

/** Required node affinity: terms ORed, expressions ANDed (component-helpers nodeaffinity). */
function nodeAffinityMatches(placement: ModelPlacement, node: ModelNode): boolean {
    const required = placement.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return (
        !required || required.nodeSelectorTerms.some((term) => (term.matchExpressions ?? []).every((r) => requirementHolds(r, node.labels)))
    );
}

/**
 * A NoSchedule or NoExecute taint no toleration matches (plugins/tainttoleration/taint_toleration.go
 * with helper `DoNotScheduleTaintsFilterFunc`; k8s.io/api core/v1/toleration.go `ToleratesTaint`).
 */
function untoleratedTaint(placement: ModelPlacement, node: ModelNode): boolean {
    const tolerates = (t: ModelToleration, taint: ModelTaint) =>
        (!t.effect || t.effect === taint.effect) &&
        (!t.key || t.key === taint.key) &&
        (t.operator === "Exists" || ((t.operator ?? "Equal") === "Equal" && (t.value ?? "") === (taint.value ?? "")));
    return (node.taints ?? []).some(
        (taint) => ["NoSchedule", "NoExecute"].includes(taint.effect) && !(placement.tolerations ?? []).some((t) => tolerates(t, taint)),
    );
}

/** Builds the model of one rollout; `explore` walks it. */
export function simulateRollout(input: RolloutInput): RolloutOutcome {
    const { maxSurge, maxUnavailable } = resolveFenceposts(input.replicas);
    const nodes = new Map(input.nodes.map((node) => [node.name, node]));
    const templates: Record<Revision, ModelPlacement> = { old: input.from, new: input.to };
    const unmodelled = (p: ModelPlacement) => p.affinity?.podAffinity || (p.topologySpreadConstraints ?? []).some((c) => c.minDomains);
    if (unmodelled(input.from) || unmodelled(input.to)) throw new Error("rollout model: podAffinity and minDomains are not modelled");
    const labelsOf = (revision: Revision): Record<string, string> => ({ ...input.labels, [POD_TEMPLATE_HASH_LABEL]: revision });

    /** plugins/interpodaffinity/filtering.go: the pod's own terms, and existing pods' terms against it. */
    function antiAffinityAllows(revision: Revision, node: ModelNode, pods: Pod[]): boolean {
        const labels = labelsOf(revision);
        const own = templates[revision].affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
        for (const other of pods) {
            const there = other.node === null ? undefined : nodes.get(other.node);
            if (!there) continue;
            const sameDomain = (key: string) => key in node.labels && there.labels[key] === node.labels[key];
            // satisfyPodAntiAffinity: an existing pod in the domain matches one of the pod's terms.
            if (own.some((term) => sameDomain(term.topologyKey) && selects(term.labelSelector, labelsOf(other.revision)))) return false;
            // satisfyExistingPodsAntiAffinity: the pod matches an existing pod's term in its domain.
            const theirs = templates[other.revision].affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
            if (theirs.some((term) => sameDomain(term.topologyKey) && selects(term.labelSelector, labels))) return false;
        }
        return true;
    }

    /**
     * plugins/podtopologyspread (common.go, filtering.go), DoNotSchedule only: the selector is the
     * labelSelector ANDed with the pod's own values of matchLabelKeys; domains are those of nodes with
     * every constraint's key that pass the inclusion policies (nodeAffinityPolicy default Honor,
     * nodeTaintsPolicy default Ignore); skew = matching pods in the candidate's domain + 1 if the pod
     * matches - the global minimum over those domains (0 when there are none), at most maxSkew.
     */
    function spreadAllows(revision: Revision, node: ModelNode, pods: Pod[]): boolean {
        const placement = templates[revision];
        const labels = labelsOf(revision);
        const constraints = (placement.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === "DoNotSchedule");
        for (const c of constraints) {
            if (!(c.topologyKey in node.labels)) return false;
            const keys = (c.matchLabelKeys ?? []).filter((key) => key in labels);
            const selector = c.labelSelector && {
                ...c.labelSelector,
                matchLabels: { ...c.labelSelector.matchLabels, ...Object.fromEntries(keys.map((key) => [key, labels[key]])) },
            };
            const counts = new Map<string, number>();
            for (const candidate of nodes.values()) {
                if (!constraints.every((other) => other.topologyKey in candidate.labels)) continue;
                if ((c.nodeAffinityPolicy ?? "Honor") === "Honor" && !nodeAffinityMatches(placement, candidate)) continue;
                if (c.nodeTaintsPolicy === "Honor" && untoleratedTaint(placement, candidate)) continue;
                const here = pods.filter((pod) => pod.node === candidate.name && selects(selector, labelsOf(pod.revision))).length;
                const domain = candidate.labels[c.topologyKey];
                counts.set(domain, (counts.get(domain) ?? 0) + here);
            }
            const min = counts.size === 0 ? 0 : Math.min(...counts.values());
            const skew = (counts.get(node.labels[c.topologyKey]) ?? 0) + (selects(selector, labels) ? 1 : 0) - min;
            if (skew > c.maxSkew) return false;
        }
        return true;
    }

    const feasible = (revision: Revision, pods: Pod[]) =>
        [...nodes.values()].filter(
            (node) =>
                nodeAffinityMatches(templates[revision], node) &&
                !untoleratedTaint(templates[revision], node) &&
                antiAffinityAllows(revision, node, pods) &&
                spreadAllows(revision, node, pods),
        );

    /**
     * A ReplicaSet at `count` pods: new ones Pending; or `diff` deleted by pkg/controller/replicaset/
     * replica_set.go `getPodsToDelete`, ranked by pkg/controller/controller_utils.go
     * `ActivePodsWithRanks`: unassigned first, then the most related pods (both revisions) on the same
     * node ("doubled up"); ready time, restarts and age are not modelled, so every tie is a branch.
     */
    function scaleTo(state: State, revision: Revision, count: number): State[] {
        const next = { ...state.replicas, [revision]: count };
        const mine = state.pods.filter((pod) => pod.revision === revision);
        const others = state.pods.filter((pod) => pod.revision !== revision);
        if (count >= mine.length) {
            const added = Array.from({ length: count - mine.length }, () => ({ revision, node: null }));
            return [{ replicas: next, pods: [...state.pods, ...added] }];
        }
        const rank = (pod: Pod) => state.pods.filter((other) => other.node === pod.node).length;
        const order = (pod: Pod) => (pod.node === null ? -1e6 : -rank(pod));
        const sorted = [...mine].sort((a, b) => order(a) - order(b));
        const diff = mine.length - count;
        const boundary = order(sorted[diff - 1]);
        const sure = sorted.filter((pod) => order(pod) < boundary);
        const tied = sorted.filter((pod) => order(pod) === boundary);
        return combinations(tied, diff - sure.length).map((victims) => ({
            replicas: next,
            pods: [...others, ...mine.filter((pod) => !sure.includes(pod) && !victims.includes(pod))],
        }));
    }

    const available = (state: State, revision: Revision) => state.pods.filter((pod) => pod.revision === revision && pod.node).length;

    /** pkg/controller/deployment/rolling.go `rolloutRolling`: scale the new RS up, or else the old down. */
    function deploymentSync(state: State): State[] {
        const { old: oldCount, new: newCount } = state.replicas;
        // deployment_util.go NewRSNewReplicas: up to replicas + maxSurge pods in all.
        const room = Math.min(input.replicas + maxSurge - (oldCount + newCount), input.replicas - newCount);
        if (room > 0) return scaleTo(state, "new", newCount + room);
        // reconcileOldReplicaSets: never below replicas - maxUnavailable available pods.
        if (oldCount === 0) return [];
        const minAvailable = input.replicas - maxUnavailable;
        const maxScaledDown = oldCount + newCount - minAvailable - (newCount - available(state, "new"));
        if (maxScaledDown <= 0) return [];
        const cleanup = Math.min(maxScaledDown, oldCount - available(state, "old")); // cleanupUnhealthyReplicas
        const availableNow = available(state, "old") + available(state, "new");
        const scaleDown = availableNow <= minAvailable ? 0 : Math.min(oldCount - cleanup, availableNow - minAvailable);
        return cleanup + scaleDown > 0 ? scaleTo(state, "old", oldCount - cleanup - scaleDown) : [];
    }

    /** The scheduler binds one Pending pod to any node that passes every filter. */
    function schedule(state: State): State[] {
        const pending = [...new Set(state.pods.filter((pod) => pod.node === null).map((pod) => pod.revision))];
        return pending.flatMap((revision) => {
            const index = state.pods.findIndex((pod) => pod.node === null && pod.revision === revision);
            return feasible(revision, state.pods).map((node) => ({
                replicas: state.replicas,
                pods: state.pods.map((pod, i) => (i === index ? { revision, node: node.name } : pod)),
            }));
        });
    }

    const starts = explore(
        {
            replicas: { old: input.replicas, new: 0 },
            pods: Array.from({ length: input.replicas }, () => ({ revision: "old", node: null })),
        },
        (state) => (state.pods.some((pod) => pod.node === null) ? schedule(state) : []),
    );
    const unplaced = starts.find((state) => state.pods.some((pod) => pod.node === null));
    if (unplaced) throw new Error("rollout model: the old revision itself cannot be placed on these nodes");
    const ends = starts.flatMap((start) => explore(start, (state) => [...schedule(state), ...deploymentSync(state)]));
    const summaries = ends.map((state): EndState => {
        const perNode = Object.fromEntries([...nodes.keys()].map((name) => [name, state.pods.filter((pod) => pod.node === name).length]));
        const pending = state.pods.filter((pod) => pod.node === null).map((pod) => pod.revision);
        const complete = state.replicas.old === 0 && pending.length === 0 && available(state, "new") === input.replicas;
        return { complete, replicas: state.replicas, perNode, pending };
    });
    const report = [...new Map(summaries.map((end) => [JSON.stringify(end), end])).values()];
    const done = report.filter((end) => end.complete);
    return {
        ends: report,
        completes: done.length === report.length,
        worstPerNode: Math.max(0, ...done.flatMap((end) => Object.values(end.perNode))),
    };
}

/** A state's identity: pods of one revision on one node are interchangeable. */
function key(state: State): string {
    return `${state.replicas.old}/${state.replicas.new}:${state.pods.map((pod) => `${pod.revision}@${pod.node ?? "-"}`).sort()}`;
}

/** Every end state (no step left) reachable from `start`; steps only move forward, so no cycles. */
function explore(start: State, steps: (state: State) => State[]): State[] {
    const visited = new Set<string>();
    const ends: State[] = [];
    const stack = [start];
    while (stack.length > 0) {
        const state = stack.pop()!;
        if (visited.has(key(state))) continue;
        visited.add(key(state));
        const next = steps(state);
        if (next.length === 0) ends.push(state);
        stack.push(...next);
    }
    return ends;
}

function combinations<T>(items: T[], size: number): T[][] {
    if (size === 0) return [[]];
    return items.flatMap((item, i) => combinations(items.slice(i + 1), size - 1).map((rest) => [item, ...rest]));
}
