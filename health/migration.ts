// Moving a Redis in (`instances.<p>.bootstrapFrom`): whether the group's pods have caught up with
// the source they replicate. Pure: from the INFO texts the servers answered.

import { parseInfo } from "./connection";

/** Keys per database, from INFO keyspace (`db0:keys=3,expires=1,...`). */
export function keysPerDb(keyspaceInfo: string): Map<number, number> {
    return new Map([...keyspaceInfo.matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => [Number(m[1]), Number(m[2])]));
}

/** What the source says of itself. */
export interface SourceState {
    /** Its replication ID: a replica that has synced with it reports the same `master_replid`. */
    replid: string;
    /** `master_repl_offset`: every write it took, in bytes of its replication stream. */
    offset: number;
    keys: Map<number, number>;
}

/** What one pod of the group says of its replication. */
export interface FollowerState {
    /** How reports name it (its address). */
    name: string;
    role: string;
    /** The replication ID it follows; the source's once it has synced with it. */
    replid: string;
    linkUp: boolean;
    syncing: boolean;
    /** `slave_repl_offset`: how far into the source's stream it has applied. */
    offset: number;
    keys: Map<number, number>;
}

export function sourceState(replication: string, keyspace: string): SourceState {
    const info = parseInfo(replication);
    return { replid: info.master_replid ?? "", offset: Number(info.master_repl_offset ?? 0), keys: keysPerDb(keyspace) };
}

export function followerState(name: string, replication: string, keyspace: string): FollowerState {
    const info = parseInfo(replication);
    return {
        name,
        role: info.role ?? "unknown",
        replid: info.master_replid ?? "",
        linkUp: info.master_link_status === "up",
        syncing: info.master_sync_in_progress === "1",
        offset: Number(info.slave_repl_offset ?? -1),
        keys: keysPerDb(keyspace),
    };
}

const total = (keys: Map<number, number>) => [...keys.values()].reduce((a, b) => a + b, 0);

/** `db0 100000, db3 200`. */
export function formatKeys(keys: Map<number, number>): string {
    return (
        [...keys]
            .sort(([a], [b]) => a - b)
            .map(([db, n]) => `db${db} ${n}`)
            .join(", ") || "none"
    );
}

/**
 * Whether every pod has applied the source's stream up to `source.offset` (read before the pods
 * were asked, so a pod at or past it holds every write the source had taken by then): a replica of
 * the source (its replication ID), link up, not in a full sync. One line per pod says why not.
 */
export function caughtUp(source: SourceState, followers: FollowerState[]): { ok: boolean; lines: string[] } {
    const lines = followers.map((pod) => {
        const behind = source.offset - pod.offset;
        const why =
            pod.role !== "slave"
                ? `is a ${pod.role}, not a replica of the source`
                : pod.replid !== source.replid
                  ? "does not follow the source yet (another replication ID)"
                  : pod.syncing
                    ? "is in its full sync"
                    : !pod.linkUp
                      ? "has its link to the source down"
                      : behind > 0
                        ? `is ${behind} bytes behind`
                        : undefined;
        return { pod, why };
    });
    return {
        ok: followers.length > 0 && lines.every((line) => line.why === undefined),
        lines: lines.map(
            ({ pod, why }) =>
                `${pod.name}: ${why ?? "caught up"} (offset ${pod.offset} of ${source.offset}; keys ${total(pod.keys)} of ${total(source.keys)})`,
        ),
    };
}

/** What one sentinel of the group answered to `SENTINEL CKQUORUM`. */
export interface SentinelQuorum {
    name: string;
    /** Its reply (`OK 3 usable Sentinels...`), or the error it gave. */
    reply: string;
}

/**
 * Whether the sentinels are in quorum over the source: every one answers CKQUORUM with OK. Until
 * then removing `bootstrapFrom` is unsafe: with no master of its own and sentinels short of quorum,
 * the operator promotes its oldest pod at once (checker.go, case 0: CheckSentinelQuorum, then
 * SetOldestAsMaster), cutting the group off the source while the apps still write there.
 */
export function sentinelsInQuorum(answers: SentinelQuorum[]): { ok: boolean; lines: string[] } {
    return {
        ok: answers.every((answer) => answer.reply.startsWith("OK")),
        lines: answers.map((answer) => `sentinel ${answer.name}: ${answer.reply.startsWith("OK") ? "in quorum" : answer.reply}`),
    };
}
