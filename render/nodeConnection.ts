// How `pulumi up` reaches a host over SSH (the control plane, a node), through the bastion when
// the cluster has one. Pure.

import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config/types";

/** pulumi-command's connection to `host` as `cluster.sshUser`, with the stack's key or else the SSH agent. */
export function sshConnection(
    cluster: ClusterConfig,
    host: pulumi.Input<string>,
    sshPrivateKey?: pulumi.Input<string>,
    hostKey?: string,
): command.types.input.remote.ConnectionArgs {
    const bastion = cluster.bastion;
    return {
        host,
        user: cluster.sshUser,
        // Without a configured key the provider uses the SSH agent (SSH_AUTH_SOCK).
        ...(sshPrivateKey ? { privateKey: sshPrivateKey } : {}),
        ...(hostKey ? { hostKey } : {}),
        dialErrorLimit: 30,
        ...(bastion
            ? {
                  proxy: {
                      host: bastion.host,
                      user: bastion.user,
                      port: bastion.port,
                      ...(bastion.hostKey ? { hostKey: bastion.hostKey } : {}),
                      ...(sshPrivateKey ? { privateKey: sshPrivateKey } : {}),
                  },
              }
            : {}),
    };
}
