// Parses and validates a stack's raw configuration into `StackConfig`, reporting every
// problem at once with the full key that holds it. Pure: no Pulumi runtime needed.

import { Checker, ConfigError, ConfigIssue, RawObject, withDefault } from "./checker";
import {
    AppEnvEntry,
    BastionConfig,
    ClusterConfig,
    NodeConfig,
    VerifyConfig,
    AppSecretsConfig,
    AlertsConfig,
    ExternalSecretTarget,
    ContainerResources,
    InstanceConfig,
    MAXMEMORY_POLICIES,
    OperatorConfig,
    RedisSettings,
    RedisStorage,
    ResourceQuantities,
    SentinelSettings,
    StackConfig,
    TAINT_EFFECTS,
    Taint,
    Toleration,
} from "./types";
import { formatBytes, isK8sCpuQuantity, parseK8sMemoryBytes, parseRedisBytes } from "./units";

/** The Pulumi project name, and so the namespace of every config key this program reads. */
export const PROJECT = "redis-ha";

/** How each top-level key is delivered: Pulumi passes objects and booleans as JSON text. */
const TOP_LEVEL_KEYS = {
    highlyAvailable: "json",
    protectData: "json",
    namespace: "text",
    placementLabel: "text",
    exporterImage: "text",
    kubeconfig: "text",
    operator: "json",
    instances: "json",
    appEnv: "json",
    cluster: "json",
    nodes: "json",
    sshPrivateKey: "text",
    verify: "json",
    appSecrets: "json",
    alerts: "json",
} as const;

/** The share of the redis container's memory limit that `maxmemory` may use; fork and buffers need the rest. */
export const MAXMEMORY_LIMIT_RATIO = 0.75;

/** The operator rejects longer RedisFailover names. */
export const MAX_FAILOVER_NAME_LENGTH = 48;

/** Defaults of the operator installation (chart 3.3.0, operator 1.3.0). */
export const OPERATOR_DEFAULTS: OperatorConfig = {
    namespace: "redis-operator",
    chartVersion: "3.3.0",
    chartRepository: "https://spotahome.github.io/redis-operator",
    imageRepository: "quay.io/spotahome/redis-operator",
    imageTag: "v1.3.0",
    // Commit of tag Chart-3.3.0; its CRD is byte-identical to v1.3.0-rc1 and there is no v1.3.0 tag.
    crdRef: "469fbcb8496ea1ae3ca0f39f8600b967c6f8712e",
    replicas: 1,
    nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
    tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
    monitoring: false,
};

const DEFAULT_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.62.0";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_WHY = "is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric)";
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
// An image reference pinned by a tag other than `latest`, or by digest.
const PINNED_IMAGE = /^[^\s:@]+(?::[^\s:@/]+)*(:(?!latest$)[\w][\w.-]*|@sha256:[a-f0-9]{64})$/;

/** Directives set from typed settings (or by the operator) that free-form lines may not override. */
const MANAGED_REDIS_DIRECTIVES = ["maxmemory", "maxmemory-policy", "appendonly", "port", "replicaof", "slaveof", "requirepass", "masterauth"];
const MANAGED_SENTINEL_DIRECTIVES = ["down-after-milliseconds", "failover-timeout", "monitor", "auth-pass"];

/** Decodes Pulumi's string-valued config map into JSON values, reporting undecodable ones. */
function decodeTopLevel(checker: Checker, raw: Record<string, string>): RawObject {
    const decoded: RawObject = {};
    const prefix = `${PROJECT}:`;
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(prefix)) {
            continue; // other packages' settings (aws:region, kubernetes:...) are not ours to judge
        }
        const key = fullKey.slice(prefix.length);
        const kind = (TOP_LEVEL_KEYS as Record<string, string>)[key];
        if (kind === undefined) {
            checker.fail(fullKey, `unknown setting; expected one of: ${Object.keys(TOP_LEVEL_KEYS).join(", ")}`);
        } else if (kind === "text") {
            decoded[key] = text;
        } else {
            try {
                decoded[key] = JSON.parse(text);
            } catch {
                checker.fail(fullKey, `must be a YAML object, list or boolean, got text ${JSON.stringify(text)}`);
            }
        }
    }
    return decoded;
}

function parseQuantities(c: Checker, key: string, value: unknown): ResourceQuantities | undefined {
    const raw = c.object(key, value, ["cpu", "memory"]);
    if (!raw) {
        return undefined;
    }
    const out: ResourceQuantities = {};
    if (raw.cpu !== undefined) {
        const cpu = typeof raw.cpu === "number" ? String(raw.cpu) : c.string(`${key}.cpu`, raw.cpu);
        if (cpu !== undefined && !isK8sCpuQuantity(cpu)) {
            c.fail(`${key}.cpu`, `${JSON.stringify(cpu)} is not a CPU quantity (e.g. 300m or 0.5)`);
        }
        out.cpu = cpu;
    }
    if (raw.memory !== undefined) {
        const memory = c.string(`${key}.memory`, raw.memory);
        if (memory !== undefined && parseK8sMemoryBytes(memory) === undefined) {
            c.fail(`${key}.memory`, `${JSON.stringify(memory)} is not a memory quantity (e.g. 512Mi or 1Gi)`);
        }
        out.memory = memory;
    }
    return out;
}

