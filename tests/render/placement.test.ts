// Where a RedisFailover's pods run (render/placement.ts) and the replication-safety lines, as
// rendered into the custom resource and checked against the operator's CRD.

import { ValidateFunction } from "ajv";
import * as assert from "assert";
import { buildRedisFailoverManifest } from "../../render/failover";
import { zoneSpreadCapacity, zoneSpreadProblem } from "../../render/placement";
import { parseStackConfigOrThrow } from "../../config/parse";
import { podSelector } from "../../facts/operator";
import { failoverValidator, SchemaNode, undeclaredFields } from "../support/reference";
import { renderOptions } from "../support/stacks";
import { stackConfig, withSetting } from "../support/stacks";

describe("render: RedisFailover placement and replication safety", () => {
    let schema: SchemaNode;
    let validate: ValidateFunction;
    before(() => ({ schema, validate } = failoverValidator()));
    const stacks = { dev: parseStackConfigOrThrow(stackConfig("dev")), prod: parseStackConfigOrThrow(stackConfig("prod")) };

    describe("placement: one redis and one sentinel per node, spread over zones", () => {
        const labels = (component: string, name = "auth-redis") => ({
            "app.kubernetes.io/part-of": "redis-failover",
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": component,
        });

        it("redis pods get required hostname anti-affinity against their own component, sentinels none; both the purpose's nodes", () => {
            const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
            const { spec } = buildRedisFailoverManifest(auth, renderOptions(stacks.prod));
            const nodeAffinity = {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchExpressions: [{ key: "redis-cluster", operator: "In", values: ["auth"] }] }],
                },
            };
            assert.deepStrictEqual(spec.redis.affinity, {
                nodeAffinity,
                podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels("redis") } },
                    ],
                },
            });
            // A required anti-affinity would stall the sentinel Deployment's rolling update (its surge
            // pod finds no node); the hostname spread below keeps them one per node instead.
            assert.deepStrictEqual(spec.sentinel.affinity, { nodeAffinity });
        });

        it("selects pods by the labels the operator gives them (facts/operator.ts podSelector)", () => {
            for (const component of ["redis", "sentinel"] as const) {
                const selector = Object.entries(labels(component, "cache-redis"))
                    .map(([key, value]) => `${key}=${value}`)
                    .sort();
                assert.deepStrictEqual(podSelector("cache-redis", component).split(",").sort(), selector);
            }
        });

        it("spreads redis over zones, sentinels over zones and hosts per revision; maxSkew 1, DoNotSchedule, usable nodes only", () => {
            const spread = (topologyKey: string, name: string, component: string, perRevision: boolean) => ({
                maxSkew: 1,
                topologyKey,
                whenUnsatisfiable: "DoNotSchedule",
                nodeAffinityPolicy: "Honor",
                nodeTaintsPolicy: "Honor",
                labelSelector: { matchLabels: labels(component, name) },
                ...(perRevision ? { matchLabelKeys: ["pod-template-hash"] } : {}),
            });
            for (const [stack, config] of Object.entries(stacks)) {
                for (const instance of config.instances) {
                    const { spec } = buildRedisFailoverManifest(instance, renderOptions(config));
                    const where = `${stack}/${instance.purpose}`;
                    assert.deepStrictEqual(
                        spec.redis.topologySpreadConstraints,
                        [spread("topology.kubernetes.io/zone", instance.name, "redis", false)],
                        where,
                    );
                    assert.deepStrictEqual(
                        spec.sentinel.topologySpreadConstraints,
                        [
                            spread("topology.kubernetes.io/zone", instance.name, "sentinel", true),
                            spread("kubernetes.io/hostname", instance.name, "sentinel", true),
                        ],
                        where,
                    );
                }
            }
        });

        it("the CRD declares every placement field rendered, and the schema check catches a misspelt one", () => {
            const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
            const manifest = buildRedisFailoverManifest(auth, renderOptions(stacks.prod));
            assert.ok(validate(manifest), JSON.stringify(validate.errors));
            assert.deepStrictEqual(undeclaredFields(schema, manifest), []);
            const [spread] = manifest.spec.sentinel.topologySpreadConstraints;
            const broken = {
                ...manifest,
                spec: {
                    ...manifest.spec,
                    sentinel: { ...manifest.spec.sentinel, topologySpreadConstraints: [{ ...spread, maxSkew: "1", skew: 1 }] },
                },
            };
            assert.strictEqual(validate(broken), false);
            assert.deepStrictEqual(undeclaredFields(schema, broken), [".spec.sentinel.topologySpreadConstraints[0].skew"]);
        });

        it("renders min-replicas-to-write and -max-lag after the typed lines, as configured", () => {
            const config = parseStackConfigOrThrow(
                withSetting(stackConfig("prod"), "redis-ha:instances", ["cache", "redis", "minReplicasToWrite"], 1),
            );
            const cache = config.instances.find((i) => i.purpose === "cache")!;
            const lines = buildRedisFailoverManifest(cache, renderOptions(config)).spec.redis.customConfig;
            assert.deepStrictEqual(lines.slice(3), ["min-replicas-to-write 1", "min-replicas-max-lag 3", "repl-diskless-sync-delay 0"]);
        });
    });

    describe("what the zone spread can place, one pod per node", () => {
        /**
         * The scheduler's rule, pod by pod: a pod may go to a free node of a zone only while that
         * zone's pods + 1 - the fewest pods in any zone with nodes is at most maxSkew 1 (kubernetes
         * podtopologyspread/filtering.go, Filter); the most any order of choices reaches.
         */
        function mostPlaced(nodesPerZone: number[], placed: number[] = nodesPerZone.map(() => 0)): number {
            const fewest = Math.min(...placed);
            let most = 0;
            nodesPerZone.forEach((nodes, zone) => {
                if (placed[zone] < nodes && placed[zone] + 1 - fewest <= 1) {
                    const next = placed.map((count, i) => (i === zone ? count + 1 : count));
                    most = Math.max(most, 1 + mostPlaced(nodesPerZone, next));
                }
            });
            return most;
        }

        it("places what the scheduler's rule places, for every layout of up to 3 zones of up to 5 nodes", () => {
            for (let a = 1; a <= 5; a++)
                for (let b = 0; b <= 5; b++)
                    for (let c = 0; c <= 5; c++) {
                        const zones = [a, b, c].filter((n) => n > 0);
                        const byName = Object.fromEntries(zones.map((n, i) => [`z${i}`, n]));
                        assert.strictEqual(zoneSpreadCapacity(byName), mostPlaced(zones), zones.join("/"));
                    }
            assert.strictEqual(zoneSpreadCapacity({ a: 3, b: 1, c: 1 }), 4);
            assert.strictEqual(zoneSpreadCapacity({ a: 9 }), 9, "one zone: every node");
        });

        it("accepts what fits and refuses the rest with the arithmetic", () => {
            assert.strictEqual(zoneSpreadProblem(5, "5 sentinels", { a: 2, b: 2, c: 1 }), undefined);
            assert.strictEqual(zoneSpreadProblem(4, "4 redis", { a: 3, b: 1, c: 1 }), undefined);
            assert.strictEqual(
                zoneSpreadProblem(5, "5 sentinels", { a: 3, b: 1, c: 1 }, (n) => n % 2 === 1),
                "5 sentinels over zones a:3 b:1 c:1 (nodes per zone) with maxSkew 1 place at most 4: one per node, and no zone " +
                    "more than 1 above the emptiest, which b, c (1 node) keep at 1 or fewer; 1 would stay Pending, and a Pending " +
                    "pod stops the operator's pass. Run at most 3, or add nodes in b, c",
            );
        });
    });
});
