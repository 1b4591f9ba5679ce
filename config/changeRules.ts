// Rules on a change between the last deploy and this config, which config alone cannot check:
// the order of a password rotation's phases, the wait before its old password is retired, and
// whether a group's data files survive a change of its redis image. Pure; the change preflight
// (providers/changePreflight.ts) applies them at preview with the last deploy's recorded inputs.

import { REDIS_RELEASES, redisReleaseOf } from "../facts/redisVersions";
import { ROTATION_PHASES } from "./schema/instances";

type RotationPhase = (typeof ROTATION_PHASES)[number];

/** Where a group stands: its password version and rotation phase, as config gives them. */
export interface RotationState {
    version: number;
    phase?: RotationPhase;
}

/** The step number of a state along the rotation from `version`: 0 none, 1..4 the phases. */
function step(state: RotationState): number {
    return state.phase === undefined ? 0 : ROTATION_PHASES.indexOf(state.phase) + 1;
}

/**
 * Why going from `from` (the last deploy) to `to` (config) skips or reverses a phase, or undefined.
 * Allowed: staying; one phase forward; `retire` of v to v+1 without a rotation (the same plan); and
 * back from `accept` or `replicate` to no rotation (nothing uses the new password yet).
 */
export function rotationStepProblem(from: RotationState, to: RotationState, key: string): string | undefined {
    const same = from.version === to.version && from.phase === to.phase;
    if (same) return undefined;
    if (from.version === to.version) {
        const [a, b] = [step(from), step(to)];
        if (b === a + 1) return undefined;
        if (b === 0 && (from.phase === "accept" || from.phase === "replicate")) return undefined;
        const next = a < ROTATION_PHASES.length ? ROTATION_PHASES[a] : undefined;
        const said = to.phase ?? "no rotation";
        return b > a
            ? `${key}: ${said} skips a phase; the last deploy was ${from.phase ?? "no rotation"}, so the next is ${next}`
            : `${key}: ${said} goes back from ${from.phase}: ${from.phase === "apps" ? "applications may already use the new password" : "the old password is gone"}`;
    }
    if (to.version === from.version + 1 && to.phase === undefined && from.phase === "retire") return undefined;
    const path = key.replace(/passwordRotation$/, "passwordVersion");
    return from.phase === undefined
        ? `${path}: ${to.version} changes the password at once (from ${from.version}), which cuts off every client; rotate with passwordRotation: accept, replicate, apps, retire`
        : `${path}: ${to.version} while the rotation from ${from.version} is at ${from.phase}; finish it (retire) first`;
}

/**
 * Why `retire` cannot come yet: applications read the app env only after their ExternalSecret's
 * refresh and a restart, so the old password stays accepted at least `waitSeconds` after `apps`.
 */
export function retireWaitProblem(appsAtMs: number | undefined, nowMs: number, waitSeconds: number, key: string): string | undefined {
    if (appsAtMs === undefined) return undefined;
    const left = Math.ceil((appsAtMs + waitSeconds * 1000 - nowMs) / 1000);
    return left > 0
        ? `${key}: retire is refused for another ${left} s: the app env moved ${Math.floor((nowMs - appsAtMs) / 1000)} s ago and ` +
              `applications read it only after the ExternalSecrets' refresh (${waitSeconds} s in all) and a restart`
        : undefined;
}

/**
 * Why moving a data-holding group from `from` to `to` would lose its data, or undefined when the
 * files survive: a server refuses an RDB newer than it writes, and a 6.x server does not read 7.x's
 * multi-part AOF. Upgrades convert both on start; a downgrade within one format is allowed.
 */
export function imageChangeProblem(from: string, to: string, key: string): string | undefined {
    const [old, next] = [redisReleaseOf(from), redisReleaseOf(to)];
    if (old === undefined || next === undefined || old === next) return undefined;
    const [was, will] = [REDIS_RELEASES[old], REDIS_RELEASES[next]];
    if (was === undefined || will === undefined) return undefined;
    if (will.rdb < was.rdb) {
        return (
            `${key}: ${to} (Redis ${next}) cannot load the RDB version ${was.rdb} files that ${from} (Redis ${old}) writes ` +
            `(it reads up to version ${will.rdb}); a downgrade across RDB versions loses the data. Keep ${from}, or restore a backup into a new group`
        );
    }
    if (was.multipartAof && !will.multipartAof) {
        return `${key}: ${to} (Redis ${next}) does not read the multi-part AOF of ${from} (Redis ${old}); it would start without the data`;
    }
    return undefined;
}
