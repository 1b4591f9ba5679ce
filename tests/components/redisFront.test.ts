import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { frontLabels } from "../../render/front";
import { RedisFront } from "../../components/redisFront";
import { RedisFailover } from "../../components/redisFailover";
import { redisUrl } from "../../render/urls";
import { StackConfig } from "../../config/types";
import { parseStackConfigOrThrow } from "../../config/parse";
import { PASSWORD_PLACEHOLDER, RecordedResource, recordResources } from "../../plan/mockRuntime";
import { formatPlan } from "../../plan/format";
import { loadConfig } from "../../config/load";
import { redisHa } from "../../program/redisHa";
import { answerInvoke, DEFAULT_ACCOUNT } from "../../plan/simulatedAccount";
import { renderOptions, stackConfig, withSetting } from "../support/stacks";

describe("components: RedisFront", () => {
    const stacks = { dev: parseStackConfigOrThrow(stackConfig("dev"), "dev"), prod: parseStackConfigOrThrow(stackConfig("prod"), "prod") };
    const auth = stacks.prod.instances.find((i) => i.purpose === "auth")!;
    const render = (config: StackConfig) => ({ namespace: config.namespace, placementLabel: config.placementLabel });

    describe("the component under the mock runtime", () => {
        it("creates its objects as children, each after the RedisFailover, the Deployment after its config", async () => {
            const { resources } = await recordResources({ stack: "test" }, () => {
                const namespace = new k8s.core.v1.Namespace("ns", { metadata: { name: "redis" } });
                const failover = new RedisFailover(auth.name, {
                    instance: auth,
                    render: renderOptions(stacks.prod),
                    namespace,
                    protect: false,
                    dependsOn: [],
                });
                return new RedisFront(`${auth.name}-front`, { instance: auth, render: render(stacks.prod), dependsOn: [failover] });
            });
            const byName = new Map(resources.map((r) => [r.name, r]));
            const component = byName.get("auth-redis-front")!;
            assert.strictEqual(component.type, "redis-ha:k8s:RedisFront");
            const children = resources.filter((r) => r.parent === component.urn);
            assert.deepStrictEqual(children.map((r) => `${r.type} ${r.name}`).sort(), [
                "kubernetes:apps/v1:Deployment auth-redis-front-deployment",
                "kubernetes:core/v1:ConfigMap auth-redis-front-config",
                "kubernetes:core/v1:Service auth-redis-front-redis",
                "kubernetes:core/v1:Service auth-redis-front-sentinel",
                "kubernetes:core/v1:Service auth-redis-front-service",
                "kubernetes:policy/v1:PodDisruptionBudget auth-redis-front-pdb",
            ]);
            for (const child of children) {
                for (const dependency of ["auth-redis-auth", "auth-redis-failover"])
                    assert.ok(child.dependencies.includes(byName.get(dependency)!.urn), `${child.name} waits for ${dependency}`);
                const metadata = child.inputs.metadata as { namespace: string; labels: Record<string, string> };
                assert.strictEqual(metadata.namespace, "redis");
                assert.deepStrictEqual(metadata.labels, frontLabels(auth));
            }
            const deployment = byName.get("auth-redis-front-deployment")!;
            for (const dependency of ["auth-redis-front-config", "auth-redis-front-redis", "auth-redis-front-sentinel"])
                assert.ok(deployment.dependencies.includes(byName.get(dependency)!.urn), `the Deployment waits for ${dependency}`);
            assert.ok(!JSON.stringify(children.map((c) => c.inputs)).includes(PASSWORD_PLACEHOLDER), "no password in the front");
        });
    });

    describe("in the program", function () {
        this.timeout(60_000);
        type Instances = Record<string, Record<string, unknown>>;
        type Run = { resources: RecordedResource[]; appEnv: Record<string, string>; instances: Instances };
        // One run serves every case: dev with cache's front switched off, auth's and streams' on.
        let run: Run;

        /** Runs the program under mocks with a config of the dev stack; `appEnv` unmasked (the plan masks it). */
        async function program(config: Record<string, string>): Promise<Run> {
            const { resources, result } = await recordResources(
                { stack: "dev", config, invoke: (token, inputs) => answerInvoke(DEFAULT_ACCOUNT, token, inputs) },
                async () => {
                    const exported = redisHa(loadConfig(), "dev") as unknown as {
                        appEnv: Record<string, pulumi.Output<string>>;
                        instances: Instances;
                    };
                    const entries = Object.entries(exported.appEnv).map(
                        ([name, url]) => new Promise<[string, string]>((resolve) => url.apply((value) => resolve([name, value]))),
                    );
                    return { appEnv: Object.fromEntries(await Promise.all(entries)), instances: exported.instances };
                },
            );
            return { resources, ...result };
        }

        before(async () => {
            run = await program(withSetting(stackConfig("dev"), "redis-ha:instances", ["cache", "front", "enabled"], false));
        });

        it("plans a front for each instance whose front is on, after its RedisFailover, and shows it in the plan", () => {
            const fronts = run.resources.filter((r) => r.type === "redis-ha:k8s:RedisFront").map((r) => r.name);
            assert.deepStrictEqual(fronts.sort(), ["auth-redis-front", "streams-redis-front"]);
            assert.ok(!run.resources.some((r) => r.name.startsWith("cache-redis-front")), "no front objects for cache");
            const text = formatPlan("dev", { resources: run.resources, outputs: {} });
            assert.match(
                text,
                /kubernetes:apps\/v1:Deployment {2}auth-redis-front-deployment\n\s+name=auth-redis-front replicas=1 image=haproxy:/,
            );
            assert.match(text, /REDIS_PASSWORD from secret auth-redis-auth\/password/);
            assert.match(text, /name=auth-redis-front-sentinel headless port=26379 .* publishNotReadyAddresses/);
            const deployment = run.resources.find((r) => r.name === "auth-redis-front-deployment")!;
            const failover = run.resources.find((r) => r.name === "auth-redis-failover")!;
            assert.ok(deployment.dependencies.includes(failover.urn));
        });

        it("publishes the app env only once each front is ready: its Deployment and Service exist", () => {
            const version = run.resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion")!;
            for (const purpose of ["auth", "streams"])
                for (const part of ["deployment", "service"]) {
                    const urn = run.resources.find((r) => r.name === `${purpose}-redis-front-${part}`)!.urn;
                    assert.ok(version.dependencies.includes(urn), `the app env waits for ${purpose}-redis-front-${part}`);
                }
        });

        it("publishes the front's endpoint beside the operator's master Service, and none without a front", () => {
            assert.strictEqual(run.instances.auth.frontEndpoint, "auth-redis-front.redis.svc.cluster.local:6379");
            assert.strictEqual(run.instances.auth.masterEndpoint, "rfrm-auth-redis.redis.svc.cluster.local:6379");
            assert.strictEqual("frontEndpoint" in run.instances.cache, false);
            assert.strictEqual(run.instances.cache.masterEndpoint, "rfrm-cache-redis.redis.svc.cluster.local:6379");
        });

        it("points appEnv at the front, and at rfrm- where the front is off", () => {
            const url = (host: string, db: number) => redisUrl(PASSWORD_PLACEHOLDER, `${host}.redis.svc.cluster.local:6379`, db);
            assert.strictEqual(run.appEnv.AUTH_REDIS_OAUTH_STATE_URL, url("auth-redis-front", 3));
            assert.strictEqual(run.appEnv.REDIS_STREAMS_URL, url("streams-redis-front", 0));
            assert.strictEqual(run.appEnv.IMAGE_REDIS_URL, url("rfrm-cache-redis", 6), "the operator's master Service");
            assert.strictEqual(run.appEnv.CELERY_RESULT_BACKEND, url("rfrm-cache-redis", 0));
        });
    });
});
