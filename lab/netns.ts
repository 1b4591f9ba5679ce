// Linux network namespaces as lab nodes (iproute2's `ip netns`): a bridge of this machine's own,
// addressed 10.213.0.1/24 in the root namespace, and per node a namespace joined to it by a veth
// pair, with its own address on that /24 and no other route. Nothing is forwarded or routed
// anywhere else. A node's "link" is the bridge end of its pair: down, the node keeps its address
// and its processes keep talking to each other inside it, but nothing reaches it or leaves it.
//
// Names carry this process's id (bridge rhb<pid>, namespaces rh-<pid>-n<k>, links rhv<pid>n<k>),
// so leftovers of a lab whose process died are recognised and removed by the next one.

import { spawnSync } from "child_process";
import { isAlive } from "./redisLab";

/** The lab's /24 (private, on this machine's bridge only). */
export const SUBNET = "10.213.0";
/** This machine's own address on the bridge: where the tests and drills reach the nodes from. */
export const BRIDGE_ADDRESS = `${SUBNET}.1`;

/** A node: a network namespace with one address. */
export interface NetnsNode {
    /** node-1, node-2, ... */
    name: string;
    /** Its network namespace. */
    netns: string;
    /** The bridge end of its veth pair, in the root namespace. */
    link: string;
    /** Its address on the bridge. */
    address: string;
}

/** A bridge and its nodes. */
export interface Network {
    bridge: string;
    nodes: NetnsNode[];
}

function ip(args: string[]): string {
    const result = spawnSync("ip", args, { encoding: "utf8" });
    if (result.error) {
        throw new Error(`ip ${args.join(" ")}: ${result.error.message}`);
    }
    if (result.status !== 0) {
        throw new Error(`ip ${args.join(" ")}: ${result.stderr.trim() || `exit ${result.status}`}`);
    }
    return result.stdout;
}

function quietly(work: () => unknown): void {
    try {
        work();
    } catch {
        // already gone
    }
}

/** Why nodes cannot be made here (not root, no iproute2, namespaces refused), or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
    if (process.platform !== "linux") return `network namespaces are Linux only (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return "network namespaces need root (ip netns add)";
    const version = spawnSync("ip", ["-V"], { encoding: "utf8" });
    if (version.error || version.status !== 0) return "iproute2 is not installed (the `ip` command; Debian package iproute2)";
    const probe = `rh-${process.pid}-probe`;
    try {
        ip(["netns", "add", probe]);
    } catch (error) {
        return `ip netns add failed: ${(error as Error).message}`;
    } finally {
        quietly(() => ip(["netns", "del", probe]));
    }
    return undefined;
}

/** Process ids running in a namespace. */
export function namespacePids(netns: string): number[] {
    try {
        return ip(["netns", "pids", netns])
            .split("\n")
            .filter((line) => /^\d+$/.test(line.trim()))
            .map(Number);
    } catch {
        return [];
    }
}

/** SIGKILLs every process in the namespace; returns their ids. */
export function killNamespace(netns: string): number[] {
    const pids = namespacePids(netns);
    for (const pid of pids) {
        for (const signal of ["SIGCONT", "SIGKILL"] as const) quietly(() => process.kill(pid, signal));
    }
    return pids;
}

// A deleted namespace can outlive `ip netns del` in the kernel, and its veth pair with it: links
// are deleted explicitly (one end takes the other).
function removeLab(owner: number): void {
    for (const line of ip(["netns", "list"]).split("\n")) {
        const netns = line.split(" ")[0];
        if (netns.startsWith(`rh-${owner}-`)) {
            killNamespace(netns);
            quietly(() => ip(["netns", "del", netns]));
        }
    }
    for (const match of ip(["-o", "link", "show"]).matchAll(new RegExp(`^\\d+: (rhv${owner}n\\d+)[:@]`, "gm"))) {
        quietly(() => ip(["link", "del", match[1]]));
    }
    quietly(() => ip(["link", "del", `rhb${owner}`]));
}

/** Removes namespaces and bridges left by labs whose process is gone; returns their owners' ids. */
export function sweepStale(): number[] {
    const owners = new Set<number>();
    for (const match of ip(["netns", "list"]).matchAll(/^rh-(\d+)-/gm)) owners.add(Number(match[1]));
    for (const match of ip(["-o", "link", "show"]).matchAll(/^\d+: rh[bv](\d+)(n\d+)?[:@]/gm)) owners.add(Number(match[1]));
    const stale = [...owners].filter((owner) => owner !== process.pid && !isAlive(owner));
    stale.forEach(removeLab);
    return stale;
}

let cleanupRegistered = false;

/** Makes the bridge and `count` nodes (at most 200). Removes what it made when any step fails. */
export function createNetwork(count: number): Network {
    if (count < 1 || count > 200) throw new Error(`lab of nodes: ${count} nodes; 1 to 200 fit the /24`);
    sweepStale();
    const holder = ip(["-o", "-4", "addr", "show"])
        .split("\n")
        .find((line) => line.includes(` ${BRIDGE_ADDRESS}/`));
    if (holder) {
        throw new Error(`lab of nodes: ${BRIDGE_ADDRESS} is already in use (${holder.split(/\s+/)[1]}); another lab of nodes runs here`);
    }
    const bridge = `rhb${process.pid}`;
    const network: Network = { bridge, nodes: [] };
    if (!cleanupRegistered) {
        cleanupRegistered = true;
        // Namespaces and the bridge go with this process, even when a test fails before its hook.
        process.once("exit", () => quietly(() => removeLab(process.pid)));
        for (const [signal, code] of [
            ["SIGINT", 130],
            ["SIGTERM", 143],
        ] as const) {
            process.once(signal, () => process.exit(code)); // through the exit handlers
        }
    }
    try {
        ip(["link", "add", bridge, "type", "bridge"]);
        ip(["addr", "add", `${BRIDGE_ADDRESS}/24`, "dev", bridge]);
        ip(["link", "set", bridge, "up"]);
        for (let k = 1; k <= count; k++) {
            const node: NetnsNode = {
                name: `node-${k}`,
                netns: `rh-${process.pid}-n${k}`,
                link: `rhv${process.pid}n${k}`,
                address: `${SUBNET}.${10 + k}`,
            };
            ip(["netns", "add", node.netns]);
            network.nodes.push(node);
            ip(["link", "add", node.link, "type", "veth", "peer", "name", "eth0", "netns", node.netns]);
            ip(["link", "set", node.link, "master", bridge, "up"]);
            ip(["-n", node.netns, "addr", "add", `${node.address}/24`, "dev", "eth0"]);
            ip(["-n", node.netns, "link", "set", "eth0", "up"]);
            ip(["-n", node.netns, "link", "set", "lo", "up"]);
        }
        return network;
    } catch (error) {
        destroyNetwork(network);
        throw error;
    }
}

/** Takes a node's link down (partition) or up again (heal). */
export function setLink(node: NetnsNode, state: "up" | "down"): void {
    ip(["link", "set", node.link, state]);
}

/** Kills every process in every node, deletes the namespaces and the bridge. */
export function destroyNetwork(network: Network): void {
    for (const node of network.nodes) {
        killNamespace(node.netns);
        quietly(() => ip(["link", "del", node.link]));
        quietly(() => ip(["netns", "del", node.netns]));
    }
    quietly(() => ip(["link", "del", network.bridge]));
}

/** The argv that runs `command` inside a node. */
export function inNode(node: NetnsNode, command: string[]): string[] {
    return ["ip", "netns", "exec", node.netns, ...command];
}
