import * as assert from "assert";
import { instanceAlertRules } from "../../render/alertRules";
import { RedisAlerts } from "../../components/redisAlerts";
import { parseStackConfigOrThrow } from "../../config/parse";
import { redisName, sentinelName } from "../../facts/operator";
import { recordResources } from "../../plan/mockRuntime";
import { selectorsIn } from "../alerts/promql";
import { stackConfig } from "../support/stacks";

describe("components: RedisAlerts", () => {
    const prod = parseStackConfigOrThrow(stackConfig("prod"));

    it("covers no master, split brain, quorum, replica link, memory, exporter down, and evictions/rejected writes on noeviction", () => {
        const auth = instanceAlertRules(
            "redis",
            prod.instances.find((i) => i.purpose === "auth")!,
            0.8,
        ).map((r) => r.alert);
        assert.deepStrictEqual(auth, [
            "RedisNoMaster",
            "RedisSplitBrain",
            "RedisSentinelQuorumLost",
            "RedisReplicaLinkDown",
            "RedisMemoryNearMaxmemory",
            "RedisExporterDown",
            "RedisEvictionOnNoeviction",
            "RedisRejectingWrites",
        ]);
        const cache = instanceAlertRules(
            "redis",
            prod.instances.find((i) => i.purpose === "cache")!,
            0.8,
        ).map((r) => r.alert);
        assert.ok(!cache.includes("RedisEvictionOnNoeviction"), "allkeys-lru evicts by design");
    });

    // Whether the metric names and exporter labels exist is proven against a real exporter scrape
    // in redisAlerts.real.test.ts; here, that every selector is scoped to the instance's pods.
    it("every selector of every expression is scoped to the namespace and the instance's redis or sentinel pods", () => {
        for (const instance of prod.instances) {
            for (const rule of instanceAlertRules("redis", instance, 0.8)) {
                const selectors = selectorsIn(rule.expr);
                assert.ok(selectors.length > 0, `${rule.alert} names no metric`);
                for (const { metric, matchers } of selectors) {
                    assert.ok(
                        matchers.some((m) => m.label === "namespace" && m.op === "=" && m.value === "redis"),
                        `${rule.alert}: ${metric} not scoped to the namespace`,
                    );
                    const pods = [`${redisName(instance.name)}-.*`, `${sentinelName(instance.name)}-.*`];
                    assert.ok(
                        matchers.some((m) => m.label === "pod" && m.op === "=~" && pods.includes(m.value)),
                        `${rule.alert}: ${metric} not scoped to ${instance.name}'s pods`,
                    );
                }
            }
        }
    });

    it("alerts at the configured share of maxmemory", () => {
        const rule = instanceAlertRules("redis", prod.instances[0], 0.8).find((r) => r.alert === "RedisMemoryNearMaxmemory")!;
        assert.match(rule.expr, /redis_memory_used_bytes\{.*\} \/ redis_memory_max_bytes\{.*\} > 0.8/);
    });

    it("creates one PodMonitor and one PrometheusRule with the selector labels", async () => {
        const { resources } = await recordResources(
            { stack: "prod" },
            () => new RedisAlerts("redis-alerts", { config: prod.alerts, namespace: "redis", instances: prod.instances }),
        );
        const monitor = resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")!;
        const rules = resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!;
        assert.strictEqual((monitor.inputs.metadata as { labels: Record<string, string> }).labels.release, "kube-prometheus-stack");
        assert.strictEqual((rules.inputs.spec as { groups: unknown[] }).groups.length, 3);
    });
});
