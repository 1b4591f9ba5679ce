// Turns a script under scripts/ plus its parameters into the text of a command, run over SSH as
// root (remote) or where `pulumi up` runs (local). The script travels base64-encoded, so no
// quoting of its body is needed; parameters are passed as environment variables in the text,
// quoted for the shell: pulumi-command's `environment` would reach a remote command through SSH
// `Setenv`, which stock sshd refuses (pulumi/pulumi-command v1.2.1
// provider/pkg/provider/remote/commandOutputs.go). Nothing secret may be a parameter: a failing
// command prints its text. Secrets go through the command's stdin.

import * as fs from "fs";
import * as path from "path";
import { ClusterConfig, Taint } from "../config/types";

/** Folder of the shell scripts run on the control plane and the nodes. */
export const SCRIPTS_DIR = path.resolve(__dirname, "..", "scripts");

/** The scripts this program runs (the backup steps run in a CronJob's pod, render/backup.ts). */
export type ScriptName =
    | "prepare-node.sh"
    | "join-node.sh"
    | "join-cluster.sh"
    | "create-join-token.sh"
    | "label-node.sh"
    | "remove-node.sh"
    | "reset-node.sh"
    | "reset-over-ssh.sh"
    | "redis-backup.sh"
    | "backup-upload.sh";

/** Shell put before a script's own text: the SSH plumbing of the steps that run where `pulumi up` runs. */
const LIBRARIES: Partial<Record<ScriptName, string[]>> = {
    "join-cluster.sh": ["ssh-common.sh"],
    "reset-over-ssh.sh": ["ssh-common.sh"],
};

/** Quotes a value for a POSIX shell. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Reads a script's text, after the libraries it uses. */
export function readScript(name: ScriptName): string {
    const read = (file: string) => fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
    return [...(LIBRARIES[name] ?? []), name].map(read).join("\n");
}

/**
 * The command that runs `name` as root (`local`: as whoever runs `pulumi up`) with `parameters` in
 * its environment. Its stdin is passed through to the script. The first line names the script, so a failure is easy to place.
 */
export function scriptCommand(name: ScriptName, parameters: Record<string, string> = {}, runAs: "root" | "local" = "root"): string {
    const body = Buffer.from(readScript(name), "utf8").toString("base64");
    for (const key of Object.keys(parameters)) {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) {
            throw new Error(`script parameter ${key} is not an environment variable name`);
        }
    }
    const environment = Object.entries(parameters).map(([key, value]) => `${key}=${shellQuote(value)}`);
    return [
        `# redis-ha: scripts/${name}`,
        `script="$(mktemp)" && trap 'rm -f "$script"' EXIT && echo '${body}' | base64 -d >"$script" &&`,
        `${runAs === "root" ? "sudo " : ""}env ${environment.join(" ")} bash "$script"`,
    ].join("\n");
}

/** What scripts/ssh-common.sh needs: the login user and the bastion, when there is one. */
function sshParameters(cluster: ClusterConfig): Record<string, string> {
    const bastion = cluster.bastion;
    return {
        SSH_USER: cluster.sshUser,
        ...(bastion
            ? {
                  BASTION_HOST: bastion.host,
                  BASTION_USER: bastion.user,
                  BASTION_PORT: String(bastion.port),
                  ...(bastion.hostKey ? { BASTION_HOST_KEY: bastion.hostKey } : {}),
              }
            : {}),
    };
}

/**
 * The local command text of the join: scripts/join-cluster.sh with the hosts to reach and the
 * texts it runs there (create-join-token.sh on the control plane, join-node.sh on the node).
 */
export function joinClusterCommand(cluster: ClusterConfig, nodeAddress: string, join: Record<string, string>): string {
    return scriptCommand(
        "join-cluster.sh",
        {
            CONTROL_PLANE_HOST: cluster.controlPlaneHost,
            ...(cluster.controlPlaneHostKey ? { CONTROL_PLANE_HOST_KEY: cluster.controlPlaneHostKey } : {}),
            NODE_HOST: nodeAddress,
            ...sshParameters(cluster),
            MINT_COMMAND: scriptCommand("create-join-token.sh"),
            JOIN_COMMAND: scriptCommand("join-node.sh", join),
        },
        "local",
    );
}

/** The local command text that resets a node on destroy: scripts/reset-over-ssh.sh running reset-node.sh there. */
export function resetNodeCommand(cluster: ClusterConfig, nodeAddress: string): string {
    return scriptCommand(
        "reset-over-ssh.sh",
        { NODE_HOST: nodeAddress, ...sshParameters(cluster), RESET_COMMAND: scriptCommand("reset-node.sh") },
        "local",
    );
}

/** `key=value:effect` as kubectl taint takes it. */
export function taintArgument(taint: Taint): string {
    return taint.value === "" ? `${taint.key}:${taint.effect}` : `${taint.key}=${taint.value}:${taint.effect}`;
}

/** Parameters of the join script: endpoint, name, label and taint; never the token. */
export function joinParameters(cluster: ClusterConfig, name: string, label: string, taint?: Taint): Record<string, string> {
    return {
        API_SERVER_ENDPOINT: cluster.controlPlaneEndpoint,
        NODE_NAME: name,
        NODE_LABELS: label,
        ...(taint ? { NODE_TAINT_KEY: taint.key, NODE_TAINT_VALUE: taint.value, NODE_TAINT_EFFECT: taint.effect } : {}),
    };
}
