// One fake kubeadm cluster for the script tests: a control plane (a sandbox whose kubeadm and
// kubectl are the stand-in of tests/support/standins/kube), nodes (sandboxes, or Debian roots in
// the full tier) reached by the ssh stand-in, and the cluster's state as files all of them share.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { joinClusterCommand, joinParameters, resetNodeCommand, scriptCommand } from "../../render/nodeScripts";
import { ClusterConfig } from "../../config/types";
import { ScriptRun, ScriptSandbox } from "./scriptSandbox";

/** Folder of the stand-in executables. */
export const STANDINS = path.resolve(__dirname, "standins");

/** Installs the kube stand-in as `names` in a folder, for `version`. */
export function installKube(binDir: string, version: string, names = ["kubeadm", "kubectl", "kubelet"]): void {
    const text = fs.readFileSync(path.join(STANDINS, "kube"), "utf8").replace("@VERSION@", version);
    for (const name of names) {
        fs.writeFileSync(path.join(binDir, name), text, { mode: 0o755 });
    }
}

/** A cluster of one control plane and the nodes added to it, sharing `state`. */
export class FakeCluster {
    /** Where the stand-ins keep the cluster (FAKE_CLUSTER). */
    readonly state: string;
    /** The machine that runs `pulumi up`: ssh stand-in on its PATH. */
    readonly deployer = new ScriptSandbox();
    /** The control plane. */
    readonly controlPlane = new ScriptSandbox();
    /** One executable per host name, run by the ssh stand-in. */
    readonly hosts: string;

    constructor(readonly cluster: ClusterConfig) {
        this.state = this.deployer.file("cluster/");
        fs.mkdirSync(this.state, { recursive: true });
        this.hosts = this.deployer.file("hosts/");
        fs.mkdirSync(this.hosts, { recursive: true });
        fs.copyFileSync(path.join(STANDINS, "ssh"), path.join(this.deployer.bin, "ssh"));
        fs.chmodSync(path.join(this.deployer.bin, "ssh"), 0o755);
        installKube(this.controlPlane.bin, "1.28.4", ["kubeadm", "kubectl"]);
        this.controlPlane.stub("sudo", 'exec "$@"');
        const pki = this.controlPlane.file("kubernetes/pki/ca.crt");
        makeClusterCa(pki);
        this.host(cluster.controlPlaneHost, this.controlPlane, { KUBERNETES_DIR: this.controlPlane.file("kubernetes") });
    }

    /** Makes `address` reach a sandbox: commands run there under bash with its stand-ins. */
    host(address: string, sandbox: ScriptSandbox, env: Record<string, string> = {}): void {
        const exports = Object.entries({
            PATH: `${sandbox.bin}:/usr/bin:/bin`,
            FAKE_CLUSTER: this.state,
            CALLS: `${sandbox.root}/calls`,
            STATE: sandbox.state,
            ...env,
        })
            .map(([key, value]) => `${key}='${value}'`)
            .join(" ");
        this.route(address, `cd '${sandbox.root}' && exec env ${exports} bash -c "$1"`);
    }

    /** Makes `address` run commands through `body` (bash, the command in $1, stdin passed on). */
    route(address: string, body: string): void {
        fs.writeFileSync(path.join(this.hosts, address), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
    }

    /** A node sandbox with the kube stand-ins at `version`, reachable at `address`. */
    addNode(address: string, version = "1.28.4"): ScriptSandbox {
        const node = new ScriptSandbox().stub("sudo", 'exec "$@"');
        installKube(node.bin, version);
        this.host(address, node, { FAKE_NODE_IP: address, KUBERNETES_DIR: node.file("kubernetes") });
        return node;
    }

    /** Runs join-cluster.sh as the join step's local command does, from its real command text. */
    join(address: string, nodeName: string, purpose: string, stdin = ""): ScriptRun {
        const text = joinClusterCommand(this.cluster, address, joinParameters(this.cluster, nodeName, `redis-cluster=${purpose}`));
        return this.deployer.run({ text }, { SSH_HOSTS: this.hosts, SSH_LOG: `${this.deployer.root}/ssh.log` }, stdin);
    }

    /** Runs the destroy-time reset as its local command does, from its real command text (RETRY_SECONDS 0). */
    reset(address: string, stdin = ""): ScriptRun {
        const text = resetNodeCommand(this.cluster, address);
        return this.deployer.run({ text }, { SSH_HOSTS: this.hosts, SSH_LOG: `${this.deployer.root}/ssh.log`, RETRY_SECONDS: "0" }, stdin);
    }

    /** Runs a control-plane script as its remote command does. */
    onControlPlane(script: "remove-node.sh" | "label-node.sh", env: Record<string, string>): ScriptRun {
        return this.deployer.run({ text: `"$SSH_HOSTS/${this.cluster.controlPlaneHost}" "$1"` }, { SSH_HOSTS: this.hosts }, "", [
            scriptCommand(script, { POLL_SECONDS: "0.1", ...env }),
        ]);
    }

    /** Moves the cluster's clock forward. */
    advance(seconds: number): void {
        const file = path.join(this.state, "clock-offset");
        const now = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8")) : 0;
        fs.writeFileSync(file, String(now + seconds));
    }

    /** Registered nodes: name → Ready status. */
    nodes(): Record<string, string> {
        const dir = path.join(this.state, "nodes");
        if (!fs.existsSync(dir)) return {};
        return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name, "ready"), "utf8").trim()]));
    }

    /** Ids of the bootstrap tokens that exist. */
    tokens(): string[] {
        const dir = path.join(this.state, "tokens");
        return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    }

    /** Places a pod that needs label `selector` on `node`. */
    pod(name: string, node: string, selector: string): void {
        fs.mkdirSync(path.join(this.state, "pods"), { recursive: true });
        fs.writeFileSync(path.join(this.state, "pods", name), `${node} ${selector}\n`);
    }

    /** The node a pod is on. */
    podNode(name: string): string {
        return fs.readFileSync(path.join(this.state, "pods", name), "utf8").split(" ")[0];
    }

    /** What happened in the cluster, in order. */
    events(): string[] {
        const file = path.join(this.state, "events");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    }

    /** Everything ssh was asked to do (arguments, never stdin). */
    sshLog(): string {
        const file = `${this.deployer.root}/ssh.log`;
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }

    dispose(): void {
        this.deployer.dispose();
        this.controlPlane.dispose();
    }
}

/** Writes a self-signed CA certificate (and its key beside it) as kubeadm keeps the cluster's, with real openssl. */
export function makeClusterCa(certFile: string): void {
    const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${certFile}.key`, "-out", certFile];
    const made = spawnSync("openssl", [...args, "-subj", "/CN=kubernetes", "-days", "1"], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
}
