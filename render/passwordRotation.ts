// Password rotation without a failed request: which password each party uses in each phase of
// `instances.<p>.passwordRotation`, moving from password version v to v+1. Pure.
//
// How the operator applies the Secret's password (spotahome/redis-operator at 632aa3da):
// - `service/k8s/util.go` GetRedisPassword reads the Secret on every call: every connection of its
//   pass (`operator/redisfailover/service/check.go`, `heal.go`) authenticates with it, so every
//   server must accept the Secret's password at all times.
// - `operator/redisfailover/service/client.go` EnsureRedisConfigMap writes it into ConfigMap
//   `redisName` (facts/operator.ts; `generator.go` generateRedisConfigMap: `masterauth <p>` and `requirepass <p>`); the
//   ConfigMap is mounted at /redis and read by redis only when it starts. Nothing in the StatefulSet
//   template depends on the password (no checksum annotation; REDIS_PASSWORD is a secretKeyRef by
//   name), so a changed Secret re-creates no pod: running servers keep what they were told.
// - `service/redis/client.go` MonitorRedisWithPort sends `SENTINEL SET <master> auth-pass <p>`, only
//   when the pass re-monitors a sentinel (checker.go: one that names another master, or a new pod).
// - It never sends requirepass or masterauth at runtime (SetCustomRedisConfig sends customConfig,
//   where config/schema/directives.ts refuses both) and MakeSlaveOfWithPort sends only SLAVEOF.
// So each phase keeps one invariant: every password the Secret, the replicas (masterauth), the
// sentinels (auth-pass), the front and the applications use is one every server accepts. Redis 6+
// lets the `default` user hold several passwords (`ACL SETUSER default resetpass >a >b`, one atomic
// command); `CONFIG SET requirepass` would replace them all with one, and is never sent.

import type { ROTATION_PHASES } from "../config/schema/instances";
import { goDurationSeconds } from "../facts/patterns";

/** A phase; each is one `up`, safe to stop after. */
export type RotationPhase = (typeof ROTATION_PHASES)[number];

/** Which password version each party uses; what the components render and the rotation step applies. */
export interface PasswordPlan {
    /** Versions whose generated password must exist. */
    versions: number[];
    /** Versions every server's `default` user accepts (`ACL SETUSER default resetpass >...`). */
    accepted: number[];
    /** masterauth of every redis and auth-pass of every sentinel. */
    replication: number;
    /** The Secret `<name>-auth`: the operator, its ConfigMap (new pods), the front's health check. */
    secret: number;
    /** The app env: stack outputs, Secrets Manager, ExternalSecrets. */
    apps: number;
}

/**
 * The plan of version `version` in `phase` (none: no rotation under way).
 * - accept: the new password accepted everywhere beside the old; nobody uses it yet.
 * - replicate: masterauth and auth-pass move to it (the operator may set auth-pass back to the
 *   old one when it re-monitors a sentinel: still accepted).
 * - apps: the Secret and the app env move to it; the front's pods roll onto it.
 * - retire: only the new one is accepted; the same as `passwordVersion: v+1` without a rotation.
 */
export function passwordPlan(version: number, phase?: RotationPhase): PasswordPlan {
    const [old, next] = [version, version + 1];
    switch (phase) {
        case undefined:
            return { versions: [old], accepted: [old], replication: old, secret: old, apps: old };
        case "accept":
            return { versions: [old, next], accepted: [old, next], replication: old, secret: old, apps: old };
        case "replicate":
            return { versions: [old, next], accepted: [old, next], replication: next, secret: old, apps: old };
        case "apps":
            return { versions: [old, next], accepted: [old, next], replication: next, secret: next, apps: next };
        case "retire":
            return { versions: [next], accepted: [next], replication: next, secret: next, apps: next };
    }
}

/** What applications get after the app env moves besides their ExternalSecret's refresh: a restart, say. */
export const RETIRE_MARGIN_SECONDS = 900;

/**
 * How long `retire` waits after `apps`: the longest ExternalSecret refresh (Secrets Manager itself is
 * read at once) plus `RETIRE_MARGIN_SECONDS` for applications to restart onto the new URL.
 */
export function retireWaitSeconds(refreshIntervals: readonly string[]): number {
    return Math.max(0, ...refreshIntervals.map(goDurationSeconds)) + RETIRE_MARGIN_SECONDS;
}
