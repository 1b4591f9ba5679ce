// The rules of the stack schema that span top-level keys (config/schema/stack.ts runs them): one
// named rule per key it guards, run in a fixed order so the problems are always reported alike. The
// rules on each instance are in instanceRules.ts, those on managed nodes in nodeRules.ts.

import { z } from "zod";
import { field } from "./common";
import { haInstanceRules, instanceRules } from "./instanceRules";
import { clusterRule, nodeRules } from "./nodeRules";
import { holdsData, instanceOf, StackView, viewOf } from "./stackView";

/** appEnv[i].instance: names an instance. */
function appEnvInstanceRule(view: StackView) {
    const appEnv = field(view.value, "appEnv");
    (Array.isArray(appEnv) ? appEnv : []).forEach((entry, index) => {
        const instance = field(entry, "instance");
        if (typeof instance === "string" && instance.trim() !== "" && !view.purposes.includes(instance))
            view.problem(["appEnv", index, "instance"], `names no instance; ${view.defined}`);
    });
}

/**
 * appSecrets.recoveryWindowInDays: a protected stack keeps a deleted app secret for a while, so 0
 * (delete at once) is refused there.
 */
function recoveryWindowRule(view: StackView) {
    const protectData = field(view.value, "protectData") ?? field(view.value, "highlyAvailable");
    if (protectData === true && field(view.value, "appSecrets", "recoveryWindowInDays") === 0)
        view.problem(
            ["appSecrets", "recoveryWindowInDays"],
            "0 deletes the secret without recovery, but this stack protects its data (protectData); use 7 to 30 days",
        );
}

/** backup.instances[i]: names an instance, one that holds data (the others are caches: nothing to restore). */
function backupInstancesRule(view: StackView) {
    const listed = field(view.value, "backup", "instances");
    (Array.isArray(listed) ? listed : []).forEach((purpose, index) => {
        if (typeof purpose !== "string" || purpose.trim() === "") return;
        if (!view.purposes.includes(purpose)) return view.problem(["backup", "instances", index], `names no instance; ${view.defined}`);
        if (!holdsData(instanceOf(view.value, purpose)))
            view.problem(
                ["backup", "instances", index],
                `${purpose} holds no data (instances.${purpose}.holdsData is false): only data-holding instances are backed up`,
            );
    });
}

/**
 * The rules that need more than one top-level key, by the key each guards, in the order their
 * problems are reported. `needsInstances`: skipped without a readable set of instances, where
 * "names no instance" would only repeat the instances problem.
 */
const CROSS_RULES: Array<{ key: string; check: (view: StackView) => void; needsInstances?: true }> = [
    {
        key: "instances.<purpose>.sentinel.downAfterMilliseconds, sentinel.customConfig, redis.minReplicasMaxLag, redis.exporter",
        check: instanceRules,
    },
    {
        key: "instances.<purpose>.{sentinel,redis,front}.replicas, redis.minReplicasToWrite, sentinel.customConfig",
        check: (view) => {
            if (field(view.value, "highlyAvailable") === true) haInstanceRules(view);
        },
    },
    { key: "appEnv[i].instance", check: appEnvInstanceRule, needsInstances: true },
    { key: "appSecrets.recoveryWindowInDays", check: recoveryWindowRule, needsInstances: true },
    { key: "nodes.<purpose>", check: nodeRules, needsInstances: true },
    { key: "cluster", check: clusterRule, needsInstances: true },
    { key: "backup.instances[i]", check: backupInstancesRule, needsInstances: true },
];

/** Runs CROSS_RULES on the stack (zod superRefine). */
export function crossRules(value: unknown, ctx: z.RefinementCtx) {
    const view = viewOf(value, ctx);
    const instances = field(value, "instances");
    const readable = instances !== null && typeof instances === "object";
    for (const rule of CROSS_RULES) if (readable || !rule.needsInstances) rule.check(view);
}
