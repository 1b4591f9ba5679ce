import * as assert from "assert";
import { chartReference, operatorChartValues, RedisOperator } from "../../components/redisOperator";
import { crdManifestUrl } from "../../facts/operator";
import { OPERATOR_DEFAULTS, parseStackConfigOrThrow } from "../../config";
import { recordResources } from "../../plan/mockRuntime";
import { chartValues, valuePaths } from "../support/reference";
import { stackConfig } from "../support/stacks";

describe("components: RedisOperator", () => {
    let known: string[] = [];
    before(() => {
        known = valuePaths(chartValues());
    });
    // `resources` and `nodeSelector` are free-form maps in the chart: anything below them is allowed.
    const isKnown = (path: string) =>
        known.some((k) => k === path || (path.startsWith(`${k}.`) && ["resources", "nodeSelector"].includes(k)));

    describe("operatorChartValues", () => {
        for (const stack of ["dev", "prod"]) {
            it(`${stack}: every value key exists in the chart's values.yaml`, () => {
                const values = operatorChartValues(parseStackConfigOrThrow(stackConfig(stack)).operator);
                const unknown = valuePaths(values).filter((path) => !isKnown(path));
                assert.deepStrictEqual(unknown, []);
            });
        }

        it("the key check rejects keys the chart does not have (replicaCount, serviceMonitor.enabled)", () => {
            const unknown = valuePaths({ replicaCount: 1, serviceMonitor: { enabled: true }, replicas: 1 }).filter(
                (path) => !isKnown(path),
            );
            assert.deepStrictEqual(unknown, ["replicaCount", "serviceMonitor.enabled"]);
        });

        it("runs the pinned image on the control plane by default", () => {
            const values = operatorChartValues(OPERATOR_DEFAULTS);
            assert.deepStrictEqual(values.image, { repository: "quay.io/spotahome/redis-operator", tag: "v1.3.0-rc1" });
            assert.deepStrictEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
            assert.deepStrictEqual(values.tolerations, [
                { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
            ]);
            assert.deepStrictEqual(values.serviceAccount, { create: true });
            assert.deepStrictEqual(values.monitoring, { enabled: false });
            assert.strictEqual("resources" in values, false, "no resources key unless configured");
        });

        it("passes the seed's operator resources through", () => {
            const values = operatorChartValues(parseStackConfigOrThrow(stackConfig("dev")).operator);
            assert.deepStrictEqual(values.resources, {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "200m", memory: "256Mi" },
            });
        });
    });

    describe("chartReference", () => {
        it("names the chart in an HTTP repository's index", () => {
            assert.deepStrictEqual(chartReference(OPERATOR_DEFAULTS), {
                chart: "redis-operator",
                repositoryOpts: { repo: "https://spotahome.github.io/redis-operator" },
            });
        });

        it("gives an OCI registry's chart as one oci:// reference without repositoryOpts (the freshworks-oss fork)", () => {
            for (const repository of ["oci://ghcr.io/freshworks-oss/charts", "oci://ghcr.io/freshworks-oss/charts/"]) {
                assert.deepStrictEqual(chartReference({ chartRepository: repository, chartName: "redis-operator" }), {
                    chart: "oci://ghcr.io/freshworks-oss/charts/redis-operator",
                });
            }
        });
    });

    it("takes the CRD manifest from the pinned ref of the operator repository", () => {
        assert.strictEqual(
            crdManifestUrl("v1.3.0-rc1"),
            "https://raw.githubusercontent.com/spotahome/redis-operator/v1.3.0-rc1/manifests/databases.spotahome.com_redisfailovers.yaml",
        );
    });

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
