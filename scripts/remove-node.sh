#!/usr/bin/env bash
# Runs on the control plane when a node is destroyed or replaced, after its replacement (another
# name) has joined: drains it (bounded: a Redis PodDisruptionBudget can block a drain forever), so
# its pods move, then deletes it, so no NotReady node is left. A node that joined under another
# name (an adopted one) is found by its address; a node of this name that now has another address
# is not this instance's and is kept.
set -euo pipefail

: "${NODE_NAME:?NODE_NAME is required}"
NODE_IP="${NODE_IP:-}"
DRAIN_TIMEOUT_SECONDS="${DRAIN_TIMEOUT_SECONDS:-120}"
export KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}"

log() { printf '[remove-node] %s\n' "$*"; }

name="$NODE_NAME"
if ! kubectl get node "$name" >/dev/null 2>&1; then
    name=""
    if [ -n "$NODE_IP" ]; then
        addresses='{range .items[*]}{.metadata.name}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
        name="$(kubectl get nodes -o jsonpath="$addresses" | awk -v ip="$NODE_IP" '$2 == ip { print $1; exit }')"
    fi
    if [ -z "$name" ]; then
        log "$NODE_NAME is not registered; nothing to remove"
        exit 0
    fi
    log "$NODE_NAME is registered as $name (address $NODE_IP)"
fi
address="$(kubectl get node "$name" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')"
if [ -n "$NODE_IP" ] && [ -n "$address" ] && [ "$address" != "$NODE_IP" ]; then
    log "$name is now $address, not $NODE_IP: it is not this instance's node; keeping it"
    exit 0
fi

log "draining $name (at most ${DRAIN_TIMEOUT_SECONDS}s)"
if ! kubectl drain "$name" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT_SECONDS}s"; then
    log "drain did not finish in ${DRAIN_TIMEOUT_SECONDS}s (a PodDisruptionBudget may hold it); deleting $name anyway"
fi
kubectl delete node "$name" --ignore-not-found
log "$name removed"
