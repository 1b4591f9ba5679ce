// This project's own conventions that several modules share: the project name, the tag and label
// values that mark what it manages, and the label the policy pack keys on.

/** The Pulumi project name, the namespace of every config key, and the value of `managed-by` marks. */
export const PROJECT = "redis-ha";

/** Kubernetes' well-known label for the tool that manages an object. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** Label on a RedisFailover whose data must never be lost; the policy pack keys on it. */
export const HOLDS_DATA_LABEL = `${PROJECT}/holds-data`;

/**
 * The cluster's DNS domain: kubeadm's default (`ClusterConfiguration.networking.dnsDomain`). Every
 * in-cluster address the stack publishes assumes it.
 */
export const CLUSTER_DOMAIN = "cluster.local";

/** The DNS name of a Service inside the cluster. */
export function serviceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/**
 * The annotation that tells the Pulumi Kubernetes provider not to wait for an object to become
 * ready (pulumi-kubernetes `sdk/nodejs/yaml/yaml.ts`, skipAwait: `pulumi.com/skipAwait: "true"`).
 */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
