// A dedicated EC2 node for one purpose, prepared and joined to the kubeadm cluster by remote
// commands, labelled and tainted for that purpose's Redis, and removed cleanly on destroy.

import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeConfig, Taint } from "../config/types";
import { amiArchitecture, CANONICAL_OWNER_ID, nodeName, nodeTags, ubuntuImageNameFilter } from "../render/nodeIdentity";
import { nodeIngressRules } from "../render/nodeNetwork";
import { lookUpSubnet } from "../preflight/nodeZones";
import { ZONE_TOPOLOGY_KEY } from "../render/placement";
import { sshConnection } from "../render/nodeConnection";
import { joinClusterCommand, joinParameters, resetNodeCommand, scriptCommand, taintArgument } from "../render/nodeScripts";

/** Arguments of a `RedisNode` component. */
export interface RedisNodeArgs {
    /** The node's settings. */
    node: NodeConfig;
    /** The cluster it joins. */
    cluster: ClusterConfig;
    /** Node label key; the node is labelled `<key>=<purpose>`. */
    placementLabel: string;
    /** Taint of the purpose, from its instance settings. */
    taint?: Taint;
    /** Stack name, for tags. */
    stack: string;
    /** Private key for SSH to the control plane and the node (secret); the SSH agent when absent. */
    sshPrivateKey?: pulumi.Output<string>;
    /**
     * Resolves once the preflights (vCPU quota, zones) passed; the node waits for it, so a failed
     * check creates nothing. Absent when no check runs.
     */
    preflight?: pulumi.Output<unknown>;
}

/**
 * A command over SSH that never sends the previous run's output by SSH `Setenv`: pulumi-command
 * v1.2.1 does unless `addPreviousOutputInEnv` is false (provider/pkg/provider/remote/
 * commandOutputs.go), stock sshd refuses it (no `AcceptEnv PULUMI_*`), and every in-place update
 * then warns. No script here reads PULUMI_COMMAND_STDOUT.
 */
