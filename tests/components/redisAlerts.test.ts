import * as assert from "assert";
import { instanceAlertRules, RedisAlerts } from "../../components/redisAlerts";
import { parseStackConfigOrThrow } from "../../config";
import { recordResources } from "../../tools/mockRuntime";
import { stackConfig } from "../support/stacks";

/** Metrics redis_exporter publishes (redis and sentinel targets), plus Prometheus's own `up`. */
const EXPORTER_METRICS = new Set([
    "up",
    "redis_up",
    "redis_instance_info",
    "redis_connected_slaves",
    "redis_master_link_up",
    "redis_memory_used_bytes",
    "redis_memory_max_bytes",
    "redis_evicted_keys_total",
    "redis_errorstat_total",
    "redis_rejected_connections_total",
    "redis_sentinel_master_ckquorum_status",
    "redis_sentinel_master_ok_sentinels",
    "redis_sentinel_master_ok_slaves",
    "redis_sentinel_masters",
]);

function metricsIn(expr: string): string[] {
    return [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?:\{|\[|\)|$|\s[<>=])/g)].map((m) => m[1]).filter((name) => !["count", "absent", "min", "max", "increase", "or", "and", "sum", "by", "rate"].includes(name));
}

describe("components: RedisAlerts", () => {
    const prod = parseStackConfigOrThrow(stackConfig("prod"));

    it("covers no master, split brain, quorum, replica link, memory, exporter down, and evictions/rejected writes on noeviction", () => {
        const auth = instanceAlertRules("redis", prod.instances.find((i) => i.purpose === "auth")!, 0.8).map((r) => r.alert);
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
        const cache = instanceAlertRules("redis", prod.instances.find((i) => i.purpose === "cache")!, 0.8).map((r) => r.alert);
        assert.ok(!cache.includes("RedisEvictionOnNoeviction"), "allkeys-lru evicts by design");
    });

    it("every expression names only metrics redis_exporter publishes, scoped to the instance's pods", () => {
        for (const instance of prod.instances) {
            for (const rule of instanceAlertRules("redis", instance, 0.8)) {
                const metrics = metricsIn(rule.expr);
                assert.ok(metrics.length > 0, `${rule.alert} names no metric`);
                for (const metric of metrics) assert.ok(EXPORTER_METRICS.has(metric), `${rule.alert} uses unknown metric ${metric}`);
                assert.match(rule.expr, new RegExp(`pod=~"rf[rs]-${instance.name}-\\.\\*"`), rule.alert);
            }
        }
    });

    it("the metric check catches a misspelt metric", () => {
        assert.ok(metricsIn("redis_memory_usedbytes{pod=~\"x\"} > 1").some((m) => !EXPORTER_METRICS.has(m)));
    });

    it("alerts at the configured share of maxmemory", () => {
        const rule = instanceAlertRules("redis", prod.instances[0], 0.8).find((r) => r.alert === "RedisMemoryNearMaxmemory")!;
        assert.match(rule.expr, /redis_memory_used_bytes\{.*\} \/ redis_memory_max_bytes\{.*\} > 0.8/);
    });

    it("creates one PodMonitor and one PrometheusRule with the selector labels", async () => {
        const { resources } = await recordResources({ stack: "prod" }, () => new RedisAlerts("redis-alerts", { config: prod.alerts, namespace: "redis", instances: prod.instances }));
        const monitor = resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")!;
        const rules = resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")!;
        assert.strictEqual((monitor.inputs.metadata as { labels: Record<string, string> }).labels.release, "kube-prometheus-stack");
        assert.strictEqual((rules.inputs.spec as { groups: unknown[] }).groups.length, 3);
    });
});
