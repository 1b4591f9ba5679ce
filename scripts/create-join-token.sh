#!/usr/bin/env bash
# Runs on the control plane: creates a short-lived bootstrap token and prints
# "<token> sha256:<CA public key hash>" for join-node.sh. The output is a secret.
set -euo pipefail

TOKEN_TTL="${TOKEN_TTL:-15m}"
KUBERNETES_DIR="${KUBERNETES_DIR:-/etc/kubernetes}"

token="$(kubeadm token create --ttl "$TOKEN_TTL" --description "redis-ha node join")"
ca_hash="$(openssl x509 -pubkey -noout -in "$KUBERNETES_DIR/pki/ca.crt" |
    openssl pkey -pubin -outform der |
    openssl dgst -sha256 -hex | sed 's/^.* //')"
[ -n "$ca_hash" ] || { echo "[create-join-token] error: could not hash $KUBERNETES_DIR/pki/ca.crt" >&2; exit 1; }
printf '%s sha256:%s\n' "$token" "$ca_hash"
