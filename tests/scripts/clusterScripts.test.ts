import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { scriptCommand } from "../../render/nodeScripts";
import { makeClusterCa } from "../support/fakeCluster";
import { ScriptSandbox } from "../support/scriptSandbox";

const TOKEN = "abcdef.0123456789abcdef";
const CA_HASH = `sha256:${"ab".repeat(32)}`;

describe("scripts: join-node.sh", () => {
    let node: ScriptSandbox;
    let env: Record<string, string>;

    beforeEach(() => {
        // kubeadm keeps a copy of the configuration it was given.
        node = new ScriptSandbox().stub("kubeadm", 'cp "${*: -1}" "$STATE/join.yaml"; chmod 644 "$STATE/join.yaml"');
        env = {
            API_SERVER_ENDPOINT: "10.0.1.10:6443",
            NODE_NAME: "k8s-redis-auth",
            NODE_LABELS: "redis-cluster=auth",
            KUBERNETES_DIR: node.file("kubernetes"),
        };
    });
    afterEach(() => node.dispose());

    it("joins with the token from stdin, in a config file, never on the command line", () => {
        const run = node.run(
            "join-node.sh",
            { ...env, NODE_TAINT_KEY: "dedicated", NODE_TAINT_VALUE: "redis-auth", NODE_TAINT_EFFECT: "NoSchedule" },
            `${TOKEN} ${CA_HASH}\n`,
        );
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(run.calls.length, 1);
        assert.match(run.calls[0], /^kubeadm join --config \S+$/);
        assert.ok(!`${run.calls.join("\n")}${run.stdout}${run.stderr}`.includes(TOKEN), "token in no argument or log");
        const config = fs.readFileSync(`${node.state}/join.yaml`, "utf8");
        assert.match(config, /token: "abcdef.0123456789abcdef"/);
        assert.match(config, new RegExp(`caCertHashes: \\["${CA_HASH}"\\]`));
        assert.match(config, /apiServerEndpoint: "10.0.1.10:6443"/);
        assert.match(config, /name: "k8s-redis-auth"/);
        assert.match(config, /node-labels: "redis-cluster=auth"/);
        assert.match(config, /taints:\n {4}- key: "dedicated"\n {6}value: "redis-auth"\n {6}effect: "NoSchedule"/);
    });

    it("registers without taints when none is configured", () => {
        assert.strictEqual(node.run("join-node.sh", env, `${TOKEN} ${CA_HASH}\n`).code, 0);
        assert.match(fs.readFileSync(`${node.state}/join.yaml`, "utf8"), /^ {2}taints: \[\]$/m);
    });

    it("is skipped when the node has already joined (kubelet.conf exists)", () => {
        node.file("kubernetes/kubelet.conf", "apiVersion: v1\n");
        const run = node.run("join-node.sh", env, `${TOKEN} ${CA_HASH}\n`);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.deepStrictEqual(run.calls, []);
        assert.match(run.stdout, /already joined/);
    });

    it("refuses to run kubeadm without a well-formed token and hash", () => {
        for (const stdin of ["", "not-a-token sha256:00\n", `${TOKEN}\n`]) {
            const run = node.run("join-node.sh", env, stdin);
            assert.notStrictEqual(run.code, 0, JSON.stringify(stdin));
            assert.deepStrictEqual(run.calls, []);
        }
    });

    it("stops when kubeadm join fails", () => {
        const failing = new ScriptSandbox().stub("kubeadm", "echo 'could not validate the identity of the API Server' >&2; exit 1");
        try {
            const run = failing.run("join-node.sh", { ...env, KUBERNETES_DIR: failing.file("kubernetes") }, `${TOKEN} ${CA_HASH}\n`);
            assert.strictEqual(run.code, 1);
            assert.ok(!run.stdout.includes("joined\n"));
        } finally {
            failing.dispose();
        }
    });

    it("runs the same through the remote command text: script shipped in base64, parameters in env, token on stdin", () => {
        node.stub("sudo", 'exec "$@"');
        const run = node.run({ text: scriptCommand("join-node.sh", env) }, {}, `${TOKEN} ${CA_HASH}\n`);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.calls[0], /^sudo env API_SERVER_ENDPOINT=10.0.1.10:6443 NODE_NAME=k8s-redis-auth NODE_LABELS=redis-cluster=auth/);
        assert.match(fs.readFileSync(`${node.state}/join.yaml`, "utf8"), /token: "abcdef.0123456789abcdef"/);
    });
});

