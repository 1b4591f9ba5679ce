// The memory preflight: a group's pods must fit the memory of its purpose's nodes.

import * as assert from "assert";
import { parseStackConfigOrThrow } from "../../config/parse";
import { checkNodeMemory, nodeMemoryProblems } from "../../preflight/nodeMemory";
import { RecordedResource, recordResources, resolveExport } from "../../plan/mockRuntime";
import { answerInvoke, DEFAULT_ACCOUNT } from "../../plan/simulatedAccount";
import { podMemory } from "../../render/podMemory";
import { runWithConfig, stackConfig, withSetting } from "../support/stacks";

/** The memory preflight on prod with `at` in `redis-ha:instances` set to `value`, under the simulated account. */
async function prodWith(at: Array<string | number>, value: unknown) {
    const config = parseStackConfigOrThrow(withSetting(stackConfig("prod"), "redis-ha:instances", at, value));
    const { result } = await recordResources(
        { stack: "prod", invoke: (token, inputs) => answerInvoke(DEFAULT_ACCOUNT, token, inputs) },
        () => resolveExport(checkNodeMemory({ nodes: config.nodes, instances: config.instances, alerts: config.alerts.enabled })),
    );
    return result;
}

describe("preflight: pods within their nodes' memory", () => {
    it("passes prod's groups on its t3.small and t3.medium nodes", async () => {
        await prodWith(["cache", "redis", "maxmemory"], "512mb");
    });

    it("refuses a redis pod no node of its purpose can hold, naming its resources key; accepts one that fits", async () => {
        await assert.rejects(
            prodWith(["cache", "redis", "resources", "limits", "memory"], "2Gi"),
            /^Error: memory preflight: redis-ha:instances.cache.redis.resources: one redis pod requests 2.0Gi \(redis 2Gi \+ exporter 50Mi\), more than the 2048 MiB of the largest node of redis-ha:nodes.cache \(t3.small\), before the kubelet's share: it would stay Pending$/,
        );
        await prodWith(["cache", "redis", "resources", "limits", "memory"], "1Gi");
    });

    it("refuses pods that together need more than the purpose's nodes have, naming the nodes key", async () => {
        await assert.rejects(
            prodWith(["cache", "redis", "resources", "limits", "memory"], "1900Mi"),
            /redis-ha:nodes.cache: its 3 node\(s\) \(t3.small\) have 6Gi before the kubelet's share, but the group's pods request 6.4Gi \(3 redis × 1.9Gi \+ 3 sentinel × 178Mi \+ 2 front × 64Mi\): some would stay Pending/,
        );
        await prodWith(["cache", "redis", "resources", "limits", "memory"], "1700Mi");
    });

    it("judges each purpose on its own nodes only, and none without nodes", () => {
        const prod = parseStackConfigOrThrow(stackConfig("prod"));
        const pods = podMemory(prod.instances[0], true);
        assert.deepStrictEqual(nodeMemoryProblems("auth", [], pods), []);
        assert.strictEqual(nodeMemoryProblems("auth", [{ instanceType: "t3.nano", memoryMiB: 512 }], pods).length, 1);
        assert.deepStrictEqual(nodeMemoryProblems("auth", [{ instanceType: "t3.medium", memoryMiB: 4096 }], pods), []);
    });

    it("the program fails before creating anything when a group's pods cannot fit its nodes' memory", async () => {
        // dev cut down to its cache instance, whose one t3.small node has 2048 MiB.
        let config = withSetting(stackConfig("dev"), "redis-ha:nodes", ["auth"], undefined);
        config = withSetting(config, "redis-ha:nodes", ["streams"], undefined);
        config = withSetting(config, "redis-ha:instances", ["cache", "redis", "resources", "limits", "memory"], "3Gi");
        config = withSetting(config, "redis-ha:instances", ["auth"], undefined);
        config = withSetting(withSetting(config, "redis-ha:instances", ["streams"], undefined), "redis-ha:appEnv", [], []);
        await assert.rejects(runWithConfig("dev", config), (error: Error & { registered?: RecordedResource[] }) => {
            assert.match(error.message, /memory preflight: redis-ha:instances.cache.redis.resources: one redis pod requests 3.0Gi/);
            assert.deepStrictEqual(
                error.registered?.filter((r) => r.custom).map((r) => r.type),
                [],
            );
            return true;
        });
    });
});
