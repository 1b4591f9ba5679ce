// The group revision the post-deploy check watches (render/groupRevision.ts): what changes it,
// from a stack file to the RedisHealthCheck's inputs.

import * as assert from "assert";
import { frontRevision } from "../../render/front";
import { buildRedisFailoverManifest } from "../../render/failover";
import { parseStackConfigOrThrow } from "../../config/parse";
import { ProgramRun } from "../../plan/mockRuntime";
import { canonicalJson, groupRevision, operatorRevisionPart } from "../../render/groupRevision";
import { renderOptions, runWithConfig, stackConfig, withSetting } from "../support/stacks";

const INSTANCES = "redis-ha:instances";
const NODE_IDS = ["i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60003"];

/** The revision of `purpose` in a stack config, built as index.ts and RedisFailover build it. */
function revisionOf(raw: Record<string, string>, purpose = "cache", nodeInstanceIds: string[] = NODE_IDS): string {
    const config = parseStackConfigOrThrow(raw);
    const instance = config.instances.find((candidate) => candidate.purpose === purpose)!;
    return groupRevision({
        failover: buildRedisFailoverManifest(instance, renderOptions(config)),
        front: instance.front.enabled
            ? frontRevision(instance, { namespace: config.namespace, placementLabel: config.placementLabel })
            : undefined,
        operator: operatorRevisionPart(config.operator),
        nodeInstanceIds,
    });
}

describe("render: group revision", () => {
    const prod = stackConfig("prod");
    // Computed in each test, not once at load: the front's gate is read from disk when rendered.
    let base: string;
    beforeEach(() => (base = revisionOf(prod)));

    it("is a sha256 in hex, the same for the same config", () => {
        assert.match(base, /^[0-9a-f]{64}$/);
        assert.strictEqual(revisionOf(stackConfig("prod")), base);
        assert.strictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "redis", "replicas"], 3)), base, "a setting set to its value");
    });

    it("changes when an instance's redis resources change in the stack file", () => {
        const memory = withSetting(prod, INSTANCES, ["cache", "redis", "resources", "limits", "memory"], "1Gi");
        const cpu = withSetting(prod, INSTANCES, ["cache", "redis", "resources", "limits", "cpu"], "500m");
        assert.notStrictEqual(revisionOf(memory), base);
        assert.notStrictEqual(revisionOf(cpu), base);
        assert.notStrictEqual(revisionOf(memory), revisionOf(cpu));
        assert.strictEqual(revisionOf(memory, "auth"), revisionOf(prod, "auth"), "another purpose's group is unchanged");
    });

    it("changes with a sentinel setting", () => {
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "sentinel", "downAfterMilliseconds"], 9000)), base);
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "sentinel", "resources", "limits", "cpu"], "200m")), base);
    });

    it("changes when a node is replaced, and with the node order", () => {
        assert.notStrictEqual(revisionOf(prod, "cache", [NODE_IDS[0], NODE_IDS[1], "i-0ffffffffffffffff"]), base);
        assert.notStrictEqual(revisionOf(prod, "cache", [...NODE_IDS].reverse()), base);
        assert.notStrictEqual(revisionOf(prod, "cache", []), base);
    });

    it("changes with the front's config, image or enablement", () => {
        // The memory limit sets HAProxy's own limits in haproxy.cfg.
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "front", "resources", "limits", "memory"], "256Mi")), base);
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "front", "image"], "haproxy:3.0.0")), base);
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "front", "replicas"], 3)), base);
        assert.notStrictEqual(revisionOf(withSetting(prod, INSTANCES, ["cache", "front", "enabled"], false)), base);
    });

    it("changes with the operator's chart or image, not with its replicas", () => {
        assert.notStrictEqual(revisionOf(withSetting(prod, "redis-ha:operator", ["imageTag"], "v1.2.4")), base);
        assert.notStrictEqual(revisionOf(withSetting(prod, "redis-ha:operator", ["chartVersion"], "3.2.9")), base);
        assert.strictEqual(revisionOf(withSetting(prod, "redis-ha:operator", ["replicas"], 2)), base);
    });

    it("hashes canonical JSON: key order does not matter, array order does", () => {
        assert.strictEqual(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }), '{"a":{"d":[2,1]},"b":1}');
        assert.strictEqual(groupRevision({ failover: { a: 1, b: 2 } }), groupRevision({ failover: { b: 2, a: 1 } }));
        assert.notStrictEqual(groupRevision({ failover: [1, 2] }), groupRevision({ failover: [2, 1] }));
    });

    it("reaches the RedisHealthCheck's inputs in the program, per group", async function () {
        this.timeout(60_000);
        const dev = stackConfig("dev");
        const revisions = (run: ProgramRun) =>
            Object.fromEntries(
                run.resources
                    .filter((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.name.endsWith("-health"))
                    .map((r) => [r.name, r.inputs.groupRevision]),
            );
        const before = revisions(await runWithConfig("dev", dev));
        const after = revisions(
            await runWithConfig("dev", withSetting(dev, INSTANCES, ["cache", "redis", "resources", "limits", "memory"], "1Gi")),
        );
        assert.deepStrictEqual(Object.keys(before).sort(), ["auth-redis-health", "cache-redis-health", "streams-redis-health"]);
        for (const name of Object.keys(before)) assert.match(String(before[name]), /^[0-9a-f]{64}$/, name);
        assert.notStrictEqual(after["cache-redis-health"], before["cache-redis-health"]);
        assert.strictEqual(after["auth-redis-health"], before["auth-redis-health"]);
        assert.strictEqual(after["streams-redis-health"], before["streams-redis-health"]);
    });
});
