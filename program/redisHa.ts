// The program: every resource of one stack from its validated config. Config is validated before
// this runs (config/load.ts), so an invalid stack creates nothing; index.ts calls it for `pulumi up`,
// the offline plan and the tests call it under the SDK's mocks.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppSecrets } from "../components/appSecrets";
import { RedisAlerts } from "../components/redisAlerts";
import { RedisBackups } from "../components/redisBackups";
import { RedisFailover } from "../components/redisFailover";
import { RedisFront } from "../components/redisFront";
import { RedisNode } from "../components/redisNode";
import { RedisOperator } from "../components/redisOperator";
import { LoadedConfig } from "../config/load";
import { StackConfig } from "../config/types";
import { checkNodeMemory } from "../preflight/nodeMemory";
import { checkNodeZones, NodeZones } from "../preflight/nodeZones";
import { checkVcpuQuota, VcpuQuotaFigures } from "../preflight/vcpuQuota";
import { healthCheckOf, sentinelClientSettings, SentinelClientSettings } from "../render/failover";
import { backupAlertAfterSeconds, backupKeyPrefix, backupName } from "../render/backup";
import { frontRevision } from "../render/front";
import { operatorRevisionPart } from "../render/groupRevision";
import { nodeComponentName } from "../render/nodeIdentity";
import { retireWaitSeconds } from "../render/passwordRotation";

/** Where applications and operators reach one purpose. */
export interface InstanceOutput {
    name: string;
    namespace: string;
    masterEndpoint: string;
    /** The front applications' URLs use (absent when the front is off). */
    frontEndpoint?: string;
    sentinelEndpoint: string;
    masterName: string;
    authSecret: string;
    maxmemoryPolicy: string;
    /** The master the post-deploy check found healthy (absent when checks are off). */
    verifiedMaster?: pulumi.Output<string>;
}

/** One managed node, as the stack output lists it. */
export interface ManagedNodeOutput {
    nodeName: pulumi.Output<string>;
    instanceId: pulumi.Output<string>;
    privateIp: pulumi.Output<string>;
    zone: pulumi.Output<string>;
}

/** The stack outputs, in the order `pulumi stack output` lists them. */
export interface RedisHaOutputs {
    /**
     * Per purpose: where applications and operators reach it. Passwords are in `appEnv` and the
     * auth Secret. Sentinel-aware clients should use `sentinelEndpoint` + `masterName` (per app env:
     * `appSentinelEnv`) with the settings of bench/clientSettings.ts (failover detector, command
     * timeout, reconnect on READONLY): with ioredis defaults a hung master stalls writes until it
     * resumes, and the writes it then acknowledges are lost.
     */
    instances: Record<string, InstanceOutput>;
    /**
     * Environment variables for applications: redis URLs with password, each a secret output, at the
     * instance's front (once it is ready, so the published app env never names a front that is not
     * there yet), or at the operator's master Service when the front is off.
     */
    appEnv: Record<string, pulumi.Output<string>>;
    /**
     * For Sentinel-aware clients, per app env name: the Sentinel service, master name and db of the
     * same-named `appEnv` URL (whose password they use; Sentinel itself has none). Not secret.
     */
    appSentinelEnv: Record<string, SentinelClientSettings>;
    operatorNamespace: pulumi.Output<string>;
    /** Where applications' secret store finds the app env: Secrets Manager name and ARN. */
    appEnvSecret?: { name: pulumi.Output<string>; arn: pulumi.Output<string> };
    /** Managed nodes per purpose, in config order. */
    managedNodes: Record<string, ManagedNodeOutput[]>;
    /** The vCPU quota preflight's figures, when it ran. */
    vcpuQuota?: pulumi.Output<VcpuQuotaFigures>;
    /** The zone preflight's findings (each purpose's node subnets and their zones), when it ran. */
    nodeZones?: pulumi.Output<NodeZones>;
    /** Where the backups are, when configured: the bucket, and each backed-up purpose's key prefix. */
    backups?: { bucket: pulumi.Output<string>; prefixes: Record<string, string> };
}

