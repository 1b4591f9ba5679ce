// vCPU quota preflight: the planned nodes plus the account's running On-Demand instances must fit
// the Standard On-Demand vCPU quota, checked at preview, before anything is created.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { NodeConfig } from "../config/types";
import { MANAGED_BY } from "../render/nodeIdentity";

/** Service Quotas code of "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", in vCPUs. */
export const STANDARD_ON_DEMAND_VCPU_QUOTA = "L-1216C47A";

/** Whether an instance type counts against the Standard On-Demand quota (not G, P, X, Inf, Trn, DL...). */
export function isStandardFamily(instanceType: string): boolean {
    const family = instanceType.split(".")[0];
    return /^[acdhimrtz]/.test(family) && !/^(inf|dl|trn|hpc|mac)/.test(family);
}

/** The three numbers the check compares. */
export interface VcpuQuotaFigures {
    /** vCPUs of this stack's nodes. */
    plannedVcpus: number;
    /** vCPUs of running On-Demand Standard instances that are not this stack's nodes. */
    runningVcpus: number;
    /** The account's quota. */
    quotaVcpus: number;
}

/** Why the figures do not fit, or undefined when they do. */
export function vcpuQuotaProblem(figures: VcpuQuotaFigures): string | undefined {
    const total = figures.plannedVcpus + figures.runningVcpus;
    if (total <= figures.quotaVcpus) {
        return undefined;
    }
    return (
        `vCPU quota preflight: the planned nodes need ${figures.plannedVcpus} vCPUs and ${figures.runningVcpus} On-Demand vCPUs ` +
        `are already running; ${total} exceeds the Standard On-Demand vCPU quota (${STANDARD_ON_DEMAND_VCPU_QUOTA}) of ${figures.quotaVcpus}. ` +
        `Free capacity, request a quota increase, choose smaller instance types, or set redis-ha:cluster.vcpuQuotaPreflight false.`
    );
}

/** Arguments of the preflight. */
export interface VcpuQuotaArgs {
    /** Nodes this stack manages. */
    nodes: NodeConfig[];
    /** Stack name: running nodes of this stack are already counted as planned. */
    stack: string;
}

async function measure(args: VcpuQuotaArgs, opts: pulumi.InvokeOptions): Promise<VcpuQuotaFigures> {
    const quota = await aws.servicequotas.getServiceQuota({ serviceCode: "ec2", quotaCode: STANDARD_ON_DEMAND_VCPU_QUOTA }, opts);
    const running = await aws.ec2.getInstances({ instanceStateNames: ["running"] }, opts);
    const spot = await aws.ec2.getInstances(
        { instanceStateNames: ["running"], filters: [{ name: "instance-lifecycle", values: ["spot"] }] },
        opts,
    );
    const spotIds = new Set(spot.ids);
    const onDemand = await Promise.all(
        running.ids.filter((id) => !spotIds.has(id)).map((instanceId) => aws.ec2.getInstance({ instanceId }, opts)),
    );
    const others = onDemand.filter((instance) => !(instance.tags["managed-by"] === MANAGED_BY && instance.tags.stack === args.stack));

    const types = [...others.map((instance) => instance.instanceType), ...args.nodes.map((node) => node.instanceType)].filter(
        isStandardFamily,
    );
    const vcpus = new Map<string, number>();
    for (const instanceType of new Set(types)) {
        vcpus.set(instanceType, (await aws.ec2.getInstanceType({ instanceType }, opts)).defaultVcpus);
    }
    const sum = (list: string[]) => list.filter(isStandardFamily).reduce((total, type) => total + (vcpus.get(type) ?? 0), 0);
    return {
        plannedVcpus: sum(args.nodes.map((node) => node.instanceType)),
        runningVcpus: sum(others.map((instance) => instance.instanceType)),
        quotaVcpus: quota.value,
    };
}

/**
 * Measures and checks the quota. The result fails with all three numbers when the nodes do not
 * fit; nodes wait on it, so nothing is created then.
 */
export function checkVcpuQuota(args: VcpuQuotaArgs, opts: pulumi.InvokeOptions = {}): pulumi.Output<VcpuQuotaFigures> {
    return pulumi.output(measure(args, opts)).apply((figures) => {
        const problem = vcpuQuotaProblem(figures);
        if (problem) {
            throw new pulumi.RunError(problem);
        }
        return figures;
    });
}
