#!/usr/bin/env bash
# Runs on a node being destroyed, after the control plane has drained and deleted it: undoes the
# join so the machine holds no cluster credentials.
set -euo pipefail

ETC_DIR="${ETC_DIR:-/etc}"

if ! command -v kubeadm >/dev/null 2>&1; then
    echo "[reset-node] kubeadm is not installed; nothing to reset"
    exit 0
fi
kubeadm reset -f
rm -rf "$ETC_DIR/cni/net.d"
echo "[reset-node] node reset"
