#!/usr/bin/env bash
# Prepares an Ubuntu 22.04 EC2 instance to join the kubeadm cluster: kernel modules and sysctls,
# swap off, containerd 1.7 with the systemd cgroup driver and kubeadm's pause image, and kubelet,
# kubeadm and kubectl pinned to the cluster's version from pkgs.k8s.io and held.
# Every step looks before it changes anything, so running it again changes nothing.
set -euo pipefail

: "${KUBERNETES_VERSION:?KUBERNETES_VERSION is required, e.g. 1.28.4}"
: "${PAUSE_IMAGE:?PAUSE_IMAGE is required, e.g. registry.k8s.io/pause:3.9}"
PACKAGE_REVISION="${PACKAGE_REVISION:-1.1}"
ETC_DIR="${ETC_DIR:-/etc}"
SYS_DIR="${SYS_DIR:-/sys}"

log() { printf '[prepare-node] %s\n' "$*"; }
fail() { printf '[prepare-node] error: %s\n' "$*" >&2; exit 1; }

# Writes stdin to a file only when the content differs; returns 0 when it wrote.
write_if_changed() {
    local target="$1" content
    content="$(cat)"
    if [ -f "$target" ] && [ "$(cat "$target")" = "$content" ]; then
        return 1
    fi
    mkdir -p "$(dirname "$target")"
    printf '%s\n' "$content" >"$target"
    log "wrote $target"
}

minor="v${KUBERNETES_VERSION%.*}"
package_version="${KUBERNETES_VERSION}-${PACKAGE_REVISION}"
apt_updated=""
apt_update_once() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
}

if command -v cloud-init >/dev/null 2>&1; then
    log "waiting for cloud-init"
    # Status 2 means finished with recoverable errors: the node is still usable.
    cloud-init status --wait >/dev/null || [ "$?" -eq 2 ] || fail "cloud-init failed"
fi

if printf 'overlay\nbr_netfilter' | write_if_changed "$ETC_DIR/modules-load.d/kubernetes.conf"; then :; fi
for module in overlay br_netfilter; do
    [ -d "$SYS_DIR/module/$module" ] || modprobe "$module"
done

if printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1' |
    write_if_changed "$ETC_DIR/sysctl.d/99-kubernetes.conf"; then
    sysctl --system >/dev/null
fi

if [ -n "$(swapon --show --noheadings)" ]; then
    log "turning swap off"
    swapoff -a
fi
if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "$ETC_DIR/fstab" 2>/dev/null; then
    sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1/' "$ETC_DIR/fstab"
    log "commented out swap in $ETC_DIR/fstab"
fi

if ! dpkg-query -W -f='${Status}' containerd 2>/dev/null | grep -q 'install ok installed'; then
    log "installing containerd"
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd
fi
containerd_version="$(containerd --version)"
case "$containerd_version" in
    *" 1.7."* | *" v1.7."*) ;;
    *) fail "containerd 1.7 is required, found: $containerd_version" ;;
esac
if containerd config default |
    sed -E -e 's/SystemdCgroup = false/SystemdCgroup = true/' -e "s#sandbox_image = \".*\"#sandbox_image = \"${PAUSE_IMAGE}\"#" |
    write_if_changed "$ETC_DIR/containerd/config.toml"; then
    systemctl restart containerd
fi
systemctl is-enabled --quiet containerd || systemctl enable --now containerd

keyring="$ETC_DIR/apt/keyrings/kubernetes-apt-keyring.gpg"
repository="https://pkgs.k8s.io/core:/stable:/${minor}/deb/"
if [ ! -s "$keyring" ]; then
    mkdir -p "$(dirname "$keyring")"
    curl -fsSL "${repository}Release.key" | gpg --dearmor --yes -o "$keyring"
    log "installed the pkgs.k8s.io key for $minor"
fi
if printf 'deb [signed-by=%s] %s /' "$keyring" "$repository" | write_if_changed "$ETC_DIR/apt/sources.list.d/kubernetes.list"; then
    apt_updated=""
fi

missing=()
for package in kubelet kubeadm kubectl; do
    installed="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)"
    [ "$installed" = "$package_version" ] || missing+=("$package=$package_version")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-mark unhold kubelet kubeadm kubectl >/dev/null
    apt_update_once
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades --allow-change-held-packages "${missing[@]}"
fi
held="$(apt-mark showhold)"
for package in kubelet kubeadm kubectl; do
    grep -qx "$package" <<<"$held" || apt-mark hold "$package" >/dev/null
done
systemctl is-enabled --quiet kubelet || systemctl enable kubelet

log "node prepared: containerd ${containerd_version##* }, kubernetes $package_version"
