import { ValidateFunction } from "ajv";
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { buildRedisFailoverManifest, failoverEndpoints, RedisFailover, tolerationFor } from "../../components/redisFailover";
import { redisUrl } from "../../render/urls";
import { DATA_HOLDING_APPENDFSYNC, OPERATOR_REDIS_COMMAND, redisCommand } from "../../render/redisConfig";
import { InstanceConfig, parseStackConfigOrThrow, StackConfig } from "../../config";
import { recordResources, SECRET_MASK } from "../../plan/mockRuntime";
import { failoverValidator, SchemaNode, undeclaredFields } from "../support/reference";
import { renderOptions } from "../support/stacks";
import { stackConfig, withSetting } from "../support/stacks";

describe("components: RedisFailover", () => {
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

    describe("the component under the mock runtime", () => {
        async function build(instance: InstanceConfig, config: StackConfig, protect: boolean) {
            return recordResources({ stack: "test" }, () => {
                const namespace = new k8s.core.v1.Namespace("ns", { metadata: { name: config.namespace } });
                const crd = new k8s.yaml.v2.ConfigFile("crd", { file: "crd.yaml" });
                const release = new k8s.helm.v3.Release("release", { chart: "redis-operator" });
                const failover = new RedisFailover(instance.name, {
                    instance,
                    render: renderOptions(config),
                    namespace,
                    protect,
                    dependsOn: [crd, release],
                });
                return { failover, url: failover.url(3) };
            });
        }

        it("wires password, secret and custom resource as children, the CR after CRD, release and secret", async () => {
            const auth = stacks.prod.instances[0];
            const { resources } = await build(auth, stacks.prod, true);
            const byName = new Map(resources.map((r) => [r.name, r]));
            const component = byName.get("auth-redis")!;
            assert.strictEqual(component.type, "redis-ha:k8s:RedisFailover");
            for (const child of ["auth-redis-password", "auth-redis-auth", "auth-redis-failover"]) {
                assert.strictEqual(byName.get(child)?.parent, component.urn, `${child} is a child`);
            }
            const cr = byName.get("auth-redis-failover")!;
            assert.strictEqual(cr.type, "kubernetes:databases.spotahome.com/v1:RedisFailover");
            for (const dependency of ["crd", "release", "auth-redis-auth"]) {
                assert.ok(cr.dependencies.includes(byName.get(dependency)!.urn), `CR waits for ${dependency}`);
            }
            assert.strictEqual(cr.protect, true);
            assert.ok(byName.get("auth-redis-auth")!.dependencies.includes(byName.get("ns")!.urn), "secret waits for the namespace");
        });

        it("names its own preStop hook, a ConfigMap made before the CR, with a grace period longer than the hook's wait", async () => {
            const auth = stacks.prod.instances[0];
            const { resources } = await build(auth, stacks.prod, true);
            const cr = resources.find((r) => r.name === "auth-redis-failover")!;
            const hook = resources.find((r) => r.name === "auth-redis-shutdown")!;
            assert.strictEqual(hook.type, "kubernetes:core/v1:ConfigMap");
            const spec = (cr.inputs.spec as { redis: { shutdownConfigMap: string; terminationGracePeriod: number } }).redis;
            assert.strictEqual(spec.shutdownConfigMap, (hook.inputs.metadata as { name: string }).name);
            assert.ok(cr.dependencies.includes(hook.urn), "the operator refuses a shutdown ConfigMap that does not exist");
            const script = (hook.inputs.data as Record<string, string>)["shutdown.sh"];
            // The Sentinel Service's link variables of this failover, as the operator's own hook reads them.
            const upper = auth.name.toUpperCase().replace(/-/g, "_");
            assert.match(script, new RegExp(`^SENTINEL_HOST="\\$\\{RFS_${upper}_SERVICE_HOST\\}"$`, "m"));
            assert.match(script, new RegExp(`^SENTINEL_PORT="\\$\\{RFS_${upper}_SERVICE_PORT_SENTINEL\\}"$`, "m"));
            const wait = Number(/^FAILOVER_WAIT_SECONDS=(\d+)$/m.exec(script)?.[1]);
            const settle = Number(/^PASS_SETTLE_SECONDS=(\d+)$/m.exec(script)?.[1]);
            assert.ok(settle > 0 && wait > 31, `settle ${settle} s, wait ${wait} s`);
            assert.ok(spec.terminationGracePeriod >= settle + wait + 10, `grace ${spec.terminationGracePeriod} s`);
        });

        it("keeps the password secret: masked in the Secret, absent from the CR", async () => {
            const { resources } = await build(stacks.dev.instances[0], stacks.dev, false);
            const secret = resources.find((r) => r.name === "auth-redis-auth")!;
            assert.strictEqual(secret.inputs.stringData, SECRET_MASK);
            const cr = resources.find((r) => r.name === "auth-redis-failover")!;
            assert.strictEqual(cr.protect, false);
            assert.ok(!JSON.stringify(cr.inputs).includes('password"'), "no password field in the CR");
        });
    });
});
