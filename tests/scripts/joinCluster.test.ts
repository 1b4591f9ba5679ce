import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nodeName } from "../../render/nodeIdentity";
import { parseStackConfigOrThrow } from "../../config/parse";
import { FakeCluster } from "../support/fakeCluster";
import { newPrivateKey } from "../support/sshKey";
import { stackConfig } from "../support/stacks";

const cluster = parseStackConfigOrThrow(stackConfig("dev")).cluster!;
const OLD = nodeName("k8s-redis", "auth", "i-0123456789aaaaaaa");
const NEW = nodeName("k8s-redis", "auth", "i-0fedcba98bbbbbbbb");
const TOKEN = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/;

describe("scripts: join-cluster.sh (the join step, with a fake cluster that enforces kubeadm's rules)", () => {
    let fake: FakeCluster;
    beforeEach(() => {
        fake = new FakeCluster(cluster);
    });
    afterEach(() => fake.dispose());

    it("creates a token on the control plane, joins the node with it on stdin, then deletes it by id", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            const run = fake.join("10.0.2.15", NEW, "auth");
            assert.strictEqual(run.code, 0, run.stderr);
            assert.deepStrictEqual(fake.nodes(), { [NEW]: "True" });
            const [created, joined, deleted] = fake.events();
            const id = /^token create (\w{6})$/.exec(created)?.[1];
            assert.ok(id, created);
            assert.deepStrictEqual([joined, deleted], [`join ${NEW}`, `token delete ${id}`]);
            assert.deepStrictEqual(fake.tokens(), [], "no token is left");
            assert.match(run.stdout, new RegExp(`deleted bootstrap token ${id}`));
            const everywhere = `${run.stdout}${run.stderr}${fake.sshLog()}${run.calls.join("\n")}`;
            assert.doesNotMatch(everywhere, TOKEN, "the token is in no output, log or argument");
            assert.match(fake.sshLog(), new RegExp(`kubeadm token delete ${id}$`, "m"), "deleted by its id, in the command text");
        } finally {
            node.dispose();
        }
    });

    describe("the SSH key on stdin, however `pulumi config set --secret` stored it", () => {
        const keys = fs.mkdtempSync(path.join(os.tmpdir(), "redis-ha-keys-"));
        after(() => fs.rmSync(keys, { recursive: true, force: true }));
        /** A new key of `type`, as its file reads and with the final newline dropped. */
        const keyOf = (type: "ed25519" | "rsa") => {
            const text = newPrivateKey(type);
            return { text, withoutNewline: text.replace(/\n$/, "") };
        };

        for (const type of ["ed25519", "rsa"] as const) {
            it(`joins with a ${type} key with and without its final newline`, () => {
                const key = keyOf(type);
                // OpenSSH itself refuses the key as stored without its newline (the stand-in ssh loads it so).
                const bare = path.join(keys, `${type}-bare`);
                fs.writeFileSync(bare, key.withoutNewline, { mode: 0o600 });
                assert.notStrictEqual(spawnSync("ssh-keygen", ["-y", "-f", bare]).status, 0, "ssh-keygen loads the bare key");
                for (const stdin of [key.text, key.withoutNewline]) {
                    fake.dispose();
                    fake = new FakeCluster(cluster);
                    const node = fake.addNode("10.0.2.15");
                    try {
                        const run = fake.join("10.0.2.15", NEW, "auth", stdin);
                        assert.strictEqual(run.code, 0, run.stderr);
                        assert.deepStrictEqual(fake.nodes(), { [NEW]: "True" });
                    } finally {
                        node.dispose();
                    }
                }
            });
        }

        it("a key OpenSSH cannot load stops the join with its message, before any token is made", () => {
            const run = fake.join(
                "10.0.2.15",
                NEW,
                "auth",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n",
            );
            assert.strictEqual(run.code, 1);
            assert.match(run.stderr, /Load key .*: (invalid format|error in libcrypto)/);
            assert.match(run.stderr, /could not create a bootstrap token/);
            assert.deepStrictEqual(fake.tokens(), []);
        });
    });

    it("a join retried after one that stopped halfway (the CA written, no kubelet.conf) resets the leftovers first", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            fs.mkdirSync(node.file("kubernetes/pki"), { recursive: true });
            fs.writeFileSync(node.file("kubernetes/pki/ca.crt"), "from the join that stopped\n");
            // kubeadm itself refuses the machine as it is (the stand-in's preflight, as checks.go).
            const direct = node.run(
                { text: "kubeadm join --config /dev/null" },
                { FAKE_CLUSTER: fake.state, KUBERNETES_DIR: node.file("kubernetes") },
            );
            assert.strictEqual(direct.code, 1);
            assert.match(direct.stderr, /\[ERROR FileAvailable-.*pki-ca\.crt\]: .*already exists/);
            const run = fake.join("10.0.2.15", NEW, "auth");
            assert.strictEqual(run.code, 0, run.stderr);
            assert.match(run.stdout, /an earlier join stopped halfway/);
            assert.deepStrictEqual(fake.nodes(), { [NEW]: "True" });
            assert.deepStrictEqual(
                fake.events().filter((e) => !e.startsWith("token")),
                ["join refused : preflight", "reset 10.0.2.15", `join ${NEW}`],
            );
        } finally {
            node.dispose();
        }
    });

    it("a join retried long after a failed one gets a fresh token and succeeds", () => {
        // The first attempt cannot reach the node: nothing is joined, the token is deleted anyway.
        const failed = fake.join("10.0.2.15", NEW, "auth");
        assert.notStrictEqual(failed.code, 0);
        assert.deepStrictEqual(fake.tokens(), []);
        fake.advance(3 * 3600);
        const node = fake.addNode("10.0.2.15");
        try {
            const retried = fake.join("10.0.2.15", NEW, "auth");
            assert.strictEqual(retried.code, 0, retried.stderr);
            assert.deepStrictEqual(fake.nodes(), { [NEW]: "True" });
            assert.strictEqual(fake.events().filter((e) => e.startsWith("token create")).length, 2);
        } finally {
            node.dispose();
        }
    });

    it("(the old way) a token kept from an earlier run has expired: kubeadm's discovery refuses it", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            const minted = fake.controlPlane.run("create-join-token.sh", {
                FAKE_CLUSTER: fake.state,
                KUBERNETES_DIR: fake.controlPlane.file("kubernetes"),
            });
            assert.strictEqual(minted.code, 0, minted.stderr);
            fake.advance(16 * 60);
            const env = { API_SERVER_ENDPOINT: "10.0.1.10:6443", NODE_NAME: NEW, NODE_LABELS: "redis-cluster=auth" };
            const run = node.run(
                "join-node.sh",
                { ...env, FAKE_CLUSTER: fake.state, KUBERNETES_DIR: node.file("kubernetes") },
                minted.stdout,
            );
            assert.strictEqual(run.code, 1);
            assert.match(
                run.stderr,
                /couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "\w{6}"/,
            );
        } finally {
            node.dispose();
        }
    });

    it("a replacement joins beside the old node, whose drain then moves the Redis pods, and is removed last", () => {
        const old = fake.addNode("10.0.2.15");
        const replacement = fake.addNode("10.0.3.20");
        try {
            assert.strictEqual(fake.join("10.0.2.15", OLD, "auth").code, 0);
            fake.pod("rfr-auth-redis-0", OLD, "redis-cluster=auth");
            // Under the old naming both instances were one name: kubeadm refuses the second join.
            const sameName = fake.join("10.0.3.20", OLD, "auth");
            assert.strictEqual(sameName.code, 1);
            assert.match(
                sameName.stderr,
                new RegExp(
                    `a Node with name "${OLD}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
                ),
            );
            // In Pulumi's order: the new instance's join and ready step, then the old one's removal hook and reset.
            assert.strictEqual(fake.join("10.0.3.20", NEW, "auth").code, 0);
            const ready = fake.onControlPlane("label-node.sh", { NODE_NAME: NEW, NODE_IP: "10.0.3.20", NODE_LABEL: "redis-cluster=auth" });
            assert.strictEqual(ready.code, 0, ready.stderr);
            const removal = fake.onControlPlane("remove-node.sh", { NODE_NAME: OLD, NODE_IP: "10.0.2.15" });
            assert.strictEqual(removal.code, 0, removal.stderr);
            assert.strictEqual(
                old.run("reset-node.sh", {
                    FAKE_CLUSTER: fake.state,
                    FAKE_NODE_IP: "10.0.2.15",
                    KUBERNETES_DIR: old.file("kubernetes"),
                    ETC_DIR: old.file("etc"),
                }).code,
                0,
            );
            assert.deepStrictEqual(fake.nodes(), { [NEW]: "True" });
            assert.strictEqual(fake.podNode("rfr-auth-redis-0"), NEW, "the Redis pod moved to the replacement");
            const events = fake.events().filter((e) => !e.startsWith("token"));
            assert.deepStrictEqual(events, [
                `join ${OLD}`,
                `join refused ${OLD}: name taken`,
                `join ${NEW}`,
                `label ${NEW} redis-cluster=auth`,
                `annotate ${NEW} redis-ha/managed-label-purpose=redis-cluster`,
                `drain ${OLD}`,
                `evict rfr-auth-redis-0 from ${OLD} to ${NEW}`,
                `delete node ${OLD}`,
                "reset 10.0.2.15",
            ]);
        } finally {
            old.dispose();
            replacement.dispose();
        }
    });

    it("reconciles label and taint both ways: a taint or label key dropped from config is removed, the zone run leaves the taint", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            assert.strictEqual(fake.join("10.0.2.15", NEW, "auth").code, 0);
            const ready = (env: Record<string, string>) => {
                const run = fake.onControlPlane("label-node.sh", { NODE_NAME: NEW, NODE_IP: "10.0.2.15", ...env });
                assert.strictEqual(run.code, 0, run.stderr);
                return run;
            };
            const taints = () =>
                fs
                    .readFileSync(path.join(fake.state, "nodes", NEW, "taints"), "utf8")
                    .trim()
                    .split("\n")
                    .filter(Boolean);
            const labels = () =>
                fs
                    .readFileSync(path.join(fake.state, "nodes", NEW, "labels"), "utf8")
                    .trim()
                    .split("\n");
            ready({ NODE_LABEL: "redis-cluster=auth", NODE_LABEL_SLOT: "purpose", NODE_TAINT: "dedicated=redis-auth:NoSchedule" });
            ready({ NODE_LABEL: "topology.kubernetes.io/zone=ap-northeast-2a", NODE_LABEL_SLOT: "zone" });
            assert.deepStrictEqual(taints(), ["dedicated=redis-auth:NoSchedule"], "the zone run leaves the taint alone");
            // The taint's effect changes: the old one goes, not kept beside the new.
            ready({ NODE_LABEL: "redis-cluster=auth", NODE_LABEL_SLOT: "purpose", NODE_TAINT: "dedicated=redis-auth:NoExecute" });
            assert.deepStrictEqual(taints(), ["dedicated=redis-auth:NoExecute"]);
            // The taint is dropped from config, and the placement label renamed.
            const run = ready({ NODE_LABEL: "redis-purpose=auth", NODE_LABEL_SLOT: "purpose", NODE_TAINT: "" });
            assert.deepStrictEqual(taints(), []);
            assert.match(run.stdout, /removed taint dedicated:NoExecute, no longer configured/);
            assert.match(run.stdout, /removed label redis-cluster, no longer configured/);
            assert.deepStrictEqual(labels().sort(), ["redis-purpose=auth", "topology.kubernetes.io/zone=ap-northeast-2a"]);
        } finally {
            node.dispose();
        }
    });

    it("an adopted node that joined under its old name is labelled and removed by its address", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            assert.strictEqual(fake.join("10.0.2.15", "k8s-redis-auth", "auth").code, 0);
            const ready = fake.onControlPlane("label-node.sh", { NODE_NAME: NEW, NODE_IP: "10.0.2.15", NODE_LABEL: "redis-cluster=auth" });
            assert.strictEqual(ready.code, 0, ready.stderr);
            assert.match(ready.stdout, new RegExp(`${NEW} is registered as k8s-redis-auth \\(address 10.0.2.15\\)`));
            const removal = fake.onControlPlane("remove-node.sh", { NODE_NAME: NEW, NODE_IP: "10.0.2.15" });
            assert.strictEqual(removal.code, 0, removal.stderr);
            assert.deepStrictEqual(fake.nodes(), {});
        } finally {
            node.dispose();
        }
    });
});
