// One purpose-built Redis: a Spotahome RedisFailover (Redis + Sentinel) with its own
// password, placed on the nodes labelled for its purpose.

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InstanceConfig, Taint, Toleration, VerifyConfig } from "../config/types";
import {
    AUTH_SECRET_KEY,
    FailoverComponent,
    LABEL_NAME,
    LABEL_PART_OF,
    FAILOVER_API_VERSION,
    FAILOVER_KIND,
    MASTER_NAME,
    masterServiceName,
    REDIS_PORT,
    SENTINEL_PORT,
    sentinelName,
    SHUTDOWN_SCRIPT_KEY,
} from "../facts/operator";
import { HOLDS_DATA_LABEL, PROJECT, serviceHost } from "../facts/project";
import { placementAffinity, zoneSpread } from "../render/placement";
import { redisUrl } from "../render/urls";
import { redisCommand, redisConfigLines, sentinelConfigLines } from "../render/redisConfig";
import { REDIS_TERMINATION_GRACE_SECONDS, redisShutdownScript, shutdownConfigMapName } from "../render/redisShutdown";
import { groupRevision, GroupRevisionInputs } from "../providers/groupRevision";
import { RedisHealthCheck } from "../providers/redisHealthCheck";

/** Where applications reach one instance inside the cluster. */
export interface FailoverEndpoints {
    /** The operator's Service that follows the current master, host:port. */
    master: string;
    /** The operator's Sentinel Service, host:port. */
    sentinel: string;
    /** Master name to ask Sentinel for. */
    masterName: string;
}

/**
 * The in-cluster endpoints the operator creates for a RedisFailover. The headless redis Service is
 * left out on purpose: it serves only the exporter, and would send writes to read-only replicas.
 */
export function failoverEndpoints(name: string, namespace: string): FailoverEndpoints {
    return {
        master: `${serviceHost(masterServiceName(name), namespace)}:${REDIS_PORT}`,
        sentinel: `${serviceHost(sentinelName(name), namespace)}:${SENTINEL_PORT}`,
        masterName: MASTER_NAME,
    };
}

/** Name of the Secret (key `password`) that holds an instance's password. */
export function authSecretName(failoverName: string): string {
    return `${failoverName}-auth`;
}

/** What a Sentinel-aware client needs for one logical database; the password comes from the URL or the Secret. */
export interface SentinelClientSettings {
    /** The operator's Sentinel Service, as ioredis's `sentinels` takes it. */
    sentinels: { host: string; port: number }[];
    /** Master name to ask Sentinel for (ioredis `name`, redis-py `master_for`, Celery `master_name`). */
    masterName: string;
    /** The logical database. */
    db: number;
}

/** Sentinel settings for one logical database of an instance. */
export function sentinelClientSettings(endpoints: FailoverEndpoints, db: number): SentinelClientSettings {
    const at = endpoints.sentinel.lastIndexOf(":");
    return {
        sentinels: [{ host: endpoints.sentinel.slice(0, at), port: Number(endpoints.sentinel.slice(at + 1)) }],
        masterName: endpoints.masterName,
        db,
    };
}

/** The toleration that lets pods onto a node with `taint`. */
export function tolerationFor(taint: Taint): Toleration {
    return taint.value === ""
        ? { key: taint.key, operator: "Exists", effect: taint.effect }
        : { key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect };
}

/** Cluster-wide settings a RedisFailover is rendered with. */
export interface FailoverRenderOptions {
    /** Namespace of the custom resource and its secret. */
    namespace: string;
    /** Node label key that places each purpose. */
    placementLabel: string;
    /** Exporter sidecar image. */
    exporterImage: string;
    /** Also run the exporter beside each sentinel (for quorum alerts). */
    sentinelExporter?: boolean;
}

/** The RedisFailover manifest for one instance (the password lives in the named Secret, not here). */
export function buildRedisFailoverManifest(instance: InstanceConfig, options: FailoverRenderOptions) {
    const placement = (component: FailoverComponent) => ({
        affinity: placementAffinity(options.placementLabel, instance.purpose, instance.name, component),
        topologySpreadConstraints: zoneSpread(instance.name, component),
    });
    const tolerations = instance.taint ? [tolerationFor(instance.taint)] : undefined;
    const { redis, sentinel } = instance;
    const command = redisCommand(instance);
    const storage =
        redis.storage.kind === "emptyDir"
            ? { emptyDir: {} }
            : {
                  keepAfterDeletion: redis.storage.keepAfterDeletion,
                  persistentVolumeClaim: {
                      metadata: { name: `${instance.name}-data` },
                      spec: {
                          accessModes: redis.storage.accessModes,
                          storageClassName: redis.storage.storageClass,
                          resources: { requests: { storage: redis.storage.size } },
                      },
                  },
              };
    return {
        apiVersion: FAILOVER_API_VERSION,
        kind: FAILOVER_KIND,
        metadata: {
            name: instance.name,
            namespace: options.namespace,
            labels: {
                [LABEL_NAME]: instance.name,
                [LABEL_PART_OF]: PROJECT,
                purpose: instance.purpose,
                [HOLDS_DATA_LABEL]: String(instance.holdsData),
            },
        },
        spec: {
            auth: { secretPath: authSecretName(instance.name) },
            sentinel: {
                replicas: sentinel.replicas,
                ...(sentinel.resources ? { resources: sentinel.resources } : {}),
                customConfig: sentinelConfigLines(sentinel),
                ...placement("sentinel"),
                ...(tolerations ? { tolerations } : {}),
                ...(options.sentinelExporter ? { exporter: { enabled: true, image: options.exporterImage } } : {}),
            },
            redis: {
                replicas: redis.replicas,
                command,
                resources: redis.resources,
                storage,
                customConfig: redisConfigLines(redis, instance.holdsData),
                ...placement("redis"),
                ...(tolerations ? { tolerations } : {}),
                exporter: { enabled: redis.exporter, image: options.exporterImage },
                // The preStop hook that hands a deleted master over (render/redisShutdown.ts).
                shutdownConfigMap: shutdownConfigMapName(instance.name),
                terminationGracePeriod: REDIS_TERMINATION_GRACE_SECONDS,
            },
        },
    };
}

