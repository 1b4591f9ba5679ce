import * as assert from "assert";
import { ConfigError, MAXMEMORY_POLICIES, OPERATOR_DEFAULTS, parseStackConfig, parseStackConfigOrThrow } from "../../config";
import { stackConfig, withSetting } from "../support/stacks";

const INSTANCES = "redis-ha:instances";
const APP_ENV = "redis-ha:appEnv";

function issues(config: Record<string, string>) {
    return parseStackConfig(config).issues;
}

function assertAccepted(config: Record<string, string>) {
    const found = issues(config);
    assert.deepStrictEqual(found, [], `expected no issues, got ${JSON.stringify(found)}`);
}

function assertRejected(config: Record<string, string>, key: string, why: RegExp) {
    const found = issues(config);
    const match = found.find((issue) => issue.key === key);
    assert.ok(match, `expected an issue at ${key}, got ${JSON.stringify(found)}`);
    assert.match(match.message, why);
    assert.strictEqual(parseStackConfig(config).config, undefined, "an invalid config must yield no config");
}

describe("config: parseStackConfig", () => {
    const dev = stackConfig("dev");
    const prod = stackConfig("prod");

    describe("the shipped stacks", () => {
        it("dev parses into the seed's settings", () => {
            const config = parseStackConfigOrThrow(dev);
            assert.strictEqual(config.highlyAvailable, false);
            assert.deepStrictEqual(
                config.instances.map((i) => [i.purpose, i.name, i.sentinel.replicas, i.redis.replicas, i.redis.maxmemory, i.redis.maxmemoryPolicy]),
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
            assert.deepStrictEqual(config.appEnv.map((e) => `${e.name}=${e.instance}/${e.db}`), [
                "AUTH_REDIS_BLACKLIST_URL=auth/0",
                "AUTH_REDIS_OAUTH_STATE_URL=auth/3",
                "REDIS_STREAMS_URL=streams/0",
                "CELERY_RESULT_BACKEND=cache/0",
                "IMAGE_REDIS_URL=cache/6",
            ]);
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

        it("operator settings fall back to chart 3.3.0 / v1.3.0 on the control plane", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:operator", [], undefined));
            assert.deepStrictEqual(config.operator, OPERATOR_DEFAULTS);
            assert.strictEqual(config.operator.chartVersion, "3.3.0");
            assert.strictEqual(config.operator.imageTag, "v1.3.0");
        });

        it("the known-good fallback image tag v1.3.0-rc1 is accepted", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:operator", ["imageTag"], "v1.3.0-rc1"));
            assert.strictEqual(config.operator.imageTag, "v1.3.0-rc1");
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
            assertRejected(withSetting(dev, INSTANCES, ["auth", "name"], "a".repeat(49)), `${INSTANCES}.auth.name`, /49 characters.*at most 48/);
        });
        it("rejects a default name (<purpose>-redis) that grows past 48 characters", () => {
            const config = withSetting(withSetting(dev, INSTANCES, ["auth"], undefined), INSTANCES, ["p".repeat(43)], JSON.parse(dev[INSTANCES]).cache);
            const found = issues(withSetting(config, APP_ENV, [], []));
            assert.ok(found.some((i) => i.key.startsWith(`${INSTANCES}.${"p".repeat(43)}`) && /at most 48/.test(i.message)), JSON.stringify(found));
        });
        it("rejects an instance key that cannot be a node label value", () => {
            const config = withSetting(dev, INSTANCES, ["Auth"], JSON.parse(dev[INSTANCES]).auth);
            assertRejected(config, `${INSTANCES}.Auth`, /DNS-1123/);
        });
        it("rejects two instances with the same name", () => {
            assertRejected(withSetting(dev, INSTANCES, ["cache", "name"], "auth-redis"), `${INSTANCES}.cache.name`, /already the name of instance auth/);
        });
    });

    describe("maxmemory-policy", () => {
        for (const policy of MAXMEMORY_POLICIES) {
            it(`accepts ${policy}`, () => assertAccepted(withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolicy"], policy)));
        }
        it("rejects anything else, listing the eight", () => {
            assertRejected(withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolicy"], "lru"), `${INSTANCES}.cache.redis.maxmemoryPolicy`, /noeviction, allkeys-lru.*volatile-ttl/);
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
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "maxmemory"], "385mb"), key, /exceeds 75% of the memory limit 512Mi \(384Mi\)/);
        });
        it("rejects redis without a memory limit", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "resources", "limits", "memory"], undefined),
                `${INSTANCES}.auth.redis.resources.limits.memory`,
                /needs a memory limit/,
            );
        });
    });

    describe("sentinel and redis counts", () => {
        const sentinels = `${INSTANCES}.streams.sentinel.replicas`;
        it("accepts 1 sentinel outside HA stacks, and 3 or 5", () => {
            for (const count of [1, 3, 5]) {
                assertAccepted(withSetting(dev, INSTANCES, ["streams", "sentinel", "replicas"], count));
            }
        });
        it("rejects an even sentinel count", () => {
            assertRejected(withSetting(dev, INSTANCES, ["streams", "sentinel", "replicas"], 2), sentinels, /odd and at least 3/);
            assertRejected(withSetting(dev, INSTANCES, ["streams", "sentinel", "replicas"], 4), sentinels, /odd and at least 3/);
        });
        it("rejects 1 sentinel in a highly available stack", () => {
            assertRejected(withSetting(prod, INSTANCES, ["streams", "sentinel", "replicas"], 1), sentinels, /highly available stack needs at least 3 sentinels/);
        });
        it("rejects fewer than 3 redis in a highly available stack, accepts 3", () => {
            assertRejected(withSetting(prod, INSTANCES, ["streams", "redis", "replicas"], 2), `${INSTANCES}.streams.redis.replicas`, /at least 3 redis/);
            assertAccepted(withSetting(prod, INSTANCES, ["streams", "redis", "replicas"], 3));
        });
        it("makes dev highly available when asked, and then holds it to the same rule", () => {
            assertRejected(withSetting(dev, "redis-ha:highlyAvailable", [], "true"), sentinels, /highly available/);
        });
    });

    describe("storage", () => {
        const storage = `${INSTANCES}.auth.redis.storage`;
        it("accepts a PVC with size and storage class", () => {
            assertAccepted(withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim"], { size: "5Gi", storageClass: "gp3" }));
        });
        it("rejects a PVC without a size", () => {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim", "size"], undefined), `${storage}.persistentVolumeClaim.size`, /needs a size/);
        });
        it("rejects a PVC without a storage class", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim", "storageClass"], undefined),
                `${storage}.persistentVolumeClaim.storageClass`,
                /needs a storage class/,
            );
        });
        it("rejects both a PVC and emptyDir", () => {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "storage", "emptyDir"], {}), storage, /both emptyDir and persistentVolumeClaim/);
        });
        it("accepts emptyDir alone", () => {
            assertAccepted(withSetting(dev, INSTANCES, ["cache", "redis", "storage"], { emptyDir: {} }));
        });
    });

    describe("appEnv", () => {
        it("accepts db 0 to 15", () => {
            assertAccepted(withSetting(dev, APP_ENV, [4, "db"], 15));
        });
        it("rejects a db outside 0-15", () => {
            assertRejected(withSetting(dev, APP_ENV, [4, "db"], 16), `${APP_ENV}[4].db`, /between 0 and 15/);
            assertRejected(withSetting(dev, APP_ENV, [4, "db"], -1), `${APP_ENV}[4].db`, /between 0 and 15/);
        });
        it("rejects a URL that names no instance", () => {
            assertRejected(withSetting(dev, APP_ENV, [2, "instance"], "events"), `${APP_ENV}[2].instance`, /names no instance; defined: auth, streams, cache/);
        });
        it("rejects two env vars with the same name", () => {
            assertRejected(withSetting(dev, APP_ENV, [3, "name"], "IMAGE_REDIS_URL"), `${APP_ENV}[4].name`, /already defined by redis-ha:appEnv\[3\]/);
        });
        it("rejects a name that is not an env var", () => {
            assertRejected(withSetting(dev, APP_ENV, [0, "name"], "auth-url"), `${APP_ENV}[0].name`, /environment variable name/);
        });
    });

    describe("everything else", () => {
        it("names a misspelt setting and lists the real ones", () => {
            assertRejected(withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolcy"], "allkeys-lru"), `${INSTANCES}.cache.redis.maxmemoryPolcy`, /unknown setting.*maxmemoryPolicy/);
            assertRejected(withSetting(dev, "redis-ha:namespce", [], "redis"), "redis-ha:namespce", /unknown setting/);
        });
        it("ignores other packages' settings", () => {
            assertAccepted(withSetting(dev, "aws:region", [], "ap-northeast-2"));
        });
        it("rejects free-form lines that override typed settings", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["cache", "redis", "customConfig"], ["maxmemory-policy noeviction"]),
                `${INSTANCES}.cache.redis.customConfig[0]`,
                /set by this program/,
            );
            assertAccepted(withSetting(dev, INSTANCES, ["cache", "redis", "customConfig"], ["hz 20"]));
        });
        it("rejects unpinned images", () => {
            assertRejected(withSetting(dev, "redis-ha:exporterImage", [], "oliver006/redis_exporter:latest"), "redis-ha:exporterImage", /not pinned/);
            assertRejected(withSetting(dev, "redis-ha:exporterImage", [], "oliver006/redis_exporter"), "redis-ha:exporterImage", /not pinned/);
            assertRejected(withSetting(dev, "redis-ha:operator", ["imageTag"], "latest"), "redis-ha:operator.imageTag", /latest is not allowed/);
        });
        it("rejects a chart version YAML read as a number", () => {
            assertRejected(withSetting(dev, "redis-ha:operator", ["chartVersion"], 3.3), "redis-ha:operator.chartVersion", /non-empty string/);
        });
        it("reports every problem of a config at once, and throws them together", () => {
            let config = withSetting(dev, INSTANCES, ["auth", "redis", "maxmemoryPolicy"], "lru");
            config = withSetting(config, INSTANCES, ["cache", "sentinel", "replicas"], 2);
            config = withSetting(config, APP_ENV, [0, "db"], 99);
            const keys = issues(config).map((i) => i.key);
            assert.deepStrictEqual(keys.sort(), [`${APP_ENV}[0].db`, `${INSTANCES}.auth.redis.maxmemoryPolicy`, `${INSTANCES}.cache.sentinel.replicas`].sort());
            assert.throws(
                () => parseStackConfigOrThrow(config),
                (error: unknown) => error instanceof ConfigError && error.issues.length === 3 && /3 problems/.test(error.message),
            );
        });
        it("accepts the health check settings and rejects an unknown transport", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:verify", [], { transport: "direct", timeoutSeconds: 60 }));
            assert.deepStrictEqual(config.verify, { enabled: true, transport: "direct", timeoutSeconds: 60 });
            assertRejected(withSetting(dev, "redis-ha:verify", ["transport"], "ssh"), "redis-ha:verify.transport", /must be one of kubernetes, direct/);
            assertRejected(withSetting(dev, "redis-ha:verify", ["timeoutSeconds"], 1), "redis-ha:verify.timeoutSeconds", /between 5 and 3600/);
        });
        it("a data-holding instance must be noeviction, AOF and on a PVC", () => {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "maxmemoryPolicy"], "allkeys-lru"), `${INSTANCES}.auth.redis.maxmemoryPolicy`, /data-holding instance must be noeviction/);
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "appendonly"], false), `${INSTANCES}.auth.redis.appendonly`, /must have AOF on/);
            assertRejected(withSetting(dev, INSTANCES, ["auth", "redis", "storage"], { emptyDir: {} }), `${INSTANCES}.auth.redis.storage`, /must use a persistentVolumeClaim/);
            const cache = parseStackConfigOrThrow(dev).instances.find((i) => i.purpose === "cache")!;
            assert.strictEqual(cache.holdsData, false);
        });
        it("publishes app secrets under a per-stack default name, and checks ExternalSecrets", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:appSecrets", ["name"], undefined), "staging");
            assert.strictEqual(config.appSecrets.name, "redis-ha/staging/app-env");
            assert.deepStrictEqual(config.appSecrets.externalSecrets[0], { namespace: "api", name: "api-redis-env", storeName: "aws-secrets-manager", storeKind: "ClusterSecretStore", refreshInterval: "1h" });
            assertRejected(withSetting(dev, "redis-ha:appSecrets", ["externalSecrets", 0, "storeName"], undefined), "redis-ha:appSecrets.externalSecrets[0].storeName", /non-empty string/);
            assertRejected(withSetting(dev, "redis-ha:appSecrets", ["enabled"], false), "redis-ha:appSecrets.externalSecrets", /enable appSecrets/);
        });
        it("accepts alert settings and rejects a memory ratio outside 0-1", () => {
            assert.deepStrictEqual(parseStackConfigOrThrow(stackConfig("prod")).alerts, { enabled: true, labels: { release: "kube-prometheus-stack" }, memoryRatio: 0.8 });
            assertRejected(withSetting(dev, "redis-ha:alerts", ["memoryRatio"], 80), "redis-ha:alerts.memoryRatio", /between 0 and 1/);
        });
        it("requires at least one instance", () => {
            assertRejected(withSetting(dev, INSTANCES, [], undefined), INSTANCES, /required/);
        });
    });
});
