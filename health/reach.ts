// The one way to open a target, whatever reaches the group: sentinel addresses directly (runners
// inside the cluster network) or the RedisFailover's pods through the Kubernetes API. Used by the
// dynamic provider and by `verify`.

import { parseEndpoint, Target } from "./connection";
import { openKubeTarget } from "./kubernetes";

/** A RedisFailover reached through the Kubernetes API (port-forward). */
export interface KubeReach {
    /** Namespace of the RedisFailover. */
    namespace: string;
    /** Name of the RedisFailover. */
    name: string;
    /** Kubeconfig text; the default kubeconfig when absent. */
    kubeconfig?: string;
}

/** Where the group is reached from; `kubernetes` wins when both are given. */
export interface Reach {
    /** Direct sentinel addresses (`host:port`), for runners inside the cluster network. */
    sentinels?: string[];
    /** Through the Kubernetes API (port-forward), for runners outside it. */
    kubernetes?: KubeReach;
}

/** A target with what it holds open (local listeners); `close` releases them. */
export interface OpenTarget {
    /** What the checks connect to. */
    target: Target;
    /** Stops every local listener and connection. */
    close(): Promise<void>;
}

/** How a group was reached, for messages and the provider's records (`kubernetes redis/auth-redis`). */
export function describeReach(reach: Reach): string {
    return reach.kubernetes
        ? `kubernetes ${reach.kubernetes.namespace}/${reach.kubernetes.name}`
        : `sentinels ${(reach.sentinels ?? []).join(",")}`;
}

/** Opens a target to run checks against; call `close` when done. */
export async function openTarget(reach: Reach, password: string | undefined, probeTimeoutMs?: number): Promise<OpenTarget> {
    if (reach.kubernetes) {
        return openKubeTarget({ ...reach.kubernetes, password, probeTimeoutMs });
    }
    if (!reach.sentinels?.length) {
        throw new Error("a health check needs sentinel addresses or a Kubernetes RedisFailover to reach");
    }
    return { target: { sentinels: reach.sentinels.map(parseEndpoint), password, probeTimeoutMs }, close: async () => undefined };
}
