// The memory the scheduler reserves for each pod of a group on its purpose's nodes, as rendered:
// the redis pod (redis and its exporter), the sentinel pod (sentinel, its exporter when alerts are
// on, the operator's init container) and the front pod. Pure.

import { InstanceConfig } from "../config/types";
import { EXPORTER_MEMORY_REQUEST, SENTINEL_INIT_MEMORY_REQUEST } from "../facts/operator";
import { parseQuantity } from "../facts/patterns";

/** One kind of pod of a group: how many, and the memory each requests, with the config key that sizes it. */
export interface PodMemory {
    /** `redis`, `sentinel` or `front`. */
    part: "redis" | "sentinel" | "front";
    count: number;
    /** Bytes the scheduler reserves for one pod. */
    bytes: number;
    /** The key of the resources that size it: `instances.<p>.<part>.resources`. */
    key: string;
    /** What the bytes are made of, for messages: `redis 2Gi + exporter 50Mi`. */
    detail: string;
}

type Resources = { requests?: { memory?: string }; limits?: { memory?: string } } | undefined;

/** A container's memory request: as given, else its limit (Kubernetes defaults a missing request to the limit: pkg/apis/core/v1/defaults.go `SetDefaults_Pod`), else none. */
function requested(resources: Resources): string | undefined {
    return resources?.requests?.memory ?? resources?.limits?.memory;
}

/**
 * A pod's request is the sum of its containers', or its largest init container's if more (kubernetes
 * pkg/scheduler/framework/plugins/noderesources/fit.go, `computePodResourceRequest`).
 */
function pod(
    part: PodMemory["part"],
    count: number,
    purpose: string,
    containers: Array<[string, string | undefined]>,
    init?: string,
): PodMemory {
    const sized = containers.filter((entry): entry is [string, string] => entry[1] !== undefined);
    const sum = sized.reduce((total, [, quantity]) => total + (parseQuantity(quantity) ?? 0), 0);
    const bytes = Math.max(sum, init ? (parseQuantity(init) ?? 0) : 0);
    return {
        part,
        count,
        bytes,
        key: `instances.${purpose}.${part}.resources`,
        detail: sized.map(([name, q]) => `${name} ${q}`).join(" + "),
    };
}

/** Every pod kind of one group and what each requests; `alerts`: the sentinels run an exporter too. */
export function podMemory(instance: InstanceConfig, alerts: boolean): PodMemory[] {
    const { purpose, redis, sentinel, front } = instance;
    return [
        pod("redis", redis.replicas, purpose, [
            ["redis", requested(redis.resources)],
            ["exporter", redis.exporter ? EXPORTER_MEMORY_REQUEST : undefined],
        ]),
        pod(
            "sentinel",
            sentinel.replicas,
            purpose,
            [
                ["sentinel", requested(sentinel.resources)],
                ["exporter", alerts ? EXPORTER_MEMORY_REQUEST : undefined],
            ],
            SENTINEL_INIT_MEMORY_REQUEST,
        ),
        ...(front.enabled ? [pod("front", front.replicas, purpose, [["haproxy", requested(front.resources)]])] : []),
    ];
}
