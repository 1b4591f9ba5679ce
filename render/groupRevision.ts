// The revision of one Redis group: a hash of everything a deploy can change about it. The
// post-deploy check watches it (providers/redisHealthCheck.ts), so replacing a node, changing a
// resource or sentinel setting, the front, or the operator re-runs the check, not only a changed
// expectation. Pure: no Pulumi, no I/O.

import * as crypto from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { OperatorConfig } from "../config/types";

/** What a group's revision covers. */
export interface GroupRevisionParts {
    /** The rendered RedisFailover manifest (`buildRedisFailoverManifest`). */
    failover: unknown;
    /** The front's revision (`frontRevision`), absent when the front is off. */
    front?: string;
    /** The operator's chart and image (`operatorRevisionPart`). */
    operator?: unknown;
    /** EC2 instance ids of the purpose's managed nodes, in config order; none when nodes are brought. */
    nodeInstanceIds?: readonly string[];
    /** The password version and rotation phase (render/passwordRotation.ts); absent at version 1 without a rotation. */
    passwords?: { version: number; phase?: string };
}

/** The parts a RedisFailover's caller knows (the component adds its own manifest). */
export interface GroupRevisionInputs extends Pick<GroupRevisionParts, "front" | "operator"> {
    /** EC2 instance ids of the purpose's managed nodes, known after they are created. */
    nodeInstanceIds?: pulumi.Input<string>[];
}

/**
 * JSON with object keys sorted at every depth, so equal values hash equal whatever order their keys
 * were built in. `undefined` properties are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
    return JSON.stringify(value, (_key, item: unknown) =>
        item !== null && typeof item === "object" && !Array.isArray(item)
            ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : item,
    );
}

/** sha256 (hex) of the canonical JSON of `value`. */
export function sha256Of(value: unknown): string {
    return crypto.createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** The group's revision: sha256 (hex) of the canonical JSON of its parts. */
export function groupRevision(parts: GroupRevisionParts): string {
    return sha256Of({
        failover: parts.failover,
        front: parts.front ?? null,
        operator: parts.operator ?? null,
        nodeInstanceIds: parts.nodeInstanceIds ?? [],
        // Only when set: a group that never rotated keeps the revision it had.
        ...(parts.passwords ? { passwords: parts.passwords } : {}),
    });
}

/** What of the operator installation can change how a group runs: its chart, image and CRD. */
export function operatorRevisionPart(
    operator: Pick<OperatorConfig, "chartRepository" | "chartName" | "chartVersion" | "imageRepository" | "imageTag" | "crdRef">,
) {
    return {
        chart: `${operator.chartRepository} ${operator.chartName} ${operator.chartVersion}`,
        image: `${operator.imageRepository}:${operator.imageTag}`,
        crdRef: operator.crdRef,
    };
}
