// The sentinel Deployment's rolling update (maxSurge 1, maxUnavailable 0 at 3 replicas) on the prod
// stack's nodes, explored over every scheduler and deletion choice (render/rolloutModel.ts):
// the placement of render/placement.ts always completes, one sentinel per node; the old
// required anti-affinity stalls; without matchLabelKeys a rollout can end with two on one node.

import * as assert from "assert";
import { buildRedisFailoverManifest } from "../../render/failover";
import { nodeName } from "../../render/nodeIdentity";
import { componentSelector } from "../../facts/operator";
import { HOSTNAME_TOPOLOGY_KEY, ZONE_TOPOLOGY_KEY } from "../../render/placement";
import { ModelNode, ModelPlacement, resolveFenceposts, RolloutInput, simulateRollout } from "../../render/rolloutModel";
import { parseStackConfigOrThrow } from "../../config/parse";
import { InstanceConfig, StackConfig } from "../../config/types";
import { DEFAULT_ACCOUNT } from "../../plan/simulatedAccount";
import { renderOptions, stackConfig } from "../support/stacks";

/** A purpose's nodes as the stack makes them: name, zone of the subnet, placement label, taint. */
function purposeNodes(config: StackConfig, instance: InstanceConfig): ModelNode[] {
    const prefix = config.cluster?.nodeNamePrefix ?? "k8s-redis";
    return config.nodes
        .filter((node) => node.purpose === instance.purpose)
        .map((node) => {
            const name = nodeName(prefix, node.purpose, `i-${(0xabc0 + node.index).toString(16).padStart(17, "0")}`);
            const labels = {
                [HOSTNAME_TOPOLOGY_KEY]: name,
                [ZONE_TOPOLOGY_KEY]: DEFAULT_ACCOUNT.subnets[node.subnetId].zone,
                [config.placementLabel]: node.purpose,
            };
            return { name, labels, taints: instance.taint ? [instance.taint] : [] };
        });
}

/** The rendered sentinel placement, and the model input of a template change that keeps it. */
function sentinelRollout(config: StackConfig, instance: InstanceConfig) {
    const { sentinel } = buildRedisFailoverManifest(instance, renderOptions(config)).spec;
    const placement: ModelPlacement = sentinel;
    const input: RolloutInput = {
        replicas: sentinel.replicas,
        nodes: purposeNodes(config, instance),
        labels: componentSelector(instance.name, "sentinel"),
        from: placement,
        to: placement,
    };
    return { placement, input };
}

/** The shape before issue 16: required hostname anti-affinity, zone spread counting every revision. */
function oldShape(placement: ModelPlacement, instance: InstanceConfig): ModelPlacement {
    return {
        ...placement,
        affinity: {
            ...placement.affinity,
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    { topologyKey: HOSTNAME_TOPOLOGY_KEY, labelSelector: { matchLabels: componentSelector(instance.name, "sentinel") } },
                ],
            },
        },
        topologySpreadConstraints: withoutMatchLabelKeys(placement).topologySpreadConstraints!.filter(
            (c) => c.topologyKey === ZONE_TOPOLOGY_KEY,
        ),
    };
}

function withoutMatchLabelKeys(placement: ModelPlacement): ModelPlacement {
    return {
        ...placement,
        topologySpreadConstraints: (placement.topologySpreadConstraints ?? []).map(({ matchLabelKeys: _keys, ...rest }) => rest),
    };
}

describe("render: sentinel rollouts under the scheduler (rolloutModel)", () => {
    const prod = parseStackConfigOrThrow(stackConfig("prod"));
    const auth = prod.instances.find((i) => i.purpose === "auth")!;

    it("resolves Kubernetes' default 25%/25% at 3 replicas to maxSurge 1, maxUnavailable 0", () => {
        assert.deepStrictEqual(resolveFenceposts(3), { maxSurge: 1, maxUnavailable: 0 });
        assert.deepStrictEqual(resolveFenceposts(1), { maxSurge: 1, maxUnavailable: 0 });
        assert.deepStrictEqual(resolveFenceposts(4), { maxSurge: 1, maxUnavailable: 1 });
    });

    it("prod: every path of every instance's sentinel rollout completes, one sentinel per node", () => {
        for (const instance of prod.instances) {
            const { input } = sentinelRollout(prod, instance);
            assert.strictEqual(input.nodes.length, 3, instance.purpose);
            assert.strictEqual(new Set(input.nodes.map((node) => node.labels[ZONE_TOPOLOGY_KEY])).size, 3, instance.purpose);
            const outcome = simulateRollout(input);
            assert.ok(outcome.ends.length > 0, instance.purpose);
            assert.strictEqual(outcome.completes, true, `${instance.purpose}: ${JSON.stringify(outcome.ends)}`);
            assert.strictEqual(outcome.worstPerNode, 1, instance.purpose);
            for (const end of outcome.ends) {
                assert.deepStrictEqual(end.replicas, { old: 0, new: 3 });
                assert.deepStrictEqual(Object.values(end.perNode), [1, 1, 1], JSON.stringify(end));
            }
        }
    });

    it("the old required hostname anti-affinity stalls: the surge pod stays Pending, no old pod goes", () => {
        const { placement, input } = sentinelRollout(prod, auth);
        const old = oldShape(placement, auth);
        const outcome = simulateRollout({ ...input, from: old, to: old });
        assert.strictEqual(outcome.completes, false);
        assert.deepStrictEqual(outcome.ends, [
            {
                complete: false,
                replicas: { old: 3, new: 1 },
                perNode: Object.fromEntries(input.nodes.map((n) => [n.name, 1])),
                pending: ["new"],
            },
        ]);
    });

    it("the one rollout from the old shape to the new one still stalls (the old pods' anti-affinity refuses the surge)", () => {
        const { placement, input } = sentinelRollout(prod, auth);
        const outcome = simulateRollout({ ...input, from: oldShape(placement, auth), to: placement });
        assert.strictEqual(outcome.completes, false);
        assert.ok(outcome.ends.every((end) => end.pending.includes("new") && end.replicas.old === 3));
    });

    it("without matchLabelKeys the rollout completes, but some path ends with two sentinels on one node", () => {
        const { placement, input } = sentinelRollout(prod, auth);
        const bare = withoutMatchLabelKeys(placement);
        const outcome = simulateRollout({ ...input, from: bare, to: bare });
        assert.strictEqual(outcome.completes, true);
        assert.strictEqual(outcome.worstPerNode, 2);
        const spreads = outcome.ends.map((end) => Object.values(end.perNode).sort().join("/"));
        assert.ok(spreads.includes("0/1/2"), spreads.join(", "));
        assert.ok(spreads.includes("1/1/1"), spreads.join(", "));
    });

    it("a cordoned node stops counting (nodeTaintsPolicy Honor): three sentinels go 2/1 on the other two", () => {
        // The required anti-affinity would leave one Pending instead; a spread is not re-checked
        // once the node is back, so the 2/1 stays until the next rollout (render/placement.ts).
        const { input } = sentinelRollout(prod, auth);
        const [first, ...rest] = input.nodes;
        const cordoned = { ...first, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] };
        const outcome = simulateRollout({ ...input, nodes: [cordoned, ...rest] });
        assert.strictEqual(outcome.completes, true);
        assert.strictEqual(outcome.worstPerNode, 2);
        assert.ok(outcome.ends.every((end) => end.perNode[first.name] === 0));
    });
});
