// redis-ha: purpose-built Redis + Sentinel groups on a kubeadm cluster, run by the Spotahome
// operator. Config is validated first: an invalid stack creates nothing.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets } from "./components/appSecrets";
import { frontRevision } from "./components/frontRevision";
import { RedisAlerts } from "./components/redisAlerts";
import { RedisFailover, sentinelClientSettings } from "./components/redisFailover";
import { RedisFront } from "./components/redisFront";
import { nodeComponentName } from "./components/nodeIdentity";
import { RedisNode } from "./components/redisNode";
import { checkNodeZones } from "./components/nodeZones";
import { RedisOperator } from "./components/redisOperator";
import { checkVcpuQuota } from "./components/vcpuQuota";
import { loadConfig } from "./config/load";
import { operatorRevisionPart } from "./providers/groupRevision";

const { stack, kubeconfig, sshPrivateKey } = loadConfig();
const stackName = pulumi.getStack();

// Preflights, at preview, before anything is created (every AWS and Kubernetes resource waits for
// them, so a stack that fails one creates nothing): managed nodes must fit the account's vCPU quota,
// and a highly available stack's nodes of each purpose must span at least two availability zones.
const cluster = stack.cluster;
const vcpuQuotaCheck =
    cluster && cluster.vcpuQuotaPreflight && stack.nodes.length > 0 ? checkVcpuQuota({ nodes: stack.nodes, stack: stackName }) : undefined;
const zoneCheck =
    cluster && stack.highlyAvailable && stack.nodes.length > 0 ? checkNodeZones({ nodes: stack.nodes, vpcId: cluster.vpcId }) : undefined;
const checks: Array<pulumi.Output<unknown>> = [vcpuQuotaCheck, zoneCheck].filter((check) => check !== undefined);
const preflight = checks.length > 0 ? pulumi.all(checks) : undefined;

// Server-side apply: the RedisFailover CRD is too large for client-side apply's annotation.
const provider = new k8s.Provider("kubernetes", {
    enableServerSideApply: preflight ? preflight.apply(() => true) : true,
    ...(kubeconfig ? { kubeconfig } : {}),
});

// Managed nodes, each its own component (`auth-node`, `auth-node-2`, ...): none when Redis runs on
// existing labelled nodes.
const nodes = new Map<string, RedisNode[]>();
for (const node of cluster ? stack.nodes : []) {
    const instance = stack.instances.find((candidate) => candidate.purpose === node.purpose);
    const redisNode = new RedisNode(nodeComponentName(node.purpose, node.index), {
        node,
        cluster: cluster!,
        placementLabel: stack.placementLabel,
        taint: instance?.taint,
        stack: stackName,
        sshPrivateKey,
        preflight,
    });
    nodes.set(node.purpose, [...(nodes.get(node.purpose) ?? []), redisNode]);
}

const operator = new RedisOperator(
    "redis-operator",
    { operator: stack.operator, protectCrd: stack.protectData },
    { providers: [provider] },
);

const namespace = new k8s.core.v1.Namespace(
    "redis-namespace",
    { metadata: { name: stack.namespace } },
    { provider, protect: stack.protectData },
);

// How every front is rendered (RedisFront below; its revision is part of its group's).
const frontRender = { namespace: stack.namespace, placementLabel: stack.placementLabel };

const failovers = new Map(
    stack.instances.map((instance) => [
        instance.purpose,
        new RedisFailover(
            instance.name,
            {
                instance,
                render: {
                    namespace: stack.namespace,
                    placementLabel: stack.placementLabel,
                    exporterImage: stack.exporterImage,
                    sentinelExporter: stack.alerts.enabled,
                },
                namespace,
                protect: stack.protectData && instance.holdsData,
                dependsOn: [operator.crd, operator.release, ...(nodes.get(instance.purpose) ?? []).map((node) => node.ready)],
                verify: stack.verify,
                kubeconfig,
                // A replaced node, a changed front or operator re-runs the post-deploy check.
                revision: {
                    front: instance.front.enabled ? frontRevision(instance, frontRender) : undefined,
                    operator: operatorRevisionPart(stack.operator),
                    nodeInstanceIds: (nodes.get(instance.purpose) ?? []).map((node) => node.instance.id),
                },
            },
            { providers: [provider] },
        ),
    ]),
);

