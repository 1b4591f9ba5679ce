// The Spotahome redis-operator: its namespace, the RedisFailover CRD (installed on its own)
// and the Helm release of the operator itself.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { OperatorConfig } from "../config/types";
import { crdManifestUrl } from "../facts/operator";
import { chartReference, operatorChartValues } from "../render/operatorChart";

/** Arguments of a `RedisOperator` component. */
export interface RedisOperatorArgs {
    /** The validated operator settings. */
    operator: OperatorConfig;
    /** Protect the CRD from deletion: deleting it deletes every RedisFailover and its data. */
    protectCrd: boolean;
}

/** The operator installation. RedisFailovers must depend on `crd` and `release`. */
export class RedisOperator extends pulumi.ComponentResource {
    /** Namespace the operator runs in. */
    readonly namespace: k8s.core.v1.Namespace;
    /** The RedisFailover CRD, applied server-side (it is too large for client-side apply). */
    readonly crd: k8s.yaml.v2.ConfigFile;
    /** The operator's Helm release. */
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: RedisOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:k8s:RedisOperator", name, {}, opts);
        const { operator } = args;

        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: operator.namespace } }, { parent: this });

        // From the operator repository, not the chart: chart 3.3.0's `crds/` file is not valid YAML,
        // so the release skips its CRDs. Server-side apply: the CRD is too large for client-side.
        this.crd = new k8s.yaml.v2.ConfigFile(
            `${name}-crd`,
            { file: crdManifestUrl(operator.crdRef) },
            { parent: this, protect: args.protectCrd },
        );

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name,
                ...chartReference(operator),
                version: operator.chartVersion,
                namespace: this.namespace.metadata.name,
                skipCrds: true,
                // A failed install or upgrade is rolled back rather than left half-applied.
                atomic: true,
                values: operatorChartValues(operator),
            },
            { parent: this, dependsOn: [this.crd] },
        );

        this.registerOutputs({ namespace: this.namespace.metadata.name, release: this.release.status });
    }
}