export function remoteCommand(name: string, args: command.remote.CommandArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    return new command.remote.Command(name, { ...args, addPreviousOutputInEnv: false }, opts);
}
/** The node's security group and EC2 instance, created only once the preflights have passed. */
function createInstance(name: string, args: RedisNodeArgs, tags: Record<string, string>, parent: pulumi.Resource): aws.ec2.Instance {
    const { node, cluster } = args;
    // Nothing of the node is created before the preflights have passed.
    const afterPreflight = <T>(value: T): pulumi.Input<T> => (args.preflight ? args.preflight.apply(() => value) : value);

    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-sg`,
        {
            description: `redis-ha ${node.purpose} node: kubelet from the control plane, Calico between nodes`,
            vpcId: afterPreflight(cluster.vpcId),
            ingress: nodeIngressRules(cluster),
            // Nodes pull packages and images; they accept nothing from outside the cluster.
            egress: [{ description: "all outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags,
        },
        { parent },
    );

    const ami =
        cluster.amiId ??
        aws.ec2
            .getAmiOutput(
                {
                    owners: [CANONICAL_OWNER_ID],
                    mostRecent: true,
                    filters: [
                        { name: "name", values: [ubuntuImageNameFilter(amiArchitecture(node.instanceType))] },
                        { name: "virtualization-type", values: ["hvm"] },
                    ],
                },
                { parent },
            )
            .apply((image) => image.id);

    return new aws.ec2.Instance(
        `${name}-instance`,
        {
            ami,
            instanceType: afterPreflight(node.instanceType),
            subnetId: node.subnetId,
            vpcSecurityGroupIds: [...cluster.securityGroupIds, securityGroup.id],
            keyName: cluster.keyName,
            // IMDSv2 only; hop limit 2 so pods behind the node's network namespace still reach it.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 },
            rootBlockDevice: { volumeType: "gp3", volumeSize: node.rootVolumeGiB, encrypted: true, deleteOnTermination: true },
            ...(node.instanceType.startsWith("t") ? { creditSpecification: { cpuCredits: "standard" } } : {}),
            tags,
            volumeTags: tags,
        },
        // A newly published Ubuntu image must not replace running nodes; a pinned AMI change does.
        { parent, ignoreChanges: cluster.amiId ? [] : ["ami"] },
    );
}

/** What the join and label steps act on. */
interface NodeTarget {
    instance: aws.ec2.Instance;
    nodeName: pulumi.Output<string>;
    /** `<placement label>=<purpose>`. */
    label: string;
    /** Everything done to the node is redone for a new instance. */
    triggers: pulumi.Input<string>[];
}

/**
 * Prepares the node, joins it, and registers its removal: the returned step is the join, done once
 * the node is prepared and its removal registered.
 */
function createJoinSteps(name: string, args: RedisNodeArgs, target: NodeTarget, parent: pulumi.Resource): command.local.Command {
    const { cluster } = args;
    const { instance, triggers } = target;
    const onNode = sshConnection(cluster, instance.privateIp, args.sshPrivateKey);
    const onControlPlane = sshConnection(cluster, cluster.controlPlaneHost, args.sshPrivateKey, cluster.controlPlaneHostKey);

    const prepare = remoteCommand(
        `${name}-prepare`,
        {
            connection: onNode,
            create: scriptCommand("prepare-node.sh", {
                KUBERNETES_VERSION: cluster.kubernetesVersion,
                PAUSE_IMAGE: cluster.pauseImage,
            }),
            triggers,
        },
        { parent },
    );

    // Deleted after the control plane has removed the node (removal depends on it). Run where
    // `pulumi up` runs, over SSH, so a node that no longer answers (terminated outside Pulumi)
    // is skipped with a warning instead of failing the destroy (scripts/reset-over-ssh.sh).
    const reset = new command.local.Command(
        `${name}-reset-over-ssh`,
        {
            create: "true",
            delete: instance.privateIp.apply((address) => resetNodeCommand(cluster, address)),
            // The key on stdin, as the join has it; the delete runs with the stored inputs.
            ...(args.sshPrivateKey ? { stdin: args.sshPrivateKey } : {}),
            interpreter: ["/bin/sh", "-c"],
            triggers,
        },
        { parent, dependsOn: [prepare] },
    );
    // Stacks deployed before the step above had the reset as this remote command, whose stored
    // delete would run kubeadm reset on the live node if the resource were dropped: kept with
    // no delete, so the next `up` clears it from state. Remove once every stack has run `up`.
    remoteCommand(`${name}-reset`, { connection: onNode, create: "true", triggers }, { parent, dependsOn: [prepare] });

    // Created before the join, so a join that fails halfway is still cleaned up on destroy. On a
    // replacement the old instance's hook runs last (create-before-delete): the new node has
    // joined under its own name by then, so the drain moves the Redis pods onto it.
    const removal = remoteCommand(
        `${name}-removal`,
        {
            connection: onControlPlane,
            create: "true",
            delete: pulumi.all([target.nodeName, instance.privateIp]).apply(([nodeName, address]) =>
                scriptCommand("remove-node.sh", {
                    NODE_NAME: nodeName,
                    NODE_IP: address,
                    DRAIN_TIMEOUT_SECONDS: String(cluster.drainTimeoutSeconds),
                }),
            ),
            triggers,
        },
        { parent, dependsOn: [reset] },
    );

    // One step, run where `pulumi up` runs, reaching both hosts over SSH: a bootstrap token is
    // created on the control plane, handed to the node on stdin and deleted by its id. Nothing of
    // it is kept in state, so a retry of a failed or interrupted join, however much later, gets
    // a fresh token, and a no-op `up` changes nothing. (A separate token command would keep an
    // expired token in state; its delete could only read it from PULUMI_COMMAND_STDOUT, which
    // pulumi-command v1.2.1 sends by SSH Setenv: provider/pkg/provider/remote/commandOutputs.go.)
    return new command.local.Command(
        `${name}-join`,
        {
            create: pulumi
                .all([target.nodeName, instance.privateIp])
                .apply(([nodeName, address]) =>
                    joinClusterCommand(cluster, address, joinParameters(cluster, nodeName, target.label, args.taint)),
                ),
            // The SSH key (already secret in every connection), or nothing: the SSH agent.
            ...(args.sshPrivateKey ? { stdin: args.sshPrivateKey } : {}),
            interpreter: ["/bin/sh", "-c"],
            triggers,
        },
        { parent, dependsOn: [removal, prepare] },
    );
}

/** label-node.sh on the control plane for this node, after `after`. */
function labelStep(
    name: string,
    args: RedisNodeArgs,
    target: NodeTarget,
    settings: pulumi.Input<{ NODE_LABEL: string; NODE_LABEL_SLOT: string; NODE_TAINT?: string }>,
    after: pulumi.Resource,
    parent: pulumi.Resource,
): command.remote.Command {
    const { cluster } = args;
    return remoteCommand(
        name,
        {
            connection: sshConnection(cluster, cluster.controlPlaneHost, args.sshPrivateKey, cluster.controlPlaneHostKey),
            create: pulumi.all([target.nodeName, target.instance.privateIp, settings]).apply(([nodeName, address, parameters]) =>
                scriptCommand("label-node.sh", {
                    NODE_NAME: nodeName,
                    NODE_IP: address,
                    ...parameters,
                    READY_TIMEOUT_SECONDS: String(cluster.readyTimeoutSeconds),
                }),
            ),
            triggers: target.triggers,
        },
        { parent, dependsOn: [after] },
    );
}

/** A dedicated node: EC2 instance, security group, and the commands that join and remove it. */
export class RedisNode extends pulumi.ComponentResource {
    /** The EC2 instance. */
    readonly instance: aws.ec2.Instance;
    /** Kubernetes node name: `<prefix>-<purpose>-<last 8 of the instance id>`, one per instance. */
    readonly nodeName: pulumi.Output<string>;
    /** The availability zone of the node's subnet, which its `topology.kubernetes.io/zone` label carries. */
    readonly zone: pulumi.Output<string>;
    /** The last step: label and taint reconciled and the node Ready. Depend on this. */
    readonly ready: command.remote.Command;

    constructor(name: string, args: RedisNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("redis-ha:aws:RedisNode", name, {}, opts);
        const { node, cluster } = args;
        this.instance = createInstance(name, args, nodeTags(cluster.nodeNamePrefix, node.purpose, args.stack, node.index), this);
        this.nodeName = this.instance.id.apply((id) => nodeName(cluster.nodeNamePrefix, node.purpose, id));
        const target: NodeTarget = {
            instance: this.instance,
            nodeName: this.nodeName,
            label: `${args.placementLabel}=${node.purpose}`,
            triggers: [this.instance.id],
        };
        const join = createJoinSteps(name, args, target, this);

        // The zone label the pods' zone spread needs (render/placement.ts): a node without it is
        // never used, and kubeadm nodes get it only from a cloud controller manager. Set from the
        // subnet's zone; a node that joined before this step existed gets it on the next `up`.
        this.zone = pulumi.output(lookUpSubnet(node.subnetId, { parent: this })).apply((subnet) => subnet.availabilityZone);
        const zoneLabel = labelStep(
            `${name}-zone`,
            args,
            target,
            this.zone.apply((zone) => ({ NODE_LABEL: `${ZONE_TOPOLOGY_KEY}=${zone}`, NODE_LABEL_SLOT: "zone" })),
            join,
            this,
        );
        // Given even when empty: this step owns the taint, and removes one dropped from config.
        const purposeLabel = {
            NODE_LABEL: target.label,
            NODE_LABEL_SLOT: "purpose",
            NODE_TAINT: args.taint ? taintArgument(args.taint) : "",
        };
        this.ready = labelStep(`${name}-ready`, args, target, purposeLabel, zoneLabel, this);

        this.registerOutputs({
            nodeName: this.nodeName,
            instanceId: this.instance.id,
            privateIp: this.instance.privateIp,
            zone: this.zone,
        });
    }
}
