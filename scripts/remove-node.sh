#!/usr/bin/env bash
# Runs on the control plane when a node is destroyed or replaced: drains it (bounded: a Redis
# PodDisruptionBudget can block a drain forever) and deletes it, so no NotReady node is left.
# A node of the same name that now has another address belongs to a replacement and is kept.
set -euo pipefail

: "${NODE_NAME:?NODE_NAME is required}"
NODE_IP="${NODE_IP:-}"
DRAIN_TIMEOUT_SECONDS="${DRAIN_TIMEOUT_SECONDS:-120}"
export KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}"

log() { printf '[remove-node] %s\n' "$*"; }

if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
    log "$NODE_NAME is not registered; nothing to remove"
    exit 0
fi
address="$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')"
if [ -n "$NODE_IP" ] && [ -n "$address" ] && [ "$address" != "$NODE_IP" ]; then
    log "$NODE_NAME is now $address, not $NODE_IP: it belongs to a replacement; keeping it"
    exit 0
fi

log "draining $NODE_NAME (at most ${DRAIN_TIMEOUT_SECONDS}s)"
if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT_SECONDS}s"; then
    log "drain did not finish in ${DRAIN_TIMEOUT_SECONDS}s (a PodDisruptionBudget may hold it); deleting $NODE_NAME anyway"
fi
kubectl delete node "$NODE_NAME" --ignore-not-found
log "$NODE_NAME removed"
