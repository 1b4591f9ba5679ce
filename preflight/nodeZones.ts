// Zone preflight: a highly available stack's nodes of each purpose must sit in at least two
// availability zones, and the zone spread (render/placement.ts) must be able to place every redis and
// sentinel on them. The config only knows subnet ids, so the zones are looked up (EC2
// DescribeSubnets) at preview, before anything is created, like the vCPU quota preflight.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { InstanceConfig, NodeConfig } from "../config/types";
import { PROJECT } from "../facts/project";
import { zoneSpreadProblem } from "../render/placement";

/** The fewest availability zones a purpose's nodes may use in a highly available stack. */
export const MIN_ZONES = 2;

/** A purpose's node subnets and the zone of each. */
export type NodeZones = Record<string, Array<{ subnetId: string; zone: string }>>;

/** An instance's pod counts, which the zone spread must place on its purpose's nodes. */
export type SpreadInstance = Pick<InstanceConfig, "purpose"> & { redis: { replicas: number }; sentinel: { replicas: number } };

/** What the zones are checked against: the stack's HA promise and its instances. */
export interface ZoneRules {
    /** At least two zones per purpose. */
    highlyAvailable: boolean;
    /** Each purpose's redis and sentinels must all fit the zone spread. */
    instances: SpreadInstance[];
}

/** The zone spread's verdict on one purpose's redis and sentinels, each naming its key. */
function spreadProblems(purpose: string, nodes: NodeZones[string], instances: SpreadInstance[]): string[] {
    const instance = instances.find((candidate) => candidate.purpose === purpose);
    if (!instance) return [];
    const perZone: Record<string, number> = {};
    for (const node of nodes) perZone[node.zone] = (perZone[node.zone] ?? 0) + 1;
    const { redis, sentinel } = instance;
    return [
        ["redis", zoneSpreadProblem(redis.replicas, `${redis.replicas} redis`, perZone)],
        ["sentinel", zoneSpreadProblem(sentinel.replicas, `${sentinel.replicas} sentinels`, perZone, (count) => count % 2 === 1)],
    ].flatMap(([part, why]) => (why ? [`${PROJECT}:instances.${purpose}.${part}.replicas: ${why} (${PROJECT}:nodes.${purpose})`] : []));
}

/** Why the zones do not hold the stack's layout (every purpose and key named), or undefined. */
export function nodeZonesProblem(zones: NodeZones, rules: ZoneRules): string | undefined {
    const problems = Object.entries(zones).flatMap(([purpose, nodes]) => {
        const distinct = [...new Set(nodes.map((node) => node.zone))];
        const spread = spreadProblems(purpose, nodes, rules.instances);
        if (!rules.highlyAvailable || distinct.length >= MIN_ZONES) return spread;
        const where = nodes.map((node) => `${node.subnetId} in ${node.zone}`).join(", ");
        return [
            `${PROJECT}:nodes.${purpose}: its ${nodes.length} nodes are in ${distinct.length} availability zone (${where}); ` +
                `a highly available stack needs them in at least ${MIN_ZONES} zones, so losing one zone keeps the group`,
            ...spread,
        ];
    });
    return problems.length > 0 ? `zone preflight: ${problems.join("; ")}` : undefined;
}

/** Arguments of the zone preflight. */
export interface NodeZonesArgs extends ZoneRules {
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
 * Looks up the zone of every node's subnet and checks each purpose spans at least two (highly
 * available stacks) and that the zone spread places all its pods. The result fails naming each key
 * that does not hold; nodes wait on it, so nothing is created then.
 */
export function checkNodeZones(args: NodeZonesArgs, opts: pulumi.InvokeOptions = {}): pulumi.Output<NodeZones> {
    return pulumi.output(lookUp(args, opts)).apply((zones) => {
        const problem = nodeZonesProblem(zones, args);
        if (problem) {
            throw new pulumi.RunError(problem);
        }
        return zones;
    });
}
