// Reaching in-cluster Redis from outside the cluster: a local TCP port per sentinel and redis pod,
// forwarded through the Kubernetes API, and a `dial` that maps the pod addresses Sentinel reports
// to those local ports. The checks themselves are the same as for direct addresses.
//
// Every round lists the pods again: forwards open for new or moved pods (a restarted pod has a new
// IP) and close for pods that are gone; pods not there yet are part of waiting (./cluster.ts).

import type { Socket } from "net";
import type { FailoverComponent } from "../facts/operator";
import {
    isPermanent,
    kubeClients,
    KubeListOptions,
    kubeListers,
    listingFailed,
    PodInfo,
    PodLister,
    podPort,
    podsCheck,
    reachable,
    ServiceLister,
    servicesCheck,
} from "./cluster";
import { Endpoint, Target } from "./connection";
import type { Member, Membership } from "./membership";
import type { KubeCheckOptions, OpenTarget, Round } from "./reach";
import { CheckResult, FORWARD_CHECK_NAME } from "./report";
import type { Expectations } from "./rules";

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

/** Connects one accepted local socket to a pod port; `report` records what the far end said went wrong. */
export type Forwarder = (endpoint: PodEndpoint, socket: Socket, report: (message: string) => void) => void | Promise<void>;

/** Local listeners, one per pod endpoint, kept in step with the pods by `sync`. */
export interface ForwardPool {
    /** Opens listeners for endpoints not yet forwarded, closes those of endpoints no longer given. */
    sync(endpoints: PodEndpoint[]): Promise<void>;
    /** The local address forwarding to a pod address (`ip:port`), if any. */
    local(address: Endpoint): Endpoint | undefined;
    /** What the forwards reported since the last call (the kubelet's errors), and forgets it. */
    failures(): string[];
    /** Closes every listener and connection. */
    close(): Promise<void>;
}

