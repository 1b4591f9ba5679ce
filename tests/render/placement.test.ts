// Where a RedisFailover's pods run (render/placement.ts) and the replication-safety lines, as
// rendered into the custom resource and checked against the operator's CRD.

import { ValidateFunction } from "ajv";
import * as assert from "assert";
import { buildRedisFailoverManifest } from "../../render/failover";
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
                withSetting(stackConfig("prod"), "redis-ha:instances", ["cache", "redis", "minReplicasToWrite"], 2),
            );
            const cache = config.instances.find((i) => i.purpose === "cache")!;
            const lines = buildRedisFailoverManifest(cache, renderOptions(config)).spec.redis.customConfig;
            assert.deepStrictEqual(lines.slice(3), ["min-replicas-to-write 2", "min-replicas-max-lag 3", "repl-diskless-sync-delay 0"]);
        });
    });
});
