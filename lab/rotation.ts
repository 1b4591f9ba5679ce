// A password rotation in the motion lab (lab/motionLab.ts), phase by phase as `up` applies them:
// the rotation step on the running servers (health/passwords.ts, as providers/passwordRotation.ts
// runs it), and at `apps` what the Secret's change does in the cluster: the operator authenticates
// with the new password from its next pass on and re-created pods start with it (its ConfigMap),
// and the front's Deployment rolls onto it (a new front pod ready, the old one's endpoint removed,
// SIGUSR1, killed at the end of its grace period) behind the front's Service (lab/service.ts).

import * as path from "path";
import { applyPhasePasswords, PhaseReport } from "../health/passwords";
import { passwordPlan, RotationPhase } from "../render/passwordRotation";
import { frontReady, LabFront, startFront, stopFront } from "./front";
import type { MotionLab } from "./motionLab";
import { HOST, labExpectations, waitFor } from "./redisLab";
import { LabService, startService } from "./service";

/** The two passwords of a rotation from version 1: the old one (the group's) and the new one. */
export interface RotationPasswords {
    old: string;
    next: string;
}

/** The front's pods behind their Service, as applications reach them. */
export interface FrontService {
    service: LabService;
    /** The pods the Service sends new connections to. */
    serving: LabFront[];
    /** Pods soft-stopped, still carrying their connections until killed. */
    stopping: LabFront[];
}

/** Puts the lab's front behind a Service at 127.77.<block>.253:<port>. */
export async function startFrontService(lab: MotionLab, block: number): Promise<FrontService> {
    const fronts: FrontService = { service: undefined as unknown as LabService, serving: [lab.front], stopping: [] };
    fronts.service = await startService({ host: `127.77.${block}.253`, port: 0 }, async () =>
        fronts.serving.map((front) => ({ host: front.host, port: front.port })),
    );
    return fronts;
}

export function stopFrontService(fronts: FrontService): Promise<void> {
    for (const front of [...fronts.serving, ...fronts.stopping]) stopFront(front);
    return fronts.service.close();
}

/**
 * The front's rollout onto the Secret's password (render/front.ts: the password-version
 * annotation): a new pod started with it; once ready it takes new connections and the old pod,
 * out of the Service, gets SIGUSR1 (HAProxy's soft stop: listeners closed, connections kept) and
 * SIGKILL `graceMs` later, as the kubelet ends a pod's grace period.
 */
async function rollFront(lab: MotionLab, fronts: FrontService, graceMs: number, log?: (line: string) => void): Promise<void> {
    const old = fronts.serving;
    const names = lab.model.options.names;
    const next = await startFront(lab.model.group, {
        dir: path.join(lab.model.group.dir, `front-${Date.now()}`),
        host: old[0].host,
        dns: { server: lab.dns, redisName: names.redis, sentinelName: names.sentinel },
    });
    await waitFor(() => frontReady(next), 15_000, "the new front pod ready");
    fronts.serving = [next];
    lab.front = next;
    for (const front of old) {
        fronts.stopping.push(front);
        try {
            process.kill(front.pid, "SIGUSR1");
        } catch {
            // already gone
        }
        setTimeout(() => stopFront(front), graceMs).unref();
    }
    log?.(`front rolled onto the new password (old pod killed in ${graceMs} ms)`);
}

/** Applies one phase to the lab group as an `up` of `instances.<p>.passwordRotation: <phase>` does. */
export async function applyLabPhase(
    lab: MotionLab,
    fronts: FrontService,
    passwords: RotationPasswords,
    phase: RotationPhase,
    options: { frontGraceMs: number; log?: (line: string) => void },
): Promise<PhaseReport> {
    const plan = passwordPlan(1, phase);
    const of = (version: number) => (version === 1 ? passwords.old : passwords.next);
    const { group } = lab.model;
    const sentinels = lab.model.sentinels
        .filter((pod) => pod.phase === "Running")
        .map((pod) => ({ host: pod.server.host ?? HOST, port: pod.server.port }));
    const report = await applyPhasePasswords({ sentinels }, labExpectations(group), {
        accepted: plan.accepted.map(of),
        replication: of(plan.replication),
        known: plan.versions.map(of),
    });
    options.log?.(`phase ${phase}: ${report.redis.length} redis, ${report.sentinels.length} sentinels`);
    if (of(plan.secret) !== group.spec.password) {
        // The Secret: the operator reads it on every call (service/k8s/util.go, GetRedisPassword).
        group.spec.password = of(plan.secret);
        await rollFront(lab, fronts, options.frontGraceMs, options.log);
    }
    return report;
}
