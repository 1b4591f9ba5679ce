// A dynamic resource whose `check` refuses, at preview as on up, a risky change of a group against
// its last deploy (the inputs Pulumi recorded): a password rotation phase out of order, its old
// password retired too soon after the app env moved, a redis image its data files cannot survive,
// and a rotation phase or an image change on a group that is not healthy right now (one round of
// the post-deploy checks, named). The engine calls `check` before any resource of the update
// changes, and the group's other resources wait for this one.

import * as pulumi from "@pulumi/pulumi";
// At the top, not required in a method: Pulumi serializes what the provider reaches by value.
import { imageChangeProblem, retireWaitProblem, rotationStepProblem } from "../config/changeRules";
import type { ROTATION_PHASES } from "../config/schema/instances";
import { serverStarts } from "../health/passwords";
import { describeReach, openTarget, Reach } from "../health/reach";
import { summarizeFailures } from "../health/report";
import { Expectations } from "../health/rules";
import { checkOnce } from "../health/wait";

type Phase = (typeof ROTATION_PHASES)[number];

/** The preflight's inputs, resolved. */
export interface ChangePreflightInputs extends Reach {
    /** `instances.<p>`, for messages. */
    configKey: string;
    expected: Expectations;
    /** The password the group accepts now in the plan's eyes (the Secret's); secret. */
    password?: string;
    passwordVersion: number;
    passwordRotation?: Phase;
    redisImage: string;
    holdsData: boolean;
    /** How long `retire` waits after `apps` (the ExternalSecrets' refresh and a margin). */
    retireWaitSeconds: number;
    /** When the app env moved (`apps` first deployed), epoch ms; carried from deploy to deploy by `check`. */
    appsAt?: number;
}

/** How the group's health is read: one round of checks (tests give their own). */
export type HealthReader = (inputs: ChangePreflightInputs) => Promise<string[]>;

/** One round of the post-deploy checks; the failing ones, summarized. */
export const readHealth: HealthReader = async (inputs) => {
    const opened = await openTarget(inputs, inputs.password);
    try {
        const report = await checkOnce(opened, inputs.expected);
        return report.healthy ? [] : summarizeFailures(report);
    } finally {
        await opened.close();
    }
};

/** When each redis of the group started (tests give their own). */
export type StartsReader = (inputs: ChangePreflightInputs) => Promise<Array<{ name: string; startedAtMs: number }>>;

/** Each redis's start, from its uptime. */
export const readStarts: StartsReader = async (inputs) => {
    const opened = await openTarget(inputs, inputs.password);
    try {
        return await serverStarts(opened, inputs.expected, inputs.password, Date.now());
    } finally {
        await opened.close();
    }
};

/**
 * Why `retire` cannot come yet because of a redis started before the app env moved: its pod's
 * readiness probe, exporter and preStop hook took the Secret's old password from their environment
 * when it started (spotahome generator.go getRedisEnv), and would fail once it is no longer accepted.
 */
export async function staleServersProblem(
    inputs: ChangePreflightInputs,
    appsAt: number,
    starts: StartsReader,
): Promise<string | undefined> {
    const stale = (await starts(inputs)).filter((server) => server.startedAtMs < appsAt);
    if (stale.length === 0) return undefined;
    return (
        `${inputs.configKey}.passwordRotation: retire is refused while redis ${stale.map((s) => s.name).join(", ")} ` +
        `has run since before apps: its readiness probe, exporter and preStop hook hold the old password from the pod's ` +
        `environment; re-create those pods first, replicas before the master (README, "Rotating a password")`
    );
}

