// The one way to open a target, whatever reaches the group: sentinel addresses directly (runners
// inside the cluster network) or the RedisFailover's pods through the Kubernetes API. Used by the
// dynamic provider and by `verify`.

import { FrontEndpoint, parseEndpoint, Target } from "./connection";
import { openKubeTarget } from "./kubernetes";
import type { Membership } from "./membership";
import type { CheckResult } from "./report";
import type { Expectations } from "./rules";

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
    /**
     * With `sentinels`: the group's redis and sentinel addresses (`host:port`, as Sentinel reports
     * them), for the `membership` check; the `sentinels` count as members. Through Kubernetes the
     * pods are the members. The check does not apply when neither is known.
     */
    members?: string[];
    /** Through the Kubernetes API (port-forward), for runners outside it. */
    kubernetes?: KubeReach;
    /**
     * The group's fronts (`host:port`), reached directly on either path, for the
     * `front-serves-master` check; not reported when absent.
     */
    fronts?: string[];
}

/** What one round of checks runs against. */
export interface Round {
    /** What the checks of the servers connect to. */
    target: Target;
    /** Checks made while preparing the round (`pods`, `services`), reported first. */
    checks?: CheckResult[];
    /** Why the checks of the servers cannot run this round (no sentinel pod yet, say). */
    stop?: string;
    /** Checks of the way the servers were reached, known once they were asked (the kubelet's errors). */
    after?: () => CheckResult[];
}

/** Gives each round its target: fixed sentinel addresses, or the pods as they are now. */
export interface TargetSource {
    /** Prepares one round; rejects only on what waiting cannot change (a refused credential). */
    round(expected: Expectations): Promise<Round>;
}

/** A target source with what it holds open (local listeners); `close` releases them. */
export interface OpenTarget extends TargetSource {
    /** Stops every local listener and connection. */
    close(): Promise<void>;
}

/** Options of the Kubernetes path. */
export interface KubeCheckOptions {
    /** Accept Services of type LoadBalancer or NodePort (default false: the `services` check fails). */
    allowExternalServices?: boolean;
}

/** How a group was reached, for messages and the provider's records (`kubernetes redis/auth-redis`). */
export function describeReach(reach: Reach): string {
    return reach.kubernetes
        ? `kubernetes ${reach.kubernetes.namespace}/${reach.kubernetes.name}`
        : `sentinels ${(reach.sentinels ?? []).join(",")}`;
}

/** Opens a target to run checks against; call `close` when done. */
export async function openTarget(
    reach: Reach,
    password: string | undefined,
    probeTimeoutMs?: number,
    options: KubeCheckOptions = {},
): Promise<OpenTarget> {
    const opened = await openServers(reach, password, probeTimeoutMs, options);
    if (reach.fronts === undefined) return opened;
    // Parsed before any round, so a bad address is refused at once rather than in every round.
    const fronts = reach.fronts.map((address): FrontEndpoint => ({ name: address, local: parseEndpoint(address) }));
    return {
        round: async (expected) => {
            const round = await opened.round(expected);
            return { ...round, target: { ...round.target, fronts } };
        },
        close: () => opened.close(),
    };
}

/** The target of the group's servers (sentinels and redis), on either path. */
async function openServers(
    reach: Reach,
    password: string | undefined,
    probeTimeoutMs: number | undefined,
    options: KubeCheckOptions,
): Promise<OpenTarget> {
    if (reach.kubernetes) {
        return openKubeTarget({ ...reach.kubernetes, ...options, password, probeTimeoutMs });
    }
    if (!reach.sentinels?.length) {
        throw new Error("a health check needs sentinel addresses or a Kubernetes RedisFailover to reach");
    }
    const sentinels = reach.sentinels.map(parseEndpoint);
    const membership: Membership | undefined = reach.members && {
        of: "among the members given",
        members: [...reach.members.map(parseEndpoint), ...sentinels].map((address) => ({ address })),
    };
    const target: Target = { sentinels, password, probeTimeoutMs, ...(membership ? { membership } : {}) };
    return { round: async () => ({ target }), close: async () => undefined };
}
