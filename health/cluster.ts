// What the Kubernetes API says about one RedisFailover: its pods and its Services, read afresh each
// round, and the two checks made of them (`pods`, `services`). Pure rules here, I/O in the listers.
//
// Why each round re-reads: Pulumi does not wait on a custom resource that has no status and no
// `pulumi.com/waitFor` annotation (pulumi/pulumi-kubernetes `provider/pkg/metadata/overrides.go`,
// `ReadyCondition`: without the annotation the condition is immediate; even with
// PULUMI_K8S_AWAIT_ALL, `provider/pkg/await/condition/ready.go` takes an object without status as
// ready). The RedisFailover has no status, so the check starts while the operator is still
// creating pods, and pods restart or move (new IP) while it runs.

import {
    componentPort,
    FailoverComponent,
    LABEL_COMPONENT,
    masterServiceName,
    podSelector,
    replicaServiceName,
    sentinelName,
} from "../facts/operator";
import { errorText, withDeadline } from "./connection";
import type { CheckResult } from "./report";
import type { Expectations } from "./rules";

/** One pod of the RedisFailover, as the pod lister reports it. */
export interface PodInfo {
    /** Pod name. */
    name: string;
    /** Pod IP, as Sentinel reports it; absent until scheduled. */
    ip?: string;
    /** Container port; `componentPort(component)` when absent (the lab's servers have their own). */
    port?: number;
    /** `redis` or `sentinel`. */
    component: FailoverComponent;
    /** `status.phase`: `Pending`, `Running`... */
    phase: string;
    /** Its `Ready` condition is true. */
    ready: boolean;
}

/** One Service of the RedisFailover. */
export interface ServiceInfo {
    /** Service name. */
    name: string;
    /** `spec.type`: `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`. */
    type: string;
}

/** The RedisFailover's current pods (none being deleted). Called every round. */
export type PodLister = () => Promise<PodInfo[]>;
/** The RedisFailover's current Services. Called every round. */
export type ServiceLister = () => Promise<ServiceInfo[]>;

/** A pod worth connecting to: running, with an address. */
export function reachable(pod: PodInfo): boolean {
    return pod.phase === "Running" && pod.ip !== undefined && pod.ip !== "";
}

/** The container port of a pod. */
export function podPort(pod: PodInfo): number {
    return pod.port ?? componentPort(pod.component);
}

/** `2/3 redis pods running`, and which are not, for one component. */
function podCount(pods: PodInfo[], component: FailoverComponent, expected: number): { ok: boolean; text: string } {
    const mine = pods.filter((pod) => pod.component === component).sort((a, b) => a.name.localeCompare(b.name));
    const running = mine.filter((pod) => reachable(pod) && pod.ready);
    const others = mine
        .filter((pod) => !running.includes(pod))
        .map((pod) => `${pod.name} ${pod.phase === "Running" ? "not ready" : pod.phase}`);
    const shown = others.length > 4 ? [...others.slice(0, 4), `${others.length - 4} more`] : others;
    return {
        ok: running.length === expected && others.length === 0,
        text: `${running.length}/${expected} ${component} pods running${shown.length ? ` (${shown.join(", ")})` : ""}`,
    };
}

/** As many sentinel and redis pods as expected run and are ready, and no other. */
export function podsCheck(pods: PodInfo[], expected: Expectations): CheckResult {
    const sentinels = podCount(pods, "sentinel", expected.sentinelCount);
    const redis = podCount(pods, "redis", expected.redisCount);
    return { name: "pods", ok: sentinels.ok && redis.ok, detail: `${sentinels.text}, ${redis.text}` };
}

/** Service types that reach beyond the cluster network. */
const EXTERNAL_TYPES = ["LoadBalancer", "NodePort"];

/**
 * The operator's Services of `failover` exist, and none is exposed outside the cluster unless
 * allowed. Required: the master, replica and sentinel Services (facts/operator.ts names them). The
 * headless redis Service (`redisName`) exists only with the redis exporter (spotahome/redis-operator
 * `operator/redisfailover/ensurer.go`), so it is only checked when present. The operator makes
 * them all ClusterIP (`operator/redisfailover/service/generator.go`, `generate*Service`); another
 * type was set by someone else.
 */
export function servicesCheck(services: ServiceInfo[], failover: string, allowExternal: boolean): CheckResult {
    const required = [masterServiceName(failover), replicaServiceName(failover), sentinelName(failover)];
    const names = new Set(services.map((service) => service.name));
    const missing = required.filter((name) => !names.has(name));
    const external = services.filter((service) => EXTERNAL_TYPES.includes(service.type)).sort((a, b) => a.name.localeCompare(b.name));
    const problems = [
        ...(missing.length ? [`missing ${missing.join(", ")}`] : []),
        ...(allowExternal ? [] : external.map((service) => `${service.name} is ${service.type} (external Services not allowed)`)),
    ];
    const allowed = allowExternal && external.length ? `; ${external.map((s) => `${s.name} is ${s.type} (allowed)`).join(", ")}` : "";
    const detail = problems.length ? problems.join("; ") : `${required.join(", ")} present${allowed || ", none exposed"}`;
    return { name: "services", ok: problems.length === 0, detail };
}

