// What the cross-key rules (crossRules.ts, instanceRules.ts, nodeRules.ts) read of a stack that may
// be partly invalid: every read is checked, and instances and nodes are read whether parsed (lists)
// or as given (records).

import { z } from "zod";
import { field } from "./common";
import { FRONT_DEFAULT_REPLICAS } from "./instances";

/** Records one problem at `path`. */
export type Problem = (path: Array<string | number>, message: string) => void;

/** What the cross-key rules read. `value` may be partly invalid: every read is checked. */
export interface StackView {
    value: unknown;
    /** The instances' purposes: parsed (a list) when every instance is valid, else as given (a record). */
    purposes: string[];
    /** `defined: auth, streams, cache`, the end of a "names no instance" message. */
    defined: string;
    problem: Problem;
}

export function viewOf(value: unknown, ctx: z.RefinementCtx): StackView {
    const instances = field(value, "instances");
    const purposes = Array.isArray(instances) ? instances.map((i) => String(field(i, "purpose"))) : Object.keys(instances ?? {});
    const problem: Problem = (path, message) => ctx.addIssue({ code: "custom", path, message });
    return { value, purposes, defined: `defined: ${purposes.join(", ") || "(none)"}`, problem };
}

/** An instance by its purpose, whether the instances are parsed (a list) or as given (a record). */
export function instanceOf(value: unknown, purpose: string): unknown {
    const instances = field(value, "instances");
    return Array.isArray(instances) ? instances.find((i) => field(i, "purpose") === purpose) : field(instances, purpose);
}

/** An instance's front replicas as the schema will read them, or undefined when its front is off. */
export function frontReplicas(instance: unknown): unknown {
    return field(instance, "front", "enabled") === false ? undefined : (field(instance, "front", "replicas") ?? FRONT_DEFAULT_REPLICAS);
}

/** Whether an instance holds data, as the instance schema decides it: holdsData, else "has a persistent volume claim". */
export function holdsData(instance: unknown): boolean {
    const given = field(instance, "holdsData");
    if (typeof given === "boolean") return given;
    const storage = field(instance, "redis", "storage");
    return field(storage, "kind") === "persistentVolumeClaim" || field(storage, "persistentVolumeClaim") !== undefined;
}

/** A rule on one instance: `instance` is its value as read, `purpose` its key. */
export type InstanceRule = (view: StackView, purpose: string, instance: unknown) => void;

/** Each instance in turn, `rules` in order on it (so its problems stay together). */
export const eachInstance =
    (...rules: InstanceRule[]) =>
    (view: StackView) => {
        for (const purpose of view.purposes) {
            const instance = instanceOf(view.value, purpose);
            for (const rule of rules) rule(view, purpose, instance);
        }
    };
