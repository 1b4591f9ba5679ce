import * as assert from "assert";
import * as fs from "fs";
import { ScriptSandbox } from "../support/scriptSandbox";

/** A fake Ubuntu host: packages, holds, services and swap kept as files under $STATE. */
function ubuntuHost(containerdVersion = "1.7.12"): ScriptSandbox {
    return (
        new ScriptSandbox()
            .stub("cloud-init")
            .stub("modprobe", 'mkdir -p "$SYS_DIR/module/$1"')
            .stub("sysctl")
            .stub("swapon", '[ -f "$STATE/swap" ] && cat "$STATE/swap"; exit 0')
            .stub("swapoff", 'rm -f "$STATE/swap"')
            .stub(
                "dpkg-query",
                `package="\${*: -1}"; [ -f "$STATE/pkg/$package" ] || exit 1
             case "$*" in *Status*) printf 'install ok installed' ;; *) cat "$STATE/pkg/$package" ;; esac`,
            )
            // apt knows kubelet, kubeadm and kubectl only after an update that followed adding their source.
            .stub(
                "apt-get",
                `[ "$1" = update ] && { cp "$ETC_DIR/apt/sources.list.d/kubernetes.list" "$STATE/apt-lists" 2>/dev/null || touch "$STATE/apt-lists"; exit 0; }
             [ "$1" = install ] || exit 0
             case "$*" in *kube*) grep -q deb "$STATE/apt-lists" 2>/dev/null || { echo "E: Unable to locate package kubelet" >&2; exit 100; } ;; esac
             mkdir -p "$STATE/pkg"
             for arg in "$@"; do
               case "$arg" in -*|install) ;; *=*) printf '%s' "\${arg#*=}" >"$STATE/pkg/\${arg%%=*}" ;; *) printf '1.0' >"$STATE/pkg/$arg" ;; esac
             done
             [ -f "$STATE/apt-fails" ] && exit 100; exit 0`,
            )
            .stub(
                "apt-mark",
                `touch "$STATE/held"
             case "$1 $2" in "unhold kube"*|"hold kube"*) grep -q deb "$STATE/apt-lists" 2>/dev/null || { echo "E: Unable to locate package $2" >&2; exit 100; } ;; esac
             case "$1" in
               showhold) cat "$STATE/held" ;;
               hold) shift; for p in "$@"; do grep -qx "$p" "$STATE/held" || echo "$p" >>"$STATE/held"; done ;;
               unhold) shift; for p in "$@"; do grep -vx "$p" "$STATE/held" >"$STATE/held.new" || true; mv "$STATE/held.new" "$STATE/held"; done ;;
             esac`,
            )
            .stub(
                "containerd",
                `case "$1" in
               --version) echo "containerd github.com/containerd/containerd ${containerdVersion} 7c3aca7" ;;
               config) printf '[plugins]\\n  sandbox_image = "registry.k8s.io/pause:3.8"\\n  SystemdCgroup = false\\n' ;;
             esac`,
            )
            .stub(
                "systemctl",
                `mkdir -p "$STATE/enabled"
             case "$1" in
               is-enabled) [ -f "$STATE/enabled/\${*: -1}" ] ;;
               enable) touch "$STATE/enabled/\${*: -1}" ;;
             esac`,
            )
            .stub("curl", "echo PUBLIC-KEY")
            .stub("gpg", 'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; cat >"$out"')
    );
}

const READ_ONLY =
    /^(cloud-init status|swapon --show|dpkg-query |containerd --version|containerd config default|systemctl is-enabled|apt-mark showhold)/;