describe("scripts: create-join-token.sh", () => {
    it("prints the new token and the sha256 of the cluster CA's public key", function () {
        this.timeout(20_000);
        const controlPlane = new ScriptSandbox().stub("kubeadm", `echo ${TOKEN}`);
        try {
            const pki = controlPlane.file("kubernetes/pki/ca.crt");
            makeClusterCa(pki);
            const expected = crypto
                .createHash("sha256")
                .update(new crypto.X509Certificate(fs.readFileSync(pki)).publicKey.export({ type: "spki", format: "der" }))
                .digest("hex");
            const run = controlPlane.run("create-join-token.sh", { KUBERNETES_DIR: controlPlane.file("kubernetes"), TOKEN_TTL: "10m" });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.strictEqual(run.stdout, `${TOKEN} sha256:${expected}\n`);
            assert.deepStrictEqual(run.calls, ["kubeadm token create --ttl 10m --description redis-ha node join"]);
        } finally {
            controlPlane.dispose();
        }
    });
});

/** A control plane whose kubectl serves one node from $STATE. */
function controlPlane(options: { drainFails?: boolean; deleteFails?: boolean; ready?: string } = {}): ScriptSandbox {
    return new ScriptSandbox().stub(
        "kubectl",
        `case "$1 $2" in
           "get node")
             [ -f "$STATE/node" ] || { echo "Error from server (NotFound): nodes \\"$3\\" not found" >&2; exit 1; }
             case "$*" in
               *InternalIP*) cat "$STATE/node" ;;
               *"].status}"*) printf '%s' "${options.ready ?? "True"}" ;;
               *"].reason}"*) printf 'KubeletNotReady: container runtime network not ready' ;;
             esac ;;
           "label node"|"taint node"|"annotate node") [ -f "$STATE/node" ] || { echo "Error from server (NotFound)" >&2; exit 1; } ;;
           "drain "*) ${options.drainFails ? 'echo "error: timed out waiting for the condition (Cannot evict pod as it would violate the pod\'s disruption budget)" >&2; exit 1' : "exit 0"} ;;
           "delete node") ${options.deleteFails ? "exit 1" : 'rm -f "$STATE/node"'} ;;
         esac`,
    );
}

describe("scripts: remove-node.sh", () => {
    const env = { NODE_NAME: "k8s-redis-auth", NODE_IP: "10.0.2.15", DRAIN_TIMEOUT_SECONDS: "30" };

    it("drains the node, then deletes it", () => {
        const cp = controlPlane();
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            const drain = run.calls.findIndex((c) =>
                c.startsWith("kubectl drain k8s-redis-auth --ignore-daemonsets --delete-emptydir-data --timeout=30s"),
            );
            const remove = run.calls.indexOf("kubectl delete node k8s-redis-auth --ignore-not-found");
            assert.ok(drain >= 0 && remove > drain, run.calls.join("\n"));
        } finally {
            cp.dispose();
        }
    });

    it("deletes the node anyway when a disruption budget holds the drain past its timeout", () => {
        const cp = controlPlane({ drainFails: true });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /did not finish in 30s .* deleting k8s-redis-auth anyway/);
            assert.ok(run.calls.includes("kubectl delete node k8s-redis-auth --ignore-not-found"));
        } finally {
            cp.dispose();
        }
    });

    it("leaves alone a node that is not registered, or that now belongs to a replacement", () => {
        const cp = controlPlane();
        try {
            let run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.ok(!run.calls.some((c) => /drain|delete/.test(c)));
            cp.file("state/node", "10.0.2.99");
            run = cp.run("remove-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /not this instance's node; keeping it/);
            assert.ok(!run.calls.some((c) => /drain|delete/.test(c)));
        } finally {
            cp.dispose();
        }
    });

    it("fails when the delete fails", () => {
        const cp = controlPlane({ deleteFails: true });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("remove-node.sh", env);
            assert.notStrictEqual(run.code, 0);
            assert.ok(!run.stdout.includes("removed"));
        } finally {
            cp.dispose();
        }
    });
});

