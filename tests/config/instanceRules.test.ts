// The cross-key rules on each instance (config/schema/instanceRules.ts): a setting that would do
// nothing, or turn one lost node into an outage, is refused naming its key; the nearest valid
// variant is accepted.

import * as assert from "assert";
import { parseStackConfigOrThrow } from "../../config/parse";
import { assertAccepted, assertRejected, INSTANCES } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config: instance rules across keys", () => {
    const [dev, prod] = [stackConfig("dev"), stackConfig("prod")];
    const set = (config: Record<string, string>, at: Array<string | number>, value: unknown) => withSetting(config, INSTANCES, at, value);

    describe("redis.minReplicasToWrite in a highly available stack: one node lost must not stop writes", () => {
        it("refuses every replica (2 of 3 redis), naming the key and what survives a node loss", () => {
            assertRejected(
                set(prod, ["auth", "redis", "minReplicasToWrite"], 2),
                `${INSTANCES}.auth.redis.minReplicasToWrite`,
                /^2 needs all 2 replicas of 3 redis in sync, but losing one node leaves 1 \(replicas - 1\), and the master would then refuse every write \(NOREPLICAS\); .* at most 1$/,
            );
            // 5 redis on 5 nodes: 4 replicas, 3 survive.
            const subnets = [
                "subnet-0dd1b2c3d4e5f6071",
                "subnet-0e2b3c4d5e6f70812",
                "subnet-0f3c4d5e6f7081923",
                "subnet-0dd1b2c3d4e5f6071",
                "subnet-0e2b3c4d5e6f70812",
            ];
            let five = withSetting(
                prod,
                "redis-ha:nodes",
                ["cache"],
                subnets.map((subnetId) => ({ instanceType: "t3.small", subnetId })),
            );
            five = set(five, ["cache", "redis", "replicas"], 5);
            assertRejected(
                set(five, ["cache", "redis", "minReplicasToWrite"], 4),
                `${INSTANCES}.cache.redis.minReplicasToWrite`,
                /at most 3$/,
            );
            assertAccepted(set(five, ["cache", "redis", "minReplicasToWrite"], 3));
        });

        it("accepts one fewer than the replicas (1 of 2), and every replica outside a highly available stack", () => {
            assertAccepted(set(prod, ["auth", "redis", "minReplicasToWrite"], 1));
            const notHa = withSetting(prod, "redis-ha:highlyAvailable", [], "false");
            assert.strictEqual(
                parseStackConfigOrThrow(set(notHa, ["auth", "redis", "minReplicasToWrite"], 2)).instances[0].redis.minReplicasToWrite,
                2,
            );
        });
    });

    describe("redis.minReplicasMaxLag: only read while minReplicasToWrite is at least 1", () => {
        it("refuses a lag where minReplicasToWrite is 0, by default or as set", () => {
            assertRejected(
                set(prod, ["cache", "redis", "minReplicasMaxLag"], 5),
                `${INSTANCES}.cache.redis.minReplicasMaxLag`,
                /^5 does nothing here: .* instances.cache.redis.minReplicasToWrite is 0 \(the default for an instance that holds no data\)/,
            );
            assertRejected(
                set(dev, ["auth", "redis", "minReplicasMaxLag"], 5),
                `${INSTANCES}.auth.redis.minReplicasMaxLag`,
                /is 0 \(the default outside a highly available stack\)/,
            );
            const off = set(set(prod, ["auth", "redis", "minReplicasToWrite"], 0), ["auth", "redis", "minReplicasMaxLag"], 5);
            assertRejected(off, `${INSTANCES}.auth.redis.minReplicasMaxLag`, /is 0 \(as set\)/);
        });

        it("accepts a lag with minReplicasToWrite on, by default (prod's auth) or as set, and defaults it to 3", () => {
            assertAccepted(set(prod, ["auth", "redis", "minReplicasMaxLag"], 5));
            assertAccepted(set(set(prod, ["cache", "redis", "minReplicasToWrite"], 1), ["cache", "redis", "minReplicasMaxLag"], 5));
            assert.deepStrictEqual(
                parseStackConfigOrThrow(dev).instances.map((i) => i.redis.minReplicasMaxLag),
                [3, 3, 3],
            );
        });
    });

    describe("redis.exporter with alerts on: the alert rules read it", () => {
        it("refuses turning it off while alerts are on", () => {
            assertRejected(
                set(prod, ["streams", "redis", "exporter"], false),
                `${INSTANCES}.streams.redis.exporter`,
                /^false leaves the instance's alert rules \(alerts.enabled\) without their metrics: RedisNoMaster would fire for ever/,
            );
            const alertsOn = withSetting(dev, "redis-ha:alerts", ["enabled"], true);
            assertRejected(set(alertsOn, ["cache", "redis", "exporter"], false), `${INSTANCES}.cache.redis.exporter`, /turn alerts off$/);
        });

        it("accepts it off where alerts are off (dev) or absent", () => {
            assertAccepted(set(dev, ["cache", "redis", "exporter"], false));
            assertAccepted(set(withSetting(dev, "redis-ha:alerts", [], undefined), ["cache", "redis", "exporter"], false));
        });
    });

    describe("sentinel.customConfig quorum outside HA stacks: one the sentinels can reach", () => {
        const three = withSetting(set(dev, ["cache", "sentinel", "replicas"], 3), "redis-ha:nodes", [], undefined);
        const noCluster = withSetting(three, "redis-ha:cluster", [], undefined);

        it("refuses a quorum above the sentinels, and one SENTINEL SET refuses", () => {
            assertRejected(
                set(noCluster, ["cache", "sentinel", "customConfig"], ["quorum 4"]),
                `${INSTANCES}.cache.sentinel.customConfig[0]`,
                /^"quorum 4" can never be reached by 3 sentinel\(s\) \(instances.cache.sentinel.replicas\): no failover would ever start; at most 3$/,
            );
            assertRejected(
                set(dev, ["auth", "sentinel", "customConfig"], ["quorum 2"]),
                `${INSTANCES}.auth.sentinel.customConfig[0]`,
                /by 1 sentinel/,
            );
            assertRejected(
                set(dev, ["auth", "sentinel", "customConfig"], ["quorum 0"]),
                `${INSTANCES}.auth.sentinel.customConfig[0]`,
                /refused by SENTINEL SET: the quorum is a whole number of at least 1/,
            );
        });

        it("accepts a quorum the sentinels can reach", () => {
            assertAccepted(set(noCluster, ["cache", "sentinel", "customConfig"], ["quorum 3"]));
            assertAccepted(set(dev, ["auth", "sentinel", "customConfig"], ["quorum 1"]));
        });
    });
});
