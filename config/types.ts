// The validated shape of a stack's configuration. Produced only by `parseStackConfig`;
// components receive these types and never read Pulumi config themselves.

/** Redis's eight `maxmemory-policy` values. */
export const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
] as const;

/** One of Redis's eviction policies. */
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

/** Kubernetes taint effects. */
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** How pods react to a node taint they do not tolerate. */
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** CPU and memory quantities, as Kubernetes spells them. */
export interface ResourceQuantities {
    /** CPU, e.g. `300m` or `0.5`. */
    cpu?: string;
    /** Memory, e.g. `512Mi`. */
    memory?: string;
}

/** Container requests and limits. */
export interface ContainerResources {
    /** What the scheduler reserves. */
    requests?: ResourceQuantities;
    /** What the container may not exceed. */
    limits?: ResourceQuantities;
}

/** A node taint that keeps other workloads off a purpose's dedicated node. */
export interface Taint {
    /** Taint key, e.g. `dedicated`. */
    key: string;
    /** Taint value; empty matches a taint set without one. */
    value: string;
    /** What happens to pods that do not tolerate it. */
    effect: TaintEffect;
}

/** A pod toleration, as the Kubernetes API takes it. */
export interface Toleration {
    /** Taint key to match; absent with `Exists` matches every taint. */
    key?: string;
    /** `Exists` ignores the value; `Equal` requires it to match. */
    operator: "Exists" | "Equal";
    /** Value to match with `Equal`. */
    value?: string;
    /** Effect to match; absent matches all effects. */
    effect?: TaintEffect;
}

/** Settings of the Sentinel group that watches one instance. */
export interface SentinelSettings {
    /** Sentinel pods: 1 outside highly available stacks, otherwise odd and at least 3. */
    replicas: number;
    /** Sentinel container requests and limits. */
    resources?: ContainerResources;
    /** Milliseconds without an answer before a sentinel considers the master down. */
    downAfterMilliseconds: number;
    /** Milliseconds a failover may take before another is attempted. */
    failoverTimeout: number;
    /** Further sentinel directives, one `name value` per line. */
    customConfig: string[];
}

/** Where a redis pod keeps its data. */
export type RedisStorage =
    | {
          /** Pod-local scratch space, lost with the pod. */
          kind: "emptyDir";
      }
    | {
          /** A PersistentVolumeClaim per redis pod. */
          kind: "persistentVolumeClaim";
          /** Requested size, e.g. `1Gi`. */
          size: string;
          /** StorageClass that provisions the volume, e.g. `gp3`. */
          storageClass: string;
          /** Volume access modes. */
          accessModes: string[];
          /** Keep the claims when the RedisFailover is deleted. */
          keepAfterDeletion: boolean;
      };

/** Settings of the redis pods of one instance. */
export interface RedisSettings {
    /** Redis pods: one master plus replicas; at least 3 in highly available stacks. */
    replicas: number;
    /** Redis container requests and limits; `limits.memory` is always set. */
    resources: ContainerResources;
    /** `maxmemory` as written in config, e.g. `256mb`. */
    maxmemory: string;
    /** `maxmemory` in bytes. */
    maxmemoryBytes: number;
    /** Eviction policy when `maxmemory` is reached. */
    maxmemoryPolicy: MaxmemoryPolicy;
    /** Append-only file persistence. */
    appendonly: boolean;
    /** Volume for the data directory. */
    storage: RedisStorage;
    /** Further redis directives, one `name value` per line. */
    customConfig: string[];
    /** Run the Prometheus exporter sidecar. */
    exporter: boolean;
}

/** One purpose-built Redis: a RedisFailover and the node group it runs on. */
export interface InstanceConfig {
    /** The purpose (config key), e.g. `auth`; also the node label value that places it. */
    purpose: string;
    /** The RedisFailover's name, e.g. `auth-redis`; services are `rfrm-<name>` and `rfs-<name>`. */
    name: string;
    /** Sentinel group settings. */
    sentinel: SentinelSettings;
    /** Redis pod settings. */
    redis: RedisSettings;
    /** Taint on the purpose's dedicated nodes, tolerated by its pods. */
    taint?: Taint;
    /** Holds data that must never be lost: must be noeviction, AOF, on a PVC (enforced by config and policy). */
    holdsData: boolean;
}

/** The Spotahome operator installation. */
export interface OperatorConfig {
    /** Namespace the operator runs in. */
    namespace: string;
    /** Helm chart version of `redis-operator`. */
    chartVersion: string;
    /** Helm repository that serves the chart. */
    chartRepository: string;
    /** Operator image repository. */
    imageRepository: string;
    /** Operator image tag. */
    imageTag: string;
    /** Git ref (tag or commit) of the upstream repository whose CRD manifest is installed. */
    crdRef: string;
    /** Operator pods. */
    replicas: number;
    /** Operator container requests and limits. */
    resources?: ContainerResources;
    /** Node labels the operator pod must match. */
    nodeSelector: Record<string, string>;
    /** Taints the operator pod tolerates. */
    tolerations: Toleration[];
    /** Let the chart create a PodMonitor for the operator. */
    monitoring: boolean;
}

/** One environment variable an application reads: a redis URL for one instance and db. */
export interface AppEnvEntry {
    /** Environment variable name, e.g. `AUTH_REDIS_BLACKLIST_URL`. */
    name: string;
    /** Purpose of the instance it points at. */
    instance: string;
    /** Logical database number, 0 to 15. */
    db: number;
}

