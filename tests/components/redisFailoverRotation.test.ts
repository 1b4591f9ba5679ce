import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { RedisFailover } from "../../components/redisFailover";
import { InstanceConfig } from "../../config/types";
import { parseStackConfigOrThrow } from "../../config/parse";
import { recordResources } from "../../plan/mockRuntime";
import { renderOptions, stackConfig } from "../support/stacks";

describe("components: RedisFailover through a password rotation", () => {
    const prod = parseStackConfigOrThrow(stackConfig("prod"));
    const auth = prod.instances[0];

    async function build(instance: InstanceConfig) {
        const { resources } = await recordResources({ stack: "test" }, () => {
            const namespace = new k8s.core.v1.Namespace("ns", { metadata: { name: prod.namespace } });
            const failover = new RedisFailover(instance.name, {
                instance,
                render: renderOptions(prod),
                namespace,
                protect: true,
                dependsOn: [],
                verify: prod.verify,
            });
            // What the app env's URL is made of: the component's app password.
            const appEnv = new k8s.core.v1.Secret("app-env", { stringData: { URL: failover.url(3) } });
            return { failover, appEnv };
        });
        const byName = new Map(resources.map((r) => [r.name, r]));
        const passwordOf = (name: string) =>
            ["auth-redis-password", "auth-redis-password-v2"].filter(
                (p) => byName.has(p) && byName.get(name)!.dependencies.includes(byName.get(p)!.urn),
            );
        return { byName, passwordOf };
    }

    it("without a rotation: one password, no rotation step, and a preflight everything waits for", async () => {
        const { byName, passwordOf } = await build(auth);
        assert.ok(!byName.has("auth-redis-password-v2") && !byName.has("auth-redis-password-rotation"));
        const preflight = byName.get("auth-redis-change-preflight")!;
        assert.strictEqual(preflight.inputs.configKey, "instances.auth");
        assert.strictEqual(preflight.inputs.redisImage, "redis:6.2.6-alpine");
        for (const waiting of ["auth-redis-failover", "auth-redis-auth"])
            assert.ok(byName.get(waiting)!.dependencies.includes(preflight.urn), waiting);
        assert.deepStrictEqual(passwordOf("auth-redis-auth"), ["auth-redis-password"]);
    });

    it("moves the Secret and the app env to the new password at apps, not before, and applies each phase after the CR", async () => {
        const seen: Record<string, string[]> = {};
        const revisions = new Set([(await build(auth)).byName.get("auth-redis-health")!.inputs.groupRevision]);
        for (const phase of ["accept", "replicate", "apps", "retire"] as const) {
            const { byName, passwordOf } = await build({ ...auth, passwordRotation: phase });
            const step = byName.get("auth-redis-password-rotation")!;
            assert.strictEqual(step.inputs.phase, phase);
            assert.ok(step.dependencies.includes(byName.get("auth-redis-failover")!.urn));
            assert.ok(byName.get("auth-redis-health")!.dependencies.includes(step.urn), "the health check runs after the phase");
            seen[phase] = [...passwordOf("auth-redis-auth"), ...passwordOf("app-env")];
            revisions.add(byName.get("auth-redis-health")!.inputs.groupRevision);
        }
        assert.deepStrictEqual(seen, {
            accept: ["auth-redis-password", "auth-redis-password"],
            replicate: ["auth-redis-password", "auth-redis-password"],
            apps: ["auth-redis-password-v2", "auth-redis-password-v2"],
            retire: ["auth-redis-password-v2", "auth-redis-password-v2"],
        });
        assert.strictEqual(revisions.size, 5, "each phase re-runs the post-deploy check");
    });
});