function parseResources(c: Checker, key: string, value: unknown): ContainerResources | undefined {
    const raw = c.object(key, value, ["requests", "limits"]);
    if (!raw) {
        return undefined;
    }
    return {
        requests: raw.requests === undefined ? undefined : parseQuantities(c, `${key}.requests`, raw.requests),
        limits: raw.limits === undefined ? undefined : parseQuantities(c, `${key}.limits`, raw.limits),
    };
}

function parseCustomConfig(c: Checker, key: string, value: unknown, managed: string[]): string[] {
    const lines = withDefault(value, [], (v) => c.stringList(key, v)) ?? [];
    lines.forEach((line, index) => {
        const directive = line.trim().split(/\s+/)[0].toLowerCase();
        if (managed.includes(directive)) {
            c.fail(`${key}[${index}]`, `"${directive}" is set by this program (typed setting or operator); remove the line`);
        }
    });
    return lines;
}

function parseSentinel(c: Checker, key: string, value: unknown, highlyAvailable: boolean): SentinelSettings | undefined {
    const raw = c.object(key, value, ["replicas", "resources", "downAfterMilliseconds", "failoverTimeout", "customConfig"]);
    if (!raw) {
        return undefined;
    }
    const replicas = c.integer(`${key}.replicas`, raw.replicas, 1);
    if (replicas !== undefined) {
        if (highlyAvailable && replicas < 3) {
            c.fail(`${key}.replicas`, `a highly available stack needs at least 3 sentinels for a quorum, got ${replicas}`);
        } else if (replicas !== 1 && (replicas < 3 || replicas % 2 === 0)) {
            c.fail(`${key}.replicas`, `must be 1 (non-HA stacks only) or odd and at least 3, so a majority can agree; got ${replicas}`);
        }
    }
    const settings: SentinelSettings = {
        replicas: replicas ?? 0,
        resources: raw.resources === undefined ? undefined : parseResources(c, `${key}.resources`, raw.resources),
        downAfterMilliseconds: withDefault(raw.downAfterMilliseconds, 5000, (v) => c.integer(`${key}.downAfterMilliseconds`, v, 100)) ?? 0,
        failoverTimeout: withDefault(raw.failoverTimeout, 10000, (v) => c.integer(`${key}.failoverTimeout`, v, 1000)) ?? 0,
        customConfig: parseCustomConfig(c, `${key}.customConfig`, raw.customConfig, MANAGED_SENTINEL_DIRECTIVES),
    };
    return settings;
}

function parseStorage(c: Checker, key: string, value: unknown, protectData: boolean): RedisStorage | undefined {
    if (value === undefined) {
        return { kind: "emptyDir" };
    }
    const raw = c.object(key, value, ["emptyDir", "persistentVolumeClaim", "keepAfterDeletion"]);
    if (!raw) {
        return undefined;
    }
    if (raw.emptyDir !== undefined && raw.persistentVolumeClaim !== undefined) {
        return c.fail(key, "sets both emptyDir and persistentVolumeClaim; choose one");
    }
    if (raw.persistentVolumeClaim === undefined) {
        if (raw.emptyDir !== undefined) {
            c.object(`${key}.emptyDir`, raw.emptyDir, []);
        }
        if (raw.keepAfterDeletion !== undefined) {
            c.fail(`${key}.keepAfterDeletion`, "only applies to persistentVolumeClaim storage");
        }
        return { kind: "emptyDir" };
    }
    const pvcKey = `${key}.persistentVolumeClaim`;
    const pvc = c.object(pvcKey, raw.persistentVolumeClaim, ["size", "storageClass", "accessModes"]);
    if (!pvc) {
        return undefined;
    }
    const size =
        pvc.size === undefined
            ? c.fail(`${pvcKey}.size`, "persistent storage needs a size (e.g. 1Gi)")
            : c.string(`${pvcKey}.size`, pvc.size);
    if (size !== undefined && parseK8sMemoryBytes(size) === undefined) {
        c.fail(`${pvcKey}.size`, `${JSON.stringify(size)} is not a storage quantity (e.g. 1Gi)`);
    }
    const storageClass =
        pvc.storageClass === undefined
            ? c.fail(`${pvcKey}.storageClass`, "persistent storage needs a storage class (e.g. gp3)")
            : c.string(`${pvcKey}.storageClass`, pvc.storageClass, DNS_LABEL, DNS_LABEL_WHY);
    const accessModes = withDefault(pvc.accessModes, ["ReadWriteOnce"], (v) => c.stringList(`${pvcKey}.accessModes`, v));
    const keepAfterDeletion = withDefault(raw.keepAfterDeletion, protectData, (v) => c.boolean(`${key}.keepAfterDeletion`, v));
    if (size === undefined || storageClass === undefined || accessModes === undefined || keepAfterDeletion === undefined) {
        return undefined;
    }
    return { kind: "persistentVolumeClaim", size, storageClass, accessModes, keepAfterDeletion };
}