/**
 * Preflights, at preview, before anything is created (every AWS and Kubernetes resource waits for
 * them, so a stack that fails one creates nothing): managed nodes must fit the account's vCPU
 * quota, a highly available stack's nodes of each purpose must span at least two zones, and wherever
 * a purpose has more than one node the zone spread must place all its redis and sentinels (one node
 * per purpose is one zone, where it always can), and each purpose's pods must fit its nodes' memory.
 */
function runPreflights(stack: StackConfig, stackName: string) {
    const cluster = stack.cluster;
    const managed = cluster !== undefined && stack.nodes.length > 0;
    const vcpuQuota = managed && cluster.vcpuQuotaPreflight ? checkVcpuQuota({ nodes: stack.nodes, stack: stackName }) : undefined;
    const { nodes, instances, highlyAvailable } = stack;
    const zonesMatter = highlyAvailable || nodes.some((node) => node.index > 0);
    const nodeZones = managed && zonesMatter ? checkNodeZones({ nodes, vpcId: cluster.vpcId, highlyAvailable, instances }) : undefined;
    const nodeMemory = managed ? checkNodeMemory({ nodes, instances, alerts: stack.alerts.enabled }) : undefined;
    const checks: Array<pulumi.Output<unknown>> = [vcpuQuota, nodeZones, nodeMemory].filter((check) => check !== undefined);
    return { vcpuQuota, nodeZones, all: checks.length > 0 ? pulumi.all(checks) : undefined };
}

/** Managed nodes per purpose, each its own component (`auth-node`, `auth-node-2`, ...); none on brought nodes. */
function createNodes(config: LoadedConfig, stackName: string, preflight: pulumi.Output<unknown> | undefined): Map<string, RedisNode[]> {
    const { stack, sshPrivateKey } = config;
    const nodes = new Map<string, RedisNode[]>();
    for (const node of stack.cluster ? stack.nodes : []) {
        const instance = stack.instances.find((candidate) => candidate.purpose === node.purpose);
        const redisNode = new RedisNode(nodeComponentName(node.purpose, node.index), {
            node,
            cluster: stack.cluster!,
            placementLabel: stack.placementLabel,
            taint: instance?.taint,
            stack: stackName,
            sshPrivateKey,
            preflight,
        });
        nodes.set(node.purpose, [...(nodes.get(node.purpose) ?? []), redisNode]);
    }
    return nodes;
}

