// The validated shape of a stack's configuration: every type is the output of the zod schema in
// config/schema, so the schema is the one source of names, types and defaults. Components receive
// these types and never read Pulumi config themselves.

import { z } from "zod";
import { resourcesSchema } from "./schema/common";
import { stackConfigSchema } from "./schema/stack";

/** A stack's validated configuration. */
export type StackConfig = z.output<ReturnType<typeof stackConfigSchema>>;
/** One purpose-built Redis: a RedisFailover and the node group it runs on. */
export type InstanceConfig = StackConfig["instances"][number];
/** Settings of the Sentinel group that watches one instance. */
export type SentinelSettings = InstanceConfig["sentinel"];
/** Settings of the redis pods of one instance (`maxmemory` as written, and in bytes). */
export type RedisSettings = InstanceConfig["redis"];
/** A node taint that keeps other workloads off a purpose's dedicated node. */
export type Taint = NonNullable<InstanceConfig["taint"]>;
/** Container requests and limits. */
export type ContainerResources = z.output<typeof resourcesSchema>;
/** The Spotahome operator installation. */
export type OperatorConfig = StackConfig["operator"];
/** A pod toleration, as the Kubernetes API takes it. */
export type Toleration = OperatorConfig["tolerations"][number];
/** The existing kubeadm cluster that managed nodes join. */
export type ClusterConfig = NonNullable<StackConfig["cluster"]>;
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
/** Scheduled backups of the data-holding instances to S3 (absent: none). */
export type BackupConfig = NonNullable<StackConfig["backup"]>;
