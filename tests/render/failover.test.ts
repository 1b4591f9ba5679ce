import { ValidateFunction } from "ajv";
import * as assert from "assert";
import { buildRedisFailoverManifest, failoverEndpoints, tolerationFor } from "../../render/failover";
import {} from "../../components/redisFailover";
import { redisUrl } from "../../render/urls";
import { DATA_HOLDING_APPENDFSYNC, redisCommand } from "../../render/redisConfig";
import { OPERATOR_REDIS_COMMAND } from "../../facts/operator";
import { parseStackConfigOrThrow } from "../../config/parse";
import { failoverValidator, SchemaNode, undeclaredFields } from "../support/reference";
import { renderOptions } from "../support/stacks";
import { stackConfig, withSetting } from "../support/stacks";

describe("render: the RedisFailover manifest, its command and endpoints", () => {
    let schema: SchemaNode;
    let validate: ValidateFunction;
    before(() => ({ schema, validate } = failoverValidator()));
    const stacks = { dev: parseStackConfigOrThrow(stackConfig("dev")), prod: parseStackConfigOrThrow(stackConfig("prod")) };

    describe("buildRedisFailoverManifest", () => {
        for (const [stack, config] of Object.entries(stacks)) {
            for (const instance of config.instances) {
                it(`${stack}/${instance.purpose} validates against the operator's CRD schema, with no field it would prune`, () => {
                    const manifest = buildRedisFailoverManifest(instance, renderOptions(config));
                    assert.ok(validate(manifest), JSON.stringify(validate.errors));
                    assert.deepStrictEqual(undeclaredFields(schema, manifest), []);
                });
            }
        }

        it("the schema check catches a wrong type and an unknown field", () => {
            const manifest = buildRedisFailoverManifest(stacks.dev.instances[0], renderOptions(stacks.dev));
            const broken = { ...manifest, spec: { ...manifest.spec, redis: { ...manifest.spec.redis, replicas: "3", maxmemory: "1gb" } } };
            assert.strictEqual(validate(broken), false);
            assert.deepStrictEqual(undeclaredFields(schema, broken), [".spec.redis.maxmemory"]);
        });

        it("renders the seed's auth instance: PVC, AOF, noeviction, placement on redis-cluster=auth", () => {
            const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
            const { metadata, spec } = buildRedisFailoverManifest(auth, renderOptions(stacks.prod));
            assert.strictEqual(metadata.name, "auth-redis");
            assert.strictEqual(metadata.namespace, "redis");
            assert.strictEqual(spec.sentinel.replicas, 3);
            assert.strictEqual(spec.redis.replicas, 3);
            assert.deepStrictEqual(spec.sentinel.customConfig, ["down-after-milliseconds 5000", "failover-timeout 10000"]);
            assert.deepStrictEqual(spec.redis.customConfig, [
                "maxmemory 256mb",
                "maxmemory-policy noeviction",
                "appendonly yes",
                "appendfsync everysec",
                "min-replicas-to-write 1",
                "min-replicas-max-lag 3",
                "repl-diskless-sync-delay 0",
            ]);
            assert.deepStrictEqual(spec.redis.storage, {
                keepAfterDeletion: true,
                persistentVolumeClaim: {
                    metadata: { name: "auth-redis-data" },
                    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "1Gi" } } },
                },
            });
            type NodeAffinity = {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: Array<{ matchExpressions: unknown }> };
                };
            };
            const term = (spec.redis.affinity as NodeAffinity).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
                .nodeSelectorTerms[0];
            assert.deepStrictEqual(term.matchExpressions, [{ key: "redis-cluster", operator: "In", values: ["auth"] }]);
            assert.deepStrictEqual(spec.sentinel.affinity.nodeAffinity, spec.redis.affinity.nodeAffinity);
            assert.deepStrictEqual(spec.redis.exporter, { enabled: true, image: "oliver006/redis_exporter:v1.62.0" });
            assert.deepStrictEqual(spec.auth, { secretPath: "auth-redis-auth" });
            assert.strictEqual("tolerations" in spec.redis, false, "untainted nodes need no tolerations");
        });

        it("renders emptyDir for volatile instances and appends free-form lines after the typed ones", () => {
            const config = parseStackConfigOrThrow(
                withSetting(stackConfig("dev"), "redis-ha:instances", ["cache", "redis", "customConfig"], ["hz 20"]),
            );
            const cache = config.instances.find((i) => i.purpose === "cache")!;
            const { spec } = buildRedisFailoverManifest(cache, renderOptions(config));
            assert.deepStrictEqual(spec.redis.storage, { emptyDir: {} });
            assert.deepStrictEqual(spec.redis.customConfig, [
                "maxmemory 512mb",
                "maxmemory-policy allkeys-lru",
                "appendonly no",
                "min-replicas-to-write 0",
                "min-replicas-max-lag 3",
                "hz 20",
            ]);
        });

        it("tolerates the purpose's taint on redis and sentinel pods", () => {
            const taint = { key: "dedicated", value: "redis-streams", effect: "NoSchedule" };
            const config = parseStackConfigOrThrow(withSetting(stackConfig("dev"), "redis-ha:instances", ["streams", "taint"], taint));
            const streams = config.instances.find((i) => i.purpose === "streams")!;
            const manifest = buildRedisFailoverManifest(streams, renderOptions(config));
            const expected = [{ key: "dedicated", operator: "Equal", value: "redis-streams", effect: "NoSchedule" }];
            assert.deepStrictEqual(manifest.spec.redis.tolerations, expected);
            assert.deepStrictEqual(manifest.spec.sentinel.tolerations, expected);
            assert.ok(validate(manifest), JSON.stringify(validate.errors));
        });

        it("tolerates a value-less taint with Exists", () => {
            assert.deepStrictEqual(tolerationFor({ key: "dedicated", value: "", effect: "NoExecute" }), {
                key: "dedicated",
                operator: "Exists",
                effect: "NoExecute",
            });
        });
    });

    describe("redisCommand: every owned setting from start-up", () => {
        it("keeps the operator's default command and config file, then the owned settings; AOF with everysec where data is held", () => {
            assert.deepStrictEqual(OPERATOR_REDIS_COMMAND, ["redis-server", "/redis/redis.conf"]);
            assert.strictEqual(DATA_HOLDING_APPENDFSYNC, "everysec");
            const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
            assert.deepStrictEqual(redisCommand(auth), [
                "redis-server",
                "/redis/redis.conf",
                "--maxmemory",
                String(auth.redis.maxmemory),
                "--maxmemory-policy",
                "noeviction",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--min-replicas-to-write",
                String(auth.redis.minReplicasToWrite),
                "--min-replicas-max-lag",
                String(auth.redis.minReplicasMaxLag),
                // Needing a replica to write, it starts a full sync at once.
                "--repl-diskless-sync-delay",
                "0",
            ]);
        });

        it("takes the fsync policy from config", () => {
            const auth = parseStackConfigOrThrow(
                withSetting(stackConfig("prod"), "redis-ha:instances", ["auth", "redis", "appendfsync"], "always"),
            ).instances[0];
            const command = redisCommand(auth);
            assert.deepStrictEqual(command.slice(command.indexOf("--appendfsync"), command.indexOf("--appendfsync") + 2), [
                "--appendfsync",
                "always",
            ]);
            assert.deepStrictEqual(buildRedisFailoverManifest(auth, renderOptions(stacks.prod)).spec.redis.command, command);
        });

        it("gives instances that hold no data their limits and AOF off, with no fsync policy", () => {
            const cache = stacks.prod.instances.find((i) => !i.holdsData)!;
            const command = redisCommand(cache);
            assert.deepStrictEqual(command.slice(2, 8), [
                "--maxmemory",
                String(cache.redis.maxmemory),
                "--maxmemory-policy",
                cache.redis.maxmemoryPolicy,
                "--appendonly",
                "no",
            ]);
            assert.strictEqual(command.includes("--appendfsync"), false);
        });

        for (const [stack, config] of Object.entries(stacks)) {
            it(`${stack}: spec.redis.command is the rendered command for every instance, and customConfig repeats its settings`, () => {
                for (const instance of config.instances) {
                    const { spec } = buildRedisFailoverManifest(instance, renderOptions(config));
                    assert.deepStrictEqual(spec.redis.command, redisCommand(instance), instance.purpose);
                    const flags = new Map<string, string>();
                    for (let i = OPERATOR_REDIS_COMMAND.length; i < spec.redis.command.length; i += 2)
                        flags.set(spec.redis.command[i].slice(2), spec.redis.command[i + 1]);
                    for (const [directive, value] of flags)
                        assert.ok(spec.redis.customConfig.includes(`${directive} ${value}`), `${instance.purpose}: ${directive}`);
                    assert.strictEqual("command" in spec.sentinel, false, "sentinels keep the operator's command");
                }
            });
        }
    });

    describe("endpoints and URLs", () => {
        it("points applications at the master service rfrm-<name>, never the headless rfr-<name>", () => {
            const endpoints = failoverEndpoints("auth-redis", "redis");
            assert.strictEqual(endpoints.master, "rfrm-auth-redis.redis.svc.cluster.local:6379");
            assert.strictEqual(endpoints.sentinel, "rfs-auth-redis.redis.svc.cluster.local:26379");
            assert.strictEqual(endpoints.masterName, "mymaster");
        });
        it("builds a URL per db with the password escaped", () => {
            assert.strictEqual(
                redisUrl("p@ss/word", "rfrm-x.redis.svc.cluster.local:6379", 6),
                "redis://default:p%40ss%2Fword@rfrm-x.redis.svc.cluster.local:6379/6",
            );
        });
    });
});