/** Arguments of a `RedisFailover` component. */
export interface RedisFailoverArgs {
    /** The validated instance settings. */
    instance: InstanceConfig;
    /** Rendering settings shared by all instances. */
    render: FailoverRenderOptions;
    /** The Namespace named by `render.namespace`, created by the caller; the Secret waits for it. */
    namespace: pulumi.Resource;
    /** Protect the custom resource from deletion (data-holding instances in protected stacks). */
    protect: boolean;
    /**
     * What the custom resource must wait for: the CRD and the operator release, so a fresh
     * cluster never answers `no matches for kind "RedisFailover"`; also the node, when managed.
     */
    dependsOn: pulumi.Resource[];
    /** The post-deploy health check; none when disabled. */
    verify?: VerifyConfig;
    /** Kubeconfig for the health check's port-forwards (secret); the default kubeconfig when absent. */
    kubeconfig?: pulumi.Output<string>;
    /** What else the group's revision (the health check's `groupRevision`) covers besides the manifest. */
    revision?: GroupRevisionInputs;
}

/** A RedisFailover with its password Secret; exposes the endpoints applications use. */
export class RedisFailover extends pulumi.ComponentResource {
    /** The instance's password (secret). */
    readonly password: pulumi.Output<string>;
    /** Endpoints the operator's services answer on. */
    readonly endpoints: FailoverEndpoints;
    /** The custom resource. */
    readonly resource: k8s.apiextensions.CustomResource;
    /** Name of the Secret holding the password under key `password`. */
    readonly authSecretName: string;
    /** Proof after each `up` that the group runs as configured; absent when disabled. */
    readonly healthCheck?: RedisHealthCheck;

    constructor(name: string, args: RedisFailoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:k8s:RedisFailover", name, {}, opts);
        const { instance, render } = args;
        const manifest = buildRedisFailoverManifest(instance, render);

        // Letters and digits only, so the password needs no escaping in URLs or redis.conf.
        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        this.password = pulumi.secret(password.result);

        const secret = new k8s.core.v1.Secret(
            `${name}-auth`,
            {
                metadata: { name: authSecretName(instance.name), namespace: render.namespace, labels: manifest.metadata.labels },
                stringData: { [AUTH_SECRET_KEY]: this.password },
            },
            { parent: this, dependsOn: [args.namespace] },
        );

        // The operator refuses a failover whose shutdown ConfigMap does not exist yet.
        const shutdown = new k8s.core.v1.ConfigMap(
            `${name}-shutdown`,
            {
                metadata: { name: shutdownConfigMapName(instance.name), namespace: render.namespace, labels: manifest.metadata.labels },
                data: { [SHUTDOWN_SCRIPT_KEY]: redisShutdownScript(instance.name) },
            },
            { parent: this, dependsOn: [args.namespace] },
        );

        this.resource = new k8s.apiextensions.CustomResource(`${name}-failover`, manifest, {
            parent: this,
            dependsOn: [...args.dependsOn, secret, shutdown],
            protect: args.protect,
        });
        this.endpoints = failoverEndpoints(instance.name, render.namespace);
        this.authSecretName = authSecretName(instance.name);

        if (args.verify?.enabled) {
            const reach =
                args.verify.transport === "direct"
                    ? { sentinels: [this.endpoints.sentinel] }
                    : { kubernetes: pulumi.secret({ namespace: render.namespace, name: instance.name, kubeconfig: args.kubeconfig }) };
            this.healthCheck = new RedisHealthCheck(
                `${name}-health`,
                {
                    ...reach,
                    masterName: this.endpoints.masterName,
                    expectPolicy: instance.redis.maxmemoryPolicy,
                    expectMaxmemoryBytes: instance.redis.maxmemoryBytes,
                    expectRedis: instance.redis.replicas,
                    expectSentinels: instance.sentinel.replicas,
                    password: this.password,
                    timeoutSeconds: args.verify.timeoutSeconds,
                    allowExternalServices: args.verify.allowExternalServices,
                    groupRevision: pulumi
                        .all(args.revision?.nodeInstanceIds ?? [])
                        .apply((ids) => groupRevision({ ...args.revision, failover: manifest, nodeInstanceIds: ids })),
                },
                { parent: this, dependsOn: [this.resource] },
            );
        }

        this.registerOutputs({ endpoints: this.endpoints, password: this.password, healthyMaster: this.healthCheck?.master });
    }

    /** The application URL for one logical database (at `endpoint`, else the master Service); secret: it carries the password. */
    url(db: number, endpoint: pulumi.Input<string> = this.endpoints.master): pulumi.Output<string> {
        return pulumi.secret(pulumi.all([this.password, endpoint]).apply(([password, host]) => redisUrl(password, host, db)));
    }
}