function parseRedis(c: Checker, key: string, value: unknown, stack: { highlyAvailable: boolean; protectData: boolean }): RedisSettings | undefined {
    const raw = c.object(key, value, [
        "replicas",
        "resources",
        "maxmemory",
        "maxmemoryPolicy",
        "appendonly",
        "storage",
        "customConfig",
        "exporter",
    ]);
    if (!raw) {
        return undefined;
    }
    const replicas = c.integer(`${key}.replicas`, raw.replicas, 1);
    if (replicas !== undefined && stack.highlyAvailable && replicas < 3) {
        c.fail(`${key}.replicas`, `a highly available stack needs at least 3 redis (1 master + 2 replicas), got ${replicas}`);
    }
    const resources =
        raw.resources === undefined
            ? c.fail(`${key}.resources`, "redis needs resources.limits.memory, which bounds maxmemory")
            : parseResources(c, `${key}.resources`, raw.resources);
    const limitText = resources?.limits?.memory;
    if (resources && limitText === undefined) {
        c.fail(`${key}.resources.limits.memory`, "redis needs a memory limit, which bounds maxmemory");
    }
    const maxmemory = c.string(`${key}.maxmemory`, raw.maxmemory);
    const maxmemoryBytes = maxmemory === undefined ? undefined : parseRedisBytes(maxmemory);
    if (maxmemory !== undefined && (maxmemoryBytes === undefined || maxmemoryBytes === 0)) {
        c.fail(`${key}.maxmemory`, `${JSON.stringify(maxmemory)} is not a Redis memory size above zero (e.g. 256mb, 1gb)`);
    }
    const limitBytes = limitText === undefined ? undefined : parseK8sMemoryBytes(limitText);
    if (maxmemoryBytes && limitBytes && maxmemoryBytes > limitBytes * MAXMEMORY_LIMIT_RATIO) {
        c.fail(
            `${key}.maxmemory`,
            `${maxmemory} (${formatBytes(maxmemoryBytes)}) exceeds ${MAXMEMORY_LIMIT_RATIO * 100}% of the memory limit ` +
                `${limitText} (${formatBytes(limitBytes * MAXMEMORY_LIMIT_RATIO)}); fork and replication buffers need the rest`,
        );
    }
    const maxmemoryPolicy = c.oneOf(`${key}.maxmemoryPolicy`, raw.maxmemoryPolicy, MAXMEMORY_POLICIES);
    const appendonly = withDefault(raw.appendonly, false, (v) => c.boolean(`${key}.appendonly`, v));
    const storage = parseStorage(c, `${key}.storage`, raw.storage, stack.protectData);
    const customConfig = parseCustomConfig(c, `${key}.customConfig`, raw.customConfig, MANAGED_REDIS_DIRECTIVES);
    const exporter = withDefault(raw.exporter, true, (v) => c.boolean(`${key}.exporter`, v));
    if (
        replicas === undefined ||
        resources === undefined ||
        maxmemory === undefined ||
        maxmemoryBytes === undefined ||
        maxmemoryPolicy === undefined ||
        appendonly === undefined ||
        storage === undefined ||
        exporter === undefined
    ) {
        return undefined;
    }
    return { replicas, resources, maxmemory, maxmemoryBytes, maxmemoryPolicy, appendonly, storage, customConfig, exporter };
}

function parseTaint(c: Checker, key: string, value: unknown): Taint | undefined {
    const raw = c.object(key, value, ["key", "value", "effect"]);
    if (!raw) {
        return undefined;
    }
    const taintKey = c.string(`${key}.key`, raw.key, LABEL_KEY, "is not a valid taint key");
    const taintValue = withDefault(raw.value, "", (v) => c.string(`${key}.value`, v));
    const effect = c.oneOf(`${key}.effect`, raw.effect, TAINT_EFFECTS);
    if (taintKey === undefined || taintValue === undefined || effect === undefined) {
        return undefined;
    }
    return { key: taintKey, value: taintValue, effect };
}

