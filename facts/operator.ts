// What the Spotahome redis-operator does, written once. Every other module imports these instead
// of spelling a prefix, label, port or name again. Paths are in spotahome/redis-operator (tag
// Chart-3.3.0, unchanged at the archived head 632aa3da).

/** API group, version and kind of the custom resource (`api/redisfailover/v1/register.go`). */
export const FAILOVER_GROUP = "databases.spotahome.com";
export const FAILOVER_VERSION = "v1";
export const FAILOVER_KIND = "RedisFailover";
export const FAILOVER_API_VERSION = `${FAILOVER_GROUP}/${FAILOVER_VERSION}`;
/** The Pulumi type token of a RedisFailover created as a `kubernetes.apiextensions.CustomResource`. */
export const FAILOVER_TYPE_TOKEN = `kubernetes:${FAILOVER_API_VERSION}:${FAILOVER_KIND}`;

/** The operator refuses longer RedisFailover names (`api/redisfailover/v1/validate.go`, `maxNameLength`). */
export const MAX_FAILOVER_NAME_LENGTH = 48;

/** The key of the password in the Secret `auth.secretPath` names (`service/k8s/util.go`, `GetRedisPassword`). */
export const AUTH_SECRET_KEY = "password";

/** Sentinel's name for the master; fixed in `service/generator.go` (`sentinelConfigTemplate`). */
export const MASTER_NAME = "mymaster";

/** Container ports: redis's default (`api/.../defaults.go`), sentinel's fixed one (`generator.go`). */
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

/** Exporter sidecars' ports (`service/constants.go`: `exporterPort`, `sentinelExporterPort`). */
export const REDIS_EXPORTER_PORT = 9121;
export const SENTINEL_EXPORTER_PORT = 9355;

/**
 * Memory the operator requests for containers config does not size: each exporter sidecar
 * (`service/constants.go` `exporterDefaultRequestMemory`, used by `createRedisExporterContainer` and
 * `createSentinelExporterContainer` when the spec gives no resources) and the sentinel pod's
 * config-copying init container (`generateSentinelDeployment`, requests 32Mi).
 */
export const EXPORTER_MEMORY_REQUEST = "50Mi";
export const SENTINEL_INIT_MEMORY_REQUEST = "32Mi";

/** The operator's check loop (`operator/redisfailover/factory.go`, `resync = 30 * time.Second`). */
export const RESYNC_SECONDS = 30;

/** The two pod kinds, as `app.kubernetes.io/component` names them (`service/constants.go`). */
export type FailoverComponent = "redis" | "sentinel";

/** Labels on every pod and Service of a failover (`service/client.go`, `generateSelectorLabels`). */
export const LABEL_NAME = "app.kubernetes.io/name";
export const LABEL_COMPONENT = "app.kubernetes.io/component";
export const LABEL_PART_OF = "app.kubernetes.io/part-of";
export const PART_OF_VALUE = "redis-failover";

/** Object names are `rf<kind>-<name>` (`service/names.go`, `generateName`). */
const objectName = (kind: string, failover: string) => `rf${kind}-${failover}`;

/** `rfrm-<name>`: the Service that follows the master (by the role label); where applications write. */
export const masterServiceName = (failover: string) => objectName("rm", failover);
/** `rfrs-<name>`: the Service of the replicas. */
export const replicaServiceName = (failover: string) => objectName("rs", failover);
/** `rfs-<name>`: the Sentinel Service, Deployment and ConfigMap. */
export const sentinelName = (failover: string) => objectName("s", failover);
/**
 * `rfr-<name>`: the Redis StatefulSet, its headless exporter Service and ConfigMap, which holds the
 * password in clear as `requirepass`/`masterauth` (`generator.go`, `generateRedisConfigMap`).
 */
export const redisName = (failover: string) => objectName("r", failover);

/** Label selector of one failover's pods, optionally of one component. */
/** The labels the operator puts on every pod of one component of a failover (`generateSelectorLabels`). */
export function componentSelector(failoverName: string, component: FailoverComponent): Record<string, string> {
    return { [LABEL_PART_OF]: PART_OF_VALUE, [LABEL_NAME]: failoverName, [LABEL_COMPONENT]: component };
}

export function podSelector(failover: string, component?: FailoverComponent): string {
    const labels = [`${LABEL_PART_OF}=${PART_OF_VALUE}`, `${LABEL_NAME}=${failover}`];
    return (component ? [...labels, `${LABEL_COMPONENT}=${component}`] : labels).join(",");
}

/** The container port a component listens on. */
export function componentPort(component: FailoverComponent): number {
    return component === "redis" ? REDIS_PORT : SENTINEL_PORT;
}

/** The CRD manifest at a git ref of the operator repository (`manifests/`). */
export function crdManifestUrl(ref: string): string {
    return `https://raw.githubusercontent.com/spotahome/redis-operator/${ref}/manifests/${FAILOVER_GROUP}_redisfailovers.yaml`;
}

/**
 * The redis container's preStop hook runs `/bin/sh /redis-shutdown/shutdown.sh` from the ConfigMap
 * `spec.redis.shutdownConfigMap` when set (which must then exist: `service/client.go`
 * `EnsureRedisShutdownConfigMap`), else from the operator's own (`generator.go`,
 * `generateRedisShutdownConfigMap`: one `SENTINEL failover`, then `sleep 31`).
 */
export const SHUTDOWN_SCRIPT_KEY = "shutdown.sh";
/** The pod's grace period when `spec.redis.terminationGracePeriod` is unset (`generator.go`). */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
/**
 * The Kubernetes service-link variables of the Sentinel Service in a redis pod, as the operator's
 * hook reads them: `RFS_<NAME>_SERVICE_HOST` and `..._SERVICE_PORT_SENTINEL`, the name upper-cased
 * with `-` as `_` (`generator.go`, `generateRedisShutdownConfigMap`).
 */
export function sentinelServiceEnv(failover: string): { host: string; port: string } {
    const prefix = sentinelName(failover).toUpperCase().replace(/-/g, "_");
    return { host: `${prefix}_SERVICE_HOST`, port: `${prefix}_SERVICE_PORT_SENTINEL` };
}

/**
 * The ACL user applications log in as. The operator sets only `requirepass` (the password of the
 * `default` user) and adds a `pinger` user for its probe (`service/generator.go`,
 * `redisConfigTemplate`, `generateRedisConfigMap`).
 */
export const REDIS_USER = "default";

/**
 * The operator's default redis command (`service/generator.go`, `getRedisCommand`): redis-server
 * with the config file it renders into its redis ConfigMap (`redisName`) and mounts at `/redis`
 * (`getRedisVolumeMounts`). The data volume is mounted at `/data`, the redis image's working
 * directory, which is where Redis writes (the operator's config sets no `dir`).
 */
export const OPERATOR_REDIS_COMMAND: readonly string[] = ["redis-server", "/redis/redis.conf"];
