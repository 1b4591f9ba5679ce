// A dynamic provider that makes `pulumi up` prove what it deployed: after a RedisFailover is
// applied, it polls the group until every check holds or the timeout passes, and fails the update
// naming each difference. Only runs on `up` (never on preview). Its outputs hold no secret.

import * as pulumi from "@pulumi/pulumi";
// Imported at the top, never required inside a function: Pulumi serializes the health functions the
// provider reaches by value, while a relative require would not resolve in the process that runs it.
// (The health modules require only packages, such as ioredis, inside their functions.)
import { CheckResult, HealthReport, summarizeFailures } from "../health/report";
import { describeReach, OpenTarget, openTarget, Reach } from "../health/reach";
import { Expectations } from "../health/rules";
import { waitUntilHealthy } from "../health/wait";

/** Where the group is reached from the machine running `pulumi up`. */
export type HealthCheckReach = Reach;

/** The provider's inputs, resolved. */
export interface HealthCheckInputs extends HealthCheckReach {
    /** Sentinel master name. */
    masterName: string;
    /** Expected `maxmemory-policy`. */
    expectPolicy: string;
    /** Expected `maxmemory` in bytes. */
    expectMaxmemoryBytes?: number;
    /** Expected number of redis servers. */
    expectRedis: number;
    /** Expected number of sentinels. */
    expectSentinels: number;
    /** Redis password. */
    password?: string;
    /** How long to wait for the group to become healthy. */
    timeoutSeconds: number;
    /** Kubernetes path: accept operator Services of type LoadBalancer or NodePort (default false). */
    allowExternalServices?: boolean;
    /** The group's revision (`groupRevision`): what was deployed, hashed; a change re-runs the check. */
    groupRevision?: string;
}

/** What a test may replace: how the target is opened, and the pause between rounds. */
export interface HealthCheckDeps {
    /** Opens the target (default `openTarget`). */
    open?: (inputs: HealthCheckInputs) => Promise<OpenTarget>;
    /** Pause between rounds, in milliseconds (default 2000). */
    intervalMs?: number;
}

/** What is recorded in state: the expectations and the last report, no secret. */
export interface HealthCheckOutputs {
    /** What was checked for. */
    expected: Expectations;
    /** How the group was reached (`kubernetes redis/auth-redis` or the sentinel list). */
    reachedVia: string;
    /** The master the sentinels agreed on. */
    master: string;
    /** Every check of the passing round. */
    checks: CheckResult[];
    /** When it passed (ISO time). */
    checkedAt: string;
    /** How many rounds it took. */
    rounds: number;
}

/** The expectations, from the inputs. */
export function expectationsOf(inputs: HealthCheckInputs): Expectations {
    return {
        masterName: inputs.masterName,
        maxmemoryPolicy: inputs.expectPolicy,
        ...(inputs.expectMaxmemoryBytes === undefined ? {} : { maxmemoryBytes: inputs.expectMaxmemoryBytes }),
        redisCount: inputs.expectRedis,
        sentinelCount: inputs.expectSentinels,
    };
}

/**
 * Polls until healthy, logging progress; throws naming every failing check when the timeout
 * passes. Returns the outputs to record. On the Kubernetes path each round re-reads the pods, so
 * pods the operator is still creating, or that restart meanwhile, are waited for.
 */
export async function runHealthCheck(
    inputs: HealthCheckInputs,
    log: (line: string) => void = console.log,
    deps: HealthCheckDeps = {},
): Promise<HealthCheckOutputs> {
    const expected = expectationsOf(inputs);
    const reachedVia = describeReach(inputs);
    const opened = await (deps.open
        ? deps.open(inputs)
        : openTarget(inputs, inputs.password, undefined, { allowExternalServices: inputs.allowExternalServices ?? false }));
    let rounds = 0;
    let report: HealthReport;
    try {
        report = await waitUntilHealthy(opened, expected, {
            timeoutMs: inputs.timeoutSeconds * 1000,
            intervalMs: deps.intervalMs ?? 2000,
            onProgress: (round, elapsedMs) => {
                rounds++;
                log(
                    `redis-ha health (${reachedVia}): not healthy after ${Math.round(elapsedMs / 1000)}s of ${inputs.timeoutSeconds}s: ${summarizeFailures(round).join("; ")}`,
                );
            },
        });
    } finally {
        await opened.close();
    }
    if (!report.healthy) {
        throw new Error(
            `Redis group (${reachedVia}) is not what was asked for after ${inputs.timeoutSeconds}s:\n  - ${summarizeFailures(report).join("\n  - ")}`,
        );
    }
    return {
        expected,
        reachedVia,
        master: report.master ?? "",
        checks: report.checks,
        checkedAt: new Date().toISOString(),
        rounds: rounds + 1,
    };
}

