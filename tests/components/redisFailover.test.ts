import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { RedisFailover } from "../../components/redisFailover";
import { InstanceConfig, StackConfig } from "../../config/types";
import { parseStackConfigOrThrow } from "../../config/parse";
import { recordResources, SECRET_MASK } from "../../plan/mockRuntime";
import { renderOptions, stackConfig } from "../support/stacks";

describe("components: RedisFailover", () => {
    const stacks = { dev: parseStackConfigOrThrow(stackConfig("dev")), prod: parseStackConfigOrThrow(stackConfig("prod")) };

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
