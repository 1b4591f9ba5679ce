import * as assert from "assert";
import { ConfigError } from "../../config/errors";
import { parseStackConfig, parseStackConfigOrThrow } from "../../config/parse";
import { HAPROXY_IMAGE } from "../../facts/haproxy";
import { FRONT_DETECTION_MS } from "../../config/frontTiming";
import { imageReferenceProblem } from "../../facts/patterns";
import { assertAccepted, assertRejected, INSTANCES } from "../support/config";
import { stackConfig, withSetting } from "../support/stacks";

describe("config: instances.<p>.front", () => {
    const dev = stackConfig("dev");
    const prod = stackConfig("prod");
    const key = (purpose: string, setting: string) => `${INSTANCES}.${purpose}.front.${setting}`;
    const ownNodes = (config: Record<string, string>) =>
        withSetting(withSetting(config, "redis-ha:nodes", [], undefined), "redis-ha:cluster", [], undefined);

    it("is on by default: 2 replicas of the pinned haproxy image, small requests and limits", () => {
        for (const instance of parseStackConfigOrThrow(prod, "prod").instances) {
            assert.deepStrictEqual(instance.front, {
                enabled: true,
                replicas: 2,
                image: HAPROXY_IMAGE,
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
            });
        }
        assert.match(HAPROXY_IMAGE, /^haproxy:(2\.8|3\.0)\.\d+$/, "an LTS branch, pinned to a release");
        assert.strictEqual(imageReferenceProblem(HAPROXY_IMAGE), undefined, "the default passes the rule it enforces");
    });

    it("dev, one node per purpose, runs one front pod each", () => {
        assert.deepStrictEqual(
            parseStackConfigOrThrow(dev, "dev").instances.map((i) => i.front.replicas),
            [1, 1, 1],
        );
    });

    it("a highly available stack refuses fewer than 2 front replicas, naming the full key", () => {
        const one = withSetting(prod, INSTANCES, ["auth", "front", "replicas"], 1);
        assertRejected(one, key("auth", "replicas"), /highly available stack needs at least 2 front replicas.*got 1/);
        assert.throws(
            () => parseStackConfigOrThrow(one, "prod"),
            (error: unknown) =>
                error instanceof ConfigError &&
                error.message.includes("redis-ha:instances.auth.front.replicas: a highly available stack needs at least 2 front replicas"),
        );
        assertAccepted(withSetting(prod, INSTANCES, ["auth", "front", "replicas"], 3));
    });

    it("a switched-off front is not counted: no replica rule, no node rule", () => {
        const off = withSetting(prod, INSTANCES, ["auth", "front"], { enabled: false, replicas: 1 });
        assertAccepted(off);
        assert.strictEqual(parseStackConfigOrThrow(off, "prod").instances[0].front.enabled, false);
        assertAccepted(withSetting(dev, INSTANCES, ["cache", "front"], { enabled: false, replicas: 5 }));
    });

    it("each front pod needs a node of the purpose of its own", () => {
        const two = withSetting(dev, INSTANCES, ["cache", "front", "replicas"], 2);
        assertRejected(two, "redis-ha:nodes.cache", /lists 1 node\(s\), but instances.cache.front.replicas is 2: no two front pods/);
        // The default (2) counts too when the key is left out.
        assertRejected(
            withSetting(dev, INSTANCES, ["cache", "front"], undefined),
            "redis-ha:nodes.cache",
            /instances.cache.front.replicas is 2/,
        );
        // Bring-your-own nodes are not counted.
        assertAccepted(ownNodes(two));
    });

    it("rejects a count that is not a whole number of at least 1", () => {
        assertRejected(withSetting(dev, INSTANCES, ["auth", "front", "replicas"], 0), key("auth", "replicas"), /at least 1, got 0/);
        assertRejected(withSetting(dev, INSTANCES, ["auth", "front", "replicas"], 1.5), key("auth", "replicas"), /whole number/);
    });

    it("takes only a pinned image reference", () => {
        for (const image of ["haproxy", "haproxy:latest"]) {
            assertRejected(withSetting(dev, INSTANCES, ["auth", "front", "image"], image), key("auth", "image"), /not pinned/);
        }
        assertRejected(
            withSetting(dev, INSTANCES, ["auth", "front", "image"], "HAProxy:3.0"),
            key("auth", "image"),
            /not an image reference/,
        );
        assertAccepted(withSetting(dev, INSTANCES, ["auth", "front", "image"], "registry.example.com/mirror/haproxy:2.8.27"));
        assertAccepted(withSetting(dev, INSTANCES, ["auth", "front", "image"], `haproxy@sha256:${"a".repeat(64)}`));
    });

    it("checks resources as everywhere else, and names a misspelt key", () => {
        assertRejected(
            withSetting(dev, INSTANCES, ["auth", "front", "resources"], { requests: { memory: "256Mi" }, limits: { memory: "128Mi" } }),
            key("auth", "resources.requests.memory"),
            /more than the limit 128Mi/,
        );
        assertAccepted(withSetting(dev, INSTANCES, ["auth", "front", "resources"], { limits: { memory: "256Mi" } }));
        const typo = parseStackConfig(withSetting(dev, INSTANCES, ["auth", "front", "replica"], 2)).issues;
        assert.ok(
            typo.some(
                (issue) =>
                    issue.key === key("auth", "replica") &&
                    /did you mean replicas\?\); expected one of: enabled, replicas, image, resources/.test(issue.message),
            ),
            JSON.stringify(typo),
        );
    });
    it("with the front on, refuses a down-after-milliseconds the front's check could not beat, naming the key; with it off, takes it", () => {
        const quick = withSetting(dev, INSTANCES, ["cache", "sentinel", "downAfterMilliseconds"], FRONT_DETECTION_MS);
        assertRejected(
            quick,
            `${INSTANCES}.cache.sentinel.downAfterMilliseconds`,
            new RegExp(`more than the ${FRONT_DETECTION_MS} ms the front takes to notice a hung master; got ${FRONT_DETECTION_MS}`),
        );
        assertAccepted(withSetting(quick, INSTANCES, ["cache", "front", "enabled"], false));
        assertAccepted(withSetting(dev, INSTANCES, ["cache", "sentinel", "downAfterMilliseconds"], FRONT_DETECTION_MS + 1));
    });
});
