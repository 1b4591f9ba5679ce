#!/bin/sh
# The first step of a group's backup Job (render/backup.ts), in the redis image: takes an RDB with
# `redis-cli --rdb` from a replica Sentinel reports in sync with the master (else from the master),
# so the master does not fork for it when a replica can, and checks it with redis-check-rdb. The
# upload step sends the checked file to S3 (scripts/backup-upload.sh). POSIX sh.
# Parameters (lines rendered above this script): SENTINEL_HOST, SENTINEL_PORT, MASTER_NAME,
# BACKUP_FILE. Environment: REDIS_PASSWORD, the group's password, from its Secret (never an argument;
# handed to redis-cli as REDISCLI_AUTH for the redis servers only: sentinels have none).
set -eu

log() { echo "[redis-backup] $*"; }
sentinel() { redis-cli -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" "$@"; }

# SENTINEL REPLICAS prints each replica as field/value lines, each record starting at "name": one
# line "ip port" per replica whose flags are exactly "slave" (not down, not disconnected) and
# whose link to the master is up.
in_sync_replicas() {
    sentinel SENTINEL replicas "$MASTER_NAME" | awk '
        function flush() { if (ip != "" && flags == "slave" && link == "ok") print ip, port }
        key == "" { key = $0; next }
        {
            if (key == "name") { flush(); ip = ""; port = ""; flags = ""; link = "" }
            if (key == "ip") ip = $0
            if (key == "port") port = $0
            if (key == "flags") flags = $0
            if (key == "master-link-status") link = $0
            key = ""
        }
        END { flush() }'
}

master="$(sentinel --csv SENTINEL get-master-addr-by-name "$MASTER_NAME" | tr -d '"')"
[ -n "$master" ] || { log "no sentinel at $SENTINEL_HOST:$SENTINEL_PORT names a master for $MASTER_NAME"; exit 1; }
replica="$(in_sync_replicas | head -n 1)"
if [ -n "$replica" ]; then
    host="${replica% *}" port="${replica#* }" role=replica
else
    host="${master%,*}" port="${master#*,}" role=master
fi

log "taking an RDB from the $role at $host:$port"
rm -f "$BACKUP_FILE"
REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h "$host" -p "$port" --rdb "$BACKUP_FILE" >/dev/null 2>&1 || {
    log "redis-cli --rdb from $host:$port failed"
    exit 1
}
redis-check-rdb "$BACKUP_FILE" >/dev/null 2>&1 || { log "redis-check-rdb refuses the RDB from $host:$port"; exit 1; }
log "checked: $(wc -c <"$BACKUP_FILE" | tr -d ' ') bytes from the $role at $host:$port"
