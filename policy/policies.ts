// Guardrails enforced at `pulumi preview --policy-pack policy`: each policy's check is a plain
// function of a resource's type and properties, so tests call it directly. Image and version pins use
// the same grammars as config validation (facts/patterns.ts).

import { ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { Instance } from "@pulumi/aws/ec2/instance";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { SecurityGroupRule } from "@pulumi/aws/ec2/securityGroupRule";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import type { Resource } from "@pulumi/pulumi";
import { FAILOVER_TYPE_TOKEN } from "../facts/operator";
import { HOLDS_DATA_LABEL } from "../facts/project";
import { EXACT_VERSION, imageReferenceProblem, imageRepositoryProblem, imageTagProblem } from "../facts/patterns";

/** Type tokens the policies look at. */
export const TYPES = {
    redisFailover: FAILOVER_TYPE_TOKEN,
    helmRelease: "kubernetes:helm.sh/v3:Release",
    instance: "aws:ec2/instance:Instance",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

/** What a check needs of a resource. */
export interface Subject {
    /** Type token. */
    type: string;
    /** Input properties. */
    props: Record<string, unknown>;
}

/** Checks one resource; returns the violations, empty when compliant. */
export type Check = (subject: Subject, config: Record<string, unknown>) => string[];

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPEN = ["0.0.0.0/0", "::/0"];

/** A data-holding RedisFailover is noeviction, has AOF on and keeps data on a PVC. */
export const dataHoldingIsDurable: Check = ({ type, props }) => {
    const p = props as Props;
    if (type !== TYPES.redisFailover || p.metadata?.labels?.[HOLDS_DATA_LABEL] !== "true") return [];
    const config: string[] = p.spec?.redis?.customConfig ?? [];
    const problems: string[] = [];
    if (!config.includes("maxmemory-policy noeviction"))
        problems.push(
            `${p.metadata?.name} holds data but is not noeviction (evicted JWT blacklist entries make revoked tokens valid again)`,
        );
    if (!config.includes("appendonly yes")) problems.push(`${p.metadata?.name} holds data but has no AOF`);
    if (!p.spec?.redis?.storage?.persistentVolumeClaim) problems.push(`${p.metadata?.name} holds data but has no persistentVolumeClaim`);
    return problems;
};

/** With `highAvailability: true`: an odd number of sentinels, at least 3, and at least 3 redis. */
export const highlyAvailableCounts: Check = ({ type, props }, config) => {
    const p = props as Props;
    if (type !== TYPES.redisFailover || config.highAvailability !== true) return [];
    const sentinels = Number(p.spec?.sentinel?.replicas);
    const redis = Number(p.spec?.redis?.replicas);
    const problems: string[] = [];
    if (!(sentinels >= 3 && sentinels % 2 === 1))
        problems.push(`${p.metadata?.name} has ${sentinels} sentinels; need an odd number, at least 3`);
    if (!(redis >= 3)) problems.push(`${p.metadata?.name} has ${redis} redis; need at least 3 (1 master + 2 replicas)`);
    return problems;
};

/** Every RedisFailover requires a password (auth.secretPath). */
export const failoverHasAuth: Check = ({ type, props }) => {
    const p = props as Props;
    return type === TYPES.redisFailover && !p.spec?.auth?.secretPath
        ? [`${p.metadata?.name} has no auth.secretPath: anyone in the cluster can read and write it`]
        : [];
};

/** EC2 instances require IMDSv2 and encrypted volumes. */
export const instanceIsHardened: Check = ({ type, props }) => {
    const p = props as Props;
    if (type !== TYPES.instance) return [];
    const problems: string[] = [];
    if (p.metadataOptions?.httpTokens !== "required") problems.push("IMDSv2 is not required (metadataOptions.httpTokens must be required)");
    if (p.rootBlockDevice?.encrypted !== true) problems.push("the root volume is not encrypted");
    for (const device of p.ebsBlockDevices ?? []) {
        if (device.encrypted !== true) problems.push(`EBS volume ${device.deviceName} is not encrypted`);
    }
    return problems;
};

/** No ingress from 0.0.0.0/0 or ::/0. */
export const noOpenIngress: Check = ({ type, props }) => {
    const p = props as Props;
    const open = (cidrs: unknown) => (Array.isArray(cidrs) ? cidrs : [cidrs]).some((cidr) => OPEN.includes(String(cidr)));
    if (type === TYPES.securityGroup) {
        return (p.ingress ?? [])
            .filter((rule: Props) => open(rule.cidrBlocks ?? []) || open(rule.ipv6CidrBlocks ?? []))
            .map((rule: Props) => `ingress ${rule.protocol}/${rule.fromPort}-${rule.toPort} is open to the internet`);
    }
    if (type === TYPES.securityGroupRule && p.type === "ingress" && (open(p.cidrBlocks ?? []) || open(p.ipv6CidrBlocks ?? []))) {
        return [`ingress rule ${p.protocol}/${p.fromPort} is open to the internet`];
    }
    if (type === TYPES.ingressRule && (open(p.cidrIpv4 ?? []) || open(p.cidrIpv6 ?? []))) {
        return [`ingress rule ${p.ipProtocol}/${p.fromPort} is open to the internet`];
    }
    return [];
};

/** Charts have an exact version, images a tag other than latest (or a digest). */
export const versionsArePinned: Check = ({ type, props }) => {
    const p = props as Props;
    const problems: string[] = [];
    if (type === TYPES.helmRelease) {
        if (typeof p.version !== "string" || !EXACT_VERSION.test(p.version))
            problems.push(`chart ${p.chart} has no exact version (got ${JSON.stringify(p.version)})`);
        const image = p.values?.image;
        const tagProblem = typeof image?.tag === "string" ? imageTagProblem(image.tag) : "is missing";
        if (image && tagProblem) problems.push(`chart ${p.chart} runs image tag ${JSON.stringify(image.tag)}: it ${tagProblem}`);
        const repositoryProblem = typeof image?.repository === "string" ? imageRepositoryProblem(image.repository) : undefined;
        if (repositoryProblem) problems.push(`chart ${p.chart} image repository ${JSON.stringify(image.repository)} ${repositoryProblem}`);
    }
    if (type === TYPES.redisFailover) {
        for (const [where, image] of [
            ["redis.image", p.spec?.redis?.image],
            ["redis.exporter.image", p.spec?.redis?.exporter?.image],
            ["sentinel.image", p.spec?.sentinel?.image],
            ["sentinel.exporter.image", p.spec?.sentinel?.exporter?.image],
        ]) {
            const why = image === undefined ? undefined : typeof image === "string" ? imageReferenceProblem(image) : "is not a string";
            if (why) problems.push(`${p.metadata?.name} ${where} ${JSON.stringify(image)} ${why}`);
        }
    }
    return problems;
};

/** A resource class `validateResourceOfType` filters on (by its `__pulumiType`). */
type ResourceClass = new (name: string, args: any, ...rest: any[]) => Resource; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Wraps a check as a mandatory policy. With `classes`, each class gets a `validateResourceOfType`
 * validation, so the engine only sends resources of those types; without (RedisFailover is a
 * CustomResource, no class of its own), the check sees every resource and filters by type token.
 */
function policy(
    name: string,
    description: string,
    check: Check,
    options: { classes?: ResourceClass[]; configSchema?: ResourceValidationPolicy["configSchema"] } = {},
): ResourceValidationPolicy {
    const { classes, configSchema } = options;
    const run = (args: ResourceValidationArgs, reportViolation: (message: string) => void) => {
        const config = configSchema ? (args.getConfig<Record<string, unknown>>() ?? {}) : {};
        for (const problem of check({ type: args.type, props: args.props }, config)) reportViolation(problem);
    };
    const validateResource: ResourceValidation | ResourceValidation[] = classes
        ? classes.map((resourceClass) =>
              validateResourceOfType(resourceClass, (_props, args, reportViolation) => run(args, reportViolation)),
          )
        : run;
    return { name, description, enforcementLevel: "mandatory", ...(configSchema ? { configSchema } : {}), validateResource };
}

/** Every policy of the pack. */
export const policies: ResourceValidationPolicy[] = [
    policy("redis-data-holding-durable", "A data-holding RedisFailover is noeviction with AOF and a PVC.", dataHoldingIsDurable),
    policy(
        "redis-high-availability",
        "In highly available stacks: odd sentinels, at least 3, and at least 3 redis.",
        highlyAvailableCounts,
        {
            configSchema: { properties: { highAvailability: { type: "boolean", default: false } } },
        },
    ),
    policy("redis-auth-required", "Every RedisFailover has a password.", failoverHasAuth),
    policy("ec2-hardened", "EC2 instances require IMDSv2 and encrypted volumes.", instanceIsHardened, { classes: [Instance] }),
    policy("no-open-ingress", "No security group ingress from 0.0.0.0/0 or ::/0.", noOpenIngress, {
        classes: [SecurityGroup, SecurityGroupRule, SecurityGroupIngressRule],
    }),
    policy("pinned-versions", "Charts and images are pinned (no latest).", versionsArePinned),
];
