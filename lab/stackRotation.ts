// A password rotation of one group of the running stack lab (`npm run lab -- --rotate PURPOSE
// --phase PHASE`), phase by phase as `up` applies `instances.<p>.passwordRotation`: the phase on
// the running servers (health/passwords.ts, as providers/passwordRotation.ts runs it) and, when the
// Secret's password moves (apps), the front restarted with it. The order of the phases is the
// change preflight's (config/changeRules.ts); the lab has no app env refresh to wait for.

import * as crypto from "crypto";
import * as path from "path";
import { rotationStepProblem } from "../config/changeRules";
import { ROTATION_PHASES } from "../config/schema/instances";
import { applyPhasePasswords, PhaseReport } from "../health/passwords";
import { passwordPlan, RotationPhase } from "../render/passwordRotation";
import { startFront, stopFront } from "./front";
import { labExpectations, labTarget } from "./redisLab";
import { readLabState, StackLabGroup, writeLabState } from "./stackLab";

/** Applies `phase` to the lab group `purpose`; throws naming what is wrong (no lab, no group, a phase out of order). */
export async function rotateLabGroup(
    labDir: string,
    purpose: string,
    phase: string,
): Promise<{ group: StackLabGroup; report: PhaseReport }> {
    if (!(ROTATION_PHASES as readonly string[]).includes(phase))
        throw new Error(`--phase ${phase}: choose from ${ROTATION_PHASES.join(", ")}`);
    const state = readLabState(labDir);
    if (!state) throw new Error("no lab is running; start one: npm run lab -- --stack dev");
    const group = state.groups.find((candidate) => candidate.spec.name === purpose);
    if (!group) throw new Error(`--rotate ${purpose}: the lab has ${state.groups.map((g) => g.spec.name).join(", ")}`);
    const rotation = group.rotation ?? { old: group.spec.password, next: crypto.randomBytes(18).toString("base64url"), phase: "" };
    const from = { version: 1, ...(rotation.phase ? { phase: rotation.phase as RotationPhase } : {}) };
    const problem = rotationStepProblem(from, { version: 1, phase: phase as RotationPhase }, `instances.${purpose}.passwordRotation`);
    if (problem) throw new Error(problem);
    const plan = passwordPlan(1, phase as RotationPhase);
    const of = (version: number) => (version === 1 ? rotation.old : rotation.next);
    const report = await applyPhasePasswords(labTarget(group), labExpectations(group), {
        accepted: plan.accepted.map(of),
        replication: of(plan.replication),
        known: plan.versions.map(of),
    });
    if (of(plan.secret) !== group.spec.password) {
        group.spec.password = of(plan.secret);
        if (group.front) {
            stopFront(group.front);
            const { host, port } = group.front;
            group.front = await startFront(group, { dir: path.join(group.dir, `front-${phase}`), host, port, daemonize: true });
        }
    }
    // After retire the group simply has its new password; a later rotation starts from it.
    if (phase === "retire") delete group.rotation;
    else group.rotation = { ...rotation, phase };
    writeLabState(labDir, state);
    return { group, report };
}