describe("scripts: label-node.sh", () => {
    const env = { NODE_NAME: "k8s-redis-auth", NODE_LABEL: "redis-cluster=auth", NODE_TAINT: "dedicated=redis-auth:NoSchedule" };

    it("reconciles label and taint with --overwrite, then returns once the node is Ready", () => {
        const cp = controlPlane();
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("label-node.sh", env);
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(
                run.calls.filter((call) => /^kubectl (label|taint)/.test(call)),
                [
                    "kubectl label node k8s-redis-auth redis-cluster=auth --overwrite",
                    "kubectl taint node k8s-redis-auth dedicated=redis-auth:NoSchedule --overwrite",
                ],
            );
            assert.match(run.stdout, /k8s-redis-auth is Ready/);
            assert.deepStrictEqual(cp.run("label-node.sh", env).calls, run.calls, "a second run does the same, harmlessly");
        } finally {
            cp.dispose();
        }
    });

    it("gives up after its timeout, naming the node and what it last saw, with progress on the way", () => {
        const cp = controlPlane({ ready: "False" });
        try {
            cp.file("state/node", "10.0.2.15");
            const run = cp.run("label-node.sh", { ...env, NODE_TAINT: "", READY_TIMEOUT_SECONDS: "1", POLL_SECONDS: "0.3" });
            assert.strictEqual(run.code, 1);
            assert.match(
                run.stderr,
                /node k8s-redis-auth is not Ready after 1s; last seen: Ready=False KubeletNotReady: container runtime network not ready/,
            );
            assert.match(run.stdout, /waiting for k8s-redis-auth to be Ready/);
            assert.ok(!run.calls.some((c) => c.startsWith("kubectl taint")), "no taint when none is configured");
        } finally {
            cp.dispose();
        }
    });

    it("stops at the first failing call when the node cannot be read or labelled", () => {
        const cp = controlPlane();
        try {
            const run = cp.run("label-node.sh", { ...env, READY_TIMEOUT_SECONDS: "1" });
            assert.ok(
                !run.calls.some((call) => /^kubectl (taint|annotate)/.test(call)),
                `stopped at the first failure: ${run.calls.join("; ")}`,
            );
            assert.notStrictEqual(run.code, 0);
        } finally {
            cp.dispose();
        }
    });
});

describe("scripts: reset-node.sh", () => {
    it("resets kubeadm state and the CNI config", () => {
        const node = new ScriptSandbox().stub("kubeadm");
        try {
            node.file("etc/cni/net.d/10-calico.conflist", "{}");
            const run = node.run("reset-node.sh", { ETC_DIR: node.file("etc") });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(run.calls, ["kubeadm reset -f"]);
            assert.ok(!fs.existsSync(node.file("etc/cni/net.d")));
        } finally {
            node.dispose();
        }
    });

    it("does nothing on a machine without kubeadm", () => {
        const node = new ScriptSandbox();
        try {
            const run = node.run("reset-node.sh", { ETC_DIR: node.file("etc") });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /nothing to reset/);
        } finally {
            node.dispose();
        }
    });
});

describe("scripts: shellcheck", () => {
    it("finds nothing in scripts/ and .ci/", function () {
        this.timeout(30_000);
        const files = fs
            .readdirSync("scripts")
            .filter((f) => f.endsWith(".sh"))
            .map((f) => `scripts/${f}`);
        const standins = fs.readdirSync("tests/support/standins").map((f) => `tests/support/standins/${f}`);
        const result = spawnSync("shellcheck", ["-x", ...files, ...standins, ".ci/run", ".ci/system-packages"], { encoding: "utf8" });
        assert.ok(!result.error, `shellcheck could not run (${result.error?.message}); install it: apt-get install shellcheck`);
        assert.strictEqual(result.status, 0, result.stdout);
        assert.strictEqual(files.length, 10);
    });
});
