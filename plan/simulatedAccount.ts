// The AWS account the offline plan pretends to query: the vCPU quota and running instances the
// preflight reads. Its default is the account of the stack files' origin: a quota of 43 vCPUs and
// 17 running On-Demand instances using 36 of them.

/** A running instance as the preflight sees it. */
export interface SimulatedInstance {
    /** Instance id. */
    id: string;
    /** Instance type. */
    instanceType: string;
    /** Spot instances do not count against the On-Demand quota. */
    spot?: boolean;
    /** Tags (the stack's own nodes are recognised by them). */
    tags?: Record<string, string>;
}

/** What the simulated account answers. */
export interface SimulatedAccount {
    /** Standard On-Demand vCPU quota. */
    vcpuQuota: number;
    /** Running instances. */
    running: SimulatedInstance[];
}

function fleet(prefix: string, instanceType: string, count: number): SimulatedInstance[] {
    return Array.from({ length: count }, (_, index) => ({ id: `i-${prefix}${index}`, instanceType }));
}

/** 1 t3.xlarge, 3 t3.large, 6 t3.medium, 7 t3.small: 36 vCPUs of a 43 vCPU quota. */
export const DEFAULT_ACCOUNT: SimulatedAccount = {
    vcpuQuota: 43,
    running: [...fleet("xl", "t3.xlarge", 1), ...fleet("lg", "t3.large", 3), ...fleet("md", "t3.medium", 6), ...fleet("sm", "t3.small", 7)],
};

/** What a plan's EC2 instances look like once running: instance type and tags. */
export interface PlannedInstance {
    /** Pulumi resource type. */
    type: string;
    /** Resource name, unique within its stack. */
    name: string;
    /** Resource inputs (instanceType, tags). */
    inputs: Record<string, unknown>;
}

/**
 * The account after a stack's plan is deployed: its EC2 instances run On-Demand next to the
 * account's own, with the tags the plan gives them (`stack`, `managed-by`), as another stack's
 * preflight would then find them.
 */
export function withDeployedNodes(account: SimulatedAccount, stack: string, resources: PlannedInstance[]): SimulatedAccount {
    const nodes = resources
        .filter((resource) => resource.type === "aws:ec2/instance:Instance")
        .map((resource) => ({
            id: `i-${stack}-${resource.name}`,
            instanceType: String(resource.inputs.instanceType),
            tags: (resource.inputs.tags as Record<string, string> | undefined) ?? {},
        }));
    return { ...account, running: [...account.running, ...nodes] };
}

/** Default vCPUs by size, as EC2 publishes them for current general-purpose families. */
export function simulatedVcpus(instanceType: string): number {
    const [family, size] = instanceType.split(".");
    if (family === "t2" && ["nano", "micro", "small"].includes(size)) {
        return 1;
    }
    if (["nano", "micro", "small", "medium", "large"].includes(size)) {
        return 2;
    }
    const multiple = /^(\d*)xlarge$/.exec(size);
    if (multiple) {
        return 4 * Number(multiple[1] || 1);
    }
    throw new Error(`the simulated account knows no vCPU count for ${instanceType}`);
}

/** Answers the AWS invokes the program makes, or undefined for invokes it does not simulate. */
export function answerInvoke(
    account: SimulatedAccount,
    token: string,
    inputs: Record<string, unknown>,
): Record<string, unknown> | undefined {
    switch (token) {
        case "aws:servicequotas/getServiceQuota:getServiceQuota":
            return { ...inputs, value: account.vcpuQuota };
        case "aws:ec2/getInstances:getInstances": {
            const filters = (inputs.filters as Array<{ name: string; values: string[] }> | undefined) ?? [];
            const spotOnly = filters.some((filter) => filter.name === "instance-lifecycle" && filter.values.includes("spot"));
            const ids = account.running.filter((instance) => !spotOnly || instance.spot).map((instance) => instance.id);
            return { ...inputs, ids, privateIps: [], publicIps: [] };
        }
        case "aws:ec2/getInstance:getInstance": {
            const instance = account.running.find((candidate) => candidate.id === inputs.instanceId);
            if (!instance) {
                throw new Error(`no simulated instance ${String(inputs.instanceId)}`);
            }
            return { ...inputs, instanceType: instance.instanceType, tags: instance.tags ?? {} };
        }
        case "aws:ec2/getInstanceType:getInstanceType":
            return { ...inputs, defaultVcpus: simulatedVcpus(String(inputs.instanceType)) };
        case "aws:ec2/getAmi:getAmi":
            return { ...inputs, id: "ami-<newest Ubuntu 22.04, looked up at deploy>" };
        default:
            return undefined;
    }
}
