#!/usr/bin/env bash
# Runs where `pulumi up` runs when a node is destroyed or replaced, after the control plane has
# removed it: resets the node over SSH (RESET_COMMAND, the text that runs reset-node.sh). A node
# that cannot be reached (its instance terminated outside Pulumi, or not answering) is skipped
# with a warning instead of failing the destroy: the instance is terminated next anyway, and its
# root volume with it, which ends whatever the reset would undo.
# Stdin: the SSH private key, or nothing to use the SSH agent.
set -euo pipefail

: "${NODE_HOST:?NODE_HOST is required}"
: "${SSH_USER:?SSH_USER is required}"
: "${RESET_COMMAND:?RESET_COMMAND is required (the text that runs reset-node.sh)}"
RESET_ATTEMPTS="${RESET_ATTEMPTS:-3}"
RETRY_SECONDS="${RETRY_SECONDS:-10}"

log() { printf '[reset-over-ssh] %s\n' "$*"; }
# ssh_setup, on_host: scripts/ssh-common.sh, put before this text by scriptCommand.
if ! declare -F on_host >/dev/null; then
    # shellcheck source=scripts/ssh-common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/ssh-common.sh"
fi

ssh_setup
trap 'rm -rf "$ssh_dir"' EXIT

attempt=1
while :; do
    status=0
    on_host "$NODE_HOST" "" "$RESET_COMMAND" || status=$?
    # ssh exits 255 when it could not connect or log in; anything else is the reset's own status.
    if [ "$status" -ne 255 ]; then
        exit "$status"
    fi
    if [ "$attempt" -ge "$RESET_ATTEMPTS" ]; then
        log "warning: $NODE_HOST did not answer SSH after $RESET_ATTEMPTS attempts; its kubeadm reset is skipped (the instance is terminated next)"
        exit 0
    fi
    log "$NODE_HOST did not answer SSH (attempt $attempt of $RESET_ATTEMPTS); trying again in $RETRY_SECONDS s"
    attempt=$((attempt + 1))
    sleep "$RETRY_SECONDS"
done
