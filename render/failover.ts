// What one RedisFailover is: its manifest (Redis + Sentinel placed on the purpose's nodes), the
// endpoints the operator's Services answer on, and what clients need to reach it. Pure.

import { InstanceConfig, Taint, Toleration, VerifyConfig } from "../config/types";
import {
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
} from "../facts/operator";
import { HOLDS_DATA_LABEL, PROJECT, serviceHost } from "../facts/project";
import { placementAffinity, zoneSpread } from "./placement";
import { redisCommand, redisConfigLines, sentinelConfigLines } from "./redisConfig";
import { REDIS_TERMINATION_GRACE_SECONDS, shutdownConfigMapName } from "./redisShutdown";

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

/**
 * `spec.bootstrapNode` (api/redisfailover/v1/types.go BootstrapSettings; the port is a string there):
 * while set, every pass makes each pod a replica of `host` (checker.go checkAndHealBootstrapMode,
 * heal.go SetExternalMasterOnAll) and points the sentinels at it. Sentinels are allowed so that once
 * the setting is removed the operator waits instead of promoting a pod at a moment of its choosing:
 * checker.go, case 0, promotes the oldest only when the sentinels lack quorum (CheckSentinelQuorum)
 * or every redis still follows 127.0.0.1 (CheckIfMasterLocalhost); the cut-over promotes instead.
 */
export function bootstrapNode(from: NonNullable<InstanceConfig["bootstrapFrom"]>) {
    return { host: from.host, port: String(from.port), allowSentinels: true };
}

/**
 * The post-deploy health check of an instance, if any: none while it is moved in, since its rules
 * (one master among the pods, sentinels agreeing on it) cannot hold before the cut-over;
 * `npm run migrate -- status` checks that phase instead.
 */
export function healthCheckOf(instance: Pick<InstanceConfig, "bootstrapFrom">, verify: VerifyConfig): VerifyConfig | undefined {
    return verify.enabled && !instance.bootstrapFrom ? verify : undefined;
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
            ...(instance.bootstrapFrom ? { bootstrapNode: bootstrapNode(instance.bootstrapFrom) } : {}),
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
                image: redis.image,
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
