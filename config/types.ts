// The validated shape of a stack's configuration: every type is the output of the zod schema in
// config/schema, so the schema is the one source of names, types and defaults. Components receive
// these types and never read Pulumi config themselves.

import { z } from "zod";
import { resourcesSchema } from "./schema/common";
import { stackConfigSchema } from "./schema/stack";

export { TAINT_EFFECTS } from "./schema/common";
export { MAXMEMORY_POLICIES } from "./schema/instances";
export { EXTERNAL_SECRET_VERSIONS } from "./schema/apps";

/** A stack's validated configuration. */
export type StackConfig = z.output<ReturnType<typeof stackConfigSchema>>;
/** One purpose-built Redis: a RedisFailover and the node group it runs on. */
export type InstanceConfig = StackConfig["instances"][number];
/** Settings of the Sentinel group that watches one instance. */
export type SentinelSettings = InstanceConfig["sentinel"];
/** Settings of the redis pods of one instance (`maxmemory` as written, and in bytes). */
export type RedisSettings = InstanceConfig["redis"];
/** Where a redis pod keeps its data: `emptyDir` or `persistentVolumeClaim`. */
export type RedisStorage = RedisSettings["storage"];
/** One of Redis's eviction policies. */
export type MaxmemoryPolicy = RedisSettings["maxmemoryPolicy"];
/** A node taint that keeps other workloads off a purpose's dedicated node. */
export type Taint = NonNullable<InstanceConfig["taint"]>;
/** How pods react to a node taint they do not tolerate. */
export type TaintEffect = Taint["effect"];
/** Container requests and limits. */
export type ContainerResources = z.output<typeof resourcesSchema>;
/** CPU and memory quantities, as Kubernetes spells them. */
export type ResourceQuantities = NonNullable<ContainerResources["limits"]>;
/** The Spotahome operator installation. */
export type OperatorConfig = StackConfig["operator"];
/** A pod toleration, as the Kubernetes API takes it. */
export type Toleration = OperatorConfig["tolerations"][number];
/** One environment variable an application reads: a redis URL for one instance and db. */
export type AppEnvEntry = StackConfig["appEnv"][number];
/** The existing kubeadm cluster that managed nodes join. */
export type ClusterConfig = NonNullable<StackConfig["cluster"]>;
/** A bastion (jump host) that SSH connections go through. */
export type BastionConfig = NonNullable<ClusterConfig["bastion"]>;
/** A dedicated EC2 node for one purpose. */
export type NodeConfig = StackConfig["nodes"][number];
/** The post-deploy health check of every instance. */
export type VerifyConfig = StackConfig["verify"];
/** Publishing `appEnv` to AWS Secrets Manager for applications. */
export type AppSecretsConfig = StackConfig["appSecrets"];
/** An ExternalSecret that copies the published app env into a Kubernetes Secret of an app namespace. */
export type ExternalSecretTarget = AppSecretsConfig["externalSecrets"][number];
/** Prometheus-operator monitoring of the instances. */
export type AlertsConfig = StackConfig["alerts"];