/**
 * Inputs whose change re-runs the check. State written before `groupRevision` existed lacks it and
 * so compares changed: the check re-runs once, the safe direction.
 */
const WATCHED = [
    "masterName",
    "expectPolicy",
    "expectMaxmemoryBytes",
    "expectRedis",
    "expectSentinels",
    "allowExternalServices",
    "groupRevision",
] as const;

/** The dynamic provider. Serialized by Pulumi: it only refers to module functions, no live client. */
export const healthCheckProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: HealthCheckInputs) {
        const outs = await runHealthCheck(inputs);
        return { id: `${describeReach(inputs)}#${outs.expected.masterName}`, outs: { ...outs, ...watchedOf(inputs) } };
    },
    async diff(_id: string, olds: Record<string, unknown>, news: HealthCheckInputs) {
        // Absent and false are the same for the flag: state written before it existed compares equal.
        const value = (from: Record<string, unknown>, key: (typeof WATCHED)[number]) =>
            key === "allowExternalServices" ? from[key] === true : from[key];
        const changed = WATCHED.filter((key) => value(olds, key) !== value(news as unknown as Record<string, unknown>, key));
        const reachChanged = olds.reachedVia !== describeReach(news);
        return { changes: changed.length > 0 || reachChanged, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: Record<string, unknown>, news: HealthCheckInputs) {
        const outs = await runHealthCheck(news);
        return { outs: { ...outs, ...watchedOf(news) } };
    },
};

/** The watched inputs, recorded so `diff` can compare them (none is secret). */
function watchedOf(inputs: HealthCheckInputs): Record<string, unknown> {
    return Object.fromEntries(WATCHED.map((key) => [key, inputs[key]]));
}

/** Arguments of a `RedisHealthCheck`. */
export interface RedisHealthCheckArgs {
    /** Direct sentinel addresses (`host:port`). */
    sentinels?: pulumi.Input<pulumi.Input<string>[]>;
    /** The RedisFailover to reach through the Kubernetes API. */
    kubernetes?: pulumi.Input<{ namespace: pulumi.Input<string>; name: pulumi.Input<string>; kubeconfig?: pulumi.Input<string> }>;
    /** Sentinel master name. */
    masterName: pulumi.Input<string>;
    /** Expected `maxmemory-policy` on every redis. */
    expectPolicy: pulumi.Input<string>;
    /** Expected `maxmemory` in bytes on every redis. */
    expectMaxmemoryBytes?: pulumi.Input<number>;
    /** Expected number of redis servers. */
    expectRedis: pulumi.Input<number>;
    /** Expected number of sentinels. */
    expectSentinels: pulumi.Input<number>;
    /** Redis password; kept secret in state and never in outputs. */
    password?: pulumi.Input<string>;
    /** How long to wait for health (default 300 s). */
    timeoutSeconds?: pulumi.Input<number>;
    /** Kubernetes path: accept operator Services of type LoadBalancer or NodePort (default false). */
    allowExternalServices?: pulumi.Input<boolean>;
    /** The group's revision (`groupRevision`, render/groupRevision.ts); a change re-runs the check. */
    groupRevision?: pulumi.Input<string>;
}

/** Post-deploy proof that a Redis group runs as configured. */
export class RedisHealthCheck extends pulumi.dynamic.Resource {
    /** The master the sentinels agreed on. */
    declare readonly master: pulumi.Output<string>;
    /** Every check of the passing round. */
    declare readonly checks: pulumi.Output<CheckResult[]>;
    /** When the check passed. */
    declare readonly checkedAt: pulumi.Output<string>;
    /** How the group was reached. */
    declare readonly reachedVia: pulumi.Output<string>;

    constructor(name: string, args: RedisHealthCheckArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            healthCheckProvider,
            name,
            {
                ...args,
                password: args.password === undefined ? undefined : pulumi.secret(args.password),
                timeoutSeconds: args.timeoutSeconds ?? 300,
                master: undefined,
                checks: undefined,
                checkedAt: undefined,
                reachedVia: undefined,
                expected: undefined,
                rounds: undefined,
            },
            opts,
        );
    }
}
