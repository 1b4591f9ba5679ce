// The network rules of a dedicated node: what its security group lets in, and nothing more.

import { ClusterConfig } from "../config/types";

/** One ingress rule of the node security group. */
export interface IngressRule {
    /** What the rule is for. */
    description: string;
    /** IP protocol: `tcp`, or a number (`4` is IP-in-IP). */
    protocol: string;
    /** First port (0 for protocols without ports). */
    fromPort: number;
    /** Last port. */
    toPort: number;
    /** Security groups allowed as sources. */
    securityGroups: string[];
    /** Whether members of this group may reach each other. */
    self: boolean;
}

/**
 * What a kubeadm worker running Calico must accept from the cluster, and nothing else: kubelet
 * from the control plane, BGP and IP-in-IP between nodes. No rule is open to 0.0.0.0/0.
 */
export function nodeIngressRules(cluster: ClusterConfig): IngressRule[] {
    const clusterGroups = [...new Set([cluster.controlPlaneSecurityGroupId, ...cluster.securityGroupIds])];
    return [
        {
            description: "kubelet API from the control plane",
            protocol: "tcp",
            fromPort: 10250,
            toPort: 10250,
            securityGroups: [cluster.controlPlaneSecurityGroupId],
            self: false,
        },
        { description: "Calico BGP between nodes", protocol: "tcp", fromPort: 179, toPort: 179, securityGroups: clusterGroups, self: true },
        { description: "Calico IP-in-IP between nodes", protocol: "4", fromPort: 0, toPort: 0, securityGroups: clusterGroups, self: true },
    ];
}