/** A pool of local listeners forwarding each accepted connection with `forward`. */
export function forwardPool(forward: Forwarder): ForwardPool {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require("net") as typeof import("net");
    type Listener = { endpoint: PodEndpoint; server: import("net").Server; sockets: Set<Socket>; local: Endpoint };
    const open = new Map<string, Listener>();
    let reported: string[] = [];
    const report = (message: string) => {
        if (!reported.includes(message)) reported.push(message);
    };
    // A pod that moves keeps its name and changes its address: both make the key.
    const keyOf = (e: PodEndpoint) => `${e.pod} ${e.ip}:${e.port}`;
    const listen = async (endpoint: PodEndpoint): Promise<Listener> => {
        const sockets = new Set<Socket>();
        const server = net.createServer((socket) => {
            sockets.add(socket);
            socket.once("close", () => sockets.delete(socket));
            socket.on("error", () => socket.destroy());
            Promise.resolve(forward(endpoint, socket, report)).catch(() => socket.destroy());
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        return { endpoint, server, sockets, local: { host: "127.0.0.1", port: (server.address() as import("net").AddressInfo).port } };
    };
    const stop = (listener: Listener) => {
        for (const socket of listener.sockets) socket.destroy();
        return new Promise((resolve) => listener.server.close(resolve));
    };
    return {
        async sync(endpoints) {
            const wanted = new Map(endpoints.map((e) => [keyOf(e), e]));
            const gone = [...open].filter(([key]) => !wanted.has(key));
            for (const [key] of gone) open.delete(key);
            await Promise.all(gone.map(([, listener]) => stop(listener)));
            for (const [key, endpoint] of wanted) {
                if (!open.has(key)) open.set(key, await listen(endpoint));
            }
        },
        local(address) {
            const found = [...open.values()].filter((l) => l.endpoint.ip === address.host && l.endpoint.port === address.port);
            return found[found.length - 1]?.local;
        },
        failures() {
            const seen = reported;
            reported = [];
            return seen;
        },
        async close() {
            const all = [...open.values()];
            open.clear();
            await Promise.all(all.map(stop));
        },
    };
}

/**
 * The members of a round: every pod that holds its address (a Failed or Succeeded pod has given
 * its IP back, and another pod may have it now), with the local port it is forwarded to, if any.
 */
function podMembers(
    pool: ForwardPool,
    pods: Array<{ ip: string; port: number; component: PodEndpoint["component"] }>,
    of: string,
): Membership {
    return {
        of,
        members: pods.map((pod): Member => {
            const address = { host: pod.ip, port: pod.port };
            const local = pool.local(address);
            return { address, component: pod.component, ...(local ? { local } : {}) };
        }),
    };
}

/** The target of a round over the pool: forwarded sentinels, and a `dial` for the pod addresses. */
function forwardedTarget(
    pool: ForwardPool,
    sentinels: PodEndpoint[],
    options: { password?: string; probeTimeoutMs?: number },
    membership: Membership,
): Target {
    return {
        sentinels: sentinels.map((e) => pool.local({ host: e.ip, port: e.port })!),
        password: options.password,
        probeTimeoutMs: options.probeTimeoutMs,
        membership,
        dial: (address) => {
            const mapped = pool.local(address);
            if (!mapped) {
                throw new Error(`no pod of this RedisFailover has address ${address.host}:${address.port}`);
            }
            return mapped;
        },
    };
}

/** Forwards a fixed set of pod endpoints; every round runs against them. */
export async function openForwardedTarget(
    endpoints: PodEndpoint[],
    forward: Forwarder,
    options: { password?: string; probeTimeoutMs?: number },
): Promise<OpenTarget & { target: Target }> {
    const pool = forwardPool(forward);
    await pool.sync(endpoints);
    const target = forwardedTarget(
        pool,
        endpoints.filter((e) => e.component === "sentinel"),
        options,
        podMembers(pool, endpoints, "a forwarded pod"),
    );
    return { target, round: async () => ({ target }), close: () => pool.close() };
}

/** What a target over the pods of one RedisFailover needs. */
export interface PodTargetOptions extends KubeCheckOptions {
    /** Name of the RedisFailover (its Services are named after it). */
    name: string;
    /** The current pods, each round. */
    listPods: PodLister;
    /** The current Services, each round. */
    listServices: ServiceLister;
    /** Connects a local socket to a pod port. */
    forward: Forwarder;
    /** Redis password. */
    password?: string;
    /** Deadline of each network call, in milliseconds. */
    probeTimeoutMs?: number;
}

/**
 * A target over the pods of a RedisFailover, re-read each round: `pods` and `services` checks, and
 * the servers' checks through forwards to the running pods (none while no sentinel pod runs).
 */
export function openPodTarget(options: PodTargetOptions): OpenTarget {
    const pool = forwardPool(options.forward);
    const attempt = async <T>(list: () => Promise<T>): Promise<{ value: T } | { error: unknown }> => {
        try {
            return { value: await list() };
        } catch (error) {
            if (isPermanent(error)) throw error;
            return { error };
        }
    };
    return {
        async round(expected: Expectations): Promise<Round> {
            const [pods, services] = await Promise.all([attempt(options.listPods), attempt(options.listServices)]);
            const checks: CheckResult[] = [
                "value" in pods ? podsCheck(pods.value, expected) : listingFailed("pods", pods.error),
                "value" in services
                    ? servicesCheck(services.value, options.name, options.allowExternalServices ?? false)
                    : listingFailed("services", services.error),
            ];
            const endpoints = ("value" in pods ? pods.value : [])
                .filter(reachable)
                .map((pod: PodInfo): PodEndpoint => ({ pod: pod.name, ip: pod.ip!, port: podPort(pod), component: pod.component }));
            // Only when the pods could be listed: a failed listing says nothing about the forwards.
            if ("value" in pods) await pool.sync(endpoints);
            const sentinels = endpoints.filter((e) => e.component === "sentinel");
            const holding = ("value" in pods ? pods.value : []).filter((pod) => pod.ip && !["Failed", "Succeeded"].includes(pod.phase));
            const members = holding.map((pod) => ({ ip: pod.ip!, port: podPort(pod), component: pod.component }));
            const target = forwardedTarget(pool, sentinels, options, podMembers(pool, members, `a pod of ${options.name}`));
            if (!("value" in pods)) return { target, checks, stop: "the pods could not be listed" };
            pool.failures(); // what earlier rounds' forwards reported is theirs
            const after = (): CheckResult[] => {
                const failed = pool.failures();
                return failed.length ? [{ name: FORWARD_CHECK_NAME, ok: false, detail: `the kubelet said: ${failed.join("; ")}` }] : [];
            };
            return sentinels.length ? { target, checks, after } : { target, checks, stop: "no sentinel pod running" };
        },
        close: () => pool.close(),
    };
}

/** Where the RedisFailover is, how to reach the API server, and what to check. */
export interface KubeTargetOptions extends KubeListOptions, KubeCheckOptions {
    /** Redis password. */
    password?: string;
    /** Deadline of each network call, in milliseconds. */
    probeTimeoutMs?: number;
}

/**
 * Forwards through the API server's portforward subresource. The kubelet's error channel (say,
 * `error forwarding port 6379 to pod ...: connection refused`) is reported and ends the connection,
 * rather than being dropped, which left only a timeout to see.
 */
export function kubeForwarder(
    portForward: Pick<import("@kubernetes/client-node").PortForward, "portForward">,
    namespace: string,
): Forwarder {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Writable } = require("stream") as typeof import("stream");
    return (endpoint, socket, report) => {
        const kubelet = new Writable({
            write(chunk: Buffer, _encoding, done) {
                const text = chunk.toString("utf8").trim();
                if (text) {
                    report(`${endpoint.pod}:${endpoint.port}: ${text}`);
                    socket.destroy();
                }
                done();
            },
        });
        return portForward.portForward(namespace, endpoint.pod, [endpoint.port], socket, kubelet, socket).then(() => undefined);
    };
}

/** Reads the RedisFailover's pods and Services through the Kubernetes API each round, forwards its pods' ports. */
export async function openKubeTarget(options: KubeTargetOptions): Promise<OpenTarget> {
    const { core, portForward } = kubeClients(options);
    return openPodTarget({ ...options, ...kubeListers(core, options), forward: kubeForwarder(portForward, options.namespace) });
}
