import * as assert from "assert";
import { parseStackConfigOrThrow } from "../../config/parse";
import { podMemory } from "../../render/podMemory";
import { stackConfig, withSetting } from "../support/stacks";

const MI = 1024 ** 2;

describe("render: the memory each pod of a group requests", () => {
    const prod = parseStackConfigOrThrow(stackConfig("prod"));
    const cache = prod.instances.find((i) => i.purpose === "cache")!;

    it("a limit without a request counts as the request; exporters at the operator's 50Mi; the front's own request", () => {
        assert.deepStrictEqual(
            podMemory(cache, true).map((pod) => [pod.part, pod.count, pod.bytes / MI, pod.detail, pod.key]),
            [
                ["redis", 3, 768 + 50, "redis 768Mi + exporter 50Mi", "instances.cache.redis.resources"],
                ["sentinel", 3, 128 + 50, "sentinel 128Mi + exporter 50Mi", "instances.cache.sentinel.resources"],
                ["front", 2, 64, "haproxy 64Mi", "instances.cache.front.resources"],
            ],
        );
    });

    it("no sentinel exporter without alerts, no redis exporter when it is off, and the init container when it is more", () => {
        const config = withSetting(stackConfig("dev"), "redis-ha:instances", ["cache", "sentinel", "resources"], undefined);
        const devCache = parseStackConfigOrThrow(withSetting(config, "redis-ha:instances", ["cache", "redis", "exporter"], false))
            .instances[2];
        const [redis, sentinel] = podMemory(devCache, false);
        assert.deepStrictEqual([redis.bytes / MI, redis.detail], [768, "redis 768Mi"]);
        assert.deepStrictEqual([sentinel.bytes / MI, sentinel.detail], [32, ""], "the 32Mi init container alone");
    });
});