// Per purpose with `front.enabled`: HAProxy in front of the group, after its RedisFailover (whose
// Secret holds the password the front checks with).
const fronts = new Map(
    stack.instances
        .filter((instance) => instance.front.enabled)
        .map((instance) => {
            const failover = failovers.get(instance.purpose)!;
            const front = new RedisFront(
                `${instance.name}-front`,
                { instance, render: frontRender, dependsOn: [failover] },
                { providers: [provider] },
            );
            return [instance.purpose, front];
        }),
);

/**
 * Per purpose: where applications and operators reach it. Passwords are in `appEnv` and the auth
 * Secret. Sentinel-aware clients should use `sentinelEndpoint` + `masterName` (per app env: `appSentinelEnv`) with the settings of
 * bench/clientSettings.ts (failover detector, command timeout, reconnect on READONLY): with ioredis
 * defaults a hung master stalls writes until it resumes, and the writes it then acknowledges are lost.
 */
export const instances = Object.fromEntries(
    stack.instances.map((instance) => {
        const failover = failovers.get(instance.purpose)!;
        return [
            instance.purpose,
            {
                name: instance.name,
                namespace: stack.namespace,
                masterEndpoint: failover.endpoints.master,
                // The front applications' URLs use (absent when the front is off).
                ...(fronts.has(instance.purpose) ? { frontEndpoint: fronts.get(instance.purpose)!.endpoint } : {}),
                sentinelEndpoint: failover.endpoints.sentinel,
                masterName: failover.endpoints.masterName,
                authSecret: failover.authSecretName,
                maxmemoryPolicy: instance.redis.maxmemoryPolicy,
                // The master the post-deploy check found healthy (absent when checks are off).
                ...(failover.healthCheck ? { verifiedMaster: failover.healthCheck.master } : {}),
            },
        ];
    }),
);

/**
 * Environment variables for applications: redis URLs with password, each a secret output, at the
 * instance's front (once it is ready, so the published app env never names a front that is not
 * there yet), or at the operator's master Service when the front is off.
 */
export const appEnv = Object.fromEntries(
    stack.appEnv.map((entry) => [entry.name, failovers.get(entry.instance)!.url(entry.db, fronts.get(entry.instance)?.readyEndpoint)]),
);

/**
 * For Sentinel-aware clients, per app env name: the Sentinel service, master name and db of the
 * same-named `appEnv` URL (whose password they use; Sentinel itself has none). Not secret.
 */
export const appSentinelEnv = Object.fromEntries(
    stack.appEnv.map((entry) => [entry.name, sentinelClientSettings(failovers.get(entry.instance)!.endpoints, entry.db)]),
);

export const operatorNamespace = operator.namespace.metadata.name;

// The app env in AWS Secrets Manager (and, if configured, ExternalSecrets in app namespaces).
const appSecrets = stack.appSecrets.enabled
    ? new AppSecrets("app-env", { config: stack.appSecrets, appEnv, kubernetesProvider: provider, kubeconfig }, { providers: [provider] })
    : undefined;

/** Where applications' secret store finds the app env: Secrets Manager name and ARN. */
export const appEnvSecret = appSecrets ? { name: appSecrets.secretName, arn: appSecrets.secretArn } : undefined;

if (stack.alerts.enabled) {
    new RedisAlerts(
        "redis-alerts",
        { config: stack.alerts, namespace: stack.namespace, instances: stack.instances },
        { providers: [provider], dependsOn: [namespace] },
    );
}

/** Managed nodes per purpose, in config order: Kubernetes node name, EC2 instance id, private address, availability zone. */
export const managedNodes = Object.fromEntries(
    [...nodes].map(([purpose, list]) => [
        purpose,
        list.map((node) => ({
            nodeName: node.nodeName,
            instanceId: node.instance.id,
            privateIp: node.instance.privateIp,
            zone: node.zone,
        })),
    ]),
);

/** The vCPU quota preflight's figures, when it ran. */
export const vcpuQuota = vcpuQuotaCheck;

/** The zone preflight's findings (each purpose's node subnets and their zones), when it ran. */
export const nodeZones = zoneCheck;
