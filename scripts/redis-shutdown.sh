#!/bin/sh
# The preStop hook of every redis pod (`spec.redis.shutdownConfigMap`), run by the operator's
# template as `/bin/sh /redis-shutdown/shutdown.sh` before the kubelet stops redis. A master hands
# its role over first and waits until Sentinel names another server, asking again while it has not:
# the operator's own hook asks once and sleeps, and its pass resets every sentinel (`SENTINEL RESET
# *`) in the same pass that deletes the master, which aborts that one failover or leaves the
# sentinels knowing no replica to promote. Bounded by FAILOVER_WAIT_SECONDS, inside the pod's
# termination grace period. POSIX sh: the redis image's /bin/sh.
# Parameters (lines rendered above this script): SENTINEL_HOST, SENTINEL_PORT, MASTER_NAME,
# PASS_SETTLE_SECONDS, FAILOVER_WAIT_SECONDS. Environment: REDIS_PORT and REDIS_PASSWORD, which the operator gives the
# redis container (`generator.go`, `getRedisEnv`).
set -u

log() { echo "[redis-shutdown] $*"; }
named_master() {
    redis-cli -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" --csv SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null |
        tr -d '"' | cut -d, -f1
}

me="$(hostname -i | cut -d' ' -f1)"
# The operator's pass that deleted this pod goes on to compare every sentinel with this pod as the
# master, re-monitoring it on any sentinel that names another, then resets them (checker.go,
# CheckAndHeal after UpdateRedisesPods): a failover finished before that would be undone. So a
# master first lets that pass end; it keeps serving meanwhile.
if [ "$(named_master)" = "$me" ]; then
    log "master: waiting ${PASS_SETTLE_SECONDS} s for the operator's pass to finish before asking for a failover"
    sleep "$PASS_SETTLE_SECONDS"
fi
deadline=$(($(date +%s) + FAILOVER_WAIT_SECONDS))
asked=0
while :; do
    master="$(named_master)"
    # Another server named: this one is no longer the master (or never was).
    if [ -n "$master" ] && [ "$master" != "$me" ]; then
        [ "$asked" -eq 0 ] || log "Sentinel names $master master; stopping"
        break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        log "no failover within ${FAILOVER_WAIT_SECONDS} s (Sentinel names '${master:-nothing}'); stopping anyway"
        break
    fi
    # Unknown (no sentinel answered): ask nothing, look again.
    if [ "$master" = "$me" ]; then
        reply="$(redis-cli -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" SENTINEL failover "$MASTER_NAME" 2>&1)"
        [ "$asked" -gt 0 ] || log "master: asked Sentinel for a failover ($reply)"
        asked=$((asked + 1))
    fi
    sleep 1
done

if [ -n "${REDIS_PASSWORD:-}" ]; then
    export REDISCLI_AUTH="$REDIS_PASSWORD"
fi
# As the operator's hook: the dataset on disk before the stop (a replica's is the new master's).
redis-cli -h "$me" -p "$REDIS_PORT" save >/dev/null 2>&1 || true