/** Builds every resource of the stack and returns its outputs. */
export function redisHa(config: LoadedConfig, stackName: string): RedisHaOutputs {
    const { stack, kubeconfig } = config;
    const preflights = runPreflights(stack, stackName);

    // Server-side apply: the RedisFailover CRD is too large for client-side apply's annotation.
    const provider = new k8s.Provider("kubernetes", {
        enableServerSideApply: preflights.all ? preflights.all.apply(() => true) : true,
        ...(kubeconfig ? { kubeconfig } : {}),
    });
    const nodes = createNodes(config, stackName, preflights.all);
    const nodesOf = (purpose: string) => nodes.get(purpose) ?? [];

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
                    dependsOn: [operator.crd, operator.release, ...nodesOf(instance.purpose).map((node) => node.ready)],
                    verify: healthCheckOf(instance, stack.verify),
                    kubeconfig,
                    retireWaitSeconds: retireWaitSeconds(
                        stack.appSecrets.enabled ? stack.appSecrets.externalSecrets.map((target) => target.refreshInterval) : [],
                    ),
                    // A replaced node, a changed front or operator re-runs the post-deploy check.
                    revision: {
                        front: instance.front.enabled ? frontRevision(instance, frontRender) : undefined,
                        operator: operatorRevisionPart(stack.operator),
                        nodeInstanceIds: nodesOf(instance.purpose).map((node) => node.instance.id),
                    },
                },
                { providers: [provider] },
            ),
        ]),
    );

    // HAProxy in front of each group with `front.enabled`, after its RedisFailover (whose Secret
    // holds the password the front checks with).
    const fronts = new Map(
        stack.instances
            .filter((instance) => instance.front.enabled)
            .map((instance) => [
                instance.purpose,
                new RedisFront(
                    `${instance.name}-front`,
                    { instance, render: frontRender, dependsOn: [failovers.get(instance.purpose)!] },
                    { providers: [provider] },
                ),
            ]),
    );

    const instances = Object.fromEntries(
        stack.instances.map((instance): [string, InstanceOutput] => {
            const failover = failovers.get(instance.purpose)!;
            const front = fronts.get(instance.purpose);
            return [
                instance.purpose,
                {
                    name: instance.name,
                    namespace: stack.namespace,
                    masterEndpoint: failover.endpoints.master,
                    ...(front ? { frontEndpoint: front.endpoint } : {}),
                    sentinelEndpoint: failover.endpoints.sentinel,
                    masterName: failover.endpoints.masterName,
                    authSecret: failover.authSecretName,
                    maxmemoryPolicy: instance.redis.maxmemoryPolicy,
                    ...(failover.healthCheck ? { verifiedMaster: failover.healthCheck.master } : {}),
                },
            ];
        }),
    );
    const appEnv = Object.fromEntries(
        stack.appEnv.map((entry) => [entry.name, failovers.get(entry.instance)!.url(entry.db, fronts.get(entry.instance)?.readyEndpoint)]),
    );
    const appSentinelEnv = Object.fromEntries(
        stack.appEnv.map((entry) => [entry.name, sentinelClientSettings(failovers.get(entry.instance)!.endpoints, entry.db)]),
    );

    // The app env in AWS Secrets Manager (and, if configured, ExternalSecrets in app namespaces).
    const appSecrets = stack.appSecrets.enabled
        ? new AppSecrets(
              "app-env",
              { config: stack.appSecrets, appEnv, kubernetesProvider: provider, kubeconfig },
              { providers: [provider] },
          )
        : undefined;

    // Scheduled backups of the listed data-holding groups, each after its RedisFailover (whose Secret
    // holds the password the take step uses).
    const backedUp = stack.instances.filter((instance) => stack.backup?.instances.includes(instance.purpose));
    const backups = stack.backup
        ? new RedisBackups(
              "redis-backup",
              {
                  config: stack.backup,
                  instances: backedUp,
                  namespace: stack.namespace,
                  dependsOn: backedUp.map((instance) => failovers.get(instance.purpose)!),
                  stack: stackName,
                  kubernetesProvider: provider,
              },
              { providers: [provider] },
          )
        : undefined;

    if (stack.alerts.enabled) {
        const backupAlerts = stack.backup
            ? backedUp.map((instance) => ({
                  purpose: instance.purpose,
                  cronJob: backupName(instance.name),
                  afterSeconds: backupAlertAfterSeconds(stack.backup!.schedule),
              }))
            : [];
        new RedisAlerts(
            "redis-alerts",
            { config: stack.alerts, namespace: stack.namespace, instances: stack.instances, backups: backupAlerts },
            { providers: [provider], dependsOn: [namespace] },
        );
    }

    return {
        instances,
        appEnv,
        appSentinelEnv,
        // Waits for the preflights too, so a failed one fails the program naming itself, also where no
        // exported output holds its result (the memory preflight) and registrations waiting on it never end.
        operatorNamespace: preflights.all
            ? pulumi.all([preflights.all, operator.namespace.metadata.name]).apply(([, name]) => name)
            : operator.namespace.metadata.name,
        appEnvSecret: appSecrets ? { name: appSecrets.secretName, arn: appSecrets.secretArn } : undefined,
        managedNodes: Object.fromEntries(
            [...nodes].map(([purpose, list]) => [
                purpose,
                list.map((node) => ({
                    nodeName: node.nodeName,
                    instanceId: node.instance.id,
                    privateIp: node.instance.privateIp,
                    zone: node.zone,
                })),
            ]),
        ),
        vcpuQuota: preflights.vcpuQuota,
        nodeZones: preflights.nodeZones,
        backups:
            backups && stack.backup
                ? {
                      bucket: backups.bucket,
                      prefixes: Object.fromEntries(backedUp.map((i) => [i.purpose, backupKeyPrefix(stack.backup!, i.name)])),
                  }
                : undefined,
    };
}
