#!/usr/bin/env bash
# Prepares an Ubuntu 22.04 EC2 instance to join the kubeadm cluster: kernel modules and sysctls,
# swap off, containerd with the systemd cgroup driver and kubeadm's pause image, and kubelet,
# kubeadm and kubectl pinned to the cluster's version from pkgs.k8s.io and held.
# Every step looks before it changes anything, so running it again changes nothing.
set -euo pipefail

: "${KUBERNETES_VERSION:?KUBERNETES_VERSION is required, e.g. 1.28.4}"
: "${PAUSE_IMAGE:?PAUSE_IMAGE is required, e.g. registry.k8s.io/pause:3.9}"
PACKAGE_REVISION="${PACKAGE_REVISION:-1.1}"
# The repository is <base>/v<major.minor>/deb/ with its key at Release.key, as on pkgs.k8s.io;
# tests point the base at a local repository of the same layout.
KUBERNETES_APT_BASE="${KUBERNETES_APT_BASE:-https://pkgs.k8s.io/core:/stable:}"
# Ubuntu 22.04 ships containerd 1.7; the Debian 12 root of the tests ships 1.6.
CONTAINERD_SERIES="${CONTAINERD_SERIES:-1.7}"
ETC_DIR="${ETC_DIR:-/etc}"
SYS_DIR="${SYS_DIR:-/sys}"
APT_LOCK_TIMEOUT_SECONDS="${APT_LOCK_TIMEOUT_SECONDS:-900}"
export DEBIAN_FRONTEND=noninteractive

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
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Runs an apt step (its output only on failure), waiting while another process holds apt's or
# dpkg's lock: on a fresh instance apt-daily and unattended-upgrades start at boot, and `cloud-init
# status --wait` does not wait for them. apt 2.x waits by itself (DPkg::Lock::Timeout) only for
# dpkg's lock in `apt-get install`; `apt-get update` (the lists lock) and `apt-mark` (dpkg
# --set-selections) fail at once, so every step is retried while its error is a lock.
apt_step() {
    local started="$SECONDS" said=-1 errors held
    while ! errors="$("$@" 2>&1 >/dev/null)"; do
        held="$(grep -m1 -E 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock' <<<"$errors" || true)"
        if [ -z "$held" ]; then
            printf '%s\n' "$errors" >&2
            return 1
        fi
        if [ $((SECONDS - started)) -ge "$APT_LOCK_TIMEOUT_SECONDS" ]; then
            fail "apt's lock is still held after ${APT_LOCK_TIMEOUT_SECONDS} s ($1): $held"
        fi
        if [ $(((SECONDS - started) / 30)) -gt "$said" ]; then
            said=$(((SECONDS - started) / 30))
            log "waiting for apt's lock ($1, $((SECONDS - started)) s so far): $held"
        fi
        sleep 1
    done
}
apt_install() { apt_step apt-get install -o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT_SECONDS" -y -qq --no-install-recommends "$@"; }

minor="v${KUBERNETES_VERSION%.*}"
package_version="${KUBERNETES_VERSION}-${PACKAGE_REVISION}"
# apt only knows a package after an `apt-get update` that saw its repository: every apt step that
# names kubelet, kubeadm or kubectl runs after the update that follows a change of sources.
apt_updated=""
apt_update_once() {
    if [ -z "$apt_updated" ]; then
        apt_step apt-get update -qq
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

# containerd, and what fetching the repository key needs (a minimal image may lack them).
wanted=()
for package in containerd ca-certificates curl gpg; do
    installed "$package" || wanted+=("$package")
done
if [ "${#wanted[@]}" -gt 0 ]; then
    log "installing ${wanted[*]}"
    apt_update_once
    apt_install "${wanted[@]}"
fi
containerd_version="$(containerd --version)"
case "$containerd_version" in
    *" $CONTAINERD_SERIES."* | *" v$CONTAINERD_SERIES."*) ;;
    *) fail "containerd $CONTAINERD_SERIES is required, found: $containerd_version" ;;
esac
if containerd config default |
    sed -E -e 's/SystemdCgroup = false/SystemdCgroup = true/' -e "s#sandbox_image = \".*\"#sandbox_image = \"${PAUSE_IMAGE}\"#" |
    write_if_changed "$ETC_DIR/containerd/config.toml"; then
    systemctl restart containerd
fi
systemctl is-enabled --quiet containerd || systemctl enable --now containerd

keyring="$ETC_DIR/apt/keyrings/kubernetes-apt-keyring.gpg"
repository="${KUBERNETES_APT_BASE}/${minor}/deb/"
key_marker="$ETC_DIR/apt/keyrings/kubernetes-apt-keyring.source"
# The key is fetched again only when the repository changes (a new minor version).
if [ ! -s "$keyring" ] || [ "$(cat "$key_marker" 2>/dev/null)" != "$repository" ]; then
    mkdir -p "$(dirname "$keyring")"
    curl -fsSL "${repository}Release.key" | gpg --dearmor --yes -o "$keyring"
    chmod 644 "$keyring"
    printf '%s\n' "$repository" >"$key_marker"
    log "installed the key of $repository"
fi
if printf 'deb [signed-by=%s] %s /' "$keyring" "$repository" | write_if_changed "$ETC_DIR/apt/sources.list.d/kubernetes.list"; then
    apt_updated=""
fi

missing=()
for package in kubelet kubeadm kubectl; do
    current="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)"
    [ "$current" = "$package_version" ] || missing+=("$package=$package_version")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_update_once
    # Only packages that are held can be unheld: apt-mark refuses names it does not know.
    mapfile -t to_unhold < <(apt-mark showhold kubelet kubeadm kubectl)
    if [ "${#to_unhold[@]}" -gt 0 ]; then
        apt_step apt-mark unhold "${to_unhold[@]}"
    fi
    apt_install --allow-downgrades --allow-change-held-packages "${missing[@]}"
fi
held="$(apt-mark showhold)"
for package in kubelet kubeadm kubectl; do
    grep -qx "$package" <<<"$held" || apt_step apt-mark hold "$package"
done
systemctl is-enabled --quiet kubelet || systemctl enable kubelet

log "node prepared: $containerd_version; kubernetes $package_version"
