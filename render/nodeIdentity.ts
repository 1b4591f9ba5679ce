// What a managed node is called and tagged, and which image it boots: pure, from the node's
// settings (the RedisNode component uses them; tests and the plan call them directly).

import { PROJECT } from "../facts/project";

/** Canonical's AWS account, owner of the official Ubuntu images. */
export const CANONICAL_OWNER_ID = "099720109477";
/** Value of the `managed-by` tag on everything this program creates in EC2. */
export const MANAGED_BY = PROJECT;

/** The start of the node names of a purpose's nodes, and the EC2 Name tag of its first. */
export function purposeName(prefix: string, purpose: string): string {
    return `${prefix}-${purpose}`;
}

/**
 * The name of the component (and the start of its resources' names) of a purpose's node at
 * `index` in `nodes.<purpose>`: `auth-node` for the first, as when a purpose had one node, so an
 * existing stack keeps its node; then `auth-node-2`, `auth-node-3`. A node is known by its position:
 * add nodes at the end of the list.
 */
export function nodeComponentName(purpose: string, index: number): string {
    return index === 0 ? `${purpose}-node` : `${purpose}-node-${index + 1}`;
}

/** What a plan shows for the part of a node name that comes from the instance id. */
export const INSTANCE_SUFFIX_PATTERN = "<last 8 of instance id>";

/**
 * Kubernetes name of the node an instance becomes: `<prefix>-<purpose>-<last 8 hex digits of the
 * instance id>`, e.g. `k8s-redis-auth-89abcdef`. Each instance gets its own name, so a replacement
 * joins beside the node it replaces: kubeadm refuses a join under the name of a Ready node
 * (kubernetes/kubernetes cmd/kubeadm/app/cmd/phases/join/kubelet.go). Where the id is not known
 * yet (an offline plan), the pattern is shown.
 */
export function nodeName(prefix: string, purpose: string, instanceId: string): string {
    const hex = /^i-([0-9a-f]{8,17})$/.exec(instanceId)?.[1];
    return `${purposeName(prefix, purpose)}-${hex ? hex.slice(-8) : INSTANCE_SUFFIX_PATTERN}`;
}

/** Graviton instance types (`t4g`, `m7g`, `c6gn`...) need arm64 images. */
export function amiArchitecture(instanceType: string): "arm64" | "amd64" {
    const family = instanceType.split(".")[0];
    return /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) && !/^(g\d|p\d)/.test(family) ? "arm64" : "amd64";
}

/** The name filter of the newest Ubuntu 22.04 server image for an architecture. */
export function ubuntuImageNameFilter(architecture: "arm64" | "amd64"): string {
    return `ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-${architecture}-server-*`;
}

/** Tags that let anyone find every node (and any orphan) of a stack; Name `<prefix>-<purpose>`, `-2`... after the first. */
export function nodeTags(prefix: string, purpose: string, stack: string, index = 0): Record<string, string> {
    const name = purposeName(prefix, purpose) + (index === 0 ? "" : `-${index + 1}`);
    return { Name: name, stack, purpose, "managed-by": MANAGED_BY };
}
