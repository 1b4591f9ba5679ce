import * as assert from "assert";
import { RedisOperator } from "../../components/redisOperator";
import { crdManifestUrl } from "../../facts/operator";
import { OPERATOR_DEFAULTS } from "../../config/schema/operator";
import { recordResources } from "../../plan/mockRuntime";

describe("components: RedisOperator", () => {
    describe("the component under the mock runtime", () => {
        async function build(protectCrd: boolean) {
            const { resources } = await recordResources(
                { stack: "test" },
                () => new RedisOperator("redis-operator", { operator: OPERATOR_DEFAULTS, protectCrd }),
            );
            return new Map(resources.map((r) => [r.name, r]));
        }

        it("installs namespace, CRD and a release with the chart's CRDs skipped, after the CRD", async () => {
            const byName = await build(false);
            const component = byName.get("redis-operator")!;
            assert.strictEqual(component.type, "redis-ha:k8s:RedisOperator");
            const crd = byName.get("redis-operator-crd")!;
            const release = byName.get("redis-operator-release")!;
            const namespace = byName.get("redis-operator-namespace")!;
            for (const child of [crd, release, namespace]) {
                assert.strictEqual(child.parent, component.urn, child.name);
            }
            assert.strictEqual(crd.type, "kubernetes:yaml/v2:ConfigFile");
            assert.strictEqual(crd.inputs.file, crdManifestUrl(OPERATOR_DEFAULTS.crdRef));
            assert.strictEqual(crd.protect, false);
            assert.strictEqual(release.type, "kubernetes:helm.sh/v3:Release");
            assert.strictEqual(release.inputs.chart, "redis-operator");
            assert.strictEqual(release.inputs.version, "3.3.0");
            assert.deepStrictEqual(release.inputs.repositoryOpts, { repo: "https://spotahome.github.io/redis-operator" });
            assert.strictEqual(release.inputs.skipCrds, true);
            assert.strictEqual(release.inputs.atomic, true);
            assert.strictEqual(release.inputs.namespace, "redis-operator");
            assert.ok(release.dependencies.includes(crd.urn), "release waits for the CRD");
            assert.ok(release.dependencies.includes(namespace.urn), "release waits for its namespace");
        });

        it("protects the CRD when asked: deleting it would delete every RedisFailover", async () => {
            assert.strictEqual((await build(true)).get("redis-operator-crd")!.protect, true);
        });
    });
});
