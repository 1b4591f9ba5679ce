#!/usr/bin/env bash
# Shared by the steps that run where `pulumi up` runs and reach hosts over SSH (join-cluster.sh,
# reset-over-ssh.sh); scriptCommand puts it before their text. Written for bash 3.2 and later
# (macOS's /bin/bash): no mapfile, no namerefs, empty arrays expanded with ${a[@]+...}.
# Uses SSH_USER, and BASTION_HOST, BASTION_USER, BASTION_PORT, BASTION_HOST_KEY when set.

# Reads the SSH private key from stdin (nothing: the SSH agent) into a private folder, ssh_dir.
ssh_setup() {
    ssh_dir="$(mktemp -d)"
    chmod 700 "$ssh_dir"
    (umask 077 && cat >"$ssh_dir/key")
    # OpenSSH refuses a key file without its final newline ("error in libcrypto"), and
    # `pulumi config set --secret sshPrivateKey < key` drops it; Go's SSH client (the remote
    # commands) does not mind. tail -c 1 prints nothing here when the last byte is a newline.
    if [ -s "$ssh_dir/key" ] && [ -n "$(tail -c 1 "$ssh_dir/key")" ]; then
        printf '\n' >>"$ssh_dir/key"
    fi
    ssh_options=(-o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o LogLevel=ERROR)
    if [ -s "$ssh_dir/key" ]; then
        ssh_options+=(-i "$ssh_dir/key" -o IdentitiesOnly=yes)
    fi
    ssh_proxy=()
    if [ -n "${BASTION_HOST:-}" ]; then
        local port="${BASTION_PORT:-22}"
        local through="${BASTION_USER:-$SSH_USER}@$BASTION_HOST" check
        check="$(host_check "$BASTION_HOST" "$port" "${BASTION_HOST_KEY:-}")"
        ssh_proxy=(-o "ProxyCommand=ssh ${ssh_options[*]} $check -p $port -W %h:%p $through")
    fi
}

# The host-key options for HOST PORT [KEY]: a known key is checked; a host without one is trusted,
# as the remote commands trust it.
host_check() {
    if [ -n "${3:-}" ]; then
        local entry="$1"
        [ "$2" = 22 ] || entry="[$1]:$2"
        grep -qxF "$entry $3" "$ssh_dir/known_hosts" 2>/dev/null || printf '%s %s\n' "$entry" "$3" >>"$ssh_dir/known_hosts"
        printf '%s' "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$ssh_dir/known_hosts"
    else
        printf '%s' "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    fi
}

# Runs COMMAND on HOST as SSH_USER: on_host HOST HOST_KEY COMMAND (HOST_KEY may be empty).
on_host() {
    local check
    # host_check's options are words without spaces ($ssh_dir is mktemp's).
    read -r -a check <<<"$(host_check "$1" 22 "$2")"
    # shellcheck disable=SC2029 # the command texts are made to run on the remote host as they are
    ssh "${ssh_options[@]}" "${check[@]}" ${ssh_proxy[@]+"${ssh_proxy[@]}"} "$SSH_USER@$1" "$3"
}
