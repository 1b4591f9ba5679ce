// The destroy-time reset (scripts/reset-over-ssh.sh), run as its local command runs it, against
// the fake cluster: a node that answers is reset over SSH; one that does not is skipped.

import * as assert from "assert";
import * as fs from "fs";
import { nodeName } from "../../render/nodeIdentity";
import { parseStackConfigOrThrow } from "../../config/parse";
import { FakeCluster } from "../support/fakeCluster";
import { newPrivateKey } from "../support/sshKey";
import { stackConfig } from "../support/stacks";

const cluster = parseStackConfigOrThrow(stackConfig("dev")).cluster!;
const NEW = nodeName("k8s-redis", "auth", "i-0fedcba98bbbbbbbb");

describe("scripts: reset-over-ssh.sh (the destroy-time reset, run where `pulumi up` runs)", () => {
    let fake: FakeCluster;
    beforeEach(() => {
        fake = new FakeCluster(cluster);
    });
    afterEach(() => fake.dispose());

    it("resets a node that answers, over SSH with the key from stdin", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            assert.strictEqual(fake.join("10.0.2.15", NEW, "auth").code, 0);
            const run = fake.reset("10.0.2.15", newPrivateKey("ed25519"));
            assert.strictEqual(run.code, 0, run.stderr);
            assert.ok(fake.events().includes("reset 10.0.2.15"));
            assert.ok(!fs.existsSync(node.file("kubernetes/kubelet.conf")), "kubeadm reset ran on the node");
            assert.match(fake.sshLog(), /-i \S+ -o IdentitiesOnly=yes/);
        } finally {
            node.dispose();
        }
    });

    it("skips, with a warning, a node whose instance is gone: the destroy goes on", () => {
        const run = fake.reset("10.0.2.15");
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.stdout, /10\.0\.2\.15 did not answer SSH \(attempt 1 of 3\)/);
        assert.match(run.stdout, /warning: 10\.0\.2\.15 did not answer SSH after 3 attempts; its kubeadm reset is skipped/);
        assert.ok(!fake.events().some((e) => e.startsWith("reset")));
    });

    it("fails when the reset itself fails on a node that answers", () => {
        const node = fake.addNode("10.0.2.15");
        try {
            node.stub("kubeadm", "echo 'kubeadm: reset failed' >&2; exit 1");
            const run = fake.reset("10.0.2.15");
            assert.strictEqual(run.code, 1);
            assert.match(run.stderr, /reset failed/);
        } finally {
            node.dispose();
        }
    });
});
