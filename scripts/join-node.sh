#!/usr/bin/env bash
# Joins this node to the cluster with a bootstrap token read from stdin ("<token> <ca-cert-hash>"),
# never from the command line, registering it with its purpose label and taint.
# A node that already has a kubelet.conf has joined: it is left alone.
set -euo pipefail

: "${API_SERVER_ENDPOINT:?API_SERVER_ENDPOINT is required (host:port)}"
: "${NODE_NAME:?NODE_NAME is required}"
: "${NODE_LABELS:?NODE_LABELS is required (key=value[,key=value])}"
NODE_TAINT_KEY="${NODE_TAINT_KEY:-}"
NODE_TAINT_VALUE="${NODE_TAINT_VALUE:-}"
NODE_TAINT_EFFECT="${NODE_TAINT_EFFECT:-}"
KUBERNETES_DIR="${KUBERNETES_DIR:-/etc/kubernetes}"

log() { printf '[join-node] %s\n' "$*"; }
fail() { printf '[join-node] error: %s\n' "$*" >&2; exit 1; }

token="" ca_hash=""
read -r token ca_hash || true

if [ -f "$KUBERNETES_DIR/kubelet.conf" ]; then
    log "$NODE_NAME has already joined ($KUBERNETES_DIR/kubelet.conf exists); nothing to do"
    exit 0
fi
# A join that stopped after its kubelet-start phase (the kubelet's TLS bootstrap timed out, the
# connection dropped) leaves the cluster's CA, and a running kubelet, without kubelet.conf; kubeadm's
# preflight then refuses every retry (preflight/checks.go: FileAvailable ca.crt, Port-10250), so
# such leftovers are reset first.
if [ -e "$KUBERNETES_DIR/pki/ca.crt" ] || [ -e "$KUBERNETES_DIR/bootstrap-kubelet.conf" ]; then
    log "an earlier join stopped halfway ($KUBERNETES_DIR/pki/ca.crt without kubelet.conf): resetting it first"
    kubeadm reset -f
fi
[[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "stdin does not start with a bootstrap token"
[[ "$ca_hash" =~ ^sha256:[a-f0-9]{64}$ ]] || fail "stdin has no sha256 CA certificate hash after the token"

taints="  taints: []"
if [ -n "$NODE_TAINT_KEY" ]; then
    taints="$(printf '  taints:\n    - key: "%s"\n      value: "%s"\n      effect: "%s"' "$NODE_TAINT_KEY" "$NODE_TAINT_VALUE" "$NODE_TAINT_EFFECT")"
fi

# The token goes into a root-only file, so it appears in no process list or log.
config="$(mktemp)"
chmod 600 "$config"
trap 'rm -f "$config"' EXIT
cat >"$config" <<YAML
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "$API_SERVER_ENDPOINT"
    token: "$token"
    caCertHashes: ["$ca_hash"]
nodeRegistration:
  name: "$NODE_NAME"
  criSocket: unix:///run/containerd/containerd.sock
  kubeletExtraArgs:
    node-labels: "$NODE_LABELS"
$taints
YAML

log "joining $NODE_NAME to $API_SERVER_ENDPOINT"
kubeadm join --config "$config"
log "$NODE_NAME joined"
