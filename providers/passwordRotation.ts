// A dynamic resource that applies a password rotation's phase to a running group on `up` (never on
// preview): the passwords every redis accepts, masterauth and the sentinels' auth-pass
// (health/passwords.ts), proven before the update goes on. The operator does none of this at
// runtime (render/passwordRotation.ts says what it does). Its outputs hold no password.

import * as pulumi from "@pulumi/pulumi";
import { applyPhasePasswords, PhasePasswords } from "../health/passwords";
import { describeReach, openTarget, Reach } from "../health/reach";
import { Expectations } from "../health/rules";

/** The step's inputs, resolved. */
export interface RotationStepInputs extends Reach, PhasePasswords {
    expected: Expectations;
    /** `instances.<p>.passwordRotation` and the version: a change re-applies. */
    phase: string;
    version: number;
}

/** Applies the phase; returns what to record. */
export async function applyRotationStep(inputs: RotationStepInputs, log: (line: string) => void = console.log) {
    const opened = await openTarget(inputs, inputs.known[0]);
    try {
        const report = await applyPhasePasswords(opened, inputs.expected, inputs);
        const via = describeReach(inputs);
        log(
            `redis-ha rotation (${via}): phase ${inputs.phase} of version ${inputs.version} applied to ${report.redis.length} redis and ${report.sentinels.length} sentinels`,
        );
        return {
            phase: inputs.phase,
            version: inputs.version,
            reachedVia: via,
            redisDone: report.redis,
            sentinelsDone: report.sentinels,
            appliedAt: new Date().toISOString(),
        };
    } finally {
        await opened.close();
    }
}

export const rotationStepProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: RotationStepInputs) {
        return { id: `${describeReach(inputs)}#rotation`, outs: await applyRotationStep(inputs) };
    },
    async diff(_id: string, olds: Record<string, unknown>, news: RotationStepInputs) {
        return { changes: olds.phase !== news.phase || olds.version !== news.version, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: unknown, news: RotationStepInputs) {
        return { outs: await applyRotationStep(news) };
    },
};

/** Arguments of a `PasswordRotationStep`. */
export interface PasswordRotationStepArgs {
    sentinels?: pulumi.Input<string[]>;
    kubernetes?: pulumi.Input<{ namespace: string; name: string; kubeconfig?: pulumi.Input<string> }>;
    expected: Expectations;
    accepted: pulumi.Input<string[]>;
    replication: pulumi.Input<string>;
    known: pulumi.Input<string[]>;
    phase: string;
    version: number;
}

/** One phase of a password rotation, applied to the running group. */
export class PasswordRotationStep extends pulumi.dynamic.Resource {
    constructor(name: string, args: PasswordRotationStepArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            rotationStepProvider,
            name,
            {
                ...args,
                accepted: pulumi.secret(args.accepted),
                replication: pulumi.secret(args.replication),
                known: pulumi.secret(args.known),
                redisDone: undefined,
                sentinelsDone: undefined,
                appliedAt: undefined,
            },
            opts,
        );
    }
}
