#!/usr/bin/env bash
# Runs where `pulumi up` runs, as one step: over SSH it creates a bootstrap token on the control
# plane (create-join-token.sh), hands it to join-node.sh on the node on stdin, and deletes the
# token by its id (not secret) whether the join worked or not. Nothing of the token is kept, so a
# retry, however much later, creates a fresh one. The token is never printed, never an argument
# of any process, never in the environment of a remote command.
# Stdin: the SSH private key, or nothing to use the SSH agent.
set -euo pipefail

: "${CONTROL_PLANE_HOST:?CONTROL_PLANE_HOST is required}"
: "${NODE_HOST:?NODE_HOST is required}"
: "${SSH_USER:?SSH_USER is required}"
: "${MINT_COMMAND:?MINT_COMMAND is required (the text that runs create-join-token.sh)}"
: "${JOIN_COMMAND:?JOIN_COMMAND is required (the text that runs join-node.sh)}"
CONTROL_PLANE_HOST_KEY="${CONTROL_PLANE_HOST_KEY:-}"

log() { printf '[join-cluster] %s\n' "$*"; }
fail() { printf '[join-cluster] error: %s\n' "$*" >&2; exit 1; }
# ssh_setup, on_host: scripts/ssh-common.sh, put before this text by scriptCommand.
if ! declare -F on_host >/dev/null; then
    # shellcheck source=scripts/ssh-common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/ssh-common.sh"
fi
on_control_plane() { on_host "$CONTROL_PLANE_HOST" "$CONTROL_PLANE_HOST_KEY" "$1"; }
on_node() { on_host "$NODE_HOST" "" "$1"; }

ssh_setup
token_id=""
cleanup() {
    if [ -n "$token_id" ]; then
        if on_control_plane "sudo kubeadm token delete $token_id" >/dev/null 2>&1; then
            log "deleted bootstrap token $token_id"
        else
            log "warning: could not delete bootstrap token $token_id; it expires by itself"
        fi
    fi
    rm -rf "$ssh_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

credentials="$(on_control_plane "$MINT_COMMAND")" || fail "could not create a bootstrap token on $CONTROL_PLANE_HOST"
token_id="${credentials%%.*}"
[[ "$token_id" =~ ^[a-z0-9]{6}$ ]] || { token_id=""; fail "the control plane printed no bootstrap token"; }
log "created bootstrap token $token_id on $CONTROL_PLANE_HOST (valid for minutes, deleted after the join)"
printf '%s\n' "$credentials" | on_node "$JOIN_COMMAND"
