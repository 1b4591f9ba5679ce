import * as assert from "assert";
import { RunError } from "@pulumi/pulumi/errors";
import { ConfigError } from "../../config/errors";
import { parseStackConfigOrThrow } from "../../config/parse";
import { APP_ENV, assertAccepted, assertRejected, INSTANCES, issues } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config: parseStackConfig, continued", () => {
    const dev = stackConfig("dev");
    const prod = stackConfig("prod");

    describe("sentinel and redis counts", () => {
        const sentinels = `${INSTANCES}.streams.sentinel.replicas`;
        it("accepts 1 sentinel outside HA stacks, and 3 or 5", () => {
            // Without managed nodes: with them, each sentinel also needs a node of its own (nodes.test.ts).
            const ownNodes = withSetting(withSetting(dev, "redis-ha:nodes", [], undefined), "redis-ha:cluster", [], undefined);
            for (const count of [1, 3, 5]) {
                assertAccepted(withSetting(ownNodes, INSTANCES, ["streams", "sentinel", "replicas"], count));
            }
        });
        it("rejects an even sentinel count", () => {
            assertRejected(withSetting(dev, INSTANCES, ["streams", "sentinel", "replicas"], 2), sentinels, /odd and at least 3/);
            assertRejected(withSetting(dev, INSTANCES, ["streams", "sentinel", "replicas"], 4), sentinels, /odd and at least 3/);
        });
        it("rejects 1 sentinel in a highly available stack", () => {
            assertRejected(
                withSetting(prod, INSTANCES, ["streams", "sentinel", "replicas"], 1),
                sentinels,
                /highly available stack needs at least 3 sentinels/,
            );
        });
        it("rejects fewer than 3 redis in a highly available stack, accepts 3", () => {
            assertRejected(
                withSetting(prod, INSTANCES, ["streams", "redis", "replicas"], 2),
                `${INSTANCES}.streams.redis.replicas`,
                /at least 3 redis/,
            );
            assertAccepted(withSetting(prod, INSTANCES, ["streams", "redis", "replicas"], 3));
        });
        it("makes dev highly available when asked, and then holds it to the same rule", () => {
            assertRejected(withSetting(dev, "redis-ha:highlyAvailable", [], "true"), sentinels, /highly available/);
        });
    });

    describe("storage", () => {
        const storage = `${INSTANCES}.auth.redis.storage`;
        it("accepts a PVC with size and storage class", () => {
            assertAccepted(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim"], { size: "5Gi", storageClass: "gp3" }),
            );
        });
        it("rejects a PVC without a size", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim", "size"], undefined),
                `${storage}.persistentVolumeClaim.size`,
                /needs a size/,
            );
        });
        it("rejects a PVC without a storage class", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage", "persistentVolumeClaim", "storageClass"], undefined),
                `${storage}.persistentVolumeClaim.storageClass`,
                /needs a storage class/,
            );
        });
        it("rejects both a PVC and emptyDir", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage", "emptyDir"], {}),
                storage,
                /both emptyDir and persistentVolumeClaim/,
            );
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
            assertRejected(
                withSetting(dev, APP_ENV, [2, "instance"], "events"),
                `${APP_ENV}[2].instance`,
                /names no instance; defined: auth, streams, cache/,
            );
        });
        it("rejects two env vars with the same name", () => {
            assertRejected(
                withSetting(dev, APP_ENV, [3, "name"], "IMAGE_REDIS_URL"),
                `${APP_ENV}[4].name`,
                /already defined by redis-ha:appEnv\[3\]/,
            );
        });
        it("rejects a name that is not an env var", () => {
            assertRejected(withSetting(dev, APP_ENV, [0, "name"], "auth-url"), `${APP_ENV}[0].name`, /environment variable name/);
        });
    });

    describe("everything else", () => {
        it("names a misspelt setting and lists the real ones", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["cache", "redis", "maxmemoryPolcy"], "allkeys-lru"),
                `${INSTANCES}.cache.redis.maxmemoryPolcy`,
                /unknown setting.*maxmemoryPolicy/,
            );
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
            assertRejected(
                withSetting(dev, "redis-ha:exporterImage", [], "oliver006/redis_exporter:latest"),
                "redis-ha:exporterImage",
                /not pinned/,
            );
            assertRejected(
                withSetting(dev, "redis-ha:exporterImage", [], "oliver006/redis_exporter"),
                "redis-ha:exporterImage",
                /not pinned/,
            );
            assertRejected(
                withSetting(dev, "redis-ha:operator", ["imageTag"], "latest"),
                "redis-ha:operator.imageTag",
                /latest is not allowed/,
            );
        });
        it("rejects a chart version YAML read as a number", () => {
            assertRejected(
                withSetting(dev, "redis-ha:operator", ["chartVersion"], 3.3),
                "redis-ha:operator.chartVersion",
                /non-empty string/,
            );
        });
        it("reports every problem of a config at once, and throws them together", () => {
            let config = withSetting(dev, INSTANCES, ["auth", "redis", "maxmemoryPolicy"], "lru");
            config = withSetting(config, INSTANCES, ["cache", "sentinel", "replicas"], 2);
            config = withSetting(config, APP_ENV, [0, "db"], 99);
            const keys = issues(config).map((i) => i.key);
            assert.deepStrictEqual(
                keys.sort(),
                [`${APP_ENV}[0].db`, `${INSTANCES}.auth.redis.maxmemoryPolicy`, `${INSTANCES}.cache.sentinel.replicas`].sort(),
            );
            assert.throws(
                () => parseStackConfigOrThrow(config),
                (error: unknown) => error instanceof ConfigError && error.issues.length === 3 && /3 problems/.test(error.message),
            );
            // Pulumi's uncaught-error handler prints a RunError's message alone, without its stack.
            assert.throws(
                () => parseStackConfigOrThrow(config),
                (error: unknown) => RunError.isInstance(error) && (error as Error).name === "ConfigError",
            );
        });
        it("accepts the health check settings and rejects an unknown transport", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:verify", [], { transport: "direct", timeoutSeconds: 60 }));
            assert.deepStrictEqual(config.verify, { enabled: true, transport: "direct", timeoutSeconds: 60, allowExternalServices: false });
            assertRejected(
                withSetting(dev, "redis-ha:verify", ["transport"], "ssh"),
                "redis-ha:verify.transport",
                /must be one of kubernetes, direct/,
            );
            assertRejected(
                withSetting(dev, "redis-ha:verify", ["timeoutSeconds"], 1),
                "redis-ha:verify.timeoutSeconds",
                /between 5 and 3600/,
            );
        });
        it("a data-holding instance must be noeviction, AOF and on a PVC", () => {
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "maxmemoryPolicy"], "allkeys-lru"),
                `${INSTANCES}.auth.redis.maxmemoryPolicy`,
                /data-holding instance must be noeviction/,
            );
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "appendonly"], false),
                `${INSTANCES}.auth.redis.appendonly`,
                /must have AOF on/,
            );
            assertRejected(
                withSetting(dev, INSTANCES, ["auth", "redis", "storage"], { emptyDir: {} }),
                `${INSTANCES}.auth.redis.storage`,
                /must use a persistentVolumeClaim/,
            );
            const cache = parseStackConfigOrThrow(dev).instances.find((i) => i.purpose === "cache")!;
            assert.strictEqual(cache.holdsData, false);
        });
        it("publishes app secrets under a per-stack default name, and checks ExternalSecrets", () => {
            const config = parseStackConfigOrThrow(withSetting(dev, "redis-ha:appSecrets", ["name"], undefined), "staging");
            assert.strictEqual(config.appSecrets.name, "redis-ha/staging/app-env");
            assert.deepStrictEqual(config.appSecrets.externalSecrets[0], {
                namespace: "api",
                name: "api-redis-env",
                storeName: "aws-secrets-manager",
                storeKind: "ClusterSecretStore",
                refreshInterval: "1h",
            });
            assertRejected(
                withSetting(dev, "redis-ha:appSecrets", ["externalSecrets", 0, "storeName"], undefined),
                "redis-ha:appSecrets.externalSecrets[0].storeName",
                /non-empty string/,
            );
            assertRejected(
                withSetting(dev, "redis-ha:appSecrets", ["enabled"], false),
                "redis-ha:appSecrets.externalSecrets",
                /enable appSecrets/,
            );
        });
        it("accepts alert settings and rejects a memory ratio outside 0-1", () => {
            assert.deepStrictEqual(parseStackConfigOrThrow(stackConfig("prod")).alerts, {
                enabled: true,
                labels: { release: "kube-prometheus-stack" },
                memoryRatio: 0.8,
            });
            assertRejected(withSetting(dev, "redis-ha:alerts", ["memoryRatio"], 80), "redis-ha:alerts.memoryRatio", /between 0 and 1/);
        });
        it("requires at least one instance", () => {
            assertRejected(withSetting(dev, INSTANCES, [], undefined), INSTANCES, /required/);
        });
    });
});