function parseInstance(
    c: Checker,
    key: string,
    purpose: string,
    value: unknown,
    stack: { highlyAvailable: boolean; protectData: boolean },
): InstanceConfig | undefined {
    c.string(key, purpose, DNS_LABEL, `(the instance key) ${DNS_LABEL_WHY}; it is used as a node label value`);
    const raw = c.object(key, value, ["name", "sentinel", "redis", "taint", "holdsData"]);
    if (!raw) {
        return undefined;
    }
    const name = withDefault(raw.name, `${purpose}-redis`, (v) => c.string(`${key}.name`, v));
    if (name !== undefined) {
        const nameKey = raw.name === undefined ? `${key} (default name ${name})` : `${key}.name`;
        if (!DNS_LABEL.test(name)) {
            c.fail(nameKey, `${JSON.stringify(name)} ${DNS_LABEL_WHY}`);
        } else if (name.length > MAX_FAILOVER_NAME_LENGTH) {
            c.fail(nameKey, `${JSON.stringify(name)} has ${name.length} characters; the operator accepts at most ${MAX_FAILOVER_NAME_LENGTH}`);
        }
    }
    const sentinel =
        raw.sentinel === undefined
            ? c.fail(`${key}.sentinel`, "is required (at least sentinel.replicas)")
            : parseSentinel(c, `${key}.sentinel`, raw.sentinel, stack.highlyAvailable);
    const redis =
        raw.redis === undefined ? c.fail(`${key}.redis`, "is required") : parseRedis(c, `${key}.redis`, raw.redis, stack);
    const taint = raw.taint === undefined ? undefined : parseTaint(c, `${key}.taint`, raw.taint);
    const holdsData = withDefault(raw.holdsData, redis?.storage.kind === "persistentVolumeClaim", (v) => c.boolean(`${key}.holdsData`, v));
    if (holdsData && redis) {
        // Data that must never be lost: nothing evicted, every write logged, a volume that outlives the pod.
        if (redis.maxmemoryPolicy !== "noeviction") c.fail(`${key}.redis.maxmemoryPolicy`, `a data-holding instance must be noeviction, got ${redis.maxmemoryPolicy}`);
        if (!redis.appendonly) c.fail(`${key}.redis.appendonly`, "a data-holding instance must have AOF on");
        if (redis.storage.kind !== "persistentVolumeClaim") c.fail(`${key}.redis.storage`, "a data-holding instance must use a persistentVolumeClaim");
    }
    if (name === undefined || sentinel === undefined || redis === undefined || holdsData === undefined || (raw.taint !== undefined && taint === undefined)) {
        return undefined;
    }
    return { purpose, name, sentinel, redis, taint, holdsData };
}

function parseTolerations(c: Checker, key: string, value: unknown): Toleration[] | undefined {
    const items = c.list(key, value);
    if (!items) {
        return undefined;
    }
    const tolerations = items.map((item, index): Toleration | undefined => {
        const itemKey = `${key}[${index}]`;
        const raw = c.object(itemKey, item, ["key", "operator", "value", "effect"]);
        if (!raw) {
            return undefined;
        }
        const operator = withDefault(raw.operator, "Equal" as const, (v) => c.oneOf(`${itemKey}.operator`, v, ["Exists", "Equal"] as const));
        const toleration: Toleration = { operator: operator ?? "Equal" };
        if (raw.key !== undefined) toleration.key = c.string(`${itemKey}.key`, raw.key, LABEL_KEY, "is not a valid taint key");
        if (raw.value !== undefined) toleration.value = c.string(`${itemKey}.value`, raw.value);
        if (raw.effect !== undefined) toleration.effect = c.oneOf(`${itemKey}.effect`, raw.effect, TAINT_EFFECTS);
        return toleration;
    });
    return tolerations.every((t): t is Toleration => t !== undefined) ? tolerations : undefined;
}

