#!/usr/bin/env bash
# Runs on the control plane: reconciles a joined node's label (one per NODE_LABEL_SLOT: its
# purpose, its zone) and, when NODE_TAINT is given (empty: none), its taint, both ways: what an
# earlier run set and config no longer names is removed. What was set is kept in annotations on the
# node (redis-ha/managed-label-<slot>, redis-ha/managed-taint). Then waits until the node is Ready,
# failing with the node's name and the last condition seen. A node that joined under another name
# (an adopted one) is found by its address.
set -euo pipefail

: "${NODE_NAME:?NODE_NAME is required}"
: "${NODE_LABEL:?NODE_LABEL is required (key=value)}"
NODE_IP="${NODE_IP:-}"
NODE_LABEL_SLOT="${NODE_LABEL_SLOT:-purpose}"
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-300}"
POLL_SECONDS="${POLL_SECONDS:-5}"
export KUBECONFIG="${KUBECONFIG:-/etc/kubernetes/admin.conf}"

log() { printf '[label-node] %s\n' "$*"; }

name="$NODE_NAME"
if [ -n "$NODE_IP" ] && ! kubectl get node "$name" >/dev/null 2>&1; then
    addresses='{range .items[*]}{.metadata.name}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
    found="$(kubectl get nodes -o jsonpath="$addresses" | awk -v ip="$NODE_IP" '$2 == ip { print $1; exit }')"
    if [ -n "$found" ]; then
        log "$NODE_NAME is registered as $found (address $NODE_IP)"
        name="$found"
    fi
fi

managed() { kubectl get node "$name" -o jsonpath="{.metadata.annotations.redis-ha/$1}"; }

label_key="${NODE_LABEL%%=*}"
previous="$(managed "managed-label-$NODE_LABEL_SLOT")"
if [ -n "$previous" ] && [ "$previous" != "$label_key" ]; then
    kubectl label node "$name" "$previous-"
    log "removed label $previous, no longer configured"
fi
kubectl label node "$name" "$NODE_LABEL" --overwrite
kubectl annotate node "$name" "redis-ha/managed-label-$NODE_LABEL_SLOT=$label_key" --overwrite

if [ -n "${NODE_TAINT+given}" ]; then
    # A taint is identified by its key and effect (key=value:effect or key:effect).
    wanted=""
    [ -z "$NODE_TAINT" ] || wanted="${NODE_TAINT%%[=:]*}:${NODE_TAINT##*:}"
    previous="$(managed managed-taint)"
    if [ -n "$previous" ] && [ "$previous" != "$wanted" ]; then
        if kubectl taint node "$name" "$previous-" 2>/dev/null; then
            log "removed taint $previous, no longer configured"
        else
            log "taint $previous, no longer configured, was already gone"
        fi
    fi
    if [ -n "$NODE_TAINT" ]; then
        kubectl taint node "$name" "$NODE_TAINT" --overwrite
        kubectl annotate node "$name" "redis-ha/managed-taint=$wanted" --overwrite
    elif [ -n "$previous" ]; then
        kubectl annotate node "$name" "redis-ha/managed-taint-"
    fi
fi

ready='{.status.conditions[?(@.type=="Ready")]'
deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
while :; do
    if status="$(kubectl get node "$name" -o jsonpath="${ready}.status}" 2>&1)"; then
        [ "$status" = "True" ] && { log "$name is Ready"; exit 0; }
        detail="$(kubectl get node "$name" -o jsonpath="${ready}.reason}: ${ready}.message}" 2>/dev/null || true)"
        seen="Ready=${status:-unknown} ${detail}"
    else
        seen="node not readable: $status"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "[label-node] error: node $name is not Ready after ${READY_TIMEOUT_SECONDS}s; last seen: $seen" >&2
        exit 1
    fi
    log "waiting for $name to be Ready ($((deadline - SECONDS))s left; $seen)"
    sleep "$POLL_SECONDS"
done
