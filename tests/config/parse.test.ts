import * as assert from "assert";
import { MAXMEMORY_POLICIES } from "../../config/schema/instances";
import { OPERATOR_DEFAULTS } from "../../config/schema/operator";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { APP_ENV, assertAccepted, assertRejected, INSTANCES, issues } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config: parseStackConfig", () => {
    const dev = stackConfig("dev");
    const prod = stackConfig("prod");

    describe("the shipped stacks", () => {
        it("dev parses into the seed's settings", () => {
            const config = parseStackConfigOrThrow(dev);
            assert.strictEqual(config.highlyAvailable, false);
            assert.deepStrictEqual(
                config.instances.map((i) => [
                    i.purpose,
                    i.name,
                    i.sentinel.replicas,
                    i.redis.replicas,
                    i.redis.maxmemory,
                    i.redis.maxmemoryPolicy,
                ]),
                [
                    ["auth", "auth-redis", 1, 1, "256mb", "noeviction"],
                    ["streams", "streams-redis", 1, 1, "256mb", "noeviction"],
                    ["cache", "cache-redis", 1, 1, "512mb", "allkeys-lru"],
                ],
            );
            const auth = config.instances[0];
            assert.strictEqual(auth.redis.appendonly, true);
            assert.deepStrictEqual(auth.redis.storage, {
                kind: "persistentVolumeClaim",
                size: "1Gi",
                storageClass: "gp3",
                accessModes: ["ReadWriteOnce"],
                keepAfterDeletion: false,
            });
            assert.strictEqual(auth.sentinel.downAfterMilliseconds, 5000);
            assert.strictEqual(auth.sentinel.failoverTimeout, 10000);
            assert.deepStrictEqual(auth.redis.resources.limits, { cpu: "300m", memory: "512Mi" });
            assert.strictEqual(config.exporterImage, "oliver006/redis_exporter:v1.62.0");
            assert.deepStrictEqual(
                config.appEnv.map((e) => `${e.name}=${e.instance}/${e.db}`),
                [
                    "AUTH_REDIS_BLACKLIST_URL=auth/0",
                    "AUTH_REDIS_OAUTH_STATE_URL=auth/3",
                    "REDIS_STREAMS_URL=streams/0",
                    "CELERY_RESULT_BACKEND=cache/0",
                    "IMAGE_REDIS_URL=cache/6",
                ],
            );
        });

        it("prod is highly available: 3 sentinels and 3 redis everywhere, auth's volume kept", () => {
            const config = parseStackConfigOrThrow(prod);
            assert.strictEqual(config.highlyAvailable, true);
            assert.strictEqual(config.protectData, true);
            for (const instance of config.instances) {
                assert.strictEqual(instance.sentinel.replicas, 3, instance.purpose);
                assert.strictEqual(instance.redis.replicas, 3, instance.purpose);
            }
            const auth = config.instances.find((i) => i.purpose === "auth")!;
            assert.ok(auth.redis.storage.kind === "persistentVolumeClaim" && auth.redis.storage.keepAfterDeletion);
        });

        it("operator settings fall back to chart 3.3.0 / image v1.3.0-rc1 on the control plane", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:operator", [], undefined));
            assert.deepStrictEqual(config.operator, OPERATOR_DEFAULTS);
            assert.strictEqual(config.operator.chartVersion, "3.3.0");
            assert.strictEqual(config.operator.chartName, "redis-operator");
            assert.strictEqual(config.operator.imageTag, "v1.3.0-rc1");
        });

        it("the stack files run the image whose code matches the CRD and Service facts (v1.3.0-rc1)", () => {
            for (const stack of ["dev", "prod"]) {
                assert.strictEqual(parseStackConfigOrThrow(stackConfig(stack), stack).operator.imageTag, "v1.3.0-rc1", stack);
            }
        });

        it("takes the freshworks-oss fork's OCI chart and image, and refuses a chart name Helm would not", () => {
            const fork = { chartRepository: "oci://ghcr.io/freshworks-oss/charts", chartName: "redis-operator", chartVersion: "3.3.4" };
            const config = parseStackConfigOrThrow(
                withSetting(
                    withSetting(dev, "redis-ha:operator", [], fork),
                    "redis-ha:operator",
                    ["imageRepository"],
                    "ghcr.io/freshworks-oss/redis-operator",
                ),
            );
            assert.deepStrictEqual([config.operator.chartRepository, config.operator.chartName], [fork.chartRepository, "redis-operator"]);
            const bad = parseStackConfig(withSetting(dev, "redis-ha:operator", ["chartName"], "Redis_Operator"));
            assert.match(bad.issues.find((i) => i.key === "redis-ha:operator.chartName")?.message ?? "", /not a Helm chart name/);
        });
    });

    describe("instance names", () => {
        it("accepts DNS-1123 names up to 48 characters", () => {
            assertAccepted(withSetting(dev, INSTANCES, ["auth", "name"], "a".repeat(48)));
            assertAccepted(withSetting(dev, INSTANCES, ["auth", "name"], "auth-tokens-2"));
        });
        it("rejects a name that is not DNS-1123", () => {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "name"], "Auth_Redis"), `${INSTANCES}.auth.name`, /DNS-1123/);
        });
        it("rejects a name over 48 characters, as the operator would", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "name"], "a".repeat(49)),
                `${INSTANCES}.auth.name`,
                /49 characters.*at most 48/,
            );
        });
        it("rejects a default name (<purpose>-redis) that grows past 48 characters", () => {
            const config = withSetting(
                withSetting(dev, INSTANCES, ["auth"], undefined),
                INSTANCES,
                ["p".repeat(43)],
                JSON.parse(dev[INSTANCES]).cache,
            );
            const found = issues(withSetting(config, APP_ENV, [], []));
            assert.ok(
                found.some((i) => i.key.startsWith(`${INSTANCES}.${"p".repeat(43)}`) && /at most 48/.test(i.message)),
                JSON.stringify(found),
            );
        });
        it("rejects an instance key that cannot be a node label value", () => {
            const config = withSetting(dev, INSTANCES, ["Auth"], JSON.parse(dev[INSTANCES]).auth);
            assertRejected(config, `${INSTANCES}.Auth`, /DNS-1123/);
        });
        it("rejects two instances with the same name", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["cache", "name"], "auth-redis"),
                `${INSTANCES}.cache.name`,
                /already the name of instance auth/,
            );
        });
    });

    describe("maxmemory-policy", () => {
        for (const policy of MAXMEMORY_POLICIES) {
            it(`accepts ${policy}`, () => assertAccepted(withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolicy"], policy)));
        }
        it("rejects anything else, listing the eight", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolicy"], "lru"),
                `${INSTANCES}.cache.redis.maxmemoryPolicy`,
                /noeviction, allkeys-lru.*volatile-ttl/,
            );
        });
    });

    describe("maxmemory", () => {
        const key = `${INSTANCES}.auth.redis.maxmemory`;
        it("accepts Redis sizes (mb, gb, plain bytes)", () => {
            const big = withSetting(dev, INSTANCES, ["auth", "redis", "resources", "limits", "memory"], "2Gi");
            assertAccepted(withSetting(big, INSTANCES, ["auth", "redis", "maxmemory"], "1gb"));
            assertAccepted(withSetting(big, INSTANCES, ["auth", "redis", "maxmemory"], "268435456"));
        });
        it("rejects an unparseable size", () => {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "maxmemory"], "lots"), key, /not a Redis memory size/);
        });
        it("accepts exactly 75% of the container's memory limit", () => {
            assertAccepted(withSetting(dev, INSTANCES, ["auth", "redis", "maxmemory"], "384mb")); // 512Mi * 0.75
        });
        it("rejects more than 75% of the container's memory limit", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "maxmemory"], "385mb"),
                key,
                /exceeds 75% of the memory limit 512Mi \(384Mi\)/,
            );
        });
        it("rejects redis without a memory limit", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "resources", "limits", "memory"], undefined),
                `${INSTANCES}.auth.redis.resources.limits.memory`,
                /needs a memory limit/,
            );
        });
    });
});