function parseOperator(c: Checker, key: string, value: unknown): OperatorConfig | undefined {
    if (value === undefined) {
        return OPERATOR_DEFAULTS;
    }
    const raw = c.object(key, value, [
        "namespace",
        "chartVersion",
        "chartRepository",
        "imageRepository",
        "imageTag",
        "crdRef",
        "replicas",
        "resources",
        "nodeSelector",
        "tolerations",
        "monitoring",
    ]);
    if (!raw) {
        return undefined;
    }
    const d = OPERATOR_DEFAULTS;
    const text = (field: string, fallback: string, pattern?: RegExp, why?: string) =>
        withDefault(raw[field], fallback, (v) => c.string(`${key}.${field}`, v, pattern, why));
    const operator = {
        namespace: text("namespace", d.namespace, DNS_LABEL, DNS_LABEL_WHY),
        chartVersion: text("chartVersion", d.chartVersion, /^\d+\.\d+\.\d+([-+][\w.]+)?$/, "is not an exact chart version (e.g. 3.3.0; write it quoted)"),
        chartRepository: text("chartRepository", d.chartRepository, /^(https?|oci):\/\//, "is not a Helm repository URL"),
        imageRepository: text("imageRepository", d.imageRepository),
        imageTag: text("imageTag", d.imageTag, /^(?!latest$)[\w][\w.-]*$/, "is not a pinned image tag (latest is not allowed)"),
        crdRef: text("crdRef", d.crdRef, /^[\w][\w.\-/]*$/, "is not a git tag or commit"),
        replicas: withDefault(raw.replicas, d.replicas, (v) => c.integer(`${key}.replicas`, v, 1, 5)),
        resources: raw.resources === undefined ? undefined : parseResources(c, `${key}.resources`, raw.resources),
        nodeSelector: withDefault(raw.nodeSelector, d.nodeSelector, (v) => c.stringMap(`${key}.nodeSelector`, v)),
        tolerations: withDefault(raw.tolerations, d.tolerations, (v) => parseTolerations(c, `${key}.tolerations`, v)),
        monitoring: withDefault(raw.monitoring, d.monitoring, (v) => c.boolean(`${key}.monitoring`, v)),
    };
    for (const [field, fieldValue] of Object.entries(operator)) {
        if (fieldValue === undefined && (field !== "resources" || raw.resources !== undefined)) {
            return undefined;
        }
    }
    return operator as OperatorConfig;
}

function parseAppEnv(c: Checker, key: string, value: unknown, purposes: Set<string>): AppEnvEntry[] {
    const items = withDefault(value, [], (v) => c.list(key, v)) ?? [];
    const seen = new Map<string, number>();
    const entries: AppEnvEntry[] = [];
    items.forEach((item, index) => {
        const itemKey = `${key}[${index}]`;
        const raw = c.object(itemKey, item, ["name", "instance", "db"]);
        if (!raw) {
            return;
        }
        const name = c.string(`${itemKey}.name`, raw.name, ENV_NAME, "is not an environment variable name (A-Z, 0-9, _)");
        if (name !== undefined) {
            const first = seen.get(name);
            if (first !== undefined) {
                c.fail(`${itemKey}.name`, `${name} is already defined by ${key}[${first}]`);
            } else {
                seen.set(name, index);
            }
        }
        const instance = c.string(`${itemKey}.instance`, raw.instance);
        if (instance !== undefined && !purposes.has(instance)) {
            c.fail(`${itemKey}.instance`, `names no instance; defined: ${[...purposes].join(", ") || "(none)"}`);
        }
        const db = c.integer(`${itemKey}.db`, raw.db, 0, 15);
        if (name !== undefined && instance !== undefined && db !== undefined) {
            entries.push({ name, instance, db });
        }
    });
    return entries;
}

const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$/;
const HOST_KEY_WHY = "is not an SSH public host key (`ssh-ed25519 AAAA...`)";
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const ENDPOINT = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:\d{1,5}$/;

/** Defaults of the cluster settings managed nodes use. */
export const CLUSTER_DEFAULTS = {
    kubernetesVersion: "1.28.4",
    sshUser: "ubuntu",
    nodeNamePrefix: "k8s-redis",
    // kubeadm 1.28 expects pause 3.9; a mismatch makes kubeadm warn and kubelet pull twice.
    pauseImage: "registry.k8s.io/pause:3.9",
    vcpuQuotaPreflight: true,
    drainTimeoutSeconds: 120,
    readyTimeoutSeconds: 300,
} as const;

function parseBastion(c: Checker, key: string, value: unknown): BastionConfig | undefined {
    const raw = c.object(key, value, ["host", "user", "port", "hostKey"]);
    if (!raw) {
        return undefined;
    }
    const host = c.string(`${key}.host`, raw.host, HOST, "is not a host name or address");
    const user = withDefault(raw.user, CLUSTER_DEFAULTS.sshUser as string, (v) => c.string(`${key}.user`, v));
    const port = withDefault(raw.port, 22, (v) => c.integer(`${key}.port`, v, 1, 65535));
    const hostKey = raw.hostKey === undefined ? undefined : c.string(`${key}.hostKey`, raw.hostKey, HOST_KEY, HOST_KEY_WHY);
    if (host === undefined || user === undefined || port === undefined) {
        return undefined;
    }
    return { host, user, port, ...(hostKey ? { hostKey } : {}) };
}

function parseCluster(c: Checker, key: string, value: unknown): ClusterConfig | undefined {
    const raw = c.object(key, value, [
        "kubernetesVersion",
        "controlPlaneEndpoint",
        "controlPlaneHost",
        "controlPlaneHostKey",
        "controlPlaneSecurityGroupId",
        "securityGroupIds",
        "vpcId",
        "sshUser",
        "bastion",
        "amiId",
        "keyName",
        "nodeNamePrefix",
        "pauseImage",
        "vcpuQuotaPreflight",
        "drainTimeoutSeconds",
        "readyTimeoutSeconds",
    ]);
    if (!raw) {
        return undefined;
    }
    const d = CLUSTER_DEFAULTS;
    const required = (field: string, pattern: RegExp, why: string) =>
        raw[field] === undefined ? c.fail(`${key}.${field}`, "is required when nodes are managed") : c.string(`${key}.${field}`, raw[field], pattern, why);
    const endpoint = required("controlPlaneEndpoint", ENDPOINT, "is not host:port of the API server (e.g. 10.0.1.10:6443)");
    const cluster = {
        kubernetesVersion: withDefault(raw.kubernetesVersion, d.kubernetesVersion as string, (v) =>
            c.string(`${key}.kubernetesVersion`, v, /^1\.\d+\.\d+$/, "is not an exact Kubernetes version (e.g. 1.28.4; write it quoted)"),
        ),
        controlPlaneEndpoint: endpoint,
        controlPlaneHost: withDefault(raw.controlPlaneHost, endpoint?.split(":")[0], (v) => c.string(`${key}.controlPlaneHost`, v, HOST, "is not a host name or address")),
        controlPlaneHostKey: raw.controlPlaneHostKey === undefined ? undefined : c.string(`${key}.controlPlaneHostKey`, raw.controlPlaneHostKey, HOST_KEY, HOST_KEY_WHY),
        controlPlaneSecurityGroupId: required("controlPlaneSecurityGroupId", /^sg-[0-9a-f]+$/, "is not a security group id (sg-...)"),
        securityGroupIds: withDefault(raw.securityGroupIds, [] as string[], (v) => c.stringList(`${key}.securityGroupIds`, v)),
        vpcId: required("vpcId", /^vpc-[0-9a-f]+$/, "is not a VPC id (vpc-...)"),
        sshUser: withDefault(raw.sshUser, d.sshUser as string, (v) => c.string(`${key}.sshUser`, v)),
        bastion: raw.bastion === undefined ? undefined : parseBastion(c, `${key}.bastion`, raw.bastion),
        amiId: raw.amiId === undefined ? undefined : c.string(`${key}.amiId`, raw.amiId, /^ami-[0-9a-f]+$/, "is not an AMI id (ami-...)"),
        keyName: raw.keyName === undefined ? undefined : c.string(`${key}.keyName`, raw.keyName),
        nodeNamePrefix: withDefault(raw.nodeNamePrefix, d.nodeNamePrefix as string, (v) => c.string(`${key}.nodeNamePrefix`, v, DNS_LABEL, DNS_LABEL_WHY)),
        pauseImage: withDefault(raw.pauseImage, d.pauseImage as string, (v) => c.string(`${key}.pauseImage`, v, PINNED_IMAGE, "is not pinned: give a tag other than latest, or a digest")),
        vcpuQuotaPreflight: withDefault(raw.vcpuQuotaPreflight, d.vcpuQuotaPreflight as boolean, (v) => c.boolean(`${key}.vcpuQuotaPreflight`, v)),
        drainTimeoutSeconds: withDefault(raw.drainTimeoutSeconds, d.drainTimeoutSeconds as number, (v) => c.integer(`${key}.drainTimeoutSeconds`, v, 10, 3600)),
        readyTimeoutSeconds: withDefault(raw.readyTimeoutSeconds, d.readyTimeoutSeconds as number, (v) => c.integer(`${key}.readyTimeoutSeconds`, v, 10, 3600)),
    };
    cluster.securityGroupIds?.forEach((id, index) => {
        if (!/^sg-[0-9a-f]+$/.test(id)) {
            c.fail(`${key}.securityGroupIds[${index}]`, `${JSON.stringify(id)} is not a security group id (sg-...)`);
        }
    });
    const optional = new Set(["controlPlaneHostKey", "bastion", "amiId", "keyName"]);
    for (const [field, fieldValue] of Object.entries(cluster)) {
        if (fieldValue === undefined && (!optional.has(field) || raw[field] !== undefined)) {
            return undefined;
        }
    }
    return Object.fromEntries(Object.entries(cluster).filter(([, v]) => v !== undefined)) as unknown as ClusterConfig;
}

function parseNodes(c: Checker, key: string, value: unknown, purposes: Set<string>, nodeNamePrefix: string): NodeConfig[] {
    const raw = withDefault(value, {}, (v) => c.map(key, v)) ?? {};
    const nodes: NodeConfig[] = [];
    for (const [purpose, item] of Object.entries(raw)) {
        const itemKey = `${key}.${purpose}`;
        if (!purposes.has(purpose)) {
            c.fail(itemKey, `names no instance; defined: ${[...purposes].join(", ") || "(none)"}`);
        }
        const nodeName = `${nodeNamePrefix}-${purpose}`;
        if (nodeName.length > 63) {
            c.fail(itemKey, `node name ${nodeName} is longer than 63 characters`);
        }
        const fields = c.object(itemKey, item, ["instanceType", "subnetId", "rootVolumeGiB"]);
        if (!fields) {
            continue;
        }
        const instanceType = c.string(`${itemKey}.instanceType`, fields.instanceType, /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "is not an EC2 instance type (e.g. t3.medium)");
        const subnetId = c.string(`${itemKey}.subnetId`, fields.subnetId, /^subnet-[0-9a-f]+$/, "is not a subnet id (subnet-...)");
        const rootVolumeGiB = withDefault(fields.rootVolumeGiB, 30, (v) => c.integer(`${itemKey}.rootVolumeGiB`, v, 8, 16384));
        if (instanceType !== undefined && subnetId !== undefined && rootVolumeGiB !== undefined) {
            nodes.push({ purpose, instanceType, subnetId, rootVolumeGiB });
        }
    }
    return nodes;
}

function parseVerify(c: Checker, key: string, value: unknown): VerifyConfig | undefined {
    const defaults: VerifyConfig = { enabled: true, transport: "kubernetes", timeoutSeconds: 300 };
    if (value === undefined) {
        return defaults;
    }
    const raw = c.object(key, value, ["enabled", "transport", "timeoutSeconds"]);
    if (!raw) {
        return undefined;
    }
    const enabled = withDefault(raw.enabled, defaults.enabled, (v) => c.boolean(`${key}.enabled`, v));
    const transport = withDefault(raw.transport, defaults.transport, (v) => c.oneOf(`${key}.transport`, v, ["kubernetes", "direct"] as const));
    const timeoutSeconds = withDefault(raw.timeoutSeconds, defaults.timeoutSeconds, (v) => c.integer(`${key}.timeoutSeconds`, v, 5, 3600));
    if (enabled === undefined || transport === undefined || timeoutSeconds === undefined) {
        return undefined;
    }
    return { enabled, transport, timeoutSeconds };
}

function parseExternalSecrets(c: Checker, key: string, value: unknown): ExternalSecretTarget[] | undefined {
    const items = c.list(key, value);
    if (!items) return undefined;
    const targets = items.map((item, index): ExternalSecretTarget | undefined => {
        const itemKey = `${key}[${index}]`;
        const raw = c.object(itemKey, item, ["namespace", "name", "storeName", "storeKind", "refreshInterval"]);
        if (!raw) return undefined;
        const namespace = c.string(`${itemKey}.namespace`, raw.namespace, DNS_LABEL, DNS_LABEL_WHY);
        const name = withDefault(raw.name, "redis-env", (v) => c.string(`${itemKey}.name`, v, DNS_LABEL, DNS_LABEL_WHY));
        const storeName = c.string(`${itemKey}.storeName`, raw.storeName);
        const storeKind = withDefault(raw.storeKind, "ClusterSecretStore" as const, (v) => c.oneOf(`${itemKey}.storeKind`, v, ["ClusterSecretStore", "SecretStore"] as const));
        const refreshInterval = withDefault(raw.refreshInterval, "1h", (v) => c.string(`${itemKey}.refreshInterval`, v, /^\d+[smh]$/, "is not a duration (e.g. 1h, 30m)"));
        if (!namespace || !name || !storeName || !storeKind || !refreshInterval) return undefined;
        return { namespace, name, storeName, storeKind, refreshInterval };
    });
    return targets.every((t): t is ExternalSecretTarget => t !== undefined) ? targets : undefined;
}

function parseAppSecrets(c: Checker, key: string, value: unknown, stackName: string): AppSecretsConfig | undefined {
    const defaults: AppSecretsConfig = { enabled: false, name: `redis-ha/${stackName}/app-env`, externalSecrets: [] };
    if (value === undefined) return defaults;
    const raw = c.object(key, value, ["enabled", "name", "kmsKeyId", "externalSecrets"]);
    if (!raw) return undefined;
    const enabled = withDefault(raw.enabled, true, (v) => c.boolean(`${key}.enabled`, v));
    const name = withDefault(raw.name, defaults.name, (v) => c.string(`${key}.name`, v, /^[A-Za-z0-9/_+=.@-]{1,512}$/, "is not a Secrets Manager name (letters, digits, /_+=.@-)"));
    const kmsKeyId = raw.kmsKeyId === undefined ? undefined : c.string(`${key}.kmsKeyId`, raw.kmsKeyId);
    const externalSecrets = withDefault(raw.externalSecrets, [] as ExternalSecretTarget[], (v) => parseExternalSecrets(c, `${key}.externalSecrets`, v));
    if (enabled === undefined || name === undefined || externalSecrets === undefined || (raw.kmsKeyId !== undefined && kmsKeyId === undefined)) return undefined;
    if (!enabled && externalSecrets.length > 0) c.fail(`${key}.externalSecrets`, "ExternalSecrets read the published secret; enable appSecrets or remove them");
    return { enabled, name, ...(kmsKeyId ? { kmsKeyId } : {}), externalSecrets };
}

function parseAlerts(c: Checker, key: string, value: unknown): AlertsConfig | undefined {
    const defaults: AlertsConfig = { enabled: false, labels: {}, memoryRatio: 0.8 };
    if (value === undefined) return defaults;
    const raw = c.object(key, value, ["enabled", "labels", "memoryRatio"]);
    if (!raw) return undefined;
    const enabled = withDefault(raw.enabled, true, (v) => c.boolean(`${key}.enabled`, v));
    const labels = withDefault(raw.labels, defaults.labels, (v) => c.stringMap(`${key}.labels`, v));
    const memoryRatio =
        raw.memoryRatio === undefined
            ? defaults.memoryRatio
            : typeof raw.memoryRatio === "number" && raw.memoryRatio > 0 && raw.memoryRatio < 1
              ? raw.memoryRatio
              : c.fail(`${key}.memoryRatio`, `must be a number between 0 and 1, got ${JSON.stringify(raw.memoryRatio)}`);
    if (enabled === undefined || labels === undefined || memoryRatio === undefined) return undefined;
    return { enabled, labels, memoryRatio };
}

/**
 * Parses Pulumi's config map (keys `redis-ha:<name>`, values as Pulumi stores them) into a
 * `StackConfig`, or returns every issue found.
 */
export function parseStackConfig(raw: Record<string, string>, stackName = "dev"): { config?: StackConfig; issues: ConfigIssue[] } {
    const c = new Checker();
    const top = decodeTopLevel(c, raw);
    const k = (name: string) => `${PROJECT}:${name}`;

    const highlyAvailable = withDefault(top.highlyAvailable, false, (v) => c.boolean(k("highlyAvailable"), v)) ?? false;
    const protectData = withDefault(top.protectData, highlyAvailable, (v) => c.boolean(k("protectData"), v)) ?? false;
    const stack = { highlyAvailable, protectData };
    const namespace = withDefault(top.namespace, "redis", (v) => c.string(k("namespace"), v, DNS_LABEL, DNS_LABEL_WHY));
    const placementLabel = withDefault(top.placementLabel, "redis-cluster", (v) =>
        c.string(k("placementLabel"), v, LABEL_KEY, "is not a valid label key"),
    );
    const exporterImage = withDefault(top.exporterImage, DEFAULT_EXPORTER_IMAGE, (v) =>
        c.string(k("exporterImage"), v, PINNED_IMAGE, "is not pinned: give a tag other than latest, or a digest"),
    );
    const operator = parseOperator(c, k("operator"), top.operator);

    const instances: InstanceConfig[] = [];
    const purposes = new Set<string>();
    const rawInstances = top.instances === undefined ? c.fail(k("instances"), "is required: at least one instance") : c.map(k("instances"), top.instances);
    if (rawInstances) {
        if (Object.keys(rawInstances).length === 0) {
            c.fail(k("instances"), "is empty: define at least one instance");
        }
        const names = new Map<string, string>();
        for (const [purpose, value] of Object.entries(rawInstances)) {
            purposes.add(purpose);
            const instance = parseInstance(c, `${k("instances")}.${purpose}`, purpose, value, stack);
            if (!instance) {
                continue;
            }
            const other = names.get(instance.name);
            if (other !== undefined) {
                c.fail(`${k("instances")}.${purpose}.name`, `"${instance.name}" is already the name of instance ${other}`);
            }
            names.set(instance.name, purpose);
            instances.push(instance);
        }
    }
    const appEnv = parseAppEnv(c, k("appEnv"), top.appEnv, purposes);

    // Managed nodes: declaring any requires the cluster they join. SSH uses sshPrivateKey when set,
    // else the SSH agent.
    const hasNodes = top.nodes !== undefined && typeof top.nodes === "object" && top.nodes !== null && Object.keys(top.nodes).length > 0;
    const cluster = hasNodes
        ? top.cluster === undefined
            ? c.fail(k("cluster"), "is required when nodes are declared: the cluster they join")
            : parseCluster(c, k("cluster"), top.cluster)
        : undefined;
    const nodes = parseNodes(c, k("nodes"), top.nodes, purposes, cluster?.nodeNamePrefix ?? CLUSTER_DEFAULTS.nodeNamePrefix);
    const verify = parseVerify(c, k("verify"), top.verify);
    const appSecrets = parseAppSecrets(c, k("appSecrets"), top.appSecrets, stackName);
    const alerts = parseAlerts(c, k("alerts"), top.alerts);

    if (c.issues.length > 0 || namespace === undefined || placementLabel === undefined || exporterImage === undefined || operator === undefined || verify === undefined || appSecrets === undefined || alerts === undefined) {
        return { issues: c.issues };
    }
    return {
        config: { highlyAvailable, protectData, namespace, placementLabel, exporterImage, operator, instances, appEnv, nodes, verify, appSecrets, alerts, ...(cluster ? { cluster } : {}) },
        issues: [],
    };
}

/** Like `parseStackConfig`, but throws a `ConfigError` listing every issue. */
export function parseStackConfigOrThrow(raw: Record<string, string>, stackName?: string): StackConfig {
    const { config, issues } = parseStackConfig(raw, stackName);
    if (!config) {
        throw new ConfigError(issues);
    }
    return config;
}
