// A lab of nodes: each node a Linux network namespace with its own address (lab/netns.ts), the
// groups' redis and sentinel processes started inside them exactly as the 127.0.0.1 lab starts
// them (the operator's config, command line and check loop), placed by anti-affinity: never two
// redis or two sentinels of a group on one node. Every server listens on the operator's ports
// (REDIS_PORT and SENTINEL_PORT; the next group on each plus one, ...). Node loss and partitions are then real:
//
// - node loss: its link down and every process of the node SIGKILLed;
// - partition: its link down while its processes, and any client started in it, keep running.
//
// Where namespaces cannot be made (not root, no iproute2, `ip netns add` refused), the groups
// start on 127.0.0.1 instead, with a message saying so, and `isolated` is false.

import { spawn, ChildProcess } from "child_process";
import * as fs from "fs";
import { REDIS_PORT, SENTINEL_PORT } from "../facts/operator";
import { createNetwork, destroyNetwork, inNode, killNamespace, namespacesUnavailable, NetnsNode, Network, setLink } from "./netns";
import { GroupSpec, LabGroup, LabServer, Placement, startGroup, stopGroup, whenGone } from "./redisLab";

/** A node of the lab. */
export type LabNode = NetnsNode;

/** A started lab of nodes. */
export interface NodeLab {
    /** Whether the groups run in namespaces (false: the 127.0.0.1 fallback, no faults of nodes). */
    isolated: boolean;
    /** Why not, when not isolated. */
    fallbackReason?: string;
    /** The nodes (none in the fallback). */
    nodes: LabNode[];
    /** One per spec, in order. */
    groups: LabGroup[];
    /** Where it keeps configs, data and logs. */
    root: string;
    network?: Network;
}

/** Node index (0-based) of each redis and each sentinel: one of each per node, round the nodes. */
export function antiAffinity(nodeCount: number, redisCount: number, sentinelCount: number): { redis: number[]; sentinels: number[] } {
    for (const [what, count] of [
        ["redis", redisCount],
        ["sentinels", sentinelCount],
    ] as const) {
        if (count > nodeCount) {
            throw new Error(`lab of nodes: ${count} ${what} need ${count} nodes (anti-affinity: never two on one node), only ${nodeCount}`);
        }
    }
    return { redis: [...Array(redisCount).keys()], sentinels: [...Array(sentinelCount).keys()] };
}

/**
 * Starts `nodeCount` nodes and the groups on them. `onFallback` receives the message when
 * namespaces are unavailable (the groups then start on 127.0.0.1); `unavailable` forces that.
 */
export async function startNodeLab(
    specs: GroupSpec[],
    nodeCount: number,
    root: string,
    options: { onFallback?: (message: string) => void; unavailable?: string } = {},
): Promise<NodeLab> {
    const reason = options.unavailable ?? namespacesUnavailable();
    const onFallback = options.onFallback ?? ((message: string) => console.error(message));
    if (reason) {
        onFallback(`lab of nodes: ${reason}; falling back to the 127.0.0.1 lab, where node loss and partitions cannot be shown`);
        const groups: LabGroup[] = [];
        try {
            for (const spec of specs) groups.push(await startGroup(spec, root, { readyTimeoutMs: 30_000 }));
        } catch (error) {
            await Promise.all(groups.map(stopGroup));
            throw error;
        }
        return { isolated: false, fallbackReason: reason, nodes: [], groups, root };
    }
    const placements = specs.map((spec) => antiAffinity(nodeCount, spec.redisCount, spec.sentinelCount));
    const network = createNetwork(nodeCount);
    const lab: NodeLab = { isolated: true, nodes: network.nodes, groups: [], root, network };
    try {
        for (const [g, spec] of specs.entries()) {
            const placement = placements[g];
            const place = (kind: "redis" | "sentinel", index: number): Placement => {
                const node = network.nodes[kind === "redis" ? placement.redis[index] : placement.sentinels[index]];
                return { host: node.address, netns: node.netns };
            };
            const ports = {
                redis: Array(spec.redisCount).fill(REDIS_PORT + g),
                sentinels: Array(spec.sentinelCount).fill(SENTINEL_PORT + g),
            };
            lab.groups.push(await startGroup({ ...spec, ports }, root, { place, readyTimeoutMs: 30_000 }));
        }
        return lab;
    } catch (error) {
        await stopNodeLab(lab);
        throw error;
    }
}

/** The node a server runs on. */
export function nodeOf(lab: NodeLab, server: LabServer): LabNode {
    const node = lab.nodes.find((n) => n.netns === server.netns);
    if (!node) throw new Error(`lab of nodes: ${server.host}:${server.port} runs on no node`);
    return node;
}

/**
 * Node loss: its link down, then every process of the node SIGKILLed (in that order, so no FIN or
 * RST leaves it: peers learn of the loss only by timeouts, as when a machine dies). Resolves once
 * they are gone.
 */
export async function loseNode(node: LabNode): Promise<void> {
    setLink(node, "down");
    const pids = killNamespace(node.netns);
    await whenGone(pids);
}

/** Partition: the node's link down; its processes keep running and talking to each other. */
export function partitionNode(node: LabNode): void {
    setLink(node, "down");
}

/** Ends a partition. */
export function healNode(node: LabNode): void {
    setLink(node, "up");
}

const clients = new Set<ChildProcess>();
process.once("exit", () => clients.forEach((child) => child.kill("SIGKILL")));

/** Starts a command inside a node (a client beside its servers); stdout and stderr to `logFile`. */
export function spawnInNode(node: LabNode, command: string[], logFile: string): ChildProcess {
    const log = fs.openSync(logFile, "a");
    const [file, ...args] = inNode(node, command);
    const child = spawn(file, args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    clients.add(child);
    child.once("exit", () => clients.delete(child));
    return child;
}

/** Stops every group and client, and removes the namespaces and the bridge. */
export async function stopNodeLab(lab: NodeLab): Promise<void> {
    for (const child of clients) child.kill("SIGKILL");
    await Promise.all(lab.groups.map(stopGroup));
    if (lab.network) destroyNetwork(lab.network);
}