describe("scripts: prepare-node.sh (stand-ins; tests/full/debianRoot.test.ts runs it on real apt)", () => {
    let host: ScriptSandbox;
    let env: Record<string, string>;

    beforeEach(() => {
        host = ubuntuHost();
        env = {
            KUBERNETES_VERSION: "1.28.4",
            PAUSE_IMAGE: "registry.k8s.io/pause:3.9",
            ETC_DIR: host.file("etc"),
            SYS_DIR: host.file("sys"),
        };
        host.file("state/swap", "/swap.img file 2G 0B -2\n");
        host.file("etc/fstab", "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
    });
    afterEach(() => host.dispose());

    it("prepares a fresh node: modules, sysctls, swap off, containerd with systemd cgroups, pinned and held kube packages", () => {
        const run = host.run("prepare-node.sh", env);
        assert.strictEqual(run.code, 0, run.stderr);
        assert.ok(run.calls.includes("modprobe overlay") && run.calls.includes("modprobe br_netfilter"));
        assert.ok(run.calls.includes("sysctl --system"));
        assert.ok(run.calls.includes("swapoff -a"));
        assert.match(fs.readFileSync(`${env.ETC_DIR}/fstab`, "utf8"), /^# \/swap.img none swap sw 0 0$/m);
        assert.ok(run.calls.some((call) => /^apt-get install .* containerd ca-certificates curl gpg$/.test(call)));
        const containerdConfig = fs.readFileSync(`${env.ETC_DIR}/containerd/config.toml`, "utf8");
        assert.match(containerdConfig, /SystemdCgroup = true/);
        assert.match(containerdConfig, /sandbox_image = "registry.k8s.io\/pause:3.9"/);
        assert.ok(run.calls.includes("systemctl restart containerd"));
        assert.match(
            fs.readFileSync(`${env.ETC_DIR}/apt/sources.list.d/kubernetes.list`, "utf8"),
            /https:\/\/pkgs.k8s.io\/core:\/stable:\/v1.28\/deb\/ \//,
        );
        assert.ok(run.calls.some((call) => call.startsWith("curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.28/deb/Release.key")));
        assert.ok(run.calls.some((call) => /^apt-get install .* kubelet=1.28.4-1.1 kubeadm=1.28.4-1.1 kubectl=1.28.4-1.1$/.test(call)));
        assert.deepStrictEqual(fs.readFileSync(`${host.state}/held`, "utf8").trim().split("\n").sort(), ["kubeadm", "kubectl", "kubelet"]);
        assert.ok(run.calls.includes("systemctl enable kubelet"));
    });

    it("changes nothing when run again", () => {
        assert.strictEqual(host.run("prepare-node.sh", env).code, 0);
        const before = host.snapshot("");
        const again = host.run("prepare-node.sh", env);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.deepStrictEqual(
            again.calls.filter((call) => !READ_ONLY.test(call)),
            [],
            "only look-ups on the second run",
        );
        const after = host.snapshot("");
        delete before.calls;
        delete after.calls;
        assert.deepStrictEqual(after, before, "no file changed");
    });

    it("moves packages to the configured version when it changes", () => {
        assert.strictEqual(host.run("prepare-node.sh", env).code, 0);
        const upgrade = host.run("prepare-node.sh", { ...env, KUBERNETES_VERSION: "1.28.5" });
        assert.strictEqual(upgrade.code, 0, upgrade.stderr);
        assert.ok(upgrade.calls.some((call) => /kubelet=1.28.5-1.1 kubeadm=1.28.5-1.1 kubectl=1.28.5-1.1$/.test(call)));
        const unhold = upgrade.calls.indexOf("apt-mark unhold kubelet kubeadm kubectl");
        assert.ok(upgrade.calls.indexOf("apt-get update -qq") < unhold, "apt-mark names packages only after the update");
        assert.ok(unhold < upgrade.calls.findIndex((c) => c.includes("kubelet=1.28.5")));
    });

    it("stops at the first failing step", () => {
        host.file("state/apt-fails", "");
        const run = host.run("prepare-node.sh", env);
        assert.notStrictEqual(run.code, 0);
        assert.ok(!run.calls.some((call) => call.startsWith("containerd")), "nothing after the failed install ran");
        assert.ok(!run.stdout.includes("node prepared"));
    });

    it("refuses a containerd other than 1.7", () => {
        const old = ubuntuHost("1.6.12");
        try {
            const run = old.run("prepare-node.sh", { ...env, ETC_DIR: old.file("etc"), SYS_DIR: old.file("sys") });
            assert.notStrictEqual(run.code, 0);
            assert.match(run.stderr, /containerd 1.7 is required, found: .*1.6.12/);
            assert.ok(!run.calls.some((call) => call.includes("kubelet=")));
        } finally {
            old.dispose();
        }
    });

    it("names a missing parameter", () => {
        const run = host.run("prepare-node.sh", { ETC_DIR: env.ETC_DIR });
        assert.notStrictEqual(run.code, 0);
        assert.match(run.stderr, /KUBERNETES_VERSION is required/);
        assert.deepStrictEqual(run.calls, []);
    });
});