/** A lister failure as a check: the API server's reason, the round goes on. */
export function listingFailed(name: "pods" | "services", error: unknown): CheckResult {
    return { name, ok: false, detail: `cannot list ${name}: ${errorText(error)}` };
}

/** Where the RedisFailover is, and how to reach the API server. */
export interface KubeListOptions {
    /** Kubeconfig text; the default kubeconfig (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
    kubeconfig?: string;
    /** Namespace of the RedisFailover. */
    namespace: string;
    /** Name of the RedisFailover. */
    name: string;
    /** Deadline of each API call, in milliseconds (client-node 0.22's calls have none of their own). */
    apiTimeoutMs?: number;
}

/** How long one listing may take before the round counts it as failed. */
export const DEFAULT_API_TIMEOUT_MS = 10_000;

/** The client objects of the Kubernetes API, for listing and port-forwarding. */
export function kubeClients(options: KubeListOptions) {
    const { k8s, config } = loadKubeConfig(options.kubeconfig);
    return { core: config.makeApiClient(k8s.CoreV1Api), portForward: new k8s.PortForward(config) };
}

/** client-node and a KubeConfig from `kubeconfig` text, or the default kubeconfig when absent. */
export function loadKubeConfig(kubeconfig?: string) {
    // Required here, not imported: this runs in the process Pulumi serializes a provider into.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    if (kubeconfig) {
        config.loadFromString(kubeconfig);
    } else {
        config.loadFromDefault();
    }
    return { k8s, config };
}

/** Lists the RedisFailover's pods and Services by the operator's labels through `core`. */
export function kubeListers(core: import("@kubernetes/client-node").CoreV1Api, options: KubeListOptions) {
    const what = `RedisFailover ${options.namespace}/${options.name}`;
    const selector = podSelector(options.name);
    const deadline = options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    const listPods: PodLister = async () => {
        const list = await askApi(
            core.listNamespacedPod(options.namespace, undefined, undefined, undefined, undefined, selector),
            deadline,
            `listing the pods of ${what}`,
        );
        return list.body.items.flatMap((pod): PodInfo[] => {
            const component = pod.metadata?.labels?.[LABEL_COMPONENT];
            const name = pod.metadata?.name;
            // A pod being deleted is on its way out; its replacement is what counts.
            if (!name || pod.metadata?.deletionTimestamp || (component !== "redis" && component !== "sentinel")) return [];
            const ready = (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
            return [{ name, ip: pod.status?.podIP, component, phase: pod.status?.phase ?? "Unknown", ready }];
        });
    };
    const listServices: ServiceLister = async () => {
        const list = await askApi(
            core.listNamespacedService(options.namespace, undefined, undefined, undefined, undefined, selector),
            deadline,
            `listing the Services of ${what}`,
        );
        return list.body.items.map((service) => ({ name: service.metadata?.name ?? "", type: service.spec?.type ?? "ClusterIP" }));
    };
    return { listPods, listServices };
}

/** Refusals that waiting will not change (credentials, permissions): end the check at once. */
export function isPermanent(error: unknown): boolean {
    const status = (error as { statusCode?: number } | undefined)?.statusCode;
    return status === 401 || status === 403;
}

/** The API server's own message (`pods is forbidden: ...`) rather than the client's "HTTP request failed". */
export function kubeApiError(error: unknown, what: string): Error {
    const { statusCode, detail } = apiRefusal(error);
    const wrapped = new Error(`${what}: ${statusCode ? `${statusCode} ` : ""}${detail}`, { cause: error });
    return Object.assign(wrapped, { statusCode });
}

/** A client-node error's HTTP status and the API server's message (else the error's own). */
export function apiRefusal(error: unknown): { statusCode?: number; detail: string } {
    const { statusCode, body } = (error ?? {}) as { statusCode?: number; body?: { message?: string } };
    return { statusCode, detail: typeof body?.message === "string" ? body.message : errorText(error) };
}

/** One API call, under `ms` (client-node 0.22's calls have no deadline of their own), its failure named `what`. */
export function askApi<T>(call: Promise<T>, ms: number, what: string): Promise<T> {
    return withDeadline(call, ms, "the API server").catch((error: unknown) => {
        throw kubeApiError(error, what);
    });
}
