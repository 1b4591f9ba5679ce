// The existing kubeadm cluster and the managed nodes that join it.

import { z } from "zod";
import { awsIdProblem, dnsLabelProblem, imageReferenceProblem, instanceTypeProblem, linuxUserProblem } from "../../facts/patterns";
import { grammar, int, matching, strict } from "./common";

const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}$/;
const HOST_KEY_WHY = "is not an SSH public host key (`ssh-ed25519 AAAA...`)";
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/;
const REQUIRED = "is required when nodes are managed";

/** host:port of the API server, port 1-65535. */
function endpointProblem(value: string): string | undefined {
    const match = /^(.+):(\d{1,5})$/.exec(value);
    return match && HOST.test(match[1]) && Number(match[2]) >= 1 && Number(match[2]) <= 65535
        ? undefined
        : "is not host:port of the API server (e.g. 10.0.1.10:6443)";
}

const bastionSchema = strict({
    host: matching(HOST, "is not a host name or address"),
    user: grammar(linuxUserProblem).default("ubuntu"),
    port: int(1, 65535).default(22),
    hostKey: matching(HOST_KEY, HOST_KEY_WHY).optional(),
});

const clusterShape = {
    kubernetesVersion: matching(/^1\.\d+\.\d+$/, "is not an exact Kubernetes version (e.g. 1.28.4; write it quoted)").default("1.28.4"),
    controlPlaneEndpoint: grammar(endpointProblem, REQUIRED),
    // Defaults to the endpoint's host.
    controlPlaneHost: matching(HOST, "is not a host name or address").optional(),
    controlPlaneHostKey: matching(HOST_KEY, HOST_KEY_WHY).optional(),
    controlPlaneSecurityGroupId: grammar((id) => awsIdProblem(id, "sg"), REQUIRED),
    securityGroupIds: z.array(grammar((id) => awsIdProblem(id, "sg"))).default([]),
    vpcId: grammar((id) => awsIdProblem(id, "vpc"), REQUIRED),
    sshUser: grammar(linuxUserProblem).default("ubuntu"),
    bastion: bastionSchema.optional(),
    amiId: grammar((id) => awsIdProblem(id, "ami")).optional(),
    // EC2 key pair names are up to 255 ASCII characters. Required: Ubuntu's images take the login
    // key only from the instance's key pair (cloud-init's EC2 datasource), and no user data is set.
    keyName: matching(
        /^[\x20-\x7e]{1,255}$/,
        "is not an EC2 key pair name (up to 255 ASCII characters)",
        "is required when nodes are managed: the nodes' only login key is their EC2 key pair, the one whose private key is redis-ha:sshPrivateKey " +
            "(set it: pulumi config set --path 'redis-ha:cluster.keyName' <key pair name>)",
    ),
    nodeNamePrefix: grammar(dnsLabelProblem).default("k8s-redis"),
    // kubeadm 1.28 expects pause 3.9; a mismatch makes kubeadm warn and kubelet pull twice.
    pauseImage: grammar(imageReferenceProblem).default("registry.k8s.io/pause:3.9"),
    vcpuQuotaPreflight: z.boolean().default(true),
    drainTimeoutSeconds: int(10, 3600).default(120),
    readyTimeoutSeconds: int(10, 3600).default(300),
};

type Shape = typeof clusterShape;
type Defaulted = { [K in keyof Shape as Shape[K] extends z.ZodDefault ? K : never]: z.output<Shape[K]> };

/** Defaults of the cluster settings, read from the schema. */
export const CLUSTER_DEFAULTS = Object.fromEntries(
    Object.entries(clusterShape).flatMap(([key, schema]) => (schema instanceof z.ZodDefault ? [[key, schema.def.defaultValue]] : [])),
) as Defaulted;

export const clusterSchema = strict(clusterShape).transform(({ controlPlaneHost, ...cluster }) => ({
    ...cluster,
    controlPlaneHost: controlPlaneHost ?? cluster.controlPlaneEndpoint.slice(0, cluster.controlPlaneEndpoint.lastIndexOf(":")),
}));

/** One dedicated EC2 node: its type, its subnet (and so its availability zone), its root volume. */
const nodeSchema = strict({
    instanceType: grammar(instanceTypeProblem),
    subnetId: grammar((id) => awsIdProblem(id, "subnet")),
    rootVolumeGiB: int(8, 16384).default(30),
});

/**
 * `nodes.<purpose>`: the purpose's dedicated EC2 nodes, a list (one per zone subnet for HA), or one
 * node written as an object (the original form, still accepted). Flattened in config order; a node's
 * identity is its purpose and position (`index`, 0 for the first).
 */
export const nodesSchema = z
    .record(z.string(), z.union([nodeSchema, z.array(nodeSchema).min(1, "lists no node; leave the purpose out instead")]))
    .default({})
    .transform((nodes) =>
        Object.entries(nodes).flatMap(([purpose, given]) =>
            (Array.isArray(given) ? given : [given]).map((node, index) => ({ purpose, index, ...node })),
        ),
    );
