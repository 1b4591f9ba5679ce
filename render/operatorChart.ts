// How the operator's Helm chart is found and what values it gets. Pure.

import { OperatorConfig } from "../config/types";

/**
 * Where the Release finds the chart. An `oci://` registry is no chart repository (it has no
 * index.yaml), so the chart becomes the full `oci://<registry>/<name>` reference and no
 * `repositoryOpts` is passed: pulumi-kubernetes (provider/pkg/provider/helm_release.go,
 * `resolveChartName`) downloads an `oci://` chart directly and looks any other chart up in the
 * repository's index.
 */
export function chartReference(operator: Pick<OperatorConfig, "chartRepository" | "chartName">): {
    chart: string;
    repositoryOpts?: { repo: string };
} {
    return operator.chartRepository.startsWith("oci://")
        ? { chart: `${operator.chartRepository.replace(/\/+$/, "")}/${operator.chartName}` }
        : { chart: operator.chartName, repositoryOpts: { repo: operator.chartRepository } };
}

/** Helm values for the operator chart; every key exists in the chart's values.yaml. */
export function operatorChartValues(operator: OperatorConfig): Record<string, unknown> {
    return {
        replicas: operator.replicas,
        image: { repository: operator.imageRepository, tag: operator.imageTag },
        ...(operator.resources ? { resources: operator.resources } : {}),
        nodeSelector: operator.nodeSelector,
        tolerations: operator.tolerations,
        serviceAccount: { create: true },
        monitoring: { enabled: operator.monitoring },
    };
}
