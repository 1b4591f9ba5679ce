// Memory preflight: the pods of each purpose must fit the memory of its managed nodes, or the ones
// left over stay Pending for ever (and a Pending pod stops the operator's pass). Config knows the
// instance types but not their memory, so each is looked up (EC2 DescribeInstanceTypes) at preview.
// A node's allocatable memory is less than its instance's (the kernel's share and the kubelet's
// eviction threshold come off), so a group refused here could never run; one that passes may still
// need a look at `kubectl describe node`.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { formatBytes } from "../config/schema/instances";
import { InstanceConfig, NodeConfig } from "../config/types";
import { PROJECT } from "../facts/project";
import { podMemory, PodMemory } from "../render/podMemory";

const MIB = 1024 ** 2;

/** A node of a purpose and its instance type's memory. */
export interface NodeMemory {
    instanceType: string;
    memoryMiB: number;
}

/** Why a purpose's pods cannot fit its nodes' memory, one problem per key, or none. */
export function nodeMemoryProblems(purpose: string, nodes: NodeMemory[], pods: PodMemory[]): string[] {
    if (nodes.length === 0) return [];
    const largest = nodes.reduce((best, node) => (node.memoryMiB > best.memoryMiB ? node : best));
    const problems = pods
        .filter((pod) => pod.count > 0 && pod.bytes > largest.memoryMiB * MIB)
        .map(
            (pod) =>
                `${PROJECT}:${pod.key}: one ${pod.part} pod requests ${formatBytes(pod.bytes)} (${pod.detail}), more than the ` +
                `${largest.memoryMiB} MiB of the largest node of ${PROJECT}:nodes.${purpose} (${largest.instanceType}), before ` +
                `the kubelet's share: it would stay Pending`,
        );
    if (problems.length > 0) return problems;
    const requested = pods.reduce((sum, pod) => sum + pod.count * pod.bytes, 0);
    const memory = nodes.reduce((sum, node) => sum + node.memoryMiB * MIB, 0);
    if (requested <= memory) return [];
    const types = [...new Set(nodes.map((node) => node.instanceType))].join(", ");
    const parts = pods.map((pod) => `${pod.count} ${pod.part} × ${formatBytes(pod.bytes)}`).join(" + ");
    return [
        `${PROJECT}:nodes.${purpose}: its ${nodes.length} node(s) (${types}) have ${formatBytes(memory)} before the kubelet's ` +
            `share, but the group's pods request ${formatBytes(requested)} (${parts}): some would stay Pending; use a larger ` +
            `instance type, more nodes or smaller requests`,
    ];
}

/** Arguments of the memory preflight. */
export interface NodeMemoryArgs {
    /** Nodes this stack manages. */
    nodes: NodeConfig[];
    /** The instances whose pods run on them. */
    instances: InstanceConfig[];
    /** Alerts on: each sentinel pod runs an exporter too. */
    alerts: boolean;
}

async function measure(args: NodeMemoryArgs, opts: pulumi.InvokeOptions): Promise<string[]> {
    const memory = new Map<string, number>();
    for (const instanceType of new Set(args.nodes.map((node) => node.instanceType))) {
        memory.set(instanceType, (await aws.ec2.getInstanceType({ instanceType }, opts)).memorySize);
    }
    return args.instances.flatMap((instance) => {
        const nodes = args.nodes
            .filter((node) => node.purpose === instance.purpose)
            .map((node) => ({ instanceType: node.instanceType, memoryMiB: memory.get(node.instanceType)! }));
        return nodeMemoryProblems(instance.purpose, nodes, podMemory(instance, args.alerts));
    });
}

/** Looks up each node type's memory and fails naming every key whose pods cannot fit; nodes wait on it. */
export function checkNodeMemory(args: NodeMemoryArgs, opts: pulumi.InvokeOptions = {}): pulumi.Output<void> {
    return pulumi.output(measure(args, opts)).apply((problems) => {
        if (problems.length > 0) throw new pulumi.RunError(`memory preflight: ${problems.join("; ")}`);
    });
}
