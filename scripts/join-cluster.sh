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
BASTION_HOST="${BASTION_HOST:-}"
BASTION_USER="${BASTION_USER:-$SSH_USER}"
BASTION_PORT="${BASTION_PORT:-22}"
BASTION_HOST_KEY="${BASTION_HOST_KEY:-}"

log() { printf '[join-cluster] %s\n' "$*"; }
fail() { printf '[join-cluster] error: %s\n' "$*" >&2; exit 1; }

workdir="$(mktemp -d)"
token_id=""
cleanup() {
    if [ -n "$token_id" ]; then
        if on_control_plane "sudo kubeadm token delete $token_id" >/dev/null 2>&1; then
            log "deleted bootstrap token $token_id"
        else
            log "warning: could not delete bootstrap token $token_id; it expires by itself"
        fi
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

umask 077
cat >"$workdir/key"
# OpenSSH refuses a key file without its final newline ("error in libcrypto"), and
# `pulumi config set --secret sshPrivateKey < key` drops it; Go's SSH client (the remote commands)
# does not mind. tail -c 1 prints nothing here when the last byte is a newline.
if [ -s "$workdir/key" ] && [ -n "$(tail -c 1 "$workdir/key")" ]; then
    printf '\n' >>"$workdir/key"
fi
common=(-o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o LogLevel=ERROR)
if [ -s "$workdir/key" ]; then
    common+=(-i "$workdir/key" -o IdentitiesOnly=yes)
fi
# Known host keys are checked; a host without one is trusted as the remote commands trust it.
host_check() { # host port key
    if [ -n "$3" ]; then
        local entry="$1"
        [ "$2" = 22 ] || entry="[$1]:$2"
        printf '%s %s\n' "$entry" "$3" >>"$workdir/known_hosts"
        printf '%s\n' -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$workdir/known_hosts"
    else
        printf '%s\n' -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    fi
}
mapfile -t control_plane_check < <(host_check "$CONTROL_PLANE_HOST" 22 "$CONTROL_PLANE_HOST_KEY")
mapfile -t node_check < <(host_check "$NODE_HOST" 22 "")
proxy=()
if [ -n "$BASTION_HOST" ]; then
    mapfile -t bastion_check < <(host_check "$BASTION_HOST" "$BASTION_PORT" "$BASTION_HOST_KEY")
    proxy=(-o "ProxyCommand=ssh ${common[*]} ${bastion_check[*]} -p $BASTION_PORT -W %h:%p $BASTION_USER@$BASTION_HOST")
fi
# shellcheck disable=SC2029 # the command texts are made to run on the remote host as they are
on_control_plane() { ssh "${common[@]}" "${control_plane_check[@]}" "${proxy[@]}" "$SSH_USER@$CONTROL_PLANE_HOST" "$1"; }
# shellcheck disable=SC2029
on_node() { ssh "${common[@]}" "${node_check[@]}" "${proxy[@]}" "$SSH_USER@$NODE_HOST" "$1"; }

credentials="$(on_control_plane "$MINT_COMMAND")" || fail "could not create a bootstrap token on $CONTROL_PLANE_HOST"
token_id="${credentials%%.*}"
[[ "$token_id" =~ ^[a-z0-9]{6}$ ]] || { token_id=""; fail "the control plane printed no bootstrap token"; }
log "created bootstrap token $token_id on $CONTROL_PLANE_HOST (valid for minutes, deleted after the join)"
printf '%s\n' "$credentials" | on_node "$JOIN_COMMAND"
