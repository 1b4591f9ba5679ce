import * as assert from "assert";
import { FAILOVER_TYPE_TOKEN } from "../facts/operator";
import { PASSWORD_PLACEHOLDER, ProgramRun, RecordedResource, recordResources, resolveExport, SECRET_MASK } from "../plan/mockRuntime";
import { planDocument, planStack } from "../plan/planStack";
import { answerInvoke, DEFAULT_ACCOUNT } from "../plan/simulatedAccount";
import { runWithConfig, stackConfig, withSetting } from "./support/stacks";

const plans = new Map<string, Promise<ProgramRun>>();

/** The plan of a shipped stack; made once per stack, since the tests only read it. */
function plan(stack: string): Promise<ProgramRun> {
    if (!plans.has(stack)) {
        plans.set(
            stack,
            planStack(stack).then((result) => {
                assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
                return result.run;
            }),
        );
    }
    return plans.get(stack)!;
}

function ofType(run: ProgramRun, type: string) {
    return run.resources.filter((r) => r.type === type);
}

const FAILOVER = FAILOVER_TYPE_TOKEN;

describe("program (index.ts)", () => {
    it("index.ts exports, as the stack outputs, what redisHa returns for the stack's config", async () => {
        const invoke = (token: string, inputs: Record<string, unknown>) => answerInvoke(DEFAULT_ACCOUNT, token, inputs);
        // Pulumi runs index.ts once per process; so does this test (no other test imports it).
        const viaIndex = await recordResources({ stack: "dev", config: stackConfig("dev"), invoke }, async () => {
            const exported = { ...((await import("../index")) as Record<string, unknown>) };
            delete exported.__esModule;
            delete exported.default;
            return resolveExport(exported);
        });
        const direct = await runWithConfig("dev", stackConfig("dev"));
        assert.deepStrictEqual(viaIndex.result, direct.outputs);
        assert.deepStrictEqual(Object.keys(viaIndex.result as object), Object.keys(direct.outputs));
        assert.deepStrictEqual(
            viaIndex.resources.map((r) => r.urn),
            direct.resources.map((r) => r.urn),
        );
        assert.ok(direct.resources.length > 50, "the dev stack plans its resources");
    });

    for (const stack of ["dev", "prod"]) {
        describe(`stack ${stack}`, () => {
            let run: ProgramRun;
            before(async () => {
                run = await plan(stack);
            });

            it("installs one CRD and one operator release", () => {
                assert.strictEqual(ofType(run, "kubernetes:yaml/v2:ConfigFile").length, 1);
                assert.strictEqual(ofType(run, "kubernetes:helm.sh/v3:Release").length, 1);
            });

            it("builds one RedisFailover per purpose, each after the CRD and the release", () => {
                const crd = ofType(run, "kubernetes:yaml/v2:ConfigFile")[0];
                const release = ofType(run, "kubernetes:helm.sh/v3:Release")[0];
                const failovers = ofType(run, FAILOVER);
                assert.deepStrictEqual(failovers.map((f) => (f.inputs.metadata as { name: string }).name).sort(), [
                    "auth-redis",
                    "cache-redis",
                    "streams-redis",
                ]);
                for (const failover of failovers) {
                    assert.ok(failover.dependencies.includes(crd.urn), `${failover.name} waits for the CRD`);
                    assert.ok(failover.dependencies.includes(release.urn), `${failover.name} waits for the operator`);
                }
            });

            it("puts a front before every instance, after its RedisFailover", () => {
                const fronts = ofType(run, "redis-ha:k8s:RedisFront").map((f) => f.name);
                assert.deepStrictEqual(fronts.sort(), ["auth-redis-front", "cache-redis-front", "streams-redis-front"]);
                const instances = run.outputs.instances as Record<string, Record<string, string>>;
                assert.strictEqual(instances.cache.frontEndpoint, "cache-redis-front.redis.svc.cluster.local:6379");
                const failover = run.resources.find((r) => r.name === "cache-redis-failover")!;
                const deployment = run.resources.find((r) => r.name === "cache-redis-front-deployment")!;
                assert.ok(deployment.dependencies.includes(failover.urn));
            });

            it("uses one server-side-apply Kubernetes provider for every Kubernetes resource", () => {
                const providers = ofType(run, "pulumi:providers:kubernetes");
                assert.strictEqual(providers.length, 1);
                assert.strictEqual(providers[0].inputs.enableServerSideApply, "true");
            });

            it("exports endpoints on the master service and masks every app URL", () => {
                const instances = run.outputs.instances as Record<string, Record<string, string>>;
                assert.deepStrictEqual(Object.keys(instances), ["auth", "streams", "cache"]);
                assert.strictEqual(instances.auth.masterEndpoint, "rfrm-auth-redis.redis.svc.cluster.local:6379");
                assert.strictEqual(instances.cache.sentinelEndpoint, "rfs-cache-redis.redis.svc.cluster.local:26379");
                assert.strictEqual(instances.streams.masterName, "mymaster");
                assert.deepStrictEqual(run.outputs.appEnv, {
                    AUTH_REDIS_BLACKLIST_URL: SECRET_MASK,
                    AUTH_REDIS_OAUTH_STATE_URL: SECRET_MASK,
                    REDIS_STREAMS_URL: SECRET_MASK,
                    CELERY_RESULT_BACKEND: SECRET_MASK,
                    IMAGE_REDIS_URL: SECRET_MASK,
                });
                const sentinelEnv = run.outputs.appSentinelEnv as Record<string, unknown>;
                assert.deepStrictEqual(sentinelEnv.IMAGE_REDIS_URL, {
                    sentinels: [{ host: "rfs-cache-redis.redis.svc.cluster.local", port: 26379 }],
                    masterName: "mymaster",
                    db: 6,
                });
                assert.deepStrictEqual(Object.keys(sentinelEnv), Object.keys(run.outputs.appEnv as object));
            });

            it("puts no generated password anywhere in the plan document", () => {
                const document = JSON.stringify(planDocument(stack, run));
                assert.ok(!document.includes(PASSWORD_PLACEHOLDER));
                assert.ok(!document.includes("redis://"), "no app URL in clear");
            });
        });
    }

    it("prod: 3 sentinels and 3 redis everywhere, auth on a kept PVC, data-holding parts protected", async () => {
        const run = await plan("prod");
        const failovers = ofType(run, FAILOVER);
        for (const failover of failovers) {
            const spec = failover.inputs.spec as {
                sentinel: { replicas: number };
                redis: { replicas: number; storage: Record<string, unknown> };
            };
            assert.strictEqual(spec.sentinel.replicas, 3);
            assert.strictEqual(spec.redis.replicas, 3);
        }
        const protectedNames = run.resources
            .filter((r) => r.protect)
            .map((r) => r.name)
            .sort();
        assert.deepStrictEqual(protectedNames, ["auth-redis-failover", "redis-backup-bucket", "redis-namespace", "redis-operator-crd"]);
        const auth = failovers.find((f) => f.name === "auth-redis-failover")!;
        const storage = (auth.inputs.spec as { redis: { storage: { keepAfterDeletion: boolean; persistentVolumeClaim: unknown } } }).redis
            .storage;
        assert.strictEqual(storage.keepAfterDeletion, true);
        assert.ok(storage.persistentVolumeClaim);
    });

    it("dev: one sentinel and one redis each, nothing protected", async () => {
        const run = await plan("dev");
        for (const failover of ofType(run, FAILOVER)) {
            const spec = failover.inputs.spec as { sentinel: { replicas: number }; redis: { replicas: number } };
            assert.deepStrictEqual([spec.sentinel.replicas, spec.redis.replicas], [1, 1]);
        }
        assert.deepStrictEqual(
            run.resources.filter((r) => r.protect).map((r) => r.name),
            [],
        );
    });

    it("passes a configured kubeconfig to the provider as a secret", async () => {
        const config = withSetting(
            stackConfig("dev"),
            "redis-ha:kubeconfig",
            [],
            "apiVersion: v1\nusers: [{user: {client-key-data: TOPSECRETKEY}}]",
        );
        const run = await runWithConfig("dev", config, ["redis-ha:kubeconfig"]);
        const provider = ofType(run, "pulumi:providers:kubernetes")[0];
        assert.strictEqual(provider.inputs.kubeconfig, SECRET_MASK);
        assert.ok(!JSON.stringify(planDocument("dev", run)).includes("TOPSECRETKEY"));
    });

    describe("app secrets and alerts", () => {
        it("dev publishes the app env as one masked Secrets Manager secret and an ExternalSecret", async () => {
            const run = await plan("dev");
            const [secret] = ofType(run, "aws:secretsmanager/secret:Secret");
            const [version] = ofType(run, "aws:secretsmanager/secretVersion:SecretVersion");
            assert.strictEqual(secret.inputs.name, "redis-ha/dev/app-env");
            assert.strictEqual(version.inputs.secretString, SECRET_MASK);
            const [external] = ofType(run, "kubernetes:external-secrets.io/v1:ExternalSecret");
            assert.strictEqual((external.inputs.metadata as { namespace: string }).namespace, "api");
            assert.strictEqual((run.outputs.appEnvSecret as { name: string }).name, "redis-ha/dev/app-env");
            assert.deepStrictEqual(ofType(run, "kubernetes:monitoring.coreos.com/v1:PrometheusRule"), [], "alerts are off in dev");
        });

        it("prod enables alerts and the sentinel exporters they read", async () => {
            const run = await plan("prod");
            assert.strictEqual(ofType(run, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 1);
            assert.strictEqual(ofType(run, "kubernetes:monitoring.coreos.com/v1:PodMonitor").length, 1);
            for (const failover of ofType(run, FAILOVER)) {
                assert.deepStrictEqual((failover.inputs.spec as { sentinel: { exporter: unknown } }).sentinel.exporter, {
                    enabled: true,
                    image: "oliver006/redis_exporter:v1.62.0",
                });
            }
        });
    });

    describe("post-deploy health checks", () => {
        it("one per instance, after its RedisFailover, expecting what the config asks", async () => {
            const run = await plan("prod");
            const checks = ofType(run, "pulumi-nodejs:dynamic:Resource").filter((r) => r.name.endsWith("-health"));
            assert.deepStrictEqual(checks.map((c) => c.name).sort(), ["auth-redis-health", "cache-redis-health", "streams-redis-health"]);
            const cache = checks.find((c) => c.name === "cache-redis-health")!;
            assert.ok(cache.dependencies.includes(run.resources.find((r) => r.name === "cache-redis-failover")!.urn));
            assert.deepStrictEqual(
                [
                    cache.inputs.expectPolicy,
                    cache.inputs.expectMaxmemoryBytes,
                    cache.inputs.expectRedis,
                    cache.inputs.expectSentinels,
                    cache.inputs.masterName,
                ],
                ["allkeys-lru", 512 * 1024 * 1024, 3, 3, "mymaster"],
            );
            assert.strictEqual(cache.inputs.password, SECRET_MASK);
            assert.strictEqual(cache.inputs.kubernetes, SECRET_MASK, "reached through the Kubernetes API; the kubeconfig stays secret");
            assert.strictEqual(cache.inputs.timeoutSeconds, 300);
        });

        it("direct transport asks the sentinel service; disabled creates none", async () => {
            const direct = await runWithConfig(
                "dev",
                withSetting(stackConfig("dev"), "redis-ha:verify", [], { transport: "direct", timeoutSeconds: 60 }),
            );
            const auth = ofType(direct, "pulumi-nodejs:dynamic:Resource").find((c) => c.name === "auth-redis-health")!;
            assert.deepStrictEqual(auth.inputs.sentinels, ["rfs-auth-redis.redis.svc.cluster.local:26379"]);
            assert.strictEqual(auth.inputs.timeoutSeconds, 60);
            const off = await runWithConfig("dev", withSetting(stackConfig("dev"), "redis-ha:verify", [], { enabled: false }));
            assert.deepStrictEqual(
                ofType(off, "pulumi-nodejs:dynamic:Resource").filter((r) => r.name.endsWith("-health")),
                [],
            );
        });
    });

    describe("managed nodes", () => {
        it("each RedisFailover waits for its own node to be Ready", async () => {
            const run = await plan("dev");
            for (const purpose of ["auth", "streams", "cache"]) {
                const ready = run.resources.find((r) => r.name === `${purpose}-node-ready`)!;
                const failover = run.resources.find((r) => r.name === `${purpose}-redis-failover`)!;
                assert.ok(failover.dependencies.includes(ready.urn), `${purpose} waits for its node`);
                const others = run.resources.filter((r) => r.name.endsWith("-node-ready") && r !== ready);
                assert.ok(
                    others.every((other) => !failover.dependencies.includes(other.urn)),
                    `${purpose} waits for no other node`,
                );
            }
        });

        it("every node of dev and prod has its login key: the stack's EC2 key pair", async () => {
            for (const [stack, keyName] of [
                ["dev", "redis-ha-dev"],
                ["prod", "redis-ha-prod"],
            ]) {
                const instances = ofType(await plan(stack), "aws:ec2/instance:Instance");
                assert.ok(instances.length >= 3, stack);
                assert.deepStrictEqual(new Set(instances.map((i) => i.inputs.keyName)), new Set([keyName]), stack);
            }
        });

        it("bring your own nodes: no EC2 instance, security group or command is created", async () => {
            const config = withSetting(withSetting(stackConfig("dev"), "redis-ha:nodes", [], undefined), "redis-ha:cluster", [], undefined);
            const run = await runWithConfig("dev", config);
            assert.deepStrictEqual(
                run.resources.filter((r) => r.type.startsWith("aws:ec2") || r.type.startsWith("command:")),
                [],
            );
            assert.strictEqual(ofType(run, FAILOVER).length, 3);
            assert.deepStrictEqual(run.outputs.managedNodes, {});
        });

        it("fails before creating any node when the quota is exceeded, and not when the check is off", async () => {
            const small = { ...DEFAULT_ACCOUNT, vcpuQuota: 40 };
            await assert.rejects(
                runWithConfig("dev", stackConfig("dev"), [], small),
                (error: Error & { registered?: RecordedResource[] }) => {
                    assert.match(error.message, /42 exceeds the Standard On-Demand vCPU quota \(L-1216C47A\) of 40/);
                    // Only components (no cloud object) may have been registered.
                    assert.deepStrictEqual(
                        error.registered?.filter((r) => r.custom).map((r) => r.type),
                        [],
                    );
                    return true;
                },
            );
            const off = withSetting(stackConfig("dev"), "redis-ha:cluster", ["vcpuQuotaPreflight"], false);
            const run = await runWithConfig("dev", off, [], small);
            assert.strictEqual(ofType(run, "aws:ec2/instance:Instance").length, 3);
            assert.strictEqual(run.outputs.vcpuQuota, undefined);
        });
    });

    it("fails before creating anything when a highly available purpose's nodes are all in one zone", async () => {
        const [a, b] = ["subnet-0dd1b2c3d4e5f6071", "subnet-0ab1b2c3d4e5f6071"];
        const account = { ...DEFAULT_ACCOUNT, subnets: { ...DEFAULT_ACCOUNT.subnets, [b]: DEFAULT_ACCOUNT.subnets[a] } };
        const nodes = [a, b, a].map((subnetId) => ({ instanceType: "t3.small", subnetId }));
        // prod cut down to its cache instance (a smaller program; the preflight is the same).
        let config = withSetting(stackConfig("prod"), "redis-ha:nodes", [], { cache: nodes });
        config = withSetting(config, "redis-ha:instances", ["auth"], undefined);
        config = withSetting(withSetting(config, "redis-ha:instances", ["streams"], undefined), "redis-ha:appEnv", [], []);
        await assert.rejects(runWithConfig("prod", config, [], account), (error: Error & { registered?: RecordedResource[] }) => {
            assert.match(error.message, /zone preflight: redis-ha:nodes.cache: its 3 nodes are in 1 availability zone/);
            assert.deepStrictEqual(
                error.registered?.filter((r) => r.custom).map((r) => r.type),
                [],
            );
            return true;
        });
    });

    it("creates nothing when the config is invalid", async () => {
        const config = withSetting(stackConfig("dev"), "redis-ha:instances", ["auth", "redis", "maxmemoryPolicy"], "lru");
        let registered = -1;
        await assert.rejects(async () => {
            const run = await runWithConfig("dev", config);
            registered = run.resources.length;
        }, /redis-ha:instances.auth.redis.maxmemoryPolicy/);
        assert.strictEqual(registered, -1);
    });
});
