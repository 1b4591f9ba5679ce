import * as assert from "assert";
import * as fs from "fs";
import { scriptCommand } from "../../render/nodeScripts";
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