/** A bastion (jump host) that SSH connections go through. */
export interface BastionConfig {
    /** Address of the bastion. */
    host: string;
    /** SSH user on the bastion. */
    user: string;
    /** SSH port of the bastion. */
    port: number;
    /** Pinned SSH host key of the bastion (`ssh-ed25519 AAAA...`); unpinned when absent. */
    hostKey?: string;
}

/** The existing kubeadm cluster that managed nodes join. */
export interface ClusterConfig {
    /** Kubernetes version of kubelet, kubeadm and kubectl on new nodes, e.g. `1.28.4`. */
    kubernetesVersion: string;
    /** API server endpoint nodes join, `host:port`. */
    controlPlaneEndpoint: string;
    /** Address where control-plane commands (token, label, drain) run over SSH. */
    controlPlaneHost: string;
    /** Pinned SSH host key of the control plane; unpinned when absent. */
    controlPlaneHostKey?: string;
    /** Security group of the control plane: the only source allowed to reach kubelet (10250). */
    controlPlaneSecurityGroupId: string;
    /** The cluster's existing security groups, attached to every node and allowed BGP and IP-in-IP. */
    securityGroupIds: string[];
    /** VPC of the cluster. */
    vpcId: string;
    /** SSH user on the control plane and the nodes. */
    sshUser: string;
    /** Optional jump host for every SSH connection. */
    bastion?: BastionConfig;
    /** Pinned AMI id; when absent the newest Ubuntu 22.04 image from Canonical is looked up. */
    amiId?: string;
    /** EC2 key pair installed on nodes, for people; commands use the configured private key. */
    keyName?: string;
    /** Node names and Name tags are `<prefix>-<purpose>`. */
    nodeNamePrefix: string;
    /** Pause (sandbox) image containerd uses; must match what kubeadm of this version expects. */
    pauseImage: string;
    /** Check the On-Demand vCPU quota before creating nodes. */
    vcpuQuotaPreflight: boolean;
    /** Seconds a drain may take on removal before the node is deleted anyway. */
    drainTimeoutSeconds: number;
    /** Seconds to wait for a joined node to become Ready. */
    readyTimeoutSeconds: number;
}

/** A dedicated EC2 node for one purpose. */
export interface NodeConfig {
    /** Purpose it serves (an instance key); its label and taint come from that instance. */
    purpose: string;
    /** EC2 instance type, e.g. `t3.medium`. */
    instanceType: string;
    /** Subnet (and so availability zone) it runs in. */
    subnetId: string;
    /** Size of the encrypted gp3 root volume in GiB. */
    rootVolumeGiB: number;
}

/** The post-deploy health check of every instance. */
export interface VerifyConfig {
    /** Run the check on every `pulumi up`. */
    enabled: boolean;
    /** `kubernetes`: through the API server (port-forward); `direct`: service and pod addresses, for runners inside the cluster network. */
    transport: "kubernetes" | "direct";
    /** How long `up` waits for each instance to be healthy. */
    timeoutSeconds: number;
}

/** An ExternalSecret that copies the published app env into a Kubernetes Secret of an app namespace. */
export interface ExternalSecretTarget {
    /** Namespace of the application. */
    namespace: string;
    /** Name of the ExternalSecret and of the Secret it creates. */
    name: string;
    /** The external-secrets store that reads AWS Secrets Manager. */
    storeName: string;
    /** `ClusterSecretStore` or `SecretStore`. */
    storeKind: "ClusterSecretStore" | "SecretStore";
    /** How often the operator refreshes the Secret, e.g. `1h`. */
    refreshInterval: string;
}

/** Publishing `appEnv` to AWS Secrets Manager for applications. */
export interface AppSecretsConfig {
    /** Publish the secret. */
    enabled: boolean;
    /** Secrets Manager name, e.g. `redis-ha/dev/app-env`. */
    name: string;
    /** Customer KMS key (id, ARN or alias); AWS's own key when absent. */
    kmsKeyId?: string;
    /** ExternalSecrets to create in application namespaces. */
    externalSecrets: ExternalSecretTarget[];
}

/** Prometheus-operator monitoring of the instances. */
export interface AlertsConfig {
    /** Create the ServiceMonitors, PodMonitors and PrometheusRule. */
    enabled: boolean;
    /** Labels the Prometheus instance selects monitors and rules by, e.g. `release: kube-prometheus-stack`. */
    labels: Record<string, string>;
    /** Share of maxmemory above which memory is alerted. */
    memoryRatio: number;
}

/** A stack's validated configuration. */
export interface StackConfig {
    /** The stack promises high availability: every instance has at least 3 sentinels and 3 redis. */
    highlyAvailable: boolean;
    /** Data-holding instances are protected from deletion and keep their volumes. */
    protectData: boolean;
    /** Namespace of the RedisFailovers, their secrets and services. */
    namespace: string;
    /** Node label key that places each purpose (`<key>=<purpose>`). */
    placementLabel: string;
    /** Image of the redis exporter sidecar. */
    exporterImage: string;
    /** The operator installation. */
    operator: OperatorConfig;
    /** The purpose-built instances, in config order. */
    instances: InstanceConfig[];
    /** Environment variables published for applications. */
    appEnv: AppEnvEntry[];
    /** The cluster managed nodes join; present exactly when `nodes` is not empty. */
    cluster?: ClusterConfig;
    /** Managed nodes, one per purpose listed; empty when Redis runs on existing, labelled nodes. */
    nodes: NodeConfig[];
    /** Post-deploy health checks. */
    verify: VerifyConfig;
    /** Publishing the app env to Secrets Manager. */
    appSecrets: AppSecretsConfig;
    /** Alerts for Prometheus-operator clusters. */
    alerts: AlertsConfig;
}
