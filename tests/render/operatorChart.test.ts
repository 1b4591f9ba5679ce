import * as assert from "assert";
import { chartReference, operatorChartValues } from "../../render/operatorChart";
import { crdManifestUrl } from "../../facts/operator";
import { OPERATOR_DEFAULTS } from "../../config/schema/operator";
import { parseStackConfigOrThrow } from "../../config/parse";
import { chartValues, valuePaths } from "../support/reference";
import { stackConfig } from "../support/stacks";

describe("render: the operator chart", () => {
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
});
