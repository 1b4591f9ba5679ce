// Zone preflight: a highly available stack's nodes of each purpose must sit in at least two
// availability zones. The config only knows subnet ids, so the zones are looked up (EC2
// DescribeSubnets) at preview, before anything is created, like the vCPU quota preflight.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NodeConfig } from "../config/types";
import { PROJECT } from "../facts/project";

/** The fewest availability zones a purpose's nodes may use in a highly available stack. */
export const MIN_ZONES = 2;

/** A purpose's node subnets and the zone of each. */
export type NodeZones = Record<string, Array<{ subnetId: string; zone: string }>>;

/** Why the zones do not hold a highly available layout (every purpose named), or undefined. */
export function nodeZonesProblem(zones: NodeZones): string | undefined {
    const problems = Object.entries(zones).flatMap(([purpose, nodes]) => {
        const distinct = [...new Set(nodes.map((node) => node.zone))];
        if (distinct.length >= MIN_ZONES) return [];
        const where = nodes.map((node) => `${node.subnetId} in ${node.zone}`).join(", ");
        return [
            `${PROJECT}:nodes.${purpose}: its ${nodes.length} nodes are in ${distinct.length} availability zone (${where}); ` +
                `a highly available stack needs them in at least ${MIN_ZONES} zones, so losing one zone keeps the group`,
        ];
    });
    return problems.length > 0 ? `zone preflight: ${problems.join("; ")}` : undefined;
}

/** Arguments of the zone preflight. */
export interface NodeZonesArgs {
    /** Nodes this stack manages. */
    nodes: NodeConfig[];
    /** The cluster's VPC: every subnet must be in it. */
    vpcId: string;
}

/** A subnet's zone and VPC (EC2 DescribeSubnets); a failed look-up names the subnet. */
export async function lookUpSubnet(subnetId: string, opts: pulumi.InvokeOptions = {}): Promise<aws.ec2.GetSubnetResult> {
    try {
        return await aws.ec2.getSubnet({ id: subnetId }, opts);
    } catch (error) {
        throw new pulumi.RunError(`cannot look up subnet ${subnetId} (its availability zone): ${(error as Error).message}`);
    }
}

async function lookUp(args: NodeZonesArgs, opts: pulumi.InvokeOptions): Promise<NodeZones> {
    const subnets = new Map<string, aws.ec2.GetSubnetResult>();
    for (const subnetId of new Set(args.nodes.map((node) => node.subnetId))) {
        subnets.set(subnetId, await lookUpSubnet(subnetId, opts));
    }
    const outside = [...subnets].filter(([, subnet]) => subnet.vpcId !== args.vpcId);
    if (outside.length > 0) {
        const list = outside.map(([id, subnet]) => `${id} is in ${subnet.vpcId}`).join(", ");
        throw new pulumi.RunError(`zone preflight: ${list}, not in the cluster's ${args.vpcId} (${PROJECT}:cluster.vpcId)`);
    }
    const zones: NodeZones = {};
    for (const node of args.nodes) {
        (zones[node.purpose] ??= []).push({ subnetId: node.subnetId, zone: subnets.get(node.subnetId)!.availabilityZone });
    }
    return zones;
}

/**
 * Looks up the zone of every node's subnet and checks each purpose spans at least two. The result
 * fails naming each purpose that does not; nodes wait on it, so nothing is created then.
 */
export function checkNodeZones(args: NodeZonesArgs, opts: pulumi.InvokeOptions = {}): pulumi.Output<NodeZones> {
    return pulumi.output(lookUp(args, opts)).apply((zones) => {
        const problem = nodeZonesProblem(zones);
        if (problem) {
            throw new pulumi.RunError(problem);
        }
        return zones;
    });
}
