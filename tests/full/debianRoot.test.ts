// The node scripts on a Debian 12 root (debootstrap) with real apt, dpkg and Debian's containerd,
// a signed local repository laid out like pkgs.k8s.io, and stand-ins only for what cannot run in a
// root. The first run builds and caches the root (tests/support/debianRoot.ts); later runs reuse it.

import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import { scriptCommand } from "../../render/nodeScripts";
import { nodeName } from "../../render/nodeIdentity";
import { parseStackConfigOrThrow } from "../../config/parse";
import { DebianRoot, ensureBaseRoot, LOCAL_APT_BASE } from "../support/debianRoot";
import { FakeCluster } from "../support/fakeCluster";
import { stackConfig } from "../support/stacks";

const cluster = parseStackConfigOrThrow(stackConfig("dev")).cluster!;
const NODE_IP = "10.0.2.15";
const NAME = nodeName("k8s-redis", "auth", "i-0123456789abcdef0");

describe("full: node scripts in a Debian 12 root (real apt, dpkg, containerd)", function () {
    this.timeout(900_000);
    let fake: FakeCluster;
    let node: DebianRoot;
    const prepare = (version: string, extra: Record<string, string> = {}) =>
        node.run(
            // As the remote command runs it (sudo env ... bash), with the local repository.
            scriptCommand("prepare-node.sh", {
                KUBERNETES_VERSION: version,
                PAUSE_IMAGE: "registry.k8s.io/pause:3.9",
                KUBERNETES_APT_BASE: LOCAL_APT_BASE,
                CONTAINERD_SERIES: "1.6",
                ...extra,
            }),
        );
    const installed = () =>
        node.run("dpkg-query -W -f='${Package}=${Version}\\n' kubelet kubeadm kubectl").stdout.trim().split("\n").sort();
    const holds = () => node.run("apt-mark showhold").stdout.trim().split("\n").sort();

    before(() => {
        const built = ensureBaseRoot();
        if (built) console.log(`      (built and cached the Debian root in ${built.toFixed(0)} s)`);
        fake = new FakeCluster(cluster);
        node = new DebianRoot(fake.state, NODE_IP);
        fake.route(NODE_IP, node.route());
    });
    after(() => {
        node?.dispose();
        fake?.dispose();
    });

    it("prepares a fresh root: containerd with systemd cgroups and kubeadm's pause image, kube packages pinned and held", () => {
        const run = prepare("1.28.4");
        assert.strictEqual(run.code, 0, `${run.stdout}\n${run.stderr}`);
        assert.deepStrictEqual(installed(), ["kubeadm=1.28.4-1.1", "kubectl=1.28.4-1.1", "kubelet=1.28.4-1.1"]);
        assert.deepStrictEqual(holds(), ["kubeadm", "kubectl", "kubelet"]);
        const config = fs.readFileSync(`${node.root}/etc/containerd/config.toml`, "utf8");
        assert.match(config, /^\s*SystemdCgroup = true$/m);
        assert.doesNotMatch(config, /SystemdCgroup = false/);
        assert.match(config, /^\s*sandbox_image = "registry.k8s.io\/pause:3.9"$/m);
        assert.match(node.run("containerd --version").stdout, /^containerd .* 1\.6\./);
        assert.strictEqual(node.run("systemctl is-enabled containerd kubelet && ls /etc/systemd/system/multi-user.target.wants").code, 0);
        assert.match(
            fs.readFileSync(`${node.root}/etc/apt/sources.list.d/kubernetes.list`, "utf8"),
            /^deb \[signed-by=\/etc\/apt\/keyrings\/kubernetes-apt-keyring.gpg\] file:\/\/\/srv\/k8s-apt\/v1.28\/deb\/ \/$/m,
        );
    });

    it("changes nothing when run again: dpkg's status and every file byte-identical", () => {
        const before = node.hashes();
        const run = prepare("1.28.4");
        assert.strictEqual(run.code, 0, run.stderr);
        const after = node.hashes();
        // apt rebuilds its binary cache whenever dpkg's status is newer than it, which the first run's
        // last `apt-mark hold` leaves so: a cache, not something the script writes.
        const cache = /^\.\/var\/cache\/apt\/(src)?pkgcache\.bin$/;
        const changed = Object.keys({ ...before, ...after }).filter((file) => before[file] !== after[file] && !cache.test(file));
        assert.deepStrictEqual(changed, []);
        assert.ok(before["./var/lib/dpkg/status"], "dpkg's status is among the hashed files");
    });

    it("moves to a newer kubernetesVersion and holds it again", () => {
        const run = prepare("1.28.5");
        assert.strictEqual(run.code, 0, run.stderr);
        assert.deepStrictEqual(installed(), ["kubeadm=1.28.5-1.1", "kubectl=1.28.5-1.1", "kubelet=1.28.5-1.1"]);
        assert.deepStrictEqual(holds(), ["kubeadm", "kubectl", "kubelet"]);
        assert.match(node.run("kubelet --version").stdout, /v1\.28\.5/);
    });

    it("joins through the join step (token made and deleted on the control plane), and resets on destroy", () => {
        const joined = fake.join(NODE_IP, NAME, "auth");
        assert.strictEqual(joined.code, 0, joined.stderr);
        assert.deepStrictEqual(fake.nodes(), { [NAME]: "True" });
        assert.deepStrictEqual(fake.tokens(), []);
        assert.ok(fs.existsSync(`${node.root}/etc/kubernetes/kubelet.conf`));
        const again = fake.join(NODE_IP, NAME, "auth");
        assert.match(again.stdout, /already joined/);
        // Destroy: the control plane drains and deletes the node, then the node is reset.
        assert.strictEqual(fake.onControlPlane("remove-node.sh", { NODE_NAME: NAME, NODE_IP }).code, 0);
        const reset = node.run(scriptCommand("reset-node.sh"));
        assert.strictEqual(reset.code, 0, reset.stderr);
        assert.ok(!fs.existsSync(`${node.root}/etc/kubernetes/kubelet.conf`));
        assert.deepStrictEqual(
            fake.events().filter((e) => !e.startsWith("token")),
            [`join ${NAME}`, `drain ${NAME}`, `delete node ${NAME}`, `reset ${NODE_IP}`],
        );
    });

    it("waits while another process holds apt's and dpkg's locks (apt-daily at first boot), saying so", async () => {
        // The locks apt and dpkg take (fcntl, as apt-pkg's GetLock), held from outside the root for 6 s.
        const locks = ["var/lib/apt/lists/lock", "var/lib/dpkg/lock-frontend", "var/lib/dpkg/lock"].map((file) => `${node.root}/${file}`);
        const holder = spawn("/usr/bin/python3", [
            "-c",
            "import fcntl,sys,time\nfs=[open(p,'a') for p in sys.argv[1:]]\nfor f in fs: fcntl.lockf(f, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(6)",
            ...locks,
        ]);
        const done = new Promise((resolve) => holder.on("exit", resolve));
        await new Promise((resolve) => holder.stdout.once("data", resolve));
        try {
            const refused = prepare("1.28.4", { APT_LOCK_TIMEOUT_SECONDS: "0" });
            assert.strictEqual(refused.code, 1);
            assert.match(
                refused.stderr,
                /apt's lock is still held after 0 s \(apt-get\): E: Could not get lock \/var\/lib\/apt\/lists\/lock/,
            );
            const run = prepare("1.28.4");
            assert.strictEqual(run.code, 0, `${run.stdout}\n${run.stderr}`);
            assert.match(run.stdout, /waiting for apt's lock \(apt-get, 0 s so far\): E: Could not get lock/);
            assert.deepStrictEqual(installed(), ["kubeadm=1.28.4-1.1", "kubectl=1.28.4-1.1", "kubelet=1.28.4-1.1"]);
            assert.deepStrictEqual(holds(), ["kubeadm", "kubectl", "kubelet"]);
        } finally {
            holder.kill();
            await done;
        }
    });

    it("its stand-in systemctl refuses an unknown unit as systemctl does", () => {
        const run = node.run("systemctl restart no-such-thing");
        assert.strictEqual(run.code, 5);
        assert.strictEqual(run.stderr.trim(), "Failed to restart no-such-thing.service: Unit no-such-thing.service not found.");
    });
});
