// Reaching in-cluster Redis from outside the cluster: a local TCP port per sentinel and redis pod,
// forwarded through the Kubernetes API, and a `dial` that maps the pod addresses Sentinel reports
// to those local ports. The checks themselves are the same as for direct addresses.

import type { Socket } from "net";
import { componentPort, FailoverComponent, LABEL_COMPONENT, podSelector } from "../facts/operator";
import { Endpoint, errorText, Target } from "./connection";
import type { OpenTarget } from "./reach";

/** A pod port to forward. */
export interface PodEndpoint {
    /** Pod name. */
    pod: string;
    /** Pod IP, as Sentinel reports it. */
    ip: string;
    /** Container port (`componentPort(component)`). */
    port: number;
    /** `redis` or `sentinel`. */
    component: FailoverComponent;
}

/** Connects one accepted local socket to a pod port. */
export type Forwarder = (endpoint: PodEndpoint, socket: Socket) => void | Promise<void>;

/** Listens on a free local port per pod endpoint and forwards each connection with `forward`. */
export async function openForwardedTarget(
    endpoints: PodEndpoint[],
    forward: Forwarder,
    options: { password?: string; probeTimeoutMs?: number },
): Promise<OpenTarget> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require("net") as typeof import("net");
    const servers: import("net").Server[] = [];
    const sockets = new Set<Socket>();
    const local = new Map<string, Endpoint>();
    for (const endpoint of endpoints) {
        const server = net.createServer((socket) => {
            sockets.add(socket);
            socket.once("close", () => sockets.delete(socket));
            socket.on("error", () => socket.destroy());
            Promise.resolve(forward(endpoint, socket)).catch(() => socket.destroy());
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        servers.push(server);
        local.set(`${endpoint.ip}:${endpoint.port}`, { host: "127.0.0.1", port: (server.address() as import("net").AddressInfo).port });
    }
    const sentinels = endpoints.filter((e) => e.component === "sentinel").map((e) => local.get(`${e.ip}:${e.port}`)!);
    const target: Target = {
        sentinels,
        password: options.password,
        probeTimeoutMs: options.probeTimeoutMs,
        dial: (address) => {
            const mapped = local.get(`${address.host}:${address.port}`);
            if (!mapped) {
                throw new Error(`no pod of this RedisFailover has address ${address.host}:${address.port}`);
            }
            return mapped;
        },
    };
    const close = async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    };
    return { target, close };
}

/** Where the RedisFailover is and how to reach the API server. */
export interface KubeTargetOptions {
    /** Kubeconfig text; the default kubeconfig (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
    kubeconfig?: string;
    /** Namespace of the RedisFailover. */
    namespace: string;
    /** Name of the RedisFailover. */
    name: string;
    /** Redis password. */
    password?: string;
    /** Deadline of each network call, in milliseconds. */
    probeTimeoutMs?: number;
}

/** Lists the RedisFailover's running pods and forwards their ports through the Kubernetes API. */
export async function openKubeTarget(options: KubeTargetOptions): Promise<OpenTarget> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    if (options.kubeconfig) {
        config.loadFromString(options.kubeconfig);
    } else {
        config.loadFromDefault();
    }
    const core = config.makeApiClient(k8s.CoreV1Api);
    const pods = await core
        .listNamespacedPod(options.namespace, undefined, undefined, undefined, "status.phase=Running", podSelector(options.name))
        .catch((error: unknown) => {
            throw kubeApiError(error, `listing the pods of RedisFailover ${options.namespace}/${options.name}`);
        });
    const endpoints: PodEndpoint[] = pods.body.items.flatMap((pod): PodEndpoint[] => {
        const component = pod.metadata?.labels?.[LABEL_COMPONENT];
        const ip = pod.status?.podIP;
        if (!ip || !pod.metadata?.name || (component !== "redis" && component !== "sentinel")) return [];
        return [{ pod: pod.metadata.name, ip, port: componentPort(component), component }];
    });
    if (!endpoints.some((e) => e.component === "sentinel")) {
        throw new Error(`no running sentinel pod of RedisFailover ${options.namespace}/${options.name}`);
    }
    const portForward = new k8s.PortForward(config);
    return openForwardedTarget(
        endpoints,
        (endpoint, socket) =>
            portForward.portForward(options.namespace, endpoint.pod, [endpoint.port], socket, null, socket).then(() => undefined),
        options,
    );
}

/** The API server's own message (`pods is forbidden: ...`) rather than the client's "HTTP request failed". */
function kubeApiError(error: unknown, what: string): Error {
    const { statusCode, body } = (error ?? {}) as { statusCode?: number; body?: { message?: string } };
    const detail = typeof body?.message === "string" ? body.message : errorText(error);
    return new Error(`${what}: ${statusCode ? `${statusCode} ` : ""}${detail}`, { cause: error });
}
