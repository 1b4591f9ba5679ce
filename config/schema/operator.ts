// The Spotahome operator installation (chart 3.3.0, operator image v1.3.0-rc1), or a chart and image
// of the same API from elsewhere (the freshworks-oss fork, README "Operator image and chart").

import { z } from "zod";
import { dnsLabelProblem, EXACT_VERSION, imageRepositoryProblem, imageTagProblem } from "../../facts/patterns";
import { grammar, int, labelKey, labelMap, labelValue, matching, resourcesSchema, strict, TAINT_EFFECTS } from "./common";

const tolerationSchema = strict({
    key: labelKey().optional(),
    operator: z.enum(["Exists", "Equal"]).default("Equal"),
    value: labelValue().optional(),
    effect: z.enum(TAINT_EFFECTS).optional(),
});

export const operatorSchema = strict({
    namespace: grammar(dnsLabelProblem).default("redis-operator"),
    // YAML reads an unquoted 3.3 as a number, hence "write it quoted".
    chartVersion: matching(EXACT_VERSION, "is not an exact chart version (e.g. 3.3.0; write it quoted)").default("3.3.0"),
    chartRepository: matching(/^(https?|oci):\/\/\S+$/, "is not a Helm repository URL").default(
        "https://spotahome.github.io/redis-operator",
    ),
    // Helm chart names: lowercase letters, digits and dashes (Helm's chart best practices).
    chartName: matching(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "is not a Helm chart name (lowercase letters, digits and dashes)").default(
        "redis-operator",
    ),
    imageRepository: grammar(imageRepositoryProblem).default("quay.io/spotahome/redis-operator"),
    // There is no git tag v1.3.0 upstream; v1.3.0-rc1 (9d40a782) is the newest operator tag and has the
    // CRD of crdRef byte for byte and ClusterIP master and replica Services (b2686ac5); the code at
    // Chart-3.3.0 made them LoadBalancers (operator/redisfailover/service/generator.go).
    imageTag: grammar(imageTagProblem).default("v1.3.0-rc1"),
    // Commit of tag Chart-3.3.0; its CRD is byte-identical to v1.3.0-rc1 and there is no v1.3.0 tag.
    crdRef: matching(/^[\w][\w.\-/]*$/, "is not a git tag or commit").default("469fbcb8496ea1ae3ca0f39f8600b967c6f8712e"),
    replicas: int(1, 5).default(1),
    resources: resourcesSchema.optional(),
    nodeSelector: labelMap().default({ "node-role.kubernetes.io/control-plane": "" }),
    tolerations: z
        .array(tolerationSchema)
        .default([{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]),
    monitoring: z.boolean().default(false),
});

/** Defaults of the operator installation: the schema's own, read back by parsing an empty object. */
export const OPERATOR_DEFAULTS = operatorSchema.parse({});