/** The problems of going from `olds` (last deploy; undefined on a first one) to `news`, and the inputs to record. */
export async function changeProblems(
    olds: Partial<ChangePreflightInputs> | undefined,
    news: ChangePreflightInputs,
    nowMs: number,
    health: HealthReader = readHealth,
    starts: StartsReader = readStarts,
): Promise<{ problems: string[]; inputs: ChangePreflightInputs }> {
    const appsAt =
        news.passwordRotation !== "apps" && news.passwordRotation !== "retire"
            ? undefined
            : olds?.passwordRotation === "apps" || olds?.passwordRotation === "retire"
              ? (olds.appsAt ?? nowMs)
              : nowMs;
    const inputs: ChangePreflightInputs = { ...news, ...(appsAt === undefined ? {} : { appsAt }) };
    if (olds?.passwordVersion === undefined || olds.redisImage === undefined) return { problems: [], inputs };
    const key = `${news.configKey}.passwordRotation`;
    const rotation = rotationStepProblem(
        { version: olds.passwordVersion, phase: olds.passwordRotation },
        { version: news.passwordVersion, phase: news.passwordRotation },
        key,
    );
    const problems = [
        ...(rotation ? [rotation] : []),
        ...(news.passwordRotation === "retire" && olds.passwordRotation === "apps"
            ? [retireWaitProblem(olds.appsAt, nowMs, news.retireWaitSeconds, key)].filter((p): p is string => p !== undefined)
            : []),
        ...(news.holdsData
            ? [imageChangeProblem(olds.redisImage, news.redisImage, `${news.configKey}.redis.image`)].filter(
                  (p): p is string => p !== undefined,
              )
            : []),
    ];
    if (problems.length === 0 && news.passwordRotation === "retire" && olds.passwordRotation === "apps" && olds.appsAt !== undefined) {
        const stale = await staleServersProblem(news, olds.appsAt, starts).catch(
            (error: Error) => `${key}: could not be checked: ${error.message}`,
        );
        if (stale) problems.push(stale);
    }
    const changing =
        olds.passwordRotation !== news.passwordRotation ||
        olds.passwordVersion !== news.passwordVersion ||
        olds.redisImage !== news.redisImage;
    if (problems.length === 0 && changing) {
        const failing = await health(news).catch((error: Error) => [`could not be checked: ${error.message}`]);
        if (failing.length > 0) {
            const what = olds.redisImage !== news.redisImage ? "an image change" : "a password rotation step";
            problems.push(
                `${news.configKey}: ${what} is refused while the group (${describeReach(news)}) is not healthy: ${failing.join("; ")}`,
            );
        }
    }
    return { problems, inputs };
}

/** Pulumi's placeholder for a value not known until deploy (dynamic providers see it as this string). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const WATCHED = ["passwordVersion", "passwordRotation", "redisImage", "appsAt"] as const;

export const changePreflightProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Partial<ChangePreflightInputs>, news: ChangePreflightInputs) {
        // A kubeconfig or password not known yet (made in the same update) means a new group: nothing to compare.
        if (JSON.stringify(news).includes(UNKNOWN)) return { inputs: news };
        const { problems, inputs } = await changeProblems(Object.keys(olds ?? {}).length ? olds : undefined, news, Date.now());
        return { inputs, failures: problems.map((reason) => ({ property: "configKey", reason })) };
    },
    async create(inputs: ChangePreflightInputs) {
        return { id: `${inputs.configKey}#preflight`, outs: recorded(inputs) };
    },
    async diff(_id: string, olds: Record<string, unknown>, news: ChangePreflightInputs) {
        const changes = WATCHED.some((key) => olds[key] !== news[key]);
        return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: unknown, news: ChangePreflightInputs) {
        return { outs: recorded(news) };
    },
};

/** What is recorded as outputs: the watched inputs, no password. */
function recorded(inputs: ChangePreflightInputs): Record<string, unknown> {
    return Object.fromEntries(WATCHED.map((key) => [key, inputs[key]]));
}

/** Arguments of a `ChangePreflight`. */
export interface ChangePreflightArgs {
    configKey: string;
    sentinels?: pulumi.Input<string[]>;
    kubernetes?: pulumi.Input<{ namespace: string; name: string; kubeconfig?: pulumi.Input<string> }>;
    expected: Expectations;
    password: pulumi.Input<string>;
    passwordVersion: number;
    passwordRotation?: Phase;
    redisImage: string;
    holdsData: boolean;
    retireWaitSeconds: number;
}

/** Refuses, at preview, a change of a group its state does not allow. */
export class ChangePreflight extends pulumi.dynamic.Resource {
    constructor(name: string, args: ChangePreflightArgs, opts?: pulumi.CustomResourceOptions) {
        super(changePreflightProvider, name, { ...args, password: pulumi.secret(args.password), appsAt: undefined }, opts);
    }
}
